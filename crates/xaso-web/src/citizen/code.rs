//! One-time codes sent to a citizen's phone (registration, recovery), and the senders that
//! deliver them.
//!
//! A code is 6 random digits. Only `SHA-256("<code id>:<code>")` is stored (the id, random per
//! code, keeps equal codes from having equal hashes); a code lives [`CODE_TTL`], allows
//! [`MAX_ATTEMPTS`] wrong tries, is used once, and at most [`MAX_CODES_PER_PHONE`] are sent to
//! one phone within [`PHONE_WINDOW`]. After the right code the browser gets a *ticket* — an
//! HMAC of the code's id bound to the form cookie — that lets it choose the password within
//! [`TICKET_TTL`], once.
//!
//! Delivery goes through a [`CodeSender`]. The default, [`LogSender`], writes the code to the
//! server's log at INFO: that is for demonstrations and tests only. A production deployment
//! installs a sender for its SMS gateway with [`install_sender`] at start-up: `xaso serve
//! --sms-webhook URL` installs the [`WebhookSender`].

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use xaso_store::OtpRecord;

use crate::error::ApiError;
use crate::pages::parse_time;
use crate::AppState;

/// How long a code may be used.
pub const CODE_TTL: Duration = Duration::minutes(5);
/// Wrong codes allowed before the code is dead.
pub const MAX_ATTEMPTS: i32 = 5;
/// Codes sent to one phone within [`PHONE_WINDOW`].
pub const MAX_CODES_PER_PHONE: u64 = 3;
pub const PHONE_WINDOW: Duration = Duration::minutes(15);
/// After the right code, how long the password may take (counted from the code's sending).
pub const TICKET_TTL: Duration = Duration::minutes(15);

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Registration,
    Recovery,
}

impl Purpose {
    /// As stored in `OtpRecord::purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Registration => "registration",
            Purpose::Recovery => "recovery",
        }
    }
}

/// Delivers a one-time code to a phone. Called on the blocking pool, so an implementation
/// may block (an HTTP call to an SMS gateway). It must not log the code anywhere but where the
/// code is meant to go.
pub trait CodeSender: Send + Sync {
    /// `phone` is in the national 10-digit form. An error means the code was not sent (the
    /// citizen is told to try again later); its text goes to the server log.
    fn send(&self, phone: &str, code: &str, purpose: Purpose) -> Result<(), String>;
}

/// The default sender: writes the code to the server's log at INFO, the phone masked but its
/// last three digits. **For demonstrations and tests only** — anyone who reads the log can
/// use the codes; production installs a sender for its SMS gateway ([`install_sender`]).
///
/// Test hook: when the environment variable `XASO_TEST_OTP_FILE` names a file, every code is
/// also appended to it as a line `<phone> <code>` (the full phone), so that end-to-end tests
/// can read the codes. Never set it in production.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSender;

/// The test hook's environment variable (see [`LogSender`]).
pub const TEST_OTP_FILE: &str = "XASO_TEST_OTP_FILE";

impl CodeSender for LogSender {
    fn send(&self, phone: &str, code: &str, purpose: Purpose) -> Result<(), String> {
        tracing::info!(
            phone = %super::mask_phone(phone),
            purpose = purpose.as_str(),
            "one-time code {code} (log sender: for demonstrations and tests only)"
        );
        if let Some(path) = std::env::var_os(TEST_OTP_FILE) {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("the test hook's file {}: {e}", path.to_string_lossy()))?;
            writeln!(file, "{phone} {code}")
                .map_err(|e| format!("the test hook's file {}: {e}", path.to_string_lossy()))?;
        }
        Ok(())
    }
}

/// Delivers codes by POSTing JSON to an SMS gateway's webhook:
/// `{"phone": "0912345678", "code": "123456", "purpose": "registration", "message": "…"}`,
/// with `Authorization: Bearer TOKEN` when a token is set. Any 2xx answer means sent.
///
/// Plain HTTP only (the platform carries no TLS stack): point it at the gateway's agent on the
/// office network, or at a local relay that forwards to an HTTPS gateway. Connecting and the
/// whole exchange are bounded by [`WebhookSender::TIMEOUT`].
#[derive(Clone)]
pub struct WebhookSender {
    /// `host:port` to connect to, and as the `Host` header.
    authority: String,
    path: String,
    token: Option<String>,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("authority", &self.authority)
            .field("path", &self.path)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

impl WebhookSender {
    pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

    /// `url` is `http://host[:port][/path]`. The error names the rule broken.
    pub fn new(url: &str, token: Option<String>) -> Result<WebhookSender, String> {
        let url = url.trim();
        if url.starts_with("https://") {
            return Err(format!(
                "SMS webhook {url:?}: https is not supported; give the http address of the gateway's agent or of a local relay"
            ));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("SMS webhook {url:?}: must start with http://"))?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let valid_host = !authority.is_empty()
            && authority
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        if !valid_host {
            return Err(format!("SMS webhook {url:?}: the host is not valid"));
        }
        if path.chars().any(|c| c.is_control() || c == ' ') {
            return Err(format!(
                "SMS webhook {url:?}: the path has spaces or control characters"
            ));
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !authority.ends_with(']')
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        if token
            .as_deref()
            .is_some_and(|t| t.chars().any(|c| c.is_control() || c == ' '))
        {
            return Err("SMS webhook token: spaces or control characters".into());
        }
        Ok(WebhookSender {
            authority,
            path: path.to_owned(),
            token: token.filter(|t| !t.is_empty()),
        })
    }

    /// The text the citizen receives.
    pub fn message(code: &str, purpose: Purpose) -> String {
        let what = match purpose {
            Purpose::Registration => "đăng ký tài khoản định danh",
            Purpose::Recovery => "khôi phục tài khoản định danh",
        };
        format!(
            "Xã số: mã xác thực {what} là {code}, hiệu lực {} phút. Không chia sẻ mã này cho ai.",
            CODE_TTL.whole_minutes()
        )
    }

    fn request(&self, phone: &str, code: &str, purpose: Purpose) -> Vec<u8> {
        let body = serde_json::json!({
            "phone": phone,
            "code": code,
            "purpose": purpose.as_str(),
            "message": Self::message(code, purpose),
        })
        .to_string();
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.path,
            self.authority,
            body.len()
        );
        if let Some(t) = &self.token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(body.as_bytes());
        out
    }
}

impl CodeSender for WebhookSender {
    fn send(&self, phone: &str, code: &str, purpose: Purpose) -> Result<(), String> {
        use std::io::Read;
        use std::net::ToSocketAddrs;
        let fail = |what: String| format!("SMS webhook {}{}: {what}", self.authority, self.path);
        let addr = self
            .authority
            .to_socket_addrs()
            .map_err(|e| fail(e.to_string()))?
            .next()
            .ok_or_else(|| fail("the host has no address".into()))?;
        let mut stream = std::net::TcpStream::connect_timeout(&addr, Self::TIMEOUT)
            .map_err(|e| fail(e.to_string()))?;
        stream
            .set_read_timeout(Some(Self::TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(Self::TIMEOUT)))
            .map_err(|e| fail(e.to_string()))?;
        stream
            .write_all(&self.request(phone, code, purpose))
            .map_err(|e| fail(e.to_string()))?;
        let mut answer = Vec::new();
        stream
            .take(64 * 1024)
            .read_to_end(&mut answer)
            .map_err(|e| fail(e.to_string()))?;
        let status_line = String::from_utf8_lossy(&answer);
        let status = status_line
            .lines()
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| fail("the answer is not HTTP".into()))?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(fail(format!("answered {status}")))
        }
    }
}

static SENDER: OnceLock<Arc<dyn CodeSender>> = OnceLock::new();

/// Installs the sender for the process's life (call once, at start-up, before serving). Gives
/// it back if a sender was already installed (or a code already sent with the default).
pub fn install_sender(sender: Arc<dyn CodeSender>) -> Result<(), Arc<dyn CodeSender>> {
    SENDER.set(sender)
}

/// The installed sender, or [`LogSender`].
pub fn sender() -> Arc<dyn CodeSender> {
    SENDER.get_or_init(|| Arc::new(LogSender)).clone()
}

/// Six random digits, every value equally likely.
fn new_code() -> Result<String, ApiError> {
    // The largest multiple of 10^6 that fits in a u32: draws at or above it are redrawn.
    const LIMIT: u32 = 4_294_000_000;
    loop {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).map_err(|e| {
            ApiError::Internal(format!("the operating system's random source failed: {e}"))
        })?;
        let n = u32::from_le_bytes(b);
        if n < LIMIT {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// What is stored of a code: SHA-256 (hex) of "<id>:<code>".
pub fn code_hash(id: &str, code: &str) -> String {
    Sha256::digest(format!("{id}:{code}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The outcome of asking for a code.
pub enum Issued {
    /// Sent; the browser keeps the code's id.
    Sent(String),
    /// Too many codes to this phone lately.
    TooMany,
}

/// Sends a new code for `purpose` to `phone`, unless [`MAX_CODES_PER_PHONE`] were sent to it
/// within [`PHONE_WINDOW`].
pub async fn issue(
    state: &AppState,
    purpose: Purpose,
    personal_id: &str,
    phone: &str,
) -> Result<Issued, ApiError> {
    let now = OffsetDateTime::now_utc();
    let since = xaso_store::format_utc(now - PHONE_WINDOW);
    let p = phone.to_owned();
    let sent = crate::api::read(state, move |s| s.count_otps_since(&p, &since)).await?;
    if sent >= MAX_CODES_PER_PHONE {
        return Ok(Issued::TooMany);
    }
    let id = super::random_hex::<16>()?;
    let code = new_code()?;
    let record = OtpRecord {
        id: id.clone(),
        purpose: purpose.as_str().to_owned(),
        personal_id: personal_id.to_owned(),
        phone: phone.to_owned(),
        code_hash: code_hash(&id, &code),
        created_at: xaso_store::format_utc(now),
        expires_at: xaso_store::format_utc(now + CODE_TTL),
        attempts: 0,
        used: false,
    };
    crate::api::blocking(state, move |s| s.insert_otp(&record)).await?;
    let phone = phone.to_owned();
    let sender = sender();
    tokio::task::spawn_blocking(move || sender.send(&phone, &code, purpose))
        .await?
        .map_err(|e| {
            tracing::error!("a one-time code could not be sent: {e}");
            ApiError::Unavailable("the code could not be sent".into())
        })?;
    Ok(Issued::Sent(id))
}

/// The outcome of a code typed in.
pub enum Checked {
    /// Right: the code is now used.
    Right(OtpRecord),
    /// Wrong; this many tries are left.
    Wrong(i32),
    /// No such code for this purpose, expired, used, or out of tries: ask for a new one.
    Dead,
}

/// Checks a typed code against the stored one (counting a wrong one).
pub async fn check(
    state: &AppState,
    purpose: Purpose,
    id: &str,
    typed: &str,
) -> Result<Checked, ApiError> {
    let lookup = id.to_owned();
    let Some(otp) = crate::api::read(state, move |s| s.get_otp(&lookup)).await? else {
        return Ok(Checked::Dead);
    };
    let now = OffsetDateTime::now_utc();
    if otp.purpose != purpose.as_str()
        || otp.used
        || otp.attempts >= MAX_ATTEMPTS
        || parse_time(&otp.expires_at) <= now
    {
        return Ok(Checked::Dead);
    }
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let right = typed.len() == 6
        && typed.bytes().all(|b| b.is_ascii_digit())
        && constant_time_eq(code_hash(id, &typed).as_bytes(), otp.code_hash.as_bytes());
    let key = id.to_owned();
    if !right {
        let attempts = crate::api::blocking(state, move |s| s.count_otp_attempt(&key)).await?;
        let left = MAX_ATTEMPTS - attempts;
        return Ok(if left > 0 {
            Checked::Wrong(left)
        } else {
            Checked::Dead
        });
    }
    match crate::api::blocking(state, move |s| s.use_otp(&key)).await {
        Ok(()) => Ok(Checked::Right(otp)),
        // Used by a concurrent request: only one of them wins.
        Err(ApiError::Conflict(_)) => Ok(Checked::Dead),
        Err(e) => Err(e),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The ticket that lets the browser holding the form cookie `binding` choose a password after
/// the right code `otp_id`.
pub fn ticket(state: &AppState, otp_id: &str, binding: &str) -> String {
    state
        .web
        .csrf_for(&format!("citizen-code-ok:{otp_id}:{binding}"))
}

/// The code a ticket stands for, if the ticket is valid: bound to the form cookie `binding`,
/// naming a used code for `purpose` sent less than [`TICKET_TTL`] ago, not spent yet. It is
/// not spent here: the caller checks the password first, then [`spend_ticket`]s it.
pub async fn ticket_code(
    state: &AppState,
    purpose: Purpose,
    otp_id: &str,
    binding: &str,
    ticket: &str,
) -> Result<Option<OtpRecord>, ApiError> {
    if !state
        .web
        .verify_csrf(&format!("citizen-code-ok:{otp_id}:{binding}"), ticket)
        || is_spent(otp_id)
    {
        return Ok(None);
    }
    let lookup = otp_id.to_owned();
    let Some(otp) = crate::api::read(state, move |s| s.get_otp(&lookup)).await? else {
        return Ok(None);
    };
    let fresh = parse_time(&otp.created_at) + TICKET_TTL > OffsetDateTime::now_utc();
    Ok((otp.purpose == purpose.as_str() && otp.used && fresh).then_some(otp))
}

/// Tickets spent, in memory (a restart forgets them, but the code's age still bounds a
/// replay to [`TICKET_TTL`]).
fn spent() -> std::sync::MutexGuard<'static, HashMap<String, Instant>> {
    static SPENT: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();
    SPENT
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn is_spent(otp_id: &str) -> bool {
    spent().contains_key(otp_id)
}

/// Spends the ticket of the code `otp_id`: true the first time only (of concurrent requests
/// with one ticket, one wins).
pub fn spend_ticket(otp_id: &str) -> bool {
    let ttl =
        std::time::Duration::from_secs(u64::try_from(TICKET_TTL.whole_seconds()).unwrap_or(900));
    let mut spent = spent();
    if spent.len() > 10_000 {
        spent.retain(|_, at| at.elapsed() < ttl);
    }
    spent.insert(otp_id.to_owned(), Instant::now()).is_none()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn webhook_addresses_are_checked_by_rule() {
        assert!(WebhookSender::new("https://sms.example.vn/send", None)
            .unwrap_err()
            .contains("https is not supported"));
        assert!(WebhookSender::new("ftp://x", None)
            .unwrap_err()
            .contains("must start with http://"));
        assert!(WebhookSender::new("http:///x", None)
            .unwrap_err()
            .contains("host"));
        assert!(WebhookSender::new("http://a b/x", None).is_err());
        let w = WebhookSender::new("http://sms.local/api/send", Some("t0k".into())).unwrap();
        assert_eq!(
            (w.authority.as_str(), w.path.as_str()),
            ("sms.local:80", "/api/send")
        );
        let w = WebhookSender::new("http://127.0.0.1:9000", None).unwrap();
        assert_eq!(
            (w.authority.as_str(), w.path.as_str()),
            ("127.0.0.1:9000", "/")
        );
        assert!(!format!(
            "{:?}",
            WebhookSender::new("http://h/", Some("secret".into())).unwrap()
        )
        .contains("secret"));
    }

    /// A one-shot HTTP server answering `status`; gives back what it received.
    fn gateway(status: u16) -> (String, std::thread::JoinHandle<String>) {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let handle = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 8192];
            let mut got = Vec::new();
            // Read the head, then the body by Content-Length.
            loop {
                let n = s.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    if got.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            write!(s, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n").unwrap();
            String::from_utf8(got).unwrap()
        });
        (addr, handle)
    }

    #[test]
    fn the_webhook_posts_the_code_as_json_and_reads_the_status() {
        let (addr, got) = gateway(204);
        let w = WebhookSender::new(&format!("http://{addr}/sms"), Some("t0k".into())).unwrap();
        w.send("0912345678", "123456", Purpose::Recovery).unwrap();
        let request = got.join().unwrap();
        assert!(request.starts_with("POST /sms HTTP/1.1\r\n"), "{request}");
        assert!(
            request.contains("Authorization: Bearer t0k\r\n"),
            "{request}"
        );
        let body: serde_json::Value =
            serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["phone"], "0912345678");
        assert_eq!(body["code"], "123456");
        assert_eq!(body["purpose"], "recovery");
        assert!(body["message"].as_str().unwrap().contains("123456"));

        let (addr, got) = gateway(500);
        let w = WebhookSender::new(&format!("http://{addr}/sms"), None).unwrap();
        let e = w
            .send("0912345678", "123456", Purpose::Registration)
            .unwrap_err();
        assert!(e.contains("answered 500"), "{e}");
        assert!(!got.join().unwrap().contains("Authorization"));
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = new_code().unwrap();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn hashes_depend_on_the_id_and_the_code() {
        assert_ne!(code_hash("a", "123456"), code_hash("b", "123456"));
        assert_ne!(code_hash("a", "123456"), code_hash("a", "123457"));
        assert_eq!(code_hash("a", "123456").len(), 64);
    }

    #[test]
    fn a_ticket_is_spent_once() {
        let id = crate::citizen::random_hex::<8>().unwrap();
        assert!(!is_spent(&id));
        assert!(spend_ticket(&id));
        assert!(is_spent(&id));
        assert!(!spend_ticket(&id));
    }
}
