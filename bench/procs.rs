//! Child processes: timed runs with their peak memory, and a server that is stopped on every
//! exit path (its guard terminates it when dropped).

use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A command line to run, kept as data so that it can be wrapped in `/usr/bin/time -v`.
pub struct Cmd {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub stdin: Option<String>,
}

impl Cmd {
    pub fn new(program: impl Into<OsString>) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            stdin: None,
        }
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Cmd {
        self.args.push(a.into());
        self
    }

    pub fn stdin(mut self, text: String) -> Cmd {
        self.stdin = Some(text);
        self
    }

    pub fn display(&self) -> String {
        let mut s = self.program.to_string_lossy().into_owned();
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }
}

/// Kills a child when dropped, unless it was already waited for.
struct ChildGuard(Option<Child>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            if let Ok(None) = child.try_wait() {
                terminate(child, Duration::from_secs(3));
            }
        }
    }
}

/// The result of a timed run.
pub struct Timed {
    pub wall: Duration,
    /// Peak resident set size in KiB, from `/usr/bin/time -v` or from sampling `VmHWM`.
    pub peak_rss_kib: Option<u64>,
    pub peak_source: &'static str,
}

/// Where `/usr/bin/time` is, if it is there and supports `-v` (GNU time).
pub fn gnu_time() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/time");
    let out = Command::new(&path)
        .arg("-v")
        .arg("true")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    (out.status.success() && text.contains("Maximum resident set size")).then_some(path)
}

/// Runs `cmd` to completion with stdout and stderr appended to `log`, measuring wall time and
/// peak memory. Fails with the tail of the log when the command fails.
pub fn run_timed(cmd: &Cmd, log: &Path, time_bin: Option<&Path>) -> Result<Timed, String> {
    let mut log_file = File::options()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    writeln!(log_file, "$ {}", cmd.display()).map_err(|e| e.to_string())?;
    let time_out = log.with_extension("time.txt");
    let mut command = match time_bin {
        Some(t) => {
            let _ = std::fs::remove_file(&time_out);
            let mut c = Command::new(t);
            c.arg("-v").arg("-o").arg(&time_out).arg(&cmd.program);
            c
        }
        None => Command::new(&cmd.program),
    };
    command.args(&cmd.args);
    command
        .stdout(Stdio::from(
            log_file.try_clone().map_err(|e| e.to_string())?,
        ))
        .stderr(Stdio::from(log_file))
        .stdin(if cmd.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });

    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", cmd.display()))?;
    let mut guard = ChildGuard(Some(child));
    let child = guard
        .0
        .as_mut()
        .ok_or_else(|| "child vanished".to_string())?;
    if let Some(text) = &cmd.stdin {
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| "no stdin for the child".to_string())?;
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("writing to {}: {e}", cmd.display()))?;
        // Dropping stdin closes it, so that the child sees the end of its script.
    }
    let pid = child.id();
    let mut sampled_peak: Option<u64> = None;
    // Poll for the end (bounded: a day at 5 ms steps).
    let mut status: Option<ExitStatus> = None;
    for _ in 0..(24 * 3600 * 200) {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            status = Some(s);
            break;
        }
        if time_bin.is_none() {
            if let Some(kib) = proc_status_kib(pid, "VmHWM") {
                sampled_peak = Some(sampled_peak.map_or(kib, |p: u64| p.max(kib)));
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let wall = started.elapsed();
    let status = status.ok_or_else(|| format!("{} did not finish in a day", cmd.display()))?;
    guard.0 = None;
    if !status.success() {
        return Err(format!(
            "{} failed ({status}); last lines of {}:\n{}",
            cmd.display(),
            log.display(),
            tail(log, 15)
        ));
    }
    let (peak_rss_kib, peak_source) = match time_bin {
        Some(_) => (
            std::fs::read_to_string(&time_out).ok().and_then(|t| {
                t.lines()
                    .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
                    .and_then(|v| v.trim().parse().ok())
            }),
            "/usr/bin/time -v",
        ),
        None => (sampled_peak, "sampled /proc VmHWM"),
    };
    Ok(Timed {
        wall,
        peak_rss_kib,
        peak_source,
    })
}

/// Runs a short command and returns its stdout; fails with its stderr.
pub fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A field of `/proc/PID/status` in KiB ("VmHWM", "VmRSS").
/// User plus system CPU time of a process (all its threads) so far, from `/proc/PID/stat`;
/// `None` for "self" means this process.
pub fn proc_cpu(pid: Option<u32>) -> Option<Duration> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second(),
    ))
}

/// User plus system CPU time so far of every process whose command name is `name` (all of
/// PostgreSQL's processes are `postgres`), from `/proc/PID/stat`.
pub fn processes_cpu_named(name: &str) -> Option<Duration> {
    let mut ticks = 0u64;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // A process may end between the listing and the read: skip it.
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
            continue;
        };
        if &text[open + 1..close] != name {
            continue;
        }
        let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
        let utime = fields.get(11).and_then(|f| f.parse::<u64>().ok());
        let stime = fields.get(12).and_then(|f| f.parse::<u64>().ok());
        ticks += utime.unwrap_or(0) + stime.unwrap_or(0);
    }
    Some(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second(),
    ))
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// The last `n` lines of a text file.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The first panic message in a log: the "panicked at" line and the message after it.
fn first_panic(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let at = lines.by_ref().find(|l| l.contains("panicked at"))?;
    let msg = lines.next().unwrap_or("");
    Some(format!("{} {}", at.trim(), msg.trim()))
}

/// Sends SIGTERM (through `kill`, as std has no signals), waits up to `grace`, then SIGKILL.
fn terminate(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A running server; terminated when dropped.
pub struct Server {
    child: Child,
    pub log: PathBuf,
}

impl Server {
    pub fn spawn(mut command: Command, log: &Path) -> Result<Server, String> {
        let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().map_err(|e| e.to_string())?))
            .stderr(Stdio::from(file))
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        Ok(Server {
            child,
            log: log.to_path_buf(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the server has exited.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "the server exited ({status}): {} (log: {})",
                first_panic(&self.log).unwrap_or_else(|| tail(&self.log, 15)),
                self.log.display(),
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Stops the server with SIGTERM (SIGKILL after 10 s) and reports whether it exited cleanly.
    pub fn stop(mut self) -> Result<bool, String> {
        terminate(&mut self.child, Duration::from_secs(10));
        let status = self.child.wait().map_err(|e| e.to_string())?;
        Ok(status.success())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(&mut self.child, Duration::from_secs(5));
        }
    }
}

/// The workspace's root directory (the bench package's parent).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Builds the release `xaso` binary and returns its path.
pub fn build_xaso() -> Result<PathBuf, String> {
    eprintln!("== cargo build --release -p xaso");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "xaso"])
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release -p xaso failed ({status}); pass --xaso PATH to use a built binary"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    Ok(target.join("release").join("xaso"))
}
