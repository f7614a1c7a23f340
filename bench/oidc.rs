//! `oidc`: the OpenID Connect provider of `xaso serve` under load, through its real pages and
//! endpoints: authorization-code exchanges (PKCE S256, `client_secret_basic`), refresh grants
//! with rotation, password sign-ins at the citizens' login page, and `/healthz` for scale; the
//! argon2id verification rate in process beside them; and the per-core figures side by side
//! with Keycloak's published sizing. Every figure printed is measured in this run.

// Shared with the other benchmark programs, which use parts this one does not.
#[allow(dead_code)]
mod http;
#[allow(dead_code)]
mod machine;
#[allow(dead_code)]
mod procs;

use std::error::Error;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{url_encode, Conn, PhaseResult, Step};
use machine::{loadavg, thousands, Machine};
use procs::Server;
use xaso_identity::oidc::client_auth::basic_header;
use xaso_identity::oidc::code::{s256_challenge, CODE_LIFETIME};
use xaso_identity::password::{
    hash_password, verify_password, ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST,
};

const USAGE: &str = "\
oidc: the OpenID Connect provider of xaso under load (code exchange, refresh, password sign-in,
/healthz), side by side with Keycloak's published sizing.

USAGE: cargo run --release -p xaso-bench --bin oidc -- [OPTIONS]

  --seconds S         measured seconds per phase (default 10)
  --connections C     keep-alive connections of the load generator (default 16)
  --residents N       residents of the demo commune (default 2000)
  --citizens K        citizens' accounts signed in (default 8, at most the demo's samples)
  --quick             3 s per phase
  --out-dir DIR       work directory: data, logs, oidc.md (default bench/out)
  --xaso PATH         the xaso binary (default: build it with cargo build --release -p xaso)
";

/// Keycloak's sizing guide ("Concepts for sizing CPU and memory resources"): one vCPU for each
/// 15 password-based logins, 120 client-credential grants and 120 refresh-token requests per
/// second.
const KEYCLOAK_URL: &str =
    "https://www.keycloak.org/high-availability/single-cluster/concepts-memory-and-cpu-sizing";
const KEYCLOAK_LOGINS_PER_VCPU: f64 = 15.0;
const KEYCLOAK_GRANTS_PER_VCPU: f64 = 120.0;

const REDIRECT_URI: &str = "http://localhost/rp/callback";
const SCOPE: &str = "openid profile personal_id";
/// The password the citizens choose in place of their one-time one.
const NEW_PASSWORD: &str = "cơm tấm sườn bì chả trứng";
/// Sign-ins sent from one source address before the next: the server allows 20 at once per
/// address (then one every 6 s), so each simulated client stays within its limit.
const SIGN_INS_PER_ADDRESS: u32 = 18;

struct Config {
    seconds: u64,
    connections: usize,
    residents: usize,
    citizens: usize,
    out_dir: PathBuf,
    xaso: Option<PathBuf>,
}

fn parse_args() -> Result<Option<Config>, String> {
    let mut c = Config {
        seconds: 10,
        connections: 16,
        residents: 2000,
        citizens: 8,
        out_dir: procs::workspace_root().join("bench").join("out"),
        xaso: None,
    };
    let mut args = std::env::args().skip(1);
    let number = |v: Option<String>, flag: &str| -> Result<u64, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        v.replace('_', "")
            .parse()
            .map_err(|_| format!("{flag}: not a number: {v}"))
    };
    for _ in 0..64 {
        let Some(arg) = args.next() else { break };
        match arg.as_str() {
            "--seconds" => c.seconds = number(args.next(), &arg)?,
            "--connections" => c.connections = number(args.next(), &arg)? as usize,
            "--residents" => c.residents = number(args.next(), &arg)? as usize,
            "--citizens" => c.citizens = number(args.next(), &arg)? as usize,
            "--quick" => c.seconds = 3,
            "--out-dir" => c.out_dir = PathBuf::from(args.next().ok_or("--out-dir needs a value")?),
            "--xaso" => c.xaso = Some(PathBuf::from(args.next().ok_or("--xaso needs a value")?)),
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    // The codes of phase 1 live 60 s, and are minted before it: the phase must be shorter.
    if c.seconds == 0 || c.seconds > 40 {
        return Err("--seconds must be between 1 and 40 (codes live 60 s)".into());
    }
    if c.connections == 0 || c.connections > 256 || c.citizens == 0 || c.residents < 60 {
        return Err("--connections 1..256, --citizens ≥ 1, --residents ≥ 60".into());
    }
    Ok(Some(c))
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(cfg) = parse_args()? else {
        return Ok(());
    };
    std::fs::create_dir_all(cfg.out_dir.join("logs"))?;
    let cfg = Config {
        out_dir: std::fs::canonicalize(&cfg.out_dir)?,
        ..cfg
    };
    let machine = Machine::measure();
    eprintln!(
        "== oidc: {} s per phase, {} connections; {}; load {}",
        cfg.seconds,
        cfg.connections,
        machine.describe(),
        machine.load_at_start
    );
    let xaso = match &cfg.xaso {
        Some(p) => p.clone(),
        None => procs::build_xaso()?,
    };
    let setup = set_up(&cfg, &xaso)?;
    let report = run(&cfg, &xaso, &setup, &machine)?;
    let md = report.markdown(&cfg, &machine);
    let path = cfg.out_dir.join("oidc.md");
    std::fs::write(&path, &md)?;
    println!("\n{md}");
    eprintln!("(also written to {})", path.display());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Set-up: the demo commune, citizens' accounts and the client, with the command line

struct Setup {
    data: PathBuf,
    /// Personal IDs and one-time passwords.
    citizens: Vec<(String, String)>,
    client_id: String,
    basic: String,
}

fn xaso_out(xaso: &Path, args: &[&str]) -> Result<String, String> {
    procs::output(Command::new(xaso).args(args))
}

fn set_up(cfg: &Config, xaso: &Path) -> Result<Setup, String> {
    let data = cfg.out_dir.join("oidc").join("xaso-data");
    if data.exists() {
        std::fs::remove_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    }
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let d = data.to_string_lossy().into_owned();
    let residents = cfg.residents.to_string();
    let t = Instant::now();
    xaso_out(xaso, &["demo", "--data", &d, "--residents", &residents])?;
    eprintln!(
        "== demo commune of {residents} residents in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Residents with a card, as the demo lists them: ID|…|name.
    let samples = std::fs::read_to_string(data.join("lists").join("card-qr-samples.txt"))
        .map_err(|e| format!("the demo's card samples: {e}"))?;
    let ids: Vec<String> = samples
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('|').next().map(str::to_string))
        .take(cfg.citizens)
        .collect();
    if ids.is_empty() {
        return Err("the demo lists no residents with a card".into());
    }
    let mut citizens = Vec::new();
    for id in ids {
        let out = xaso_out(
            xaso,
            &[
                "admin",
                "citizen",
                "create",
                "--data",
                &d,
                "--personal-id",
                &id,
                "--level",
                "2",
            ],
        )?;
        let password = out.lines().last().unwrap_or("").trim().to_string();
        if password.is_empty() {
            return Err(format!("admin citizen create printed {out:?}"));
        }
        citizens.push((id, password));
    }
    let out = xaso_out(
        xaso,
        &[
            "admin",
            "oidc-client",
            "create",
            "--data",
            &d,
            "--name",
            "Bench relying party",
            "--redirect-uri",
            REDIRECT_URI,
            "--scope",
            SCOPE,
        ],
    )?;
    let v: serde_json::Value =
        serde_json::from_str(out.trim()).map_err(|e| format!("oidc-client create: {e}: {out}"))?;
    let (Some(client_id), Some(secret)) = (v["client_id"].as_str(), v["client_secret"].as_str())
    else {
        return Err(format!("oidc-client create printed {out}"));
    };
    eprintln!(
        "   {} citizens' accounts (level 2), client {client_id}",
        citizens.len()
    );
    Ok(Setup {
        data,
        citizens,
        client_id: client_id.to_string(),
        basic: basic_header(client_id, secret),
    })
}

// ---------------------------------------------------------------------------------------------
// A browser: cookies, forms

#[derive(Default, Clone)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn absorb(&mut self, set_cookies: &[String]) {
        for c in set_cookies {
            let first = c.split(';').next().unwrap_or("");
            let Some((name, value)) = first.split_once('=') else {
                continue;
            };
            let gone = c.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            self.0.retain(|(n, _)| n != name.trim());
            if !gone {
                self.0
                    .push((name.trim().to_string(), value.trim().to_string()));
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

struct Browser {
    conn: Conn,
    jar: Jar,
    body: Vec<u8>,
}

impl Browser {
    fn new(addr: SocketAddr) -> Result<Browser, String> {
        Ok(Browser {
            conn: Conn::new(addr)?,
            jar: Jar::default(),
            body: Vec::new(),
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A request with this browser's cookies; the status.
    fn go(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Result<u16, String> {
        let cookies = self.jar.header();
        let encoded = form.map(form_body);
        let mut headers = vec![("Cookie", cookies.as_str())];
        if encoded.is_some() {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        let (status, _) = self
            .conn
            .send(
                method,
                path,
                &headers,
                encoded.as_deref().map(str::as_bytes),
                &mut self.body,
            )
            .map_err(|e| format!("{method} {path}: {e}"))?;
        self.jar.absorb(&self.conn.set_cookies);
        Ok(status)
    }

    fn expect(&self, what: &str, status: u16, wanted: &[u16]) -> Result<(), String> {
        if wanted.contains(&status) {
            return Ok(());
        }
        let text = self.text();
        Err(format!(
            "{what}: HTTP {status}: {}",
            &text[..text.len().min(400)]
        ))
    }

    /// Signs in with the one-time password and chooses the new one.
    fn sign_in(&mut self, personal_id: &str, one_time: &str) -> Result<(), String> {
        let s = self.go("GET", "/cong-dan/dang-nhap", None)?;
        self.expect("the login page", s, &[200])?;
        let csrf = input_value(&self.text(), "csrf").ok_or("no csrf on the login page")?;
        let s = self.go(
            "POST",
            "/cong-dan/dang-nhap",
            Some(&[
                ("csrf", &csrf),
                ("personal_id", personal_id),
                ("password", one_time),
                ("next", "/"),
            ]),
        )?;
        self.expect("sign-in with the one-time password", s, &[303, 302])?;
        let to = self.conn.location.clone();
        if !to.contains("doi-mat-khau") {
            return Err(format!("after the one-time password: sent to {to:?}"));
        }
        let s = self.go("GET", &to, None)?;
        self.expect("the new-password page", s, &[200])?;
        let csrf = input_value(&self.text(), "csrf").ok_or("no csrf on the new-password page")?;
        let s = self.go(
            "POST",
            &to,
            Some(&[
                ("csrf", &csrf),
                ("new", NEW_PASSWORD),
                ("repeat", NEW_PASSWORD),
            ]),
        )?;
        self.expect("the new password", s, &[303, 302])?;
        Ok(())
    }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the first `<input name=NAME value=…>` of a page.
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1)?.split('"').next()?;
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// A query parameter of a URL, decoded.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON string field of a small object, found without parsing the whole answer (the load
/// generator shares the CPU with the server).
fn json_string<'a>(body: &'a [u8], field: &str) -> Option<&'a str> {
    let text = std::str::from_utf8(body).ok()?;
    let key = format!("\"{field}\":\"");
    let start = text.find(&key)? + key.len();
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

// ---------------------------------------------------------------------------------------------
// Codes and tokens

/// The authorization request of code `n`, and its PKCE verifier.
fn authorize_path(client_id: &str, n: u64) -> (String, String) {
    let verifier = format!("bench-pkce-verifier-{n:032}-xxxxxxxxxx");
    let path = format!(
        "/oidc/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=s{n}&nonce=n{n}&code_challenge={}&code_challenge_method=S256",
        url_encode(client_id),
        url_encode(REDIRECT_URI),
        url_encode(SCOPE),
        s256_challenge(&verifier),
    );
    (path, verifier)
}

/// A code and its verifier.
struct Code {
    code: String,
    verifier: String,
}

/// Mints `n` codes with the signed-in citizens' sessions over `connections` connections; the
/// codes in the order they were minted (oldest first) and the time it took.
fn mint_codes(
    addr: SocketAddr,
    setup: &Setup,
    sessions: &[String],
    n: usize,
    connections: usize,
    first: &AtomicU32,
) -> Result<(Vec<Code>, Duration), String> {
    let t = Instant::now();
    let per = n.div_ceil(connections);
    let mut handles = Vec::new();
    for w in 0..connections {
        let cookie = sessions[w % sessions.len()].clone();
        let client_id = setup.client_id.clone();
        let base = u64::from(first.fetch_add(per as u32, Ordering::Relaxed));
        let mut conn = Conn::new(addr)?;
        handles.push(std::thread::spawn(
            move || -> Result<Vec<(Instant, Code)>, String> {
                let mut out = Vec::with_capacity(per);
                let mut body = Vec::new();
                for i in 0..per as u64 {
                    let (path, verifier) = authorize_path(&client_id, base + i);
                    let (status, _) = conn
                        .send("GET", &path, &[("Cookie", &cookie)], None, &mut body)
                        .map_err(|e| format!("authorize: {e}"))?;
                    let code = query_param(&conn.location, "code").ok_or_else(|| {
                        format!(
                            "authorize answered {status} without a code (location {:?}): {}",
                            conn.location,
                            String::from_utf8_lossy(&body[..body.len().min(300)])
                        )
                    })?;
                    out.push((Instant::now(), Code { code, verifier }));
                }
                Ok(out)
            },
        ));
    }
    let mut all = Vec::with_capacity(n);
    for h in handles {
        all.extend(h.join().map_err(|_| "a minting thread panicked")??);
    }
    all.sort_by_key(|(at, _)| *at);
    all.truncate(n);
    Ok((all.into_iter().map(|(_, c)| c).collect(), t.elapsed()))
}

fn token_body_code(code: &Code) -> String {
    format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
        url_encode(&code.code),
        url_encode(REDIRECT_URI),
        code.verifier
    )
}

fn post_token(
    conn: &mut Conn,
    basic: &str,
    form: &str,
    body: &mut Vec<u8>,
) -> std::io::Result<u16> {
    conn.send(
        "POST",
        "/oidc/token",
        &[
            ("Authorization", basic),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(form.as_bytes()),
        body,
    )
    .map(|(status, _)| status)
}

// ---------------------------------------------------------------------------------------------
// The run

struct Measured {
    request: &'static str,
    phase: PhaseResult,
    /// CPU seconds the server used during the phase.
    server_cpu: Option<f64>,
    note: String,
}

struct Argon2Rate {
    phc_prefix: String,
    one_thread_per_s: f64,
    all_threads_per_s: f64,
    threads: usize,
}

struct Report {
    phases: Vec<Measured>,
    argon2: Argon2Rate,
    sign_in_setup: Duration,
    mint_rate: f64,
    load_at_end: String,
    date_end: String,
    server_peak_kib: Option<u64>,
}

/// The CPU time (user + system) of a process so far, in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        procs::output(Command::new("getconf").arg("CLK_TCK"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

/// A warm-up of one second, then the measured phase, with the server's CPU time around it.
fn measure<F, W>(
    server: &mut Server,
    addr: SocketAddr,
    name: &'static str,
    connections: usize,
    seconds: Duration,
    warm_up: bool,
    mut make: F,
) -> Result<(PhaseResult, Option<f64>), String>
where
    F: FnMut(usize) -> W,
    W: FnMut(&mut Conn, &mut Vec<u8>) -> Step + Send + 'static,
{
    if warm_up {
        http::run_workers(addr, name, connections, Duration::from_secs(1), &mut make)?;
        server.check_alive()?;
    }
    let before = cpu_seconds(server.pid());
    let r = http::run_workers(addr, name, connections, seconds, &mut make)?;
    let after = cpu_seconds(server.pid());
    server.check_alive()?;
    eprintln!(
        "   {:<14} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  {:?}{}{}",
        name,
        r.throughput(),
        r.percentile_ms(50.0).unwrap_or(f64::NAN),
        r.percentile_ms(99.0).unwrap_or(f64::NAN),
        r.max_ms().unwrap_or(f64::NAN),
        r.by_status,
        if r.failures > 0 {
            format!(", {} failed", r.failures)
        } else {
            String::new()
        },
        r.first_problem
            .as_deref()
            .map(|p| format!("; first problem: {p}"))
            .unwrap_or_default()
    );
    Ok((r, before.zip(after).map(|(b, a)| a - b)))
}

fn run(cfg: &Config, xaso: &Path, setup: &Setup, machine: &Machine) -> Result<Report, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], http::free_port()?));
    let mut command = Command::new(xaso);
    command
        .arg("serve")
        .arg("--data")
        .arg(&setup.data)
        .arg("--listen")
        .arg(addr.to_string());
    let log = cfg.out_dir.join("logs").join("oidc-serve.log");
    let mut server = Server::spawn(command, &log)?;
    let startup = http::wait_for_healthz(&mut server, addr)?;
    eprintln!("== serving on {addr} after {:.2} s", startup.as_secs_f64());

    // Sign in as each citizen through the pages, and consent once.
    let t = Instant::now();
    let mut sessions = Vec::new();
    for (id, one_time) in &setup.citizens {
        let mut b = Browser::new(addr)?;
        b.sign_in(id, one_time)?;
        let (path, _) = authorize_path(&setup.client_id, 0);
        let s = b.go("GET", &path, None)?;
        b.expect("authorize (consent page)", s, &[200])?;
        let page = b.text();
        let csrf = input_value(&page, "csrf").ok_or("no csrf on the consent page")?;
        let query = input_value(&page, "query").ok_or("no query on the consent page")?;
        let s = b.go(
            "POST",
            "/oidc/authorize",
            Some(&[("csrf", &csrf), ("query", &query), ("decision", "allow")]),
        )?;
        b.expect("consent", s, &[200, 302, 303])?;
        sessions.push(b.jar.header());
    }
    let sign_in_setup = t.elapsed();
    eprintln!(
        "   {} citizens signed in through the pages and consented in {:.1} s",
        sessions.len(),
        sign_in_setup.as_secs_f64()
    );

    let seconds = Duration::from_secs(cfg.seconds);
    let c = cfg.connections;
    let basic: Arc<str> = Arc::from(setup.basic.as_str());
    let serial = AtomicU32::new(1);
    let mut phases = Vec::new();

    // Phase 1: code exchange. A first pool measures the rate, which sizes the real one; codes
    // are used oldest first and each pool is minted just before its use, well within the codes'
    // lifetime.
    eprintln!("== phase 1: authorization code → tokens");
    let lifetime = CODE_LIFETIME.whole_seconds() as f64;
    let (probe, probe_time) = mint_codes(addr, setup, &sessions, 200 * c, c, &serial)?;
    let mint_rate = probe.len() as f64 / probe_time.as_secs_f64().max(1e-9);
    let exchange = |pool: Arc<Vec<Code>>, next: Arc<AtomicUsize>| {
        let basic = Arc::clone(&basic);
        move |_w: usize| {
            let pool = Arc::clone(&pool);
            let next = Arc::clone(&next);
            let basic = Arc::clone(&basic);
            move |conn: &mut Conn, body: &mut Vec<u8>| {
                let Some(code) = pool.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return Step::Exhausted;
                };
                match post_token(conn, &basic, &token_body_code(code), body) {
                    Ok(s) => Step::Answer(s),
                    Err(e) => Step::Failed(format!("token: {e}")),
                }
            }
        }
    };
    // The probe is the phase's warm-up.
    let probe_run = http::run_workers(
        addr,
        "code-probe",
        c,
        Duration::from_secs(1),
        exchange(Arc::new(probe), Arc::new(AtomicUsize::new(0))),
    )?;
    let rate = probe_run.throughput();
    // As many codes as can be minted in a third of their lifetime (the phase then ends well
    // within it): far more than the phase uses unless the exchange outruns the minting; the
    // phase ends early, and says so, if the pool runs out.
    let minting = (lifetime / 3.0).min(lifetime - 10.0 - cfg.seconds as f64);
    let n = ((mint_rate * minting) as usize).max(c);
    let (pool, took) = mint_codes(addr, setup, &sessions, n, c, &serial)?;
    eprintln!(
        "   probe: {rate:.0} exchanges/s; {} codes minted in {:.1} s ({mint_rate:.0}/s)",
        thousands(pool.len() as u64),
        took.as_secs_f64()
    );
    let (p1, cpu1) = measure(
        &mut server,
        addr,
        "code exchange",
        c,
        seconds,
        false,
        exchange(Arc::new(pool), Arc::new(AtomicUsize::new(0))),
    )?;
    let note = if p1.exhausted > 0 {
        format!(
            "the {} pre-minted codes ran out after {:.1} s (codes live {lifetime:.0} s, so no more were minted ahead)",
            thousands(p1.completed()),
            p1.elapsed.as_secs_f64()
        )
    } else {
        String::new()
    };
    phases.push(Measured {
        request: "`POST /oidc/token` (authorization_code, PKCE S256, client_secret_basic)",
        phase: p1,
        server_cpu: cpu1,
        note,
    });

    // Phase 2: refresh chains, one per connection, each using the token of the last answer.
    eprintln!("== phase 2: refresh with rotation");
    let (codes, _) = mint_codes(addr, setup, &sessions, 3 * c, c, &serial)?;
    let mut refresh = Vec::new();
    let mut conn = Conn::new(addr)?;
    let mut body = Vec::new();
    for code in &codes {
        let s = post_token(&mut conn, &basic, &token_body_code(code), &mut body)
            .map_err(|e| format!("token: {e}"))?;
        let token = json_string(&body, "refresh_token")
            .filter(|_| s == 200)
            .ok_or_else(|| {
                format!(
                    "the code exchange answered {s}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                )
            })?;
        refresh.push(token.to_string());
    }
    let spares = Arc::new(Mutex::new(refresh.split_off(c)));
    let chains: Arc<Vec<Mutex<String>>> = Arc::new(refresh.into_iter().map(Mutex::new).collect());
    let broken = Arc::new(AtomicUsize::new(0));
    let refresher = |w: usize| {
        let chains = Arc::clone(&chains);
        let spares = Arc::clone(&spares);
        let broken = Arc::clone(&broken);
        let basic = Arc::clone(&basic);
        let mut form = String::with_capacity(128);
        move |conn: &mut Conn, body: &mut Vec<u8>| {
            let mut chain = chains[w].lock().unwrap_or_else(|e| e.into_inner());
            if chain.is_empty() {
                match spares.lock().unwrap_or_else(|e| e.into_inner()).pop() {
                    Some(t) => *chain = t,
                    None => return Step::Exhausted,
                }
            }
            form.clear();
            form.push_str("grant_type=refresh_token&refresh_token=");
            form.push_str(&chain);
            let status = match post_token(conn, &basic, &form, body) {
                Ok(s) => s,
                Err(e) => {
                    // The server may have rotated it: the chain cannot go on.
                    chain.clear();
                    broken.fetch_add(1, Ordering::Relaxed);
                    return Step::Failed(format!("token: {e}"));
                }
            };
            match json_string(body, "refresh_token").filter(|_| status == 200) {
                Some(next) => {
                    chain.clear();
                    chain.push_str(next);
                }
                None => {
                    chain.clear();
                    broken.fetch_add(1, Ordering::Relaxed);
                }
            }
            Step::Answer(status)
        }
    };
    let (p2, cpu2) = measure(&mut server, addr, "refresh", c, seconds, true, refresher)?;
    let broken = broken.load(Ordering::Relaxed);
    phases.push(Measured {
        request: "`POST /oidc/token` (refresh_token with rotation, client_secret_basic)",
        phase: p2,
        server_cpu: cpu2,
        note: if broken > 0 {
            format!("{broken} chains broke (warm-up included) and went on from a spare token")
        } else {
            String::new()
        },
    });

    // Phase 3: password sign-ins at the login page. The form's CSRF token is fetched once per
    // connection (not timed); each simulated client address sends at most 18 sign-ins.
    eprintln!("== phase 3: password sign-in at the citizens' login page");
    let next_address = Arc::new(AtomicU32::new(1 << 16));
    let mut forms = Vec::new();
    for w in 0..c {
        let mut b = Browser::new(addr)?;
        let s = b.go("GET", "/cong-dan/dang-nhap", None)?;
        b.expect("the login page", s, &[200])?;
        let csrf = input_value(&b.text(), "csrf").ok_or("no csrf on the login page")?;
        let (id, _) = &setup.citizens[w % setup.citizens.len()];
        let form = form_body(&[
            ("csrf", &csrf),
            ("personal_id", id),
            ("password", NEW_PASSWORD),
            ("next", "/"),
        ]);
        forms.push((b.jar.header(), form));
    }
    let forms = Arc::new(forms);
    let sign_in = |w: usize| {
        let forms = Arc::clone(&forms);
        let next_address = Arc::clone(&next_address);
        let mut sent = SIGN_INS_PER_ADDRESS;
        move |conn: &mut Conn, body: &mut Vec<u8>| {
            if sent >= SIGN_INS_PER_ADDRESS {
                let n = next_address.fetch_add(1, Ordering::Relaxed);
                let ip = Ipv4Addr::new(127, (n >> 16) as u8, (n >> 8) as u8, n as u8);
                if let Err(e) = conn.set_source(IpAddr::V4(ip)) {
                    return Step::Failed(e);
                }
                sent = 0;
            }
            sent += 1;
            let (cookie, form) = &forms[w];
            match conn.send(
                "POST",
                "/cong-dan/dang-nhap",
                &[
                    ("Cookie", cookie),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ],
                Some(form.as_bytes()),
                body,
            ) {
                Ok((s, _)) => Step::Answer(s),
                Err(e) => Step::Failed(format!("sign-in: {e}")),
            }
        }
    };
    let (p3, cpu3) = measure(&mut server, addr, "sign-in", c, seconds, true, sign_in)?;
    phases.push(Measured {
        request: "`POST /cong-dan/dang-nhap` (password, argon2id; 303 = signed in)",
        phase: p3,
        server_cpu: cpu3,
        note: format!(
            "{} client addresses (127.x.y.z, warm-up included), at most {SIGN_INS_PER_ADDRESS} sign-ins each (the limit is 20 at once per address)",
            thousands(u64::from(next_address.load(Ordering::Relaxed) - (1 << 16)))
        ),
    });

    // Phase 4: /healthz.
    eprintln!("== phase 4: /healthz");
    let (p4, cpu4) = measure(&mut server, addr, "healthz", c, seconds, true, |_| {
        |conn: &mut Conn, body: &mut Vec<u8>| match conn.get("/healthz", None, body) {
            Ok((s, _)) => Step::Answer(s),
            Err(e) => Step::Failed(format!("/healthz: {e}")),
        }
    })?;
    phases.push(Measured {
        request: "`GET /healthz`",
        phase: p4,
        server_cpu: cpu4,
        note: String::new(),
    });
    let server_peak_kib = procs::proc_status_kib(server.pid(), "VmHWM");
    if !server.stop()? {
        eprintln!(
            "   note: the server did not exit cleanly (see {})",
            log.display()
        );
    }

    eprintln!("== argon2id in process");
    let argon2 = argon2_rate(Duration::from_secs(cfg.seconds.min(5)), machine.cpus)?;
    Ok(Report {
        phases,
        argon2,
        sign_in_setup,
        mint_rate,
        load_at_end: loadavg(),
        date_end: Machine::measure().date,
        server_peak_kib,
    })
}

/// Verifications per second of a hash made by the provider's own `hash_password`, on one
/// thread and on `threads` threads.
fn argon2_rate(duration: Duration, threads: usize) -> Result<Argon2Rate, String> {
    let phc = hash_password(NEW_PASSWORD).map_err(|e| e.to_string())?;
    let phc_prefix = phc.rsplitn(3, '$').nth(2).unwrap_or("").to_string();
    let run = |threads: usize| -> Result<f64, String> {
        let t = Instant::now();
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let phc = phc.clone();
                std::thread::spawn(move || -> Result<u64, String> {
                    let deadline = Instant::now() + duration;
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        if !verify_password(NEW_PASSWORD, &phc).map_err(|e| e.to_string())? {
                            return Err("argon2: the password did not verify".into());
                        }
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h.join().map_err(|_| "an argon2 thread panicked")??;
        }
        Ok(total as f64 / t.elapsed().as_secs_f64())
    };
    let one = run(1)?;
    let all = run(threads.max(1))?;
    eprintln!("   {phc_prefix}: {one:.1} verifications/s on 1 thread, {all:.1}/s on {threads}");
    Ok(Argon2Rate {
        phc_prefix,
        one_thread_per_s: one,
        all_threads_per_s: all,
        threads: threads.max(1),
    })
}

// ---------------------------------------------------------------------------------------------
// The report

fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v < 10.0 => format!("{v:.2} ms"),
        Some(v) => format!("{v:.1} ms"),
        None => "n/a".into(),
    }
}

fn answers(p: &PhaseResult) -> String {
    let mut parts: Vec<String> = p
        .by_status
        .iter()
        .map(|(s, n)| format!("{} × {s}", thousands(*n)))
        .collect();
    if p.failures > 0 {
        parts.push(format!("**{} failed**", thousands(p.failures)));
    }
    parts.join(", ")
}

impl Report {
    fn find(&self, name: &str) -> Option<&Measured> {
        self.phases.iter().find(|m| m.phase.name == name)
    }

    fn markdown(&self, cfg: &Config, m: &Machine) -> String {
        let cpus = m.cpus.max(1) as f64;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "- Date: {} (`date -u`), ended {}",
            m.date, self.date_end
        );
        let _ = writeln!(
            md,
            "- Machine: {}; load generator on the same machine",
            m.describe()
        );
        let _ = writeln!(
            md,
            "- Load average (1 / 5 / 15 min, `/proc/loadavg`): {} at the start, {} at the end",
            m.load_at_start, self.load_at_end
        );
        let _ = writeln!(
            md,
            "- Run: `cargo run --release -p xaso-bench --bin oidc -- --seconds {} --connections {}`; demo commune of {} residents on SQLite, {} citizens' accounts (level 2) signed in through the pages ({:.1} s) and consented once; {} keep-alive HTTP/1.1 connections, closed loop, {} s per phase (after 1 s of warm-up for phases 2–4)",
            cfg.seconds,
            cfg.connections,
            thousands(cfg.residents as u64),
            cfg.citizens,
            self.sign_in_setup.as_secs_f64(),
            cfg.connections,
            cfg.seconds
        );
        let _ = writeln!(
            md,
            "- argon2id parameters (`xaso_identity::password`): memory {} KiB ({} MiB), {} iterations, parallelism {} (`{}`)",
            ARGON2_M_COST_KIB,
            ARGON2_M_COST_KIB / 1024,
            ARGON2_T_COST,
            ARGON2_P_COST,
            self.argon2.phc_prefix
        );
        let _ = writeln!(
            md,
            "- Codes minted at {:.0}/s through `GET /oidc/authorize` with the citizens' session cookies (not timed); codes live {} s",
            self.mint_rate,
            CODE_LIFETIME.whole_seconds()
        );
        if let Some(k) = self.server_peak_kib {
            let _ = writeln!(
                md,
                "- Server peak memory (VmHWM): {} MiB",
                thousands((k + 512) / 1024)
            );
        }
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "| Phase | Request | Requests | Throughput | Per core (÷ {}) | xaso CPU per request | p50 | p99 | max | Answers |",
            m.cpus
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (i, p) in self.phases.iter().enumerate() {
            let r = &p.phase;
            let cpu = p
                .server_cpu
                .filter(|_| r.completed() > 0)
                .map(|c| ms(Some(c * 1000.0 / r.completed() as f64)))
                .unwrap_or_else(|| "n/a".into());
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} req/s | {} req/s | {} | {} | {} | {} | {} |",
                i + 1,
                p.request,
                thousands(r.completed()),
                thousands(r.throughput().round() as u64),
                thousands((r.throughput() / cpus).round() as u64),
                cpu,
                ms(r.percentile_ms(50.0)),
                ms(r.percentile_ms(99.0)),
                ms(r.max_ms()),
                answers(r)
            );
        }
        let _ = writeln!(
            md,
            "| – | argon2id verification in process (no HTTP) | | {:.1}/s on {} threads | {:.1}/s | {} | | | | 1 thread: {:.1}/s |",
            self.argon2.all_threads_per_s,
            self.argon2.threads,
            self.argon2.all_threads_per_s / cpus,
            ms(Some(1000.0 / self.argon2.one_thread_per_s.max(1e-9))),
            self.argon2.one_thread_per_s
        );
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "Against Keycloak's published sizing ([Concepts for sizing CPU and memory resources]({KEYCLOAK_URL}): one vCPU for each {KEYCLOAK_LOGINS_PER_VCPU:.0} password-based logins per second, {KEYCLOAK_GRANTS_PER_VCPU:.0} client-credential grants per second, {KEYCLOAK_GRANTS_PER_VCPU:.0} refresh-token requests per second):"
        );
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "| Operation | xaso per core (throughput ÷ {}) | xaso per CPU-second of `xaso serve` | Keycloak per vCPU | Ratio (per core) | Target ≥ 10× |",
            m.cpus
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---|");
        let rows = [
            ("code exchange", "Authorization code → tokens", KEYCLOAK_GRANTS_PER_VCPU, "120 (its figure for refresh and client-credential grants; none is published for the code exchange)", true),
            ("refresh", "Refresh grant", KEYCLOAK_GRANTS_PER_VCPU, "120", true),
            ("sign-in", "Password sign-in", KEYCLOAK_LOGINS_PER_VCPU, "15", false),
        ];
        for (name, label, keycloak, keycloak_text, target) in rows {
            let Some(p) = self.find(name) else { continue };
            let ok: Vec<u64> = p
                .phase
                .by_status
                .iter()
                .filter(|(s, _)| matches!(s, 200..=399))
                .map(|(_, n)| *n)
                .collect();
            let ok = ok.iter().sum::<u64>() as f64 / p.phase.elapsed.as_secs_f64().max(1e-9);
            let per_core = ok / cpus;
            let per_cpu_second = p
                .server_cpu
                .filter(|c| *c > 0.0)
                .map(|c| format!("{:.0}", ok * p.phase.elapsed.as_secs_f64() / c))
                .unwrap_or_else(|| "n/a".into());
            let ratio = per_core / keycloak;
            let verdict = if !target {
                "(no target)".to_string()
            } else if ratio >= 10.0 {
                "✅ met".to_string()
            } else {
                "❌ not met".to_string()
            };
            let _ = writeln!(
                md,
                "| {label} | {per_core:.0}/s | {per_cpu_second}/s | {keycloak_text} | {ratio:.1}× | {verdict} |"
            );
        }
        let _ = writeln!(md);
        let _ = writeln!(md, "Notes:");
        let _ = writeln!(md);
        let _ = writeln!(md, "- Per core counts only successful answers (2xx, and 303 for a sign-in); the load generator runs on the same cores, so the per-core figures understate the server's; the CPU-second column divides by the CPU time `xaso serve` itself used in the phase (`/proc/PID/stat`).");
        let _ = writeln!(md, "- Keycloak's figures are for its own set-up (TLS, a database server, a cluster); these are plain HTTP on the loopback interface against SQLite on the same machine.");
        for p in &self.phases {
            if !p.note.is_empty() {
                let _ = writeln!(md, "- {}: {}", p.phase.name, p.note);
            }
            if let Some(problem) = &p.phase.first_problem {
                let _ = writeln!(
                    md,
                    "- {}: first problem: {}",
                    p.phase.name,
                    problem.replace('\n', " ")
                );
            }
        }
        md
    }
}
