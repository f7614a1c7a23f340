//! `xaso-bench`: imports a synthetic register of N persons into SQLite and PostgreSQL, side by
//! side with each database's own bulk load of the same file, then serves it and measures
//! lookups by personal ID and name searches over HTTP against `/healthz` in the same run.
//! Every figure printed is measured in this run; the final Markdown table goes in the README.

mod baseline;
mod data;
// Shared with the oidc program, which uses parts this one does not.
#[allow(dead_code)]
mod http;
mod machine;
mod procs;
mod report;

use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use http::{Conn, PhaseResult, Workload};
use procs::{Cmd, Server, Timed};

const USAGE: &str = "\
xaso-bench: import, lookup and search benchmarks of xaso, side by side with the databases' own
bulk loads and with /healthz.

USAGE: cargo run --release -p xaso-bench -- [OPTIONS]

  --persons N         persons in the register (default 1000000)
  --seconds S         measured seconds per HTTP phase (default 10)
  --connections C     keep-alive connections of the load generator (default 16)
  --quick             50000 persons, 3 s per phase
  --skip-postgres     SQLite only
  --skip-sqlite       PostgreSQL only
  --postgres-url URL  server to create the bench databases on
                      (default postgres://postgres@127.0.0.1:5432/test)
  --out-dir DIR       work directory: CSV, databases, logs (default bench/out)
  --xaso PATH         the xaso binary (default: build it with cargo build --release -p xaso)
  --seed N            demo seed (default 7)
  --keep              keep the databases (default: removed at the end)
";

pub struct Config {
    pub persons: usize,
    pub seconds: u64,
    pub connections: usize,
    pub skip_postgres: bool,
    pub skip_sqlite: bool,
    pub postgres_url: String,
    pub out_dir: PathBuf,
    pub xaso: Option<PathBuf>,
    pub seed: u64,
    pub keep: bool,
}

fn parse_args() -> Result<Option<Config>, String> {
    let mut c = Config {
        persons: 1_000_000,
        seconds: 10,
        connections: 16,
        skip_postgres: false,
        skip_sqlite: false,
        postgres_url: "postgres://postgres@127.0.0.1:5432/test".into(),
        out_dir: procs::workspace_root().join("bench").join("out"),
        xaso: None,
        seed: 7,
        keep: false,
    };
    let mut persons_set = false;
    let mut seconds_set = false;
    let mut quick = false;
    let mut args = std::env::args().skip(1);
    let value = |args: &mut std::iter::Skip<std::env::Args>, flag: &str| {
        args.next().ok_or_else(|| format!("{flag} needs a value"))
    };
    let number = |s: String, flag: &str| {
        s.replace('_', "")
            .parse::<u64>()
            .map_err(|_| format!("{flag}: not a number: {s}"))
    };
    for _ in 0..64 {
        let Some(arg) = args.next() else { break };
        match arg.as_str() {
            "--persons" => {
                c.persons = number(value(&mut args, &arg)?, &arg)? as usize;
                persons_set = true;
            }
            "--seconds" => {
                c.seconds = number(value(&mut args, &arg)?, &arg)?;
                seconds_set = true;
            }
            "--connections" => c.connections = number(value(&mut args, &arg)?, &arg)? as usize,
            "--seed" => c.seed = number(value(&mut args, &arg)?, &arg)?,
            "--quick" => quick = true,
            "--skip-postgres" => c.skip_postgres = true,
            "--skip-sqlite" => c.skip_sqlite = true,
            "--keep" => c.keep = true,
            "--postgres-url" => c.postgres_url = value(&mut args, &arg)?,
            "--out-dir" => c.out_dir = PathBuf::from(value(&mut args, &arg)?),
            "--xaso" => c.xaso = Some(PathBuf::from(value(&mut args, &arg)?)),
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    if quick {
        if !persons_set {
            c.persons = 50_000;
        }
        if !seconds_set {
            c.seconds = 3;
        }
    }
    if c.persons == 0 || c.seconds == 0 || c.connections == 0 || c.connections > 1024 {
        return Err(
            "--persons, --seconds and --connections must be positive (connections ≤ 1024)".into(),
        );
    }
    Ok(Some(c))
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(cfg) = parse_args()? else {
        return Ok(());
    };
    std::fs::create_dir_all(&cfg.out_dir)?;
    let cfg = Config {
        out_dir: std::fs::canonicalize(&cfg.out_dir)?,
        ..cfg
    };
    let machine = report::Machine::measure();
    eprintln!(
        "== xaso-bench: {} persons, {} s per phase, {} connections",
        report::thousands(cfg.persons as u64),
        cfg.seconds,
        cfg.connections
    );
    eprintln!("   {}", machine.describe());

    // Tools first, so that a missing one is reported before any long step.
    tool_version("sqlite3", &["-version"]).map_err(|e| {
        format!("the SQLite baseline needs the sqlite3 shell: {e} (install the sqlite3 package)")
    })?;
    if !cfg.skip_postgres {
        tool_version("psql", &["--version"]).map_err(|e| {
            format!("the PostgreSQL run needs psql: {e} (install postgresql-client, or pass --skip-postgres)")
        })?;
        procs::output(Command::new("psql").args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-d",
            &cfg.postgres_url,
            "-c",
            "select 1",
        ]))
        .map_err(|e| {
            format!(
                "cannot reach PostgreSQL at {}: {e} (or pass --skip-postgres)",
                cfg.postgres_url
            )
        })?;
    }
    let time_bin = procs::gnu_time();
    let xaso = match &cfg.xaso {
        Some(p) => p.clone(),
        None => procs::build_xaso()?,
    };
    if !xaso.is_file() {
        return Err(format!("no xaso binary at {}", xaso.display()).into());
    }

    // The register file.
    let csv_path = cfg
        .out_dir
        .join(format!("register-{}-seed{}.csv", cfg.persons, cfg.seed));
    eprintln!("== register file {}", csv_path.display());
    let register = data::ensure_register_csv(&csv_path, cfg.persons, cfg.seed)?;
    match register.generated_in {
        Some(d) => eprintln!(
            "   generated {} rows ({:.0} MB) in {:.1} s",
            register.rows,
            register.bytes as f64 / 1e6,
            d.as_secs_f64()
        ),
        None => eprintln!(
            "   reused: {} rows ({:.0} MB)",
            register.rows,
            register.bytes as f64 / 1e6
        ),
    }
    let samples = data::draw_samples(&csv_path, 100_000, 20_000, 5, cfg.seed ^ 0x5eed)?;
    eprintln!(
        "   requests: {} lookups ({} for unknown IDs), {} name searches ({} with a birth year)",
        samples.lookup_paths.len(),
        samples.lookup_unknown,
        samples.search_paths.len(),
        samples.search_with_year
    );

    let mut runs: Vec<report::StoreRun> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let ctx = Ctx {
        cfg: &cfg,
        xaso: &xaso,
        csv: &csv_path,
        samples: &samples,
        time_bin: time_bin.as_deref(),
        expected_rows: register.rows,
    };
    if !cfg.skip_sqlite {
        match run_sqlite(&ctx) {
            Ok(r) => {
                if let Err(e) = &r.http {
                    eprintln!("!! SQLite HTTP run failed: {e}");
                    failures.push(format!("SQLite HTTP: {e}"));
                }
                runs.push(r)
            }
            Err(e) => {
                eprintln!("!! SQLite run failed: {e}");
                failures.push(format!("SQLite: {e}"));
            }
        }
    }
    if !cfg.skip_postgres {
        match run_postgres(&ctx) {
            Ok(r) => {
                if let Err(e) = &r.http {
                    eprintln!("!! PostgreSQL HTTP run failed: {e}");
                    failures.push(format!("PostgreSQL HTTP: {e}"));
                }
                runs.push(r)
            }
            Err(e) => {
                eprintln!("!! PostgreSQL run failed: {e}");
                failures.push(format!("PostgreSQL: {e}"));
            }
        }
    }

    let md = report::markdown(
        &cfg,
        &machine,
        &register,
        &samples,
        &runs,
        &failures,
        time_bin.is_some(),
    );
    let md_path = cfg.out_dir.join("results.md");
    std::fs::write(&md_path, &md)?;
    println!("\n{md}");
    eprintln!("(also written to {})", md_path.display());
    if !failures.is_empty() {
        return Err(failures.join("\n").into());
    }
    Ok(())
}

fn tool_version(tool: &str, args: &[&str]) -> Result<String, String> {
    procs::output(Command::new(tool).args(args)).map(|s| s.trim().to_string())
}

struct Ctx<'a> {
    cfg: &'a Config,
    xaso: &'a Path,
    csv: &'a Path,
    samples: &'a data::Samples,
    time_bin: Option<&'a Path>,
    expected_rows: u64,
}

/// `--data DIR` and, for PostgreSQL, `--database-url URL`.
fn store_args(data: &Path, url: Option<&str>) -> Vec<std::ffi::OsString> {
    let mut v: Vec<std::ffi::OsString> = vec!["--data".into(), data.into()];
    if let Some(u) = url {
        v.push("--database-url".into());
        v.push(u.into());
    }
    v
}

fn create_token(ctx: &Ctx, data: &Path, url: Option<&str>) -> Result<String, String> {
    let out = procs::output(
        Command::new(ctx.xaso)
            .args(["admin", "token", "create"])
            .args(store_args(data, url))
            .args(["--name", "bench", "--role", "admin"]),
    )?;
    let token = out.trim().to_string();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(format!(
            "xaso admin token create printed {out:?}, not a token"
        ));
    }
    Ok(token)
}

fn xaso_import(ctx: &Ctx, data: &Path, url: Option<&str>, log: &Path) -> Result<Timed, String> {
    let mut cmd = Cmd::new(ctx.xaso).arg("import").arg("registry");
    for a in store_args(data, url) {
        cmd = cmd.arg(a);
    }
    let cmd = cmd.arg(ctx.csv);
    eprintln!("   $ {}", cmd.display());
    let t = procs::run_timed(&cmd, log, ctx.time_bin)?;
    eprintln!(
        "   xaso import: {:.2} s, peak RSS {} KiB ({}); its last lines:",
        t.wall.as_secs_f64(),
        t.peak_rss_kib
            .map(|k| k.to_string())
            .unwrap_or_else(|| "n/a".into()),
        t.peak_source
    );
    for l in procs::tail(log, 6).lines() {
        eprintln!("     | {l}");
    }
    Ok(t)
}

fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn check_count(what: &str, got: &str, expected: u64) -> Result<(), String> {
    let n: u64 = got
        .trim()
        .parse()
        .map_err(|_| format!("{what}: count({got:?}) is not a number"))?;
    if n != expected {
        return Err(format!("{what} holds {n} persons, the file {expected}"));
    }
    Ok(())
}

fn run_sqlite(ctx: &Ctx) -> Result<report::StoreRun, String> {
    eprintln!("== SQLite");
    let root = ctx.cfg.out_dir.join("sqlite");
    fresh_dir(&root)?;
    let data = root.join("xaso-data");
    let base_db = root.join("baseline.db");
    let logs = ctx.cfg.out_dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;

    // Untimed setup: xaso's store (created by the token command) and the baseline's schema.
    let token = create_token(ctx, &data, None)?;
    procs::output(
        Command::new("sqlite3")
            .arg(&base_db)
            .arg(baseline::sqlite_schema()),
    )
    .map_err(|e| format!("baseline schema: {e}"))?;

    let import_log = logs.join("sqlite-xaso-import.log");
    let _ = std::fs::remove_file(&import_log);
    let import = xaso_import(ctx, &data, None, &import_log)?;
    let base_log = logs.join("sqlite-baseline-import.log");
    let _ = std::fs::remove_file(&base_log);
    let base_cmd = baseline::sqlite_import(&base_db, ctx.csv)?;
    eprintln!("   $ {} (script on stdin)", base_cmd.display());
    let base = procs::run_timed(&base_cmd, &base_log, ctx.time_bin)?;
    eprintln!("   sqlite3 .import: {:.2} s", base.wall.as_secs_f64());

    let xaso_db = data.join("xaso.db");
    check_count(
        "xaso's SQLite store",
        &procs::output(
            Command::new("sqlite3")
                .arg("-readonly")
                .arg(&xaso_db)
                .arg("select count(*) from persons"),
        )?,
        ctx.expected_rows,
    )?;
    check_count(
        "the baseline table",
        &procs::output(
            Command::new("sqlite3")
                .arg("-readonly")
                .arg(&base_db)
                .arg("select count(*) from persons"),
        )?,
        ctx.expected_rows,
    )?;
    let xaso_bytes = dir_size(&data);
    // Not recursive: the files directly under root are the baseline's database.
    let base_bytes = dir_size(&root);

    let http = serve_and_load(ctx, "sqlite", &data, None, &token);
    if !ctx.cfg.keep {
        let _ = std::fs::remove_dir_all(&root);
    }
    Ok(report::StoreRun {
        store: "SQLite",
        baseline_name: "`sqlite3` `.import --csv`",
        import,
        baseline: base,
        xaso_disk_bytes: Some(xaso_bytes),
        baseline_disk_bytes: Some(base_bytes),
        http,
    })
}

/// Drops the bench databases when dropped (after the server guard, declared later, is gone).
struct PgDatabases {
    admin_url: String,
    names: Vec<String>,
    keep: bool,
}

impl PgDatabases {
    fn drop_all(&self) -> Result<(), String> {
        for n in &self.names {
            procs::output(Command::new("psql").args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.admin_url,
                "-c",
                &format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"),
            ]))?;
        }
        Ok(())
    }
}

impl Drop for PgDatabases {
    fn drop(&mut self) {
        if !self.keep {
            if let Err(e) = self.drop_all() {
                eprintln!("!! could not drop the bench databases: {e}");
            }
        }
    }
}

/// The URL with its database name replaced.
fn with_database(url: &str, db: &str) -> Result<String, String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| format!("not a URL: {url}"))?;
    let host_end = base[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

fn run_postgres(ctx: &Ctx) -> Result<report::StoreRun, String> {
    eprintln!("== PostgreSQL");
    let dbs = PgDatabases {
        admin_url: ctx.cfg.postgres_url.clone(),
        names: vec!["xaso_bench".into(), "xaso_bench_copy".into()],
        keep: ctx.cfg.keep,
    };
    dbs.drop_all()?;
    for n in &dbs.names {
        procs::output(Command::new("psql").args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &dbs.admin_url,
            "-c",
            &format!("CREATE DATABASE {n}"),
        ]))?;
    }
    let xaso_url = with_database(&ctx.cfg.postgres_url, &dbs.names[0])?;
    let copy_url = with_database(&ctx.cfg.postgres_url, &dbs.names[1])?;
    let root = ctx.cfg.out_dir.join("postgres");
    fresh_dir(&root)?;
    let data = root.join("xaso-data");
    let logs = ctx.cfg.out_dir.join("logs");
    // Made by the SQLite run too, which --skip-sqlite leaves out.
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;

    let token = create_token(ctx, &data, Some(&xaso_url))?;
    procs::output(Command::new("psql").args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        &copy_url,
        "-c",
        &baseline::postgres_schema(),
    ]))
    .map_err(|e| format!("baseline schema: {e}"))?;

    let import_log = logs.join("postgres-xaso-import.log");
    let _ = std::fs::remove_file(&import_log);
    let import = xaso_import(ctx, &data, Some(&xaso_url), &import_log)?;
    let base_log = logs.join("postgres-baseline-copy.log");
    let _ = std::fs::remove_file(&base_log);
    let base_cmd = baseline::postgres_copy(&copy_url, ctx.csv)?;
    eprintln!("   $ {}", base_cmd.display());
    let base = procs::run_timed(&base_cmd, &base_log, ctx.time_bin)?;
    eprintln!("   psql \\copy: {:.2} s", base.wall.as_secs_f64());

    let count = |url: &str| {
        procs::output(Command::new("psql").args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-d",
            url,
            "-c",
            "select count(*) from persons",
        ]))
    };
    check_count(
        "xaso's PostgreSQL database",
        &count(&xaso_url)?,
        ctx.expected_rows,
    )?;
    check_count("the baseline table", &count(&copy_url)?, ctx.expected_rows)?;
    let size = |db: &str| -> Option<u64> {
        procs::output(Command::new("psql").args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-d",
            &dbs.admin_url,
            "-c",
            &format!("select pg_database_size('{db}')"),
        ]))
        .ok()
        .and_then(|s| s.trim().parse().ok())
    };
    let xaso_bytes = size(&dbs.names[0]);
    let base_bytes = size(&dbs.names[1]);

    let http = serve_and_load(ctx, "postgres", &data, Some(&xaso_url), &token);
    if !ctx.cfg.keep {
        let _ = std::fs::remove_dir_all(&root);
    }
    drop(dbs);
    Ok(report::StoreRun {
        store: "PostgreSQL",
        baseline_name: "`psql` `\\copy … (FORMAT csv)`",
        import,
        baseline: base,
        xaso_disk_bytes: xaso_bytes,
        baseline_disk_bytes: base_bytes,
        http,
    })
}

/// Starts `xaso serve`, checks its answers, measures the three phases and its peak memory.
fn serve_and_load(
    ctx: &Ctx,
    label: &str,
    data: &Path,
    url: Option<&str>,
    token: &str,
) -> Result<report::HttpRun, String> {
    let port = http::free_port()?;
    let addr: SocketAddr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut command = Command::new(ctx.xaso);
    command
        .arg("serve")
        .args(store_args(data, url))
        .arg("--listen")
        .arg(addr.to_string());
    let log = ctx
        .cfg
        .out_dir
        .join("logs")
        .join(format!("{label}-serve.log"));
    eprintln!("   $ {command:?}");
    let mut server = Server::spawn(command, &log)?;
    let startup = http::wait_for_healthz(&mut server, addr)?;
    let mut conn = Conn::new(addr)?;
    let idle_rss_kib = procs::proc_status_kib(server.pid(), "VmRSS");
    eprintln!("   serving on {addr} after {:.2} s", startup.as_secs_f64());

    let search_mean_results = check_answers(&mut conn, token, ctx.samples)?;
    drop(conn);

    let token: Arc<str> = Arc::from(token);
    let workloads = [
        Workload {
            name: "healthz",
            paths: Arc::new(vec!["/healthz".to_string()]),
            token: None,
        },
        Workload {
            name: "lookup",
            paths: Arc::new(ctx.samples.lookup_paths.clone()),
            token: Some(Arc::clone(&token)),
        },
        Workload {
            name: "search",
            paths: Arc::new(ctx.samples.search_paths.clone()),
            token: Some(Arc::clone(&token)),
        },
    ];
    let seconds = Duration::from_secs(ctx.cfg.seconds);
    let warmup = Duration::from_secs(1);
    let mut phases: Vec<PhaseResult> = Vec::new();
    for (i, w) in workloads.iter().enumerate() {
        http::run_phase(addr, w, ctx.cfg.connections, warmup, 1000 + i as u64)?;
        server.check_alive()?;
        let database_cpu = || url.and_then(|_| procs::processes_cpu_named("postgres"));
        let cpu_before = (
            procs::proc_cpu(Some(server.pid())),
            procs::proc_cpu(None),
            database_cpu(),
        );
        let mut r = http::run_phase(addr, w, ctx.cfg.connections, seconds, 2000 + i as u64)?;
        let cpu_after = (
            procs::proc_cpu(Some(server.pid())),
            procs::proc_cpu(None),
            database_cpu(),
        );
        r.database_cpu = cpu_after
            .2
            .zip(cpu_before.2)
            .map(|(a, b)| a.saturating_sub(b));
        r.server_cpu = cpu_after
            .0
            .zip(cpu_before.0)
            .map(|(a, b)| a.saturating_sub(b));
        r.loadgen_cpu = cpu_after
            .1
            .zip(cpu_before.1)
            .map(|(a, b)| a.saturating_sub(b));
        server.check_alive()?;
        eprintln!(
            "   {:<8} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  CPU/request: server {:.1} µs, load generator {:.1} µs{}  ({} ok, {} 404, {} other, {} failed){}",
            r.name,
            r.throughput(),
            r.percentile_ms(50.0).unwrap_or(f64::NAN),
            r.percentile_ms(99.0).unwrap_or(f64::NAN),
            r.max_ms().unwrap_or(f64::NAN),
            r.cpu_us_per_request(r.server_cpu).unwrap_or(f64::NAN),
            r.cpu_us_per_request(r.loadgen_cpu).unwrap_or(f64::NAN),
            r.cpu_us_per_request(r.database_cpu)
                .map(|us| format!(", PostgreSQL {us:.1} µs"))
                .unwrap_or_default(),
            r.status_2xx,
            r.status_404,
            r.status_other,
            r.failures,
            r.first_problem.as_deref().map(|p| format!("; first problem: {p}")).unwrap_or_default()
        );
        phases.push(r);
    }
    let peak_kib = procs::proc_status_kib(server.pid(), "VmHWM");
    let anon_kib = procs::proc_status_kib(server.pid(), "RssAnon");
    let file_kib = procs::proc_status_kib(server.pid(), "RssFile");
    let clean = server.stop()?;
    if !clean {
        eprintln!(
            "   note: the server did not exit cleanly on SIGTERM (see {})",
            log.display()
        );
    }
    let mut phases = phases.into_iter();
    let (Some(healthz), Some(lookup), Some(search)) = (phases.next(), phases.next(), phases.next())
    else {
        return Err("missing phase results".into());
    };
    Ok(report::HttpRun {
        startup,
        idle_rss_kib,
        peak_kib,
        anon_kib,
        file_kib,
        healthz,
        lookup,
        search,
        search_mean_results,
        clean_stop: clean,
    })
}

/// Checks the server's answers on a few requests before measuring; returns the mean number of
/// results of the sampled name searches.
fn check_answers(conn: &mut Conn, token: &str, s: &data::Samples) -> Result<f64, String> {
    let r = conn.fetch("/healthz", None)?;
    if r.status != 200 || !String::from_utf8_lossy(&r.body).contains("ok") {
        return Err(format!(
            "/healthz answered {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ));
    }
    for id in &s.check_known {
        let path = format!("/api/v1/persons/{id}");
        let r = conn.fetch(&path, Some(token))?;
        let body = String::from_utf8_lossy(&r.body);
        if r.status != 200 || !body.contains(id.as_str()) {
            return Err(format!(
                "GET {path} answered {}: {}",
                r.status,
                &body[..body.len().min(300)]
            ));
        }
        serde_json::from_slice::<serde_json::Value>(&r.body)
            .map_err(|e| format!("GET {path}: not JSON: {e}"))?;
    }
    for id in &s.check_unknown {
        let path = format!("/api/v1/persons/{id}");
        let r = conn.fetch(&path, Some(token))?;
        if r.status != 404 {
            return Err(format!(
                "GET {path} (unknown ID) answered {}, not 404",
                r.status
            ));
        }
    }
    let checked = s.search_paths.len().min(200);
    let mut total = 0u64;
    for path in &s.search_paths[..checked] {
        let r = conn.fetch(path, Some(token))?;
        if r.status != 200 {
            return Err(format!(
                "GET {path} answered {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&r.body).map_err(|e| format!("GET {path}: not JSON: {e}"))?;
        let results = v.get("results").and_then(|r| r.as_array()).map(Vec::len);
        let count = v.get("count").and_then(serde_json::Value::as_u64);
        match (results, count) {
            (Some(n), _) if n > 0 => total += count.unwrap_or(n as u64),
            _ => {
                return Err(format!(
                    "GET {path}: a name taken from the register found nothing: {}",
                    String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
                ))
            }
        }
    }
    Ok(total as f64 / checked.max(1) as f64)
}
