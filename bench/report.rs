//! The final report: Markdown tables, ready to paste into the README.

use std::fmt::Write as _;
use std::time::Duration;

use crate::baseline::INDEX_MAP;
use crate::data::{RegisterFile, Samples};
use crate::http::PhaseResult;
use crate::procs::Timed;
use crate::Config;

pub use crate::machine::{loadavg, thousands, Machine};

pub struct HttpRun {
    pub startup: Duration,
    pub idle_rss_kib: Option<u64>,
    pub peak_kib: Option<u64>,
    /// After the phases: the server's own memory (`RssAnon`) and the file pages it maps
    /// (`RssFile`: SQLite's readers map the register; the pages are the OS's file cache, shared
    /// by the mappings, yet counted in each mapping's RSS and so in VmHWM).
    pub anon_kib: Option<u64>,
    pub file_kib: Option<u64>,
    pub healthz: PhaseResult,
    pub lookup: PhaseResult,
    pub search: PhaseResult,
    pub search_mean_results: f64,
    pub clean_stop: bool,
}

pub struct StoreRun {
    pub store: &'static str,
    pub baseline_name: &'static str,
    pub import: Timed,
    pub baseline: Timed,
    pub xaso_disk_bytes: Option<u64>,
    pub baseline_disk_bytes: Option<u64>,
    /// The HTTP measurements, or why they could not be made.
    pub http: Result<HttpRun, String>,
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{} MiB", thousands((k + 512) / 1024)))
        .unwrap_or_else(|| "n/a".into())
}

fn mb(bytes: Option<u64>) -> String {
    bytes
        .map(|b| format!("{} MB", thousands((b + 500_000) / 1_000_000)))
        .unwrap_or_else(|| "n/a".into())
}

fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v < 10.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.1}"),
        None => "n/a".into(),
    }
}

fn micros(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.1}"))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "✅ met"
    } else {
        "❌ not met"
    }
}

pub fn markdown(
    cfg: &Config,
    m: &Machine,
    register: &RegisterFile,
    samples: &Samples,
    runs: &[StoreRun],
    failures: &[String],
    gnu_time: bool,
) -> String {
    let mut s = String::new();
    let n = thousands(register.rows);
    let _ = writeln!(s, "### Benchmark: {n} persons\n");
    let _ = writeln!(s, "- Date: {} (`date -u`)", m.date);
    let _ = writeln!(
        s,
        "- Machine: {}; load generator and databases on the same machine",
        m.describe()
    );
    let _ = writeln!(
        s,
        "- Load average (1 / 5 / 15 min, `/proc/loadavg`): {} at the start, {} at the end",
        m.load_at_start,
        loadavg()
    );
    let _ = writeln!(
        s,
        "- Data: {n} synthetic persons (`xaso-demo`, seed {}), register CSV of {} columns, {}",
        cfg.seed,
        register.columns,
        mb(Some(register.bytes))
    );
    let _ = writeln!(
        s,
        "- Load: `cargo run --release -p xaso-bench`; {} keep-alive HTTP/1.1 connections, closed loop, {} s per phase after 1 s of warm-up",
        cfg.connections, cfg.seconds
    );
    let _ = writeln!(
        s,
        "- Lookups: random personal IDs from the file, {:.0}% unknown (404); searches: {} names from the file typed without tones, {:.0}% followed by the birth year",
        100.0 * samples.lookup_unknown as f64 / samples.lookup_paths.len().max(1) as f64,
        thousands(samples.search_paths.len() as u64),
        100.0 * samples.search_with_year as f64 / samples.search_paths.len().max(1) as f64
    );
    let _ = writeln!(s);
    for f in failures {
        let _ = writeln!(
            s,
            "**Run failed, no figures:** {}\n",
            f.lines().next().unwrap_or("")
        );
    }

    // Import.
    let _ = writeln!(s, "#### Import of the CSV\n");
    let _ = writeln!(
        s,
        "| Store | `xaso import registry` | Database's own bulk load | Its time | Ratio | xaso importer peak RSS | Bulk loader peak RSS | Size on disk (xaso / bulk) |"
    );
    let _ = writeln!(s, "|---|---:|---|---:|---:|---:|---:|---:|");
    for r in runs {
        let t = r.import.wall.as_secs_f64();
        let b = r.baseline.wall.as_secs_f64();
        let _ = writeln!(
            s,
            "| {} | {:.1} s ({} persons/s) | {} | {:.1} s | {:.2}× | {} | {} | {} / {} |",
            r.store,
            t,
            thousands((register.rows as f64 / t.max(1e-9)) as u64),
            r.baseline_name,
            b,
            t / b.max(1e-9),
            mib(r.import.peak_rss_kib),
            mib(r.baseline.peak_rss_kib),
            mb(r.xaso_disk_bytes),
            mb(r.baseline_disk_bytes),
        );
    }
    let _ = writeln!(s);

    // HTTP.
    let _ = writeln!(s, "#### HTTP\n");
    let _ = writeln!(
        s,
        "| Store | Request | Requests | Throughput | p50 | p99 | max | CPU per request: server / load generator / database server | Answers |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---|");
    for r in runs {
        let h = match &r.http {
            Ok(h) => h,
            Err(e) => {
                let _ = writeln!(
                    s,
                    "| {} | **not measured**: {} | | | | | | | |",
                    r.store,
                    first_line(e)
                );
                continue;
            }
        };
        for (label, p) in [
            ("`GET /healthz`", &h.healthz),
            ("`GET /api/v1/persons/{id}`", &h.lookup),
            ("`GET /api/v1/persons?q=…` (name)", &h.search),
        ] {
            let mut answers = format!("{} 2xx", thousands(p.status_2xx));
            if p.status_404 > 0 {
                let _ = write!(answers, ", {} 404", thousands(p.status_404));
            }
            if p.status_other > 0 {
                let _ = write!(answers, ", **{} other**", thousands(p.status_other));
            }
            if p.failures > 0 {
                let _ = write!(answers, ", **{} failed**", thousands(p.failures));
            }
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} req/s | {} ms | {} ms | {} ms | {} / {} / {} µs | {} |",
                r.store,
                label,
                thousands(p.completed()),
                thousands(p.throughput().round() as u64),
                ms(p.percentile_ms(50.0)),
                ms(p.percentile_ms(99.0)),
                ms(p.max_ms()),
                micros(p.cpu_us_per_request(p.server_cpu)),
                micros(p.cpu_us_per_request(p.loadgen_cpu)),
                // SQLite runs inside the server: its share is in the server's figure.
                p.cpu_us_per_request(p.database_cpu)
                    .map_or_else(|| "—".into(), |us| format!("{us:.1}")),
                answers
            );
        }
    }
    let _ = writeln!(s);

    // Targets.
    let _ = write!(s, "#### Targets\n\n| Target |");
    for r in runs {
        let _ = write!(s, " {} |", r.store);
    }
    let _ = write!(s, "\n|---|");
    for _ in runs {
        let _ = write!(s, "---|");
    }
    let _ = writeln!(s);
    let row = |s: &mut String, name: &str, f: &dyn Fn(&StoreRun) -> String| {
        let _ = write!(s, "| {name} |");
        for r in runs {
            let _ = write!(s, " {} |", f(r));
        }
        let _ = writeln!(s);
    };
    let http_row = |s: &mut String, name: &str, f: &dyn Fn(&HttpRun) -> String| {
        row(s, name, &|r| match &r.http {
            Ok(h) => f(h),
            Err(_) => "not measured".to_string(),
        })
    };
    row(
        &mut s,
        "Import within 2× of the database's own bulk load",
        &|r| {
            let ratio = r.import.wall.as_secs_f64() / r.baseline.wall.as_secs_f64().max(1e-9);
            format!("{ratio:.2}× {}", verdict(ratio <= 2.0))
        },
    );
    http_row(&mut s, "Lookup by personal ID: p99 ≤ 5 ms", &|r| {
        let p = r.lookup.percentile_ms(99.0);
        format!("{} ms {}", ms(p), verdict(p.is_some_and(|v| v <= 5.0)))
    });
    http_row(&mut s, "Lookup throughput ≥ ½ of `/healthz`", &|r| {
        let ratio = r.lookup.throughput() / r.healthz.throughput().max(1e-9);
        format!(
            "{} / {} req/s = {ratio:.2} {}",
            thousands(r.lookup.throughput().round() as u64),
            thousands(r.healthz.throughput().round() as u64),
            verdict(ratio >= 0.5)
        )
    });
    http_row(&mut s, "Name search: p99 ≤ 50 ms", &|r| {
        let p = r.search.percentile_ms(99.0);
        format!("{} ms {}", ms(p), verdict(p.is_some_and(|v| v <= 50.0)))
    });
    http_row(&mut s, "Server peak memory (VmHWM; no target)", &|r| {
        format!(
            "{} (idle after start: {} RSS; at the end: {} own (RssAnon), {} mapped file pages (RssFile))",
            mib(r.peak_kib),
            mib(r.idle_rss_kib),
            mib(r.anon_kib),
            mib(r.file_kib)
        )
    });
    let _ = writeln!(s);

    // Notes.
    let _ = writeln!(s, "Notes:\n");
    let _ = writeln!(
        s,
        "- The bulk loads fill a table of the file's {} text columns that has, before the load, the indexes of xaso's `persons` table mirrored on the file's columns: {}. SQLite on both sides: WAL, `synchronous=NORMAL`, 256 MiB cache, `temp_store=MEMORY`. Both sides start from an empty schema; times are wall-clock to process exit.",
        register.columns,
        INDEX_MAP
            .iter()
            .map(|(x, b)| format!("{x} ↔ {b}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let _ = writeln!(
        s,
        "- Importer peak RSS: {}. Server peak memory: `VmHWM` of the `xaso serve` process from `/proc/PID/status` after all phases.",
        if gnu_time {
            "`/usr/bin/time -v` (maximum resident set size)"
        } else {
            "`VmHWM` sampled from `/proc/PID/status` every 5 ms"
        }
    );
    let _ = writeln!(
        s,
        "- Every lookup and search writes an audit record; the audited requests are part of what is measured."
    );
    let _ = writeln!(
        s,
        "- CPU per request: user + system time from `/proc/PID/stat` over the phase, divided by the requests completed; the database server's is the sum over every `postgres` process of the machine (SQLite runs inside the server, so its share is in the server's figure)."
    );
    for r in runs {
        let Ok(h) = &r.http else { continue };
        let _ = writeln!(
            s,
            "- {}: server ready {:.1} s after start; sampled name searches found {:.1} persons on average{}.",
            r.store,
            h.startup.as_secs_f64(),
            h.search_mean_results,
            if h.clean_stop {
                ""
            } else {
                "; the server did not exit cleanly on SIGTERM"
            }
        );
    }
    s
}
