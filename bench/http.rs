//! A small HTTP/1.1 client over `std::net::TcpStream` and a closed-loop load generator.
//!
//! Each worker thread holds one keep-alive connection to 127.0.0.1, sends a request, reads the
//! whole response, records the latency and sends the next one, until the phase's deadline.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Upper bound on requests per worker per phase, so that every loop is bounded.
const MAX_REQUESTS_PER_WORKER: u64 = 100_000_000;
/// A connection that cannot be (re)established this many times in a row ends its worker.
const MAX_RECONNECTS: u32 = 50;
/// Largest response body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One HTTP response: status and body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// A keep-alive HTTP/1.1 connection to a loopback server.
pub struct Conn {
    addr: SocketAddr,
    reader: Option<BufReader<TcpStream>>,
    request: Vec<u8>,
    line: String,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Result<Conn, String> {
        if !addr.ip().is_loopback() {
            return Err(format!("refusing to load a non-loopback address {addr}"));
        }
        Ok(Conn {
            addr,
            reader: None,
            request: Vec::with_capacity(512),
            line: String::new(),
        })
    }

    fn connect(&mut self) -> std::io::Result<()> {
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        self.reader = Some(BufReader::with_capacity(64 * 1024, stream));
        Ok(())
    }

    /// Drops the connection; the next request opens a new one.
    pub fn reset(&mut self) {
        self.reader = None;
    }

    /// Sends `GET path` and reads the whole response into `body` (reused between calls).
    pub fn get(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: &mut Vec<u8>,
    ) -> std::io::Result<(u16, bool)> {
        if self.reader.is_none() {
            self.connect()?;
        }
        self.request.clear();
        self.request.extend_from_slice(b"GET ");
        self.request.extend_from_slice(path.as_bytes());
        self.request
            .extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: xaso-bench\r\n");
        if let Some(t) = token {
            self.request.extend_from_slice(b"Authorization: Bearer ");
            self.request.extend_from_slice(t.as_bytes());
            self.request.extend_from_slice(b"\r\n");
        }
        self.request.extend_from_slice(b"\r\n");
        let result = self.exchange(body);
        if result.is_err() {
            self.reader = None;
        }
        result
    }

    fn exchange(&mut self, body: &mut Vec<u8>) -> std::io::Result<(u16, bool)> {
        let reader = self
            .reader
            .as_mut()
            .ok_or_else(|| std::io::Error::other("not connected"))?;
        reader.get_mut().write_all(&self.request)?;

        // Status line.
        self.line.clear();
        if reader.read_line(&mut self.line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before the status line",
            ));
        }
        let status = self
            .line
            .split_ascii_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| bad(format!("bad status line {:?}", self.line.trim_end())))?;

        // Headers.
        let mut content_length: Option<usize> = None;
        let mut chunked = false;
        let mut close = false;
        for _ in 0..200 {
            self.line.clear();
            if reader.read_line(&mut self.line)? == 0 {
                return Err(bad("connection closed in the headers".into()));
            }
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(bad(format!("bad header line {line:?}")));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = Some(
                    value
                        .parse()
                        .map_err(|_| bad(format!("bad content-length {value:?}")))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }

        // Body.
        body.clear();
        if chunked {
            read_chunked(reader, body, &mut self.line)?;
        } else if let Some(n) = content_length {
            if n > MAX_BODY {
                return Err(bad(format!("response body of {n} bytes")));
            }
            body.resize(n, 0);
            reader.read_exact(body)?;
        } else {
            // No length: the body runs to the end of the connection.
            reader.take(MAX_BODY as u64).read_to_end(body)?;
            close = true;
        }
        if close {
            self.reader = None;
        }
        Ok((status, close))
    }

    /// One request with the body returned, for checks outside the measured phases.
    pub fn fetch(&mut self, path: &str, token: Option<&str>) -> Result<Response, String> {
        let mut body = Vec::new();
        let (status, _close) = self
            .get(path, token, &mut body)
            .map_err(|e| format!("GET {path}: {e}"))?;
        Ok(Response { status, body })
    }
}

fn read_chunked(
    reader: &mut BufReader<TcpStream>,
    body: &mut Vec<u8>,
    line: &mut String,
) -> std::io::Result<()> {
    for _ in 0..1_000_000 {
        line.clear();
        reader.read_line(line)?;
        let size_text = line.trim_end().split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| bad(format!("bad chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, then the final empty line.
            for _ in 0..100 {
                line.clear();
                if reader.read_line(line)? == 0 || line.trim_end().is_empty() {
                    return Ok(());
                }
            }
            return Err(bad("too many trailers".into()));
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("chunked body too large".into()));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
    }
    Err(bad("too many chunks".into()))
}

fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

/// What to send in a phase: request paths, drawn at random by each worker.
pub struct Workload {
    pub name: &'static str,
    pub paths: Arc<Vec<String>>,
    pub token: Option<Arc<str>>,
}

/// The outcome of one phase.
pub struct PhaseResult {
    pub name: &'static str,
    pub elapsed: Duration,
    /// Latencies of completed requests (any status), microseconds, sorted.
    pub latencies_us: Vec<u32>,
    pub status_2xx: u64,
    pub status_404: u64,
    pub status_other: u64,
    /// Requests that failed at the transport level (connect, I/O, malformed response).
    pub failures: u64,
    pub first_problem: Option<String>,
}

impl PhaseResult {
    pub fn completed(&self) -> u64 {
        self.latencies_us.len() as u64
    }

    pub fn throughput(&self) -> f64 {
        self.completed() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Nearest-rank percentile, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        let n = self.latencies_us.len();
        if n == 0 {
            return None;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        let i = rank.clamp(1, n) - 1;
        Some(f64::from(self.latencies_us[i]) / 1000.0)
    }

    pub fn max_ms(&self) -> Option<f64> {
        self.latencies_us.last().map(|v| f64::from(*v) / 1000.0)
    }
}

struct WorkerResult {
    latencies_us: Vec<u32>,
    status_2xx: u64,
    status_404: u64,
    status_other: u64,
    failures: u64,
    first_problem: Option<String>,
}

/// Runs `workload` with `connections` closed-loop workers for `duration`.
pub fn run_phase(
    addr: SocketAddr,
    workload: &Workload,
    connections: usize,
    duration: Duration,
    seed: u64,
) -> Result<PhaseResult, String> {
    if workload.paths.is_empty() {
        return Err(format!("{}: no request paths", workload.name));
    }
    let connections = connections.max(1);
    let barrier = Arc::new(Barrier::new(connections + 1));
    let mut handles = Vec::with_capacity(connections);
    for w in 0..connections {
        let barrier = Arc::clone(&barrier);
        let paths = Arc::clone(&workload.paths);
        let token = workload.token.clone();
        let mut conn = Conn::new(addr)?;
        let worker_seed = seed ^ ((w as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        handles.push(std::thread::spawn(move || {
            // Connect before the start so that connection setup is not measured.
            let mut warm = Vec::new();
            let pre = conn.get("/healthz", None, &mut warm).err();
            barrier.wait();
            let deadline = Instant::now() + duration;
            worker(
                &mut conn,
                &paths,
                token.as_deref(),
                deadline,
                worker_seed,
                pre,
            )
        }));
    }
    barrier.wait();
    let started = Instant::now();
    let mut results = Vec::with_capacity(connections);
    for h in handles {
        results.push(
            h.join()
                .map_err(|_| format!("{}: a load worker panicked", workload.name))?,
        );
    }
    let elapsed = started.elapsed();
    let mut out = PhaseResult {
        name: workload.name,
        elapsed,
        latencies_us: Vec::new(),
        status_2xx: 0,
        status_404: 0,
        status_other: 0,
        failures: 0,
        first_problem: None,
    };
    for r in results {
        out.latencies_us.extend_from_slice(&r.latencies_us);
        out.status_2xx += r.status_2xx;
        out.status_404 += r.status_404;
        out.status_other += r.status_other;
        out.failures += r.failures;
        if out.first_problem.is_none() {
            out.first_problem = r.first_problem;
        }
    }
    out.latencies_us.sort_unstable();
    Ok(out)
}

fn worker(
    conn: &mut Conn,
    paths: &[String],
    token: Option<&str>,
    deadline: Instant,
    seed: u64,
    pre_error: Option<std::io::Error>,
) -> WorkerResult {
    let mut r = WorkerResult {
        latencies_us: Vec::with_capacity(64 * 1024),
        status_2xx: 0,
        status_404: 0,
        status_other: 0,
        failures: 0,
        first_problem: pre_error.map(|e| format!("connect: {e}")),
    };
    let mut rng = XorShift::new(seed);
    let mut body = Vec::with_capacity(16 * 1024);
    let mut failures_in_a_row = 0u32;
    for _ in 0..MAX_REQUESTS_PER_WORKER {
        let t0 = Instant::now();
        if t0 >= deadline {
            break;
        }
        let path = &paths[rng.below(paths.len())];
        match conn.get(path, token, &mut body) {
            Ok((status, _)) => {
                let us = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                r.latencies_us.push(us);
                failures_in_a_row = 0;
                match status {
                    200..=299 => r.status_2xx += 1,
                    404 => r.status_404 += 1,
                    _ => {
                        r.status_other += 1;
                        if r.first_problem.is_none() {
                            r.first_problem = Some(format!(
                                "HTTP {status} for {path}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(200)])
                            ));
                        }
                    }
                }
            }
            Err(e) => {
                r.failures += 1;
                failures_in_a_row += 1;
                conn.reset();
                if r.first_problem.is_none() {
                    r.first_problem = Some(format!("{path}: {e}"));
                }
                if failures_in_a_row >= MAX_RECONNECTS {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    r
}

/// A small deterministic generator (xorshift64*), enough to pick requests and samples.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Percent-encodes a query-string value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
