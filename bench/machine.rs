//! Where the figures were measured (date, CPUs, memory, load average), and number formatting
//! shared by the benchmark programs.

/// Where the figures were measured.
pub struct Machine {
    pub date: String,
    pub cpus: usize,
    pub model: String,
    pub mem_kib: Option<u64>,
    /// `/proc/loadavg` when the run started.
    pub load_at_start: String,
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .unwrap_or_else(|_| "n/a".into())
}

impl Machine {
    pub fn measure() -> Machine {
        let date = std::process::Command::new("date")
            .arg("-u")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0);
        let model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("model name")
                        .and_then(|r| r.split_once(':'))
                        .map(|(_, v)| v.trim().to_string())
                })
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let mem_kib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .map(|v| v.trim().trim_end_matches("kB").trim().to_string())
                    .and_then(|v| v.parse().ok())
            })
        });
        Machine {
            date,
            cpus,
            model,
            mem_kib,
            load_at_start: loadavg(),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} CPUs (nproc), {}, {} RAM",
            self.cpus,
            self.model,
            self.mem_kib
                .map(|k| format!("{:.1} GiB", k as f64 / 1024.0 / 1024.0))
                .unwrap_or_else(|| "unknown".into())
        )
    }
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
