//! A small HTTP/1.1 client over `std::net::TcpStream` and a closed-loop load generator.
//!
//! Each worker thread holds one keep-alive connection to 127.0.0.1, sends a request, reads the
//! whole response, records the latency and sends the next one, until the phase's deadline.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
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
    /// The local address to connect from (any 127.0.0.0/8 address on Linux), so that one load
    /// generator can stand for many clients where the server limits each address.
    source: Option<IpAddr>,
    reader: Option<BufReader<TcpStream>>,
    request: Vec<u8>,
    line: String,
    /// The `Location` header of the last response (empty when it had none).
    pub location: String,
    /// The `Set-Cookie` headers of the last response.
    pub set_cookies: Vec<String>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Result<Conn, String> {
        if !addr.ip().is_loopback() {
            return Err(format!("refusing to load a non-loopback address {addr}"));
        }
        Ok(Conn {
            addr,
            source: None,
            reader: None,
            request: Vec::with_capacity(512),
            line: String::new(),
            location: String::new(),
            set_cookies: Vec::new(),
        })
    }

    /// Connects from `source` from now on (a new connection).
    pub fn set_source(&mut self, source: IpAddr) -> Result<(), String> {
        if !source.is_loopback() {
            return Err(format!("refusing a non-loopback source address {source}"));
        }
        self.source = Some(source);
        self.reader = None;
        Ok(())
    }

    fn connect(&mut self) -> std::io::Result<()> {
        let stream = match self.source {
            None => TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?,
            Some(ip) => {
                let socket = socket2::Socket::new(
                    socket2::Domain::for_address(self.addr),
                    socket2::Type::STREAM,
                    Some(socket2::Protocol::TCP),
                )?;
                socket.bind(&SocketAddr::new(ip, 0).into())?;
                socket.connect_timeout(&self.addr.into(), Duration::from_secs(5))?;
                TcpStream::from(socket)
            }
        };
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
        let bearer;
        let headers: &[(&str, &str)] = match token {
            Some(t) => {
                bearer = format!("Bearer {t}");
                &[("Authorization", bearer.as_str())]
            }
            None => &[],
        };
        self.send("GET", path, headers, None, body)
    }

    /// Sends a request with extra headers and, for `Some`, a body (with its length), and reads
    /// the whole response into `body`: the status, and whether the server closed the
    /// connection. `location` and `set_cookies` hold those headers of the response.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        request_body: Option<&[u8]>,
        body: &mut Vec<u8>,
    ) -> std::io::Result<(u16, bool)> {
        if self.reader.is_none() {
            self.connect()?;
        }
        self.request.clear();
        self.request.extend_from_slice(method.as_bytes());
        self.request.push(b' ');
        self.request.extend_from_slice(path.as_bytes());
        self.request
            .extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: xaso-bench\r\n");
        for (name, value) in headers {
            self.request.extend_from_slice(name.as_bytes());
            self.request.extend_from_slice(b": ");
            self.request.extend_from_slice(value.as_bytes());
            self.request.extend_from_slice(b"\r\n");
        }
        if let Some(b) = request_body {
            self.request
                .extend_from_slice(format!("Content-Length: {}\r\n\r\n", b.len()).as_bytes());
            self.request.extend_from_slice(b);
        } else {
            self.request.extend_from_slice(b"\r\n");
        }
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
        self.location.clear();
        self.set_cookies.clear();
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
            } else if name.eq_ignore_ascii_case("location") {
                self.location.push_str(value);
            } else if name.eq_ignore_ascii_case("set-cookie") {
                self.set_cookies.push(value.to_string());
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
    /// Answers by status.
    pub by_status: BTreeMap<u16, u64>,
    /// Requests that failed at the transport level (connect, I/O, malformed response).
    pub failures: u64,
    /// Workers that stopped before the deadline because their inputs ran out.
    pub exhausted: usize,
    pub first_problem: Option<String>,
    /// CPU time (user + system) the server and the load generator spent during the phase.
    pub server_cpu: Option<Duration>,
    pub loadgen_cpu: Option<Duration>,
    /// CPU time of the database server's processes (PostgreSQL's backends; `None` for SQLite,
    /// which runs inside the server).
    pub database_cpu: Option<Duration>,
}

impl PhaseResult {
    /// CPU microseconds per completed request.
    pub fn cpu_us_per_request(&self, cpu: Option<Duration>) -> Option<f64> {
        let n = self.completed();
        (n > 0).then_some(())?;
        Some(cpu?.as_secs_f64() * 1e6 / n as f64)
    }

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

/// What one request of a worker came to.
pub enum Step {
    /// An answer with this status; its body is in the worker's buffer.
    Answer(u16),
    /// The request failed at the transport level (the connection is dropped and reopened).
    Failed(String),
    /// Nothing more to send: the worker's single-use inputs ran out.
    Exhausted,
}

#[derive(Default)]
struct WorkerResult {
    latencies_us: Vec<u32>,
    by_status: BTreeMap<u16, u64>,
    failures: u64,
    exhausted: bool,
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
    run_workers(addr, workload.name, connections, duration, |w| {
        let paths = Arc::clone(&workload.paths);
        let token = workload.token.clone();
        let mut rng = XorShift::new(seed ^ ((w as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        move |conn: &mut Conn, body: &mut Vec<u8>| {
            let path = &paths[rng.below(paths.len())];
            match conn.get(path, token.as_deref(), body) {
                Ok((status, _)) => Step::Answer(status),
                Err(e) => Step::Failed(format!("{path}: {e}")),
            }
        }
    })
}

/// Runs `connections` closed-loop workers for `duration`; `make(i)` makes worker `i`'s request
/// function, which sends one request on the connection and says what it came to.
pub fn run_workers<F, W>(
    addr: SocketAddr,
    name: &'static str,
    connections: usize,
    duration: Duration,
    mut make: F,
) -> Result<PhaseResult, String>
where
    F: FnMut(usize) -> W,
    W: FnMut(&mut Conn, &mut Vec<u8>) -> Step + Send + 'static,
{
    let connections = connections.max(1);
    let barrier = Arc::new(Barrier::new(connections + 1));
    let mut handles = Vec::with_capacity(connections);
    for w in 0..connections {
        let barrier = Arc::clone(&barrier);
        let mut conn = Conn::new(addr)?;
        let step = make(w);
        handles.push(std::thread::spawn(move || {
            // Connect before the start so that connection setup is not measured.
            let mut warm = Vec::new();
            let pre = conn.get("/healthz", None, &mut warm).err();
            barrier.wait();
            let deadline = Instant::now() + duration;
            worker(&mut conn, step, deadline, pre)
        }));
    }
    barrier.wait();
    let started = Instant::now();
    let mut results = Vec::with_capacity(connections);
    for h in handles {
        results.push(
            h.join()
                .map_err(|_| format!("{name}: a load worker panicked"))?,
        );
    }
    let elapsed = started.elapsed();
    let mut out = PhaseResult {
        name,
        elapsed,
        latencies_us: Vec::new(),
        status_2xx: 0,
        status_404: 0,
        status_other: 0,
        by_status: BTreeMap::new(),
        failures: 0,
        exhausted: 0,
        first_problem: None,
        server_cpu: None,
        loadgen_cpu: None,
        database_cpu: None,
    };
    for r in results {
        out.latencies_us.extend_from_slice(&r.latencies_us);
        for (status, n) in r.by_status {
            *out.by_status.entry(status).or_default() += n;
            match status {
                200..=299 => out.status_2xx += n,
                404 => out.status_404 += n,
                _ => out.status_other += n,
            }
        }
        out.failures += r.failures;
        out.exhausted += usize::from(r.exhausted);
        if out.first_problem.is_none() {
            out.first_problem = r.first_problem;
        }
    }
    out.latencies_us.sort_unstable();
    Ok(out)
}

fn worker<W>(
    conn: &mut Conn,
    mut step: W,
    deadline: Instant,
    pre_error: Option<std::io::Error>,
) -> WorkerResult
where
    W: FnMut(&mut Conn, &mut Vec<u8>) -> Step,
{
    let mut r = WorkerResult {
        latencies_us: Vec::with_capacity(64 * 1024),
        first_problem: pre_error.map(|e| format!("connect: {e}")),
        ..WorkerResult::default()
    };
    let mut body = Vec::with_capacity(16 * 1024);
    let mut failures_in_a_row = 0u32;
    for _ in 0..MAX_REQUESTS_PER_WORKER {
        let t0 = Instant::now();
        if t0 >= deadline {
            break;
        }
        match step(conn, &mut body) {
            Step::Answer(status) => {
                let us = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                r.latencies_us.push(us);
                failures_in_a_row = 0;
                *r.by_status.entry(status).or_default() += 1;
                if status >= 400 && status != 404 && r.first_problem.is_none() {
                    r.first_problem = Some(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    ));
                }
            }
            Step::Failed(problem) => {
                r.failures += 1;
                failures_in_a_row += 1;
                conn.reset();
                if r.first_problem.is_none() {
                    r.first_problem = Some(problem);
                }
                if failures_in_a_row >= MAX_RECONNECTS {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Step::Exhausted => {
                r.exhausted = true;
                break;
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

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Waits (up to 300 s) until the server answers `/healthz` with 200; the time it took.
pub fn wait_for_healthz(
    server: &mut crate::procs::Server,
    addr: SocketAddr,
) -> Result<Duration, String> {
    let started = Instant::now();
    let mut conn = Conn::new(addr)?;
    for _ in 0..3000 {
        server.check_alive()?;
        if let Ok(r) = conn.fetch("/healthz", None) {
            if r.status == 200 {
                return Ok(started.elapsed());
            }
        }
        conn.reset();
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "the server did not answer /healthz on {addr} within 300 s"
    ))
}
