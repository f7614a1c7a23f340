//! A small synchronous W3C WebDriver client for the browser tests: it starts `chromedriver`,
//! opens one headless Chromium session and speaks JSON over HTTP/1.1 on localhost, with
//! `std::net::TcpStream` and `serde_json` only.
//!
//! ```ignore
//! let Some(browser) = Browser::start_or_skip() else { return };
//! browser.goto(&format!("http://{}/", server.addr));
//! browser.find("input[name=username]").send_keys("admin");
//! browser.find("input[name=password]").send_keys(&format!("secret{}", keys::ENTER));
//! assert!(browser.wait_until(Duration::from_secs(5), || browser.current_url().ends_with("/home")));
//! ```
//!
//! `chromedriver` comes from `$CHROMEDRIVER` or `/usr/bin/chromedriver`, the browser from
//! `$CHROME` or `/usr/bin/chromium`. Every call panics with the WebDriver error, its message and
//! the page it happened on; `Browser::command` returns a `Result` for anything not wrapped here.
//! A browser dropped while its test panics saves a screenshot and the page source first.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The key under which W3C WebDriver names a web element.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const POLL: Duration = Duration::from_millis(50);

/// Special keys for `Element::send_keys`, e.g. `format!("012345{}", keys::ENTER)`.
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const TAB: &str = "\u{E004}";
    pub const BACKSPACE: &str = "\u{E003}";
    pub const ESCAPE: &str = "\u{E00C}";
}

fn chromedriver_path() -> PathBuf {
    std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

fn chrome_path() -> PathBuf {
    std::env::var_os("CHROME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Where tests put screenshots: `$CARGO_TARGET_DIR/screenshots`, or `<temp>/screenshots`.
/// Created if missing.
pub fn screenshot_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// What went wrong talking to the driver.
#[derive(Debug, Clone)]
pub enum WdError {
    /// The driver answered `{"value":{"error":..,"message":..}}`.
    WebDriver {
        status: u16,
        error: String,
        message: String,
    },
    /// No answer, or one that is not WebDriver JSON.
    Transport(String),
}

impl WdError {
    /// Whether this is the WebDriver error `code` (e.g. "no such element").
    pub fn is(&self, code: &str) -> bool {
        matches!(self, WdError::WebDriver { error, .. } if error == code)
    }

    /// Whether the element's document went away: "stale element reference", or Chromium's
    /// "unknown error" when the page is replaced in the middle of a command.
    pub fn is_stale(&self) -> bool {
        self.is("stale element reference")
            || matches!(self, WdError::WebDriver { error, message, .. }
                if error == "unknown error" && message.contains("does not belong to the document"))
    }
}

impl fmt::Display for WdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WdError::WebDriver {
                status,
                error,
                message,
            } => {
                // Chromedriver appends a long native stack trace to some messages.
                let message = message.split("\nStacktrace:").next().unwrap_or(message);
                write!(f, "WebDriver error `{error}` (HTTP {status}): {message}")
            }
            WdError::Transport(m) => write!(f, "WebDriver transport: {m}"),
        }
    }
}

impl From<io::Error> for WdError {
    fn from(e: io::Error) -> WdError {
        WdError::Transport(e.to_string())
    }
}

/// One request on its own connection; the answer read by Content-Length or chunks.
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Vec<u8>), WdError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| WdError::Transport(format!("connect to chromedriver on {addr}: {e}")))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nConnection: close\r\n");
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    stream.write_all(req.as_bytes())?;
    stream.flush()?;
    read_response(&mut BufReader::new(stream))
        .map_err(|e| WdError::Transport(format!("{method} {path}: reading the answer: {e}")))
}

/// Reads one HTTP/1.1 response: status and body, the body delimited by `Content-Length`,
/// `Transfer-Encoding: chunked`, or the end of the connection. Interim 1xx answers are skipped.
fn read_response<R: BufRead>(r: &mut R) -> io::Result<(u16, Vec<u8>)> {
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    loop {
        let status_line = read_line(r)?;
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(format!("not an HTTP status line: {status_line:?}")))?;
        let mut length: Option<usize> = None;
        let mut chunked = false;
        loop {
            let line = read_line(r)?;
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(bad(format!("malformed header: {line:?}")));
            };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = Some(
                    value
                        .parse()
                        .map_err(|_| bad(format!("Content-Length: {value:?}")))?,
                );
            } else if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
        }
        if (100..200).contains(&status) {
            continue;
        }
        let mut body = Vec::new();
        if status == 204 || status == 304 {
        } else if chunked {
            loop {
                let size_line = read_line(r)?;
                let size = size_line.split(';').next().unwrap_or("").trim();
                let n = usize::from_str_radix(size, 16)
                    .map_err(|_| bad(format!("chunk size: {size_line:?}")))?;
                if n == 0 {
                    // Trailers, then the blank line.
                    while !read_line(r)?.is_empty() {}
                    break;
                }
                let start = body.len();
                body.resize(start + n, 0);
                r.read_exact(&mut body[start..])?;
                if !read_line(r)?.is_empty() {
                    return Err(bad("chunk not followed by CRLF".into()));
                }
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            r.read_exact(&mut body)?;
        } else {
            r.read_to_end(&mut body)?;
        }
        return Ok((status, body));
    }
}

/// One line without its CRLF; an error at the end of the stream.
fn read_line<R: BufRead>(r: &mut R) -> io::Result<String> {
    let mut line = Vec::new();
    if r.read_until(b'\n', &mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed mid-response",
        ));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    String::from_utf8(line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A WebDriver answer's `value`, or the error it carries.
fn call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, WdError> {
    let (status, raw) = http(port, method, path, body)?;
    let mut doc: Value = serde_json::from_slice(&raw).map_err(|e| {
        WdError::Transport(format!(
            "{method} {path}: HTTP {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&raw)
        ))
    })?;
    let value = doc.get_mut("value").map(Value::take).unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        return Err(WdError::WebDriver {
            status,
            error: error.to_string(),
            message: value["message"].as_str().unwrap_or("").to_string(),
        });
    }
    if status != 200 {
        return Err(WdError::Transport(format!(
            "{method} {path}: HTTP {status}: {value}"
        )));
    }
    Ok(value)
}

/// Standard base64 (also the URL-safe alphabet), padding optional, whitespace ignored.
pub fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (i, c) in s.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b'\r' | b'\n' | b' ' | b'\t' => continue,
            _ => return Err(format!("base64: byte {c:#04x} at {i}")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// The chromedriver process, killed on drop.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    fn spawn() -> Result<Driver, WdError> {
        // Ask the OS for a free port, then hand it to chromedriver (it may be taken in between:
        // the caller retries).
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let log = std::env::temp_dir().join(format!("xaso-chromedriver-{port}.log"));
        let out = File::create(&log)?;
        let child = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .map_err(|e| {
                WdError::Transport(format!("spawn {}: {e}", chromedriver_path().display()))
            })?;
        let mut driver = Driver { child, port, log };
        driver.wait_ready(Duration::from_secs(20))?;
        Ok(driver)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), WdError> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(WdError::Transport(format!(
                    "chromedriver exited ({status}): {}",
                    self.log_text()
                )));
            }
            if let Ok(v) = call(self.port, "GET", "/status", None) {
                if v["ready"] == true {
                    return Ok(());
                }
            }
            if started.elapsed() > timeout {
                return Err(WdError::Transport(format!(
                    "chromedriver not ready on port {} after {timeout:?}: {}",
                    self.port,
                    self.log_text()
                )));
            }
            std::thread::sleep(POLL);
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A headless Chromium driven through its own chromedriver; the session is deleted and the
/// driver stopped on drop.
pub struct Browser {
    driver: Driver,
    session: String,
    find_timeout: Duration,
}

/// A cookie as the browser holds it (HttpOnly ones included).
#[derive(Debug, Clone, PartialEq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub path: Option<String>,
    pub domain: Option<String>,
    pub http_only: bool,
    pub secure: bool,
    /// "Strict", "Lax" or "None" (Chromium reports "Lax" for a cookie set without SameSite).
    pub same_site: Option<String>,
    /// Seconds since the epoch; None for a session cookie.
    pub expiry: Option<u64>,
}

/// A console message from the page (JavaScript errors, CSP violations, failed loads).
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// "SEVERE", "WARNING", "INFO", ...
    pub level: String,
    pub message: String,
}

impl Browser {
    /// Whether chromedriver and the browser are installed (see `$CHROMEDRIVER`, `$CHROME`).
    pub fn available() -> bool {
        chromedriver_path().is_file() && chrome_path().is_file()
    }

    /// `Some(started browser)`, or `None` with a note on stderr when none is installed; when
    /// `XASO_BROWSER_REQUIRED` is set (CI), a missing browser is a failure instead.
    pub fn start_or_skip() -> Option<Browser> {
        if Browser::available() {
            return Some(Browser::start());
        }
        let missing: Vec<String> = [chromedriver_path(), chrome_path()]
            .iter()
            .filter(|p| !p.is_file())
            .map(|p| p.display().to_string())
            .collect();
        let what = format!(
            "no browser: {} missing (set CHROMEDRIVER / CHROME)",
            missing.join(" and ")
        );
        assert!(
            std::env::var_os("XASO_BROWSER_REQUIRED").is_none(),
            "{what}"
        );
        eprintln!("skipped: {what}");
        None
    }

    /// Starts chromedriver and a headless Chromium session; panics with the reason if it cannot.
    pub fn start() -> Browser {
        Browser::try_start().unwrap_or_else(|e| panic!("cannot start headless Chromium: {e}"))
    }

    pub fn try_start() -> Result<Browser, WdError> {
        let mut attempts = 0;
        let driver = loop {
            attempts += 1;
            match Driver::spawn() {
                Ok(d) => break d,
                Err(e) if attempts >= 3 => return Err(e),
                Err(_) => {}
            }
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"implicit": 0, "pageLoad": 60_000, "script": 30_000},
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chrome_path().to_string_lossy(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--window-size=1366,768",
                    "--lang=vi",
                    "--no-first-run",
                    "--no-default-browser-check",
                ],
                "prefs": {"intl.accept_languages": "vi-VN,vi"},
            },
        }}});
        let v = call(driver.port, "POST", "/session", Some(&caps))?;
        let session = v["sessionId"]
            .as_str()
            .ok_or_else(|| WdError::Transport(format!("no sessionId in {v}")))?
            .to_string();
        Ok(Browser {
            driver,
            session,
            find_timeout: Duration::from_secs(10),
        })
    }

    /// How long `find` waits for a selector to match (default 10 s).
    pub fn set_find_timeout(&mut self, timeout: Duration) {
        self.find_timeout = timeout;
    }

    /// Any session command, e.g. `command("POST", "/window/rect", Some(&json!({..})))`:
    /// `path` is relative to `/session/{id}`. Returns the answer's `value`.
    pub fn command(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, WdError> {
        call(
            self.driver.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    /// `command`, panicking with what was attempted and where.
    fn must(&self, what: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
        self.command(method, path, body)
            .unwrap_or_else(|e| panic!("{what} on {}: {e}", self.here()))
    }

    /// The current URL for messages, never panicking.
    fn here(&self) -> String {
        match self.command("GET", "/url", None) {
            Ok(Value::String(u)) => u,
            _ => "<unknown page>".to_string(),
        }
    }

    /// Navigates and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(&json!({ "url": url })))
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    pub fn back(&self) {
        self.must("back", "POST", "/back", Some(&json!({})));
    }

    pub fn refresh(&self) {
        self.must("refresh", "POST", "/refresh", Some(&json!({})));
    }

    pub fn current_url(&self) -> String {
        let v = self.must("current_url", "GET", "/url", None);
        v.as_str().unwrap_or_default().to_string()
    }

    pub fn title(&self) -> String {
        let v = self.must("title", "GET", "/title", None);
        v.as_str().unwrap_or_default().to_string()
    }

    pub fn page_source(&self) -> String {
        let v = self.must("page_source", "GET", "/source", None);
        v.as_str().unwrap_or_default().to_string()
    }

    /// The first element matching `css`, waiting up to the find timeout for one to appear.
    pub fn find(&self, css: &str) -> Element<'_> {
        self.find_within(css, self.find_timeout)
    }

    /// `find` with its own timeout.
    pub fn find_within(&self, css: &str, timeout: Duration) -> Element<'_> {
        let started = Instant::now();
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            if started.elapsed() >= timeout {
                panic!(
                    "no element matches the CSS selector `{css}` on {} after {timeout:?}",
                    self.here()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// The first element matching `css` now, or None.
    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        let body = json!({"using": "css selector", "value": css});
        match self.command("POST", "/element", Some(&body)) {
            Ok(v) => Some(self.element(v, css, true)),
            Err(e) if e.is("no such element") => None,
            Err(e) => panic!("find `{css}` on {}: {e}", self.here()),
        }
    }

    /// Every element matching `css` now (no waiting; possibly none).
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let body = json!({"using": "css selector", "value": css});
        let v = self.must(
            &format!("find_all `{css}`"),
            "POST",
            "/elements",
            Some(&body),
        );
        match v {
            Value::Array(items) => items
                .into_iter()
                .map(|v| self.element(v, css, false))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn element(&self, v: Value, css: &str, refind: bool) -> Element<'_> {
        let id = v[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("not a web element for `{css}`: {v}"))
            .to_string();
        Element {
            browser: self,
            id: RefCell::new(id),
            css: css.to_string(),
            refind,
        }
    }

    /// Runs `action` (a click on a link or a submit button, an Enter that submits a form) and
    /// waits until the browser has left the current document and the next one has loaded;
    /// returns what `action` returned. Without it, a `find` right after a submit may still see
    /// the old page: the navigation starts after the click or key command has answered.
    pub fn expect_navigation<R>(&self, action: impl FnOnce() -> R) -> R {
        let body = json!({"using": "css selector", "value": "html"});
        let old = self
            .command("POST", "/element", Some(&body))
            .unwrap_or_else(|e| panic!("expect_navigation on {}: {e}", self.here()));
        let old = old[ELEMENT_KEY].as_str().unwrap_or_default().to_string();
        let result = action();
        let timeout = self.find_timeout;
        let left = self.wait_until(timeout, || {
            matches!(
                self.command("GET", &format!("/element/{old}/name"), None),
                Err(e) if e.is_stale()
            )
        });
        assert!(
            left,
            "expected a navigation, but {} was still the page after {timeout:?}",
            self.here()
        );
        let ready = json!({"script": "return document.readyState", "args": []});
        let loaded = self.wait_until(timeout, || {
            matches!(
                self.command("POST", "/execute/sync", Some(&ready)),
                Ok(Value::String(s)) if s == "complete"
            )
        });
        assert!(
            loaded,
            "{} did not finish loading in {timeout:?}",
            self.here()
        );
        result
    }

    /// Runs `script` as a function body (`return ...;`) with `args` (`arguments[0]`, ...;
    /// pass elements with `Element::as_arg`). Returns what the script returned.
    pub fn execute(&self, script: &str, args: &[Value]) -> Value {
        let body = json!({"script": script, "args": args});
        self.must("execute script", "POST", "/execute/sync", Some(&body))
    }

    /// Saves a PNG of the viewport to `path` (parent directories created) and returns its bytes.
    pub fn screenshot_png(&self, path: impl AsRef<Path>) -> Vec<u8> {
        let path = path.as_ref();
        let v = self.must("screenshot", "GET", "/screenshot", None);
        let png = base64_decode(v.as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("screenshot: {e}"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(path, &png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        png
    }

    /// Polls `cond` every 50 ms until it holds (true) or `timeout` passes (false).
    pub fn wait_until(&self, timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
        self.wait_for(timeout, || cond().then_some(())).is_some()
    }

    /// Polls `f` every 50 ms until it gives `Some`, or `timeout` passes (None).
    pub fn wait_for<T>(&self, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
        let started = Instant::now();
        loop {
            if let Some(t) = f() {
                return Some(t);
            }
            if started.elapsed() >= timeout {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Every cookie visible to the current page, HttpOnly ones included.
    pub fn cookies(&self) -> Vec<Cookie> {
        let v = self.must("get cookies", "GET", "/cookie", None);
        v.as_array()
            .map(|a| a.iter().map(cookie_from).collect())
            .unwrap_or_default()
    }

    /// The cookie called `name` visible to the current page.
    pub fn cookie(&self, name: &str) -> Option<Cookie> {
        self.cookies().into_iter().find(|c| c.name == name)
    }

    pub fn delete_cookies(&self) {
        self.must("delete cookies", "DELETE", "/cookie", None);
    }

    /// The page's console messages since the last call (Chromium's `goog:loggingPrefs`).
    pub fn console_log(&self) -> Vec<LogEntry> {
        let v = self.must(
            "console log",
            "POST",
            "/se/log",
            Some(&json!({"type": "browser"})),
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| LogEntry {
                        level: e["level"].as_str().unwrap_or_default().to_string(),
                        message: e["message"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn cookie_from(c: &Value) -> Cookie {
    let s = |k: &str| c[k].as_str().map(str::to_string);
    Cookie {
        name: s("name").unwrap_or_default(),
        value: s("value").unwrap_or_default(),
        path: s("path"),
        domain: s("domain"),
        http_only: c["httpOnly"] == true,
        secure: c["secure"] == true,
        same_site: s("sameSite"),
        expiry: c["expiry"].as_u64(),
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Keep what the browser showed when the test failed.
            let stem = format!(
                "failed-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0)
            );
            let dir = screenshot_dir();
            if let Ok(Value::String(b64)) = self.command("GET", "/screenshot", None) {
                if let Ok(png) = base64_decode(&b64) {
                    let p = dir.join(format!("{stem}.png"));
                    if std::fs::write(&p, png).is_ok() {
                        eprintln!("browser screenshot at failure: {}", p.display());
                    }
                }
            }
            if let Ok(Value::String(html)) = self.command("GET", "/source", None) {
                let p = dir.join(format!("{stem}.html"));
                if std::fs::write(&p, html).is_ok() {
                    eprintln!("page source at failure ({}): {}", self.here(), p.display());
                }
            }
        }
        let _ = self.command("DELETE", "", None);
    }
}

/// An element found on the page. One from `Browser::find`/`try_find` whose page was reloaded
/// or re-rendered under it is found again by its selector (once per command); one from a
/// `find_all` or found inside another element is then an error ("stale element reference").
pub struct Element<'a> {
    browser: &'a Browser,
    id: RefCell<String>,
    css: String,
    refind: bool,
}

impl Element<'_> {
    fn id(&self) -> String {
        self.id.borrow().clone()
    }

    fn must(&self, what: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
        let run = |id: &str| {
            self.browser
                .command(method, &format!("/element/{id}{path}"), body)
        };
        let result = match run(&self.id()) {
            Err(e) if self.refind && e.is_stale() => {
                let fresh = self.browser.find(&self.css).id();
                *self.id.borrow_mut() = fresh.clone();
                run(&fresh)
            }
            result => result,
        };
        result.unwrap_or_else(|e| panic!("{what} `{}` on {}: {e}", self.css, self.browser.here()))
    }

    /// The element as an `execute` argument.
    pub fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id() })
    }

    pub fn click(&self) {
        self.must("click", "POST", "/click", Some(&json!({})));
    }

    /// Types `text`; special keys from `keys` (e.g. `keys::ENTER`) may be part of it.
    pub fn send_keys(&self, text: &str) {
        self.must(
            "send_keys to",
            "POST",
            "/value",
            Some(&json!({ "text": text })),
        );
    }

    pub fn clear(&self) {
        self.must("clear", "POST", "/clear", Some(&json!({})));
    }

    /// The rendered, visible text.
    pub fn text(&self) -> String {
        let v = self.must("text of", "GET", "/text", None);
        v.as_str().unwrap_or_default().to_string()
    }

    /// The HTML attribute `name` as written in the markup, or None when absent.
    pub fn attr(&self, name: &str) -> Option<String> {
        let v = self.must(
            &format!("attribute {name} of"),
            "GET",
            &format!("/attribute/{name}"),
            None,
        );
        v.as_str().map(str::to_string)
    }

    /// The DOM property `name` (e.g. "value", "checked"), as JSON; Null when absent.
    pub fn prop(&self, name: &str) -> Value {
        self.must(
            &format!("property {name} of"),
            "GET",
            &format!("/property/{name}"),
            None,
        )
    }

    pub fn tag_name(&self) -> String {
        let v = self.must("tag name of", "GET", "/name", None);
        v.as_str().unwrap_or_default().to_string()
    }

    pub fn displayed(&self) -> bool {
        self.must("displayed", "GET", "/displayed", None) == true
    }

    pub fn enabled(&self) -> bool {
        self.must("enabled", "GET", "/enabled", None) == true
    }

    /// The first descendant matching `css` now, or None.
    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        let body = json!({"using": "css selector", "value": css});
        let path = format!("/element/{}/element", self.id());
        match self.browser.command("POST", &path, Some(&body)) {
            Ok(v) => Some(
                self.browser
                    .element(v, &format!("{} {css}", self.css), false),
            ),
            Err(e) if e.is("no such element") => None,
            Err(e) => panic!(
                "find `{css}` in `{}` on {}: {e}",
                self.css,
                self.browser.here()
            ),
        }
    }

    /// Every descendant matching `css` now.
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let body = json!({"using": "css selector", "value": css});
        let v = self.must(
            &format!("find_all `{css}` in"),
            "POST",
            "/elements",
            Some(&body),
        );
        let css = format!("{} {css}", self.css);
        match v {
            Value::Array(items) => items
                .into_iter()
                .map(|v| self.browser.element(v, &css, false))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("Zg==").unwrap(), b"f");
        assert_eq!(base64_decode("Zm8=").unwrap(), b"fo");
        assert_eq!(base64_decode("Zm9v").unwrap(), b"foo");
        assert_eq!(base64_decode("Zm9vYg").unwrap(), b"foob");
        assert_eq!(
            base64_decode("iVBORw0K\nGgo=").unwrap(),
            b"\x89PNG\r\n\x1a\n"
        );
        assert_eq!(
            base64_decode("-_8=").unwrap(),
            base64_decode("+/8=").unwrap()
        );
        assert!(base64_decode("Zm9v*").is_err());
    }

    #[test]
    fn http_responses_are_read_by_length_by_chunks_or_to_the_end() {
        let read = |raw: &str| read_response(&mut raw.as_bytes()).unwrap();
        assert_eq!(
            read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more"),
            (200, b"hello".to_vec())
        );
        assert_eq!(
            read("HTTP/1.1 404 Not Found\r\ntransfer-encoding: Chunked\r\n\r\n4;x=y\r\nWiki\r\n6\r\npedia \r\n0\r\nTrailer: t\r\n\r\n"),
            (404, b"Wikipedia ".to_vec())
        );
        assert_eq!(
            read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{\"value\":null}"),
            (200, b"{\"value\":null}".to_vec())
        );
        let multibyte = "{\"value\":\"Xã số\"}";
        assert_eq!(
            read(&format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{multibyte}",
                multibyte.len()
            )),
            (200, multibyte.as_bytes().to_vec())
        );
        assert!(
            read_response(&mut "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort".as_bytes())
                .is_err()
        );
        assert!(read_response(&mut "garbage\r\n\r\n".as_bytes()).is_err());
    }
}
