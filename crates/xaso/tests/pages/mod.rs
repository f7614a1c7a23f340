//! The officer pages over HTTP, as a browser without script would use them: cookies, forms,
//! redirects. (The same flows in a real browser are in `browser_*` tests.)

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::*;

/// One HTTP answer.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of `<input ... name="NAME" value="...">` (first one).
    pub fn input_value(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\""))?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = at + self.body[at..].find('>')?;
        let tag = &self.body[tag_start..tag_end];
        let v = tag.split("value=\"").nth(1)?;
        Some(unescape(&v[..v.find('"')?]))
    }

    /// Every href starting with `prefix`, in page order.
    pub fn links(&self, prefix: &str) -> Vec<String> {
        self.body
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|h| h.starts_with(prefix))
            .map(unescape)
            .collect()
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The authenticator set-up on an account page: the QR code holds exactly the `otpauth://`
/// URI the page prints (rendered as the server renders it), and that URI carries `secret`.
pub fn assert_totp_qr_holds_the_uri(body: &str, secret: &str) {
    let uri = body
        .split("<p class=\"muted\"><code>otpauth://")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .map(|u| format!("otpauth://{}", u.replace("&amp;", "&")))
        .expect("the page prints the otpauth:// URI");
    assert!(uri.contains(&format!("secret={secret}&")), "{uri}");
    let shown = body
        .split("<figure id=\"totp-qr\">")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .map(|svg| format!("{svg}</svg>"))
        .expect("the page shows the QR code");
    let expected = qrcode::QrCode::new(uri.as_bytes())
        .unwrap()
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(150, 150)
        .quiet_zone(true)
        .build();
    let expected = &expected[expected.find("<svg").unwrap()..];
    assert_eq!(shown, expected, "the QR code holds the URI the page prints");
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An answer whose body may be binary.
pub struct RawAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn dechunk_bytes(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let at = s.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = std::str::from_utf8(&s[..at]).unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        let rest = &s[at + 2..];
        out.extend_from_slice(&rest[..n]);
        s = &rest[n + 2..];
    }
}

/// A browser without script: a cookie jar over raw HTTP/1.1.
pub struct Client {
    addr: String,
    pub cookies: HashMap<String, String>,
}

impl Client {
    pub fn new(server: &Server) -> Client {
        Client {
            addr: server.addr.clone(),
            cookies: HashMap::new(),
        }
    }

    pub fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> Answer {
        let form = [(
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        let extra: &[(&str, String)] = if body.is_some() { &form } else { &[] };
        let raw = self.send_raw(method, path, extra, body.map(str::as_bytes));
        Answer {
            status: raw.status,
            headers: raw.headers,
            body: String::from_utf8(raw.body).unwrap(),
        }
    }

    /// A request with any body and extra headers; the answer's body as bytes. The cookies the
    /// answer sets are kept, and sent with the next requests.
    pub fn send_raw(
        &mut self,
        method: &str,
        path: &str,
        extra: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> RawAnswer {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        if let Some(b) = body {
            stream.write_all(b).unwrap();
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = std::str::from_utf8(&raw[..split]).unwrap();
        let rest = &raw[split + 4..];
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let chunked = headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
        });
        let body = if chunked {
            dechunk_bytes(rest)
        } else {
            rest.to_vec()
        };
        for (k, c) in &headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = c.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        RawAnswer {
            status,
            headers,
            body,
        }
    }

    pub fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, None)
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.send("POST", path, Some(&form_encode(fields)))
    }

    /// GET `path`, following redirects on this server like a browser (the citizen portal
    /// signs in through the OpenID provider with a few of them); the first answer that is
    /// not a redirect, or a redirect elsewhere.
    pub fn follow(&mut self, path: &str) -> Answer {
        let mut answer = self.get(path);
        for _ in 0..10 {
            if !matches!(answer.status, 301 | 302 | 303 | 307) {
                return answer;
            }
            let to = answer.location().to_string();
            let own = format!("http://{}", self.addr);
            let next = match to.strip_prefix(&own) {
                Some(p) => p.to_string(),
                None if to.starts_with('/') => to,
                None => return answer,
            };
            answer = self.get(&next);
        }
        panic!("too many redirects from {path}");
    }

    /// The CSRF token of the page at `path` (every page with a form carries one).
    pub fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path);
        assert_eq!(page.status, 200, "GET {path}: {}", page.body);
        page.input_value("csrf").expect("a CSRF field")
    }

    /// Logs in; returns the answer to the login POST.
    pub fn login(&mut self, login: &str, password: &str) -> Answer {
        let csrf = self.csrf("/login");
        self.post(
            "/login",
            &[("csrf", &csrf), ("login", login), ("password", password)],
        )
    }

    /// Logs in with a one-time password and sets `new_password`.
    pub fn first_login(&mut self, login: &str, one_time: &str, new_password: &str) {
        let a = self.login(login, one_time);
        assert_eq!(a.status, 303, "{}", a.body);
        assert_eq!(a.location(), "/account");
        let csrf = self.csrf("/account");
        let a = self.post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", one_time),
                ("new", new_password),
                ("repeat", new_password),
            ],
        );
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(a.body.contains("Đã đổi mật khẩu"), "{}", a.body);
    }

    /// Searches with the box; returns the answer (a page, or a redirect to a person).
    pub fn search(&mut self, q: &str) -> Answer {
        let csrf = self.csrf("/search");
        self.post("/search", &[("csrf", &csrf), ("q", q)])
    }
}

pub fn officer(data: &str, login: &str, role: &str) -> String {
    officer_with(data, &[], login, role)
}

/// `officer` with extra arguments, such as a backend's.
pub fn officer_with(data: &str, extra: &[&str], login: &str, role: &str) -> String {
    let name = format!("Cán bộ {login}");
    let mut args = vec![
        "admin", "officer", "create", "--data", data, "--login", login, "--name", &name, "--role",
        role,
    ];
    args.extend_from_slice(extra);
    let out = ok(&xaso(&args));
    let p = out.trim().to_string();
    assert!(
        p.len() >= 12 && !p.contains('\n'),
        "password printed alone: {out:?}"
    );
    p
}

const PASSWORD: &str = "rau muống xào tỏi ngon";

#[test]
fn officers_log_in_search_edit_and_are_audited() {
    let dir = TempDir::new("pages");
    let data = data_arg(dir.path());
    let file = small_register(dir.path());
    ok(&xaso(&["import", "registry", "--data", &data, &file]));
    let police_otp = officer(&data, "cong.an", "police");
    let labour_otp = officer(&data, "lao.dong", "labour");
    let reader_otp = officer(&data, "chi.xem", "read-only");
    let server = Server::start(&data);
    let mut police = Client::new(&server);

    // Not logged in: every page sends to the login page.
    let a = police.get("/search");
    assert_eq!(a.status, 303);
    assert!(a.location().starts_with("/login"));

    // The login form is protected too: no token, no login (and no hint about the password).
    let a = police.post("/login", &[("login", "cong.an"), ("password", &police_otp)]);
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(!police.cookies.contains_key("xaso_session"));

    // First login with the one-time password: only the password change is reachable.
    let a = police.login("cong.an", &police_otp);
    assert_eq!(a.status, 303, "{}", a.body);
    let session_cookie = a
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("xaso_session="))
        .unwrap()
        .to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(session_cookie.contains(flag), "{flag} in {session_cookie}");
    }
    assert_eq!(police.get("/search").location(), "/account");
    let csrf = police.csrf("/account");
    let a = police.post(
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current", &police_otp),
            ("new", "short"),
            ("repeat", "short"),
        ],
    );
    assert!(
        a.body.contains("12"),
        "the policy says the minimum: {}",
        a.body
    );
    police.first_login_continue(&police_otp);

    // Search by name without tones, with a birth year.
    let a = police.search("nguyen van hung 1975");
    assert_eq!(a.status, 200);
    assert!(a.body.contains("Nguyễn Văn Hùng"), "{}", a.body);
    let person = a.links("/p/")[0].clone();
    assert!(
        !person.contains("038075000001"),
        "no personal ID in URLs: {person}"
    );
    // A 12-digit ID goes straight to the person.
    let a = police.search("038075000001");
    assert_eq!(a.status, 303);
    assert_eq!(a.location(), person);
    // Bad input is named, in Vietnamese.
    let a = police.search("12345");
    assert_eq!(a.status, 422);
    assert!(a.body.contains("12 chữ số"), "{}", a.body);

    // CSRF: a search or an edit without the session's token is refused.
    let a = police.post("/search", &[("q", "nguyen")]);
    assert_eq!(a.status, 403);
    let a = police.post("/search", &[("csrf", "forged"), ("q", "nguyen")]);
    assert_eq!(a.status, 403);
    assert!(a.body.contains("CSRF"));

    // The person page, then an edit with a field error, then a good edit.
    let page = police.get(&person);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("038075000001") && page.body.contains("HK-1"));
    let edit = police.get(&format!("{person}/edit"));
    assert_eq!(edit.status, 200);
    let csrf = edit.input_value("csrf").unwrap();
    let version = edit.input_value("version").unwrap();
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("version".into(), version.clone()),
        ("full_name".into(), "Nguyễn Văn Hùng".into()),
        ("date_of_birth".into(), "31/02/1975".into()),
        ("sex".into(), "male".into()),
        ("ethnicity".into(), "01".into()),
        ("household_id".into(), "HK-1".into()),
        ("relation_to_head".into(), "Chủ hộ".into()),
        ("permanent_address.detail".into(), "Thôn 3".into()),
        ("permanent_address.commune_code".into(), "16309".into()),
        ("other_name".into(), "Hùng Râu".into()),
    ];
    let post = |c: &mut Client, f: &Vec<(String, String)>| {
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        c.post(&format!("{person}/edit"), &refs)
    };
    let a = post(&mut police, &fields);
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(
        a.body.contains("date_of_birth-error"),
        "the error sits by the field"
    );
    assert!(a.body.contains("reason"), "a reason is required");
    fields[3].1 = "12/05/1975".into();
    fields.push(("reason".into(), "Bổ sung tên gọi khác theo tờ khai".into()));
    let a = post(&mut police, &fields);
    assert_eq!(a.status, 303, "{}", a.body);
    let page = police.get(&person);
    assert!(page.body.contains("Hùng Râu"));
    assert!(
        page.body.contains("Bổ sung tên gọi khác"),
        "the change and its reason are in the history"
    );
    // An edit from a stale version is refused, not lost silently.
    let a = post(&mut police, &fields);
    assert_eq!(a.status, 409, "{}", a.body);

    // The police may read the audit log: the view, the search and the edit are there.
    let log = police.get("/audit?actor=cong.an");
    assert_eq!(log.status, 200);
    for action in ["person.read", "person.search", "person.update", "login"] {
        assert!(log.body.contains(action), "{action} in the audit log");
    }
    assert!(page.body.contains("Ai đã xem hồ sơ này"));

    // A labour officer: no audit log, must state a purpose, cannot edit.
    let mut labour = Client::new(&server);
    labour.first_login("lao.dong", &labour_otp, PASSWORD);
    assert_eq!(labour.get("/audit").status, 403);
    let gate = labour.get(&person);
    assert_eq!(gate.status, 200);
    assert!(
        !gate.body.contains("038075000001"),
        "nothing shown before the purpose"
    );
    let csrf = gate.input_value("csrf").unwrap();
    let a = labour.post(
        &format!("{person}/reason"),
        &[("csrf", &csrf), ("reason", "")],
    );
    assert_eq!(a.status, 422);
    let a = labour.post(
        &format!("{person}/reason"),
        &[("csrf", &csrf), ("reason", "Xét trợ cấp xã hội tháng 12")],
    );
    assert_eq!(a.status, 303);
    let shown = labour.get(&person);
    assert!(shown.body.contains("038075000001"));
    assert!(
        !shown.body.contains("Ai đã xem"),
        "who-looked is for audit readers only"
    );
    assert_eq!(labour.get(&format!("{person}/edit")).status, 403);
    let a = post(&mut labour, &fields);
    assert_eq!(
        a.status, 403,
        "CSRF of another session, and no edit right anyway"
    );
    let log = police.get(&person);
    assert!(
        log.body.contains("Xét trợ cấp xã hội tháng 12"),
        "the purpose is in the audit trail"
    );

    // A read-only officer cannot edit, even with a valid token.
    let mut reader = Client::new(&server);
    reader.first_login("chi.xem", &reader_otp, PASSWORD);
    let csrf = reader.csrf("/search");
    let mut mine = fields.clone();
    mine[0].1 = csrf;
    let a = post(&mut reader, &mine);
    assert_eq!(a.status, 403);
    assert!(a.body.contains("không được sửa"));

    // Logging out ends the session on the server, not just in the browser.
    let stolen = police.cookies.get("xaso_session").unwrap().clone();
    let csrf = police.csrf("/search");
    let a = police.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(a.status, 303);
    police.cookies.insert("xaso_session".into(), stolen);
    assert!(police.get("/search").location().starts_with("/login"));
}

impl Client {
    /// Finishes a first login whose password change was refused once.
    fn first_login_continue(&mut self, one_time: &str) {
        let csrf = self.csrf("/account");
        let a = self.post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", one_time),
                ("new", PASSWORD),
                ("repeat", PASSWORD),
            ],
        );
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(a.body.contains("Đã đổi mật khẩu"));
        assert_eq!(self.get("/search").status, 200);
    }
}

#[test]
fn wrong_passwords_lock_the_account_and_idle_sessions_expire() {
    let dir = TempDir::new("lockout");
    let data = data_arg(dir.path());
    let otp = officer(&data, "mot.cua", "desk");
    let server = Server::start_with(&data, &["--session-idle", "2s"]);
    let mut desk = Client::new(&server);
    desk.first_login("mot.cua", &otp, PASSWORD);
    assert_eq!(desk.get("/desk").status, 200);
    // Idle past the timeout: the session is over.
    std::thread::sleep(Duration::from_millis(2500));
    let a = desk.get("/desk");
    assert_eq!(a.status, 303);
    assert_eq!(a.location(), "/login?m=expired");
    assert!(desk.get("/login?m=expired").body.contains("hết hạn"));

    // Five wrong passwords lock the account; then even the right one is refused.
    let mut attacker = Client::new(&server);
    for i in 1..=5 {
        let a = attacker.login("mot.cua", "wrong password here");
        let expected = if i < 5 { 401 } else { 423 };
        assert_eq!(a.status, expected, "try {i}: {}", a.body);
    }
    let a = desk.login("mot.cua", PASSWORD);
    assert_eq!(a.status, 423, "{}", a.body);
    assert!(a.body.contains("tạm khoá"));
    // The administrator's reset unlocks with a new one-time password.
    let out = ok(&xaso(&[
        "admin",
        "officer",
        "reset-password",
        "--data",
        &data,
        "--login",
        "mot.cua",
    ]));
    let a = desk.login("mot.cua", out.trim());
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location(), "/account");
}

#[test]
fn the_first_run_prints_a_one_time_admin_password_that_manages_officers() {
    let dir = TempDir::new("firstrun");
    let data = data_arg(dir.path());
    let server = Server::start(&data);
    let printed = server.printed_until("one-time password");
    let otp = printed
        .rsplit("one-time password: ")
        .next()
        .unwrap()
        .trim()
        .to_string();
    let mut admin = Client::new(&server);
    admin.first_login("admin", &otp, PASSWORD);
    let page = admin.get("/admin/officers");
    assert_eq!(page.status, 200);
    let csrf = page.input_value("csrf").unwrap();
    let a = admin.post(
        "/admin/officers",
        &[
            ("csrf", &csrf),
            ("login", "dia.chinh"),
            ("display_name", "Lê Văn Đất"),
            ("role", "land"),
        ],
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let new_otp = a
        .body
        .split("hãy trao tận tay): ")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let a = admin.post(
        "/admin/officers",
        &[
            ("csrf", &csrf),
            ("login", "dia.chinh"),
            ("display_name", "X"),
            ("role", "land"),
        ],
    );
    assert_eq!(a.status, 409);
    // The new officer can log in, but not manage officers.
    let mut land = Client::new(&server);
    land.first_login("dia.chinh", &new_otp, PASSWORD);
    assert_eq!(land.get("/admin/officers").status, 403);
    // Disabled: the running session ends and no new login works.
    let a = admin.post("/admin/officers/dia.chinh/disable", &[("csrf", &csrf)]);
    assert_eq!(a.status, 200);
    assert!(land.get("/search").location().starts_with("/login"));
    let a = land.login("dia.chinh", PASSWORD);
    assert_eq!(a.status, 403);
    // English on request.
    let a = admin.get("/lang/en?back=/admin/officers");
    assert_eq!(a.location(), "/admin/officers");
    assert!(admin.get("/admin/officers").body.contains("Add an officer"));
    // No open redirect through the language switch.
    assert_eq!(admin.get("/lang/vi?back=//evil.example").location(), "/");
}

/// The README's first command as a new user meets it, in headless Chromium: log in with the
/// printed one-time password, choose a password, find a demo resident by name without tones,
/// scan a card into the search box, open and edit the record, see the change in the history and
/// the audit log, in Vietnamese and in English; then a wrong password locks the account.
#[test]
#[ignore = "needs chromedriver; .ci/run runs it"]
fn browser_officer_flow() {
    use super::webdriver::{keys, screenshot_dir, Browser};
    let dir = TempDir::new("browser-flow");
    let data = data_arg(dir.path());
    let server = Server::start_with(&data, &["--demo"]);
    let otp = server
        .printed_until("one-time password: ")
        .rsplit("one-time password: ")
        .next()
        .unwrap()
        .trim()
        .to_string();
    let samples =
        std::fs::read_to_string(dir.path().join("data/lists/card-qr-samples.txt")).unwrap();
    let payload = samples
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap()
        .to_string();
    let fields: Vec<&str> = payload.split('|').collect();
    let (id, full_name) = (fields[0], fields[2]);
    let shots = screenshot_dir();
    let shot = |b: &Browser, name: &str| {
        b.screenshot_png(shots.join(format!("{name}.png")));
    };
    let url = |path: &str| format!("http://{}{path}", server.addr);
    let wait = Duration::from_secs(10);

    let browser = Browser::start();
    browser.goto(&url("/"));
    assert!(browser.current_url().contains("/login"));
    assert_eq!(browser.find("html").attr("lang").as_deref(), Some("vi"));
    shot(&browser, "01-login");
    browser.find("#login").send_keys("admin");
    browser.expect_navigation(|| {
        browser
            .find("#password")
            .send_keys(&format!("{otp}{}", keys::ENTER))
    });
    assert!(browser.wait_until(wait, || browser.current_url().ends_with("/account")));
    let session = browser.cookie("xaso_session").expect("a session cookie");
    assert!(session.http_only && session.secure, "{session:?}");
    assert_eq!(session.same_site.as_deref(), Some("Strict"));
    browser.find("#current").send_keys(&otp);
    browser.find("#new").send_keys(PASSWORD);
    browser.expect_navigation(|| {
        browser
            .find("#repeat")
            .send_keys(&format!("{PASSWORD}{}", keys::ENTER))
    });
    assert!(browser.wait_until(wait, || browser.page_source().contains("Đã đổi mật khẩu")));

    // A resident by name without tones.
    browser.goto(&url("/search"));
    let plain = xaso_domain::name::stripped_key(full_name);
    browser.expect_navigation(|| {
        browser
            .find("#q")
            .send_keys(&format!("{plain}{}", keys::ENTER))
    });
    let results = browser.find("table.results");
    assert!(results.text().contains(full_name), "{}", results.text());
    assert!(results.text().contains(id));
    shot(&browser, "02-search");

    // The desk: the USB scanner types the payload into the search box and presses Enter.
    browser.expect_navigation(|| {
        browser
            .find("#q")
            .send_keys(&format!("{payload}{}", keys::ENTER))
    });
    let compare = browser.find("#card-compare");
    let address = browser.find("#card-compare tr[data-field=permanent_address]");
    assert!(
        address.text().contains("Tương đương") && address.text().contains("nay là"),
        "the pre-2025 address maps to today's commune: {}",
        address.text()
    );
    assert!(compare.text().contains(full_name));
    shot(&browser, "03-desk");
    browser.expect_navigation(|| browser.find("a.button.primary").click());
    assert_eq!(browser.find("#personal-id").text(), id);
    assert!(
        !browser.current_url().contains(id),
        "no personal ID in the URL"
    );
    shot(&browser, "04-person");

    // Edit: a field error is shown next to the field, then a good edit lands in the history.
    browser.expect_navigation(|| browser.find("a.button.primary").click());
    let dob = browser.find("#date_of_birth");
    let good_dob = dob.prop("value").as_str().unwrap().to_string();
    dob.clear();
    dob.send_keys("31/02/1990");
    browser.find("#other_name").clear();
    browser.find("#other_name").send_keys("Tèo");
    browser
        .find("#reason")
        .send_keys("Bổ sung tên gọi khác theo đơn của công dân");
    browser.expect_navigation(|| browser.find("form.edit button.primary").click());
    let error = browser.find("#date_of_birth-error");
    assert!(!error.text().is_empty());
    shot(&browser, "05-edit-error");
    let dob = browser.find("#date_of_birth");
    dob.clear();
    dob.send_keys(&good_dob);
    browser.expect_navigation(|| browser.find("form.edit button.primary").click());
    assert!(browser.find("p.notice.ok").text().contains("Đã lưu"));
    let versions = browser.find("#versions");
    assert!(versions.text().contains("Tèo"), "{}", versions.text());
    assert!(versions.text().contains("Bổ sung tên gọi khác"));
    assert!(browser.find("#viewers").text().contains("person.update"));
    shot(&browser, "06-history");
    // The printable sheet: the browser's own PDF of the page, with the print stylesheet.
    let pdf = browser
        .command(
            "POST",
            "/print",
            Some(&serde_json::json!({"orientation": "portrait"})),
        )
        .unwrap();
    let pdf = super::webdriver::base64_decode(pdf.as_str().unwrap()).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    std::fs::write(shots.join("06-person.pdf"), &pdf).unwrap();
    // No script errors and no content-security-policy violations on the way.
    let severe: Vec<String> = browser
        .console_log()
        .into_iter()
        .filter(|e| e.level == "SEVERE")
        .map(|e| e.message)
        // The refused edit above answered 422 on purpose.
        .filter(|m| !m.contains("status of 422"))
        .collect();
    assert!(severe.is_empty(), "{severe:?}");

    // The audit log, then the same page in English.
    browser.goto(&url("/audit?action=person.update"));
    let log = browser.find("#audit-log");
    assert!(log.text().contains(id) && log.text().contains("admin"));
    shot(&browser, "07-audit");
    browser.expect_navigation(|| browser.find("a.lang").click());
    assert!(browser.wait_until(wait, || browser.find("h1").text() == "Audit log"));
    assert!(
        browser
            .current_url()
            .ends_with("/audit?action=person.update"),
        "the filter stays"
    );
    assert_eq!(browser.find("html").attr("lang").as_deref(), Some("en"));
    assert!(browser.find("#audit-log").text().contains(id));
    shot(&browser, "08-audit-en");
    browser.goto(&url("/search"));
    browser.expect_navigation(|| {
        browser
            .find("#q")
            .send_keys(&format!("{payload}{}", keys::ENTER))
    });
    let address = browser.find("#card-compare tr[data-field=permanent_address]");
    assert!(address.text().contains("Equivalent"), "{}", address.text());
    shot(&browser, "09-desk-en");

    // Log out; five wrong passwords lock the account, and the right one is then refused too.
    browser.expect_navigation(|| browser.find("header form.inline button").click());
    assert!(browser.wait_until(wait, || browser.current_url().contains("/login")));
    for _ in 0..5 {
        browser.find("#login").clear();
        browser.find("#login").send_keys("admin");
        browser.expect_navigation(|| {
            browser
                .find("#password")
                .send_keys(&format!("not the password{}", keys::ENTER))
        });
    }
    assert!(browser.find("p.notice.error").text().contains("locked"));
    browser.find("#login").clear();
    browser.find("#login").send_keys("admin");
    browser.expect_navigation(|| {
        browser
            .find("#password")
            .send_keys(&format!("{PASSWORD}{}", keys::ENTER))
    });
    assert!(browser.find("p.notice.error").text().contains("locked"));
    assert!(browser.current_url().contains("/login"));
    shot(&browser, "10-locked");
}

#[test]
fn a_second_factor_is_enrolled_then_required_and_codes_are_not_replayed() {
    use xaso_identity::totp::{code_at, TotpSecret};
    let dir = TempDir::new("totp");
    let data = data_arg(dir.path());
    let otp = officer(&data, "tu.phap", "justice");
    let server = Server::start(&data);
    let mut c = Client::new(&server);
    c.first_login("tu.phap", &otp, PASSWORD);
    let csrf = c.csrf("/account");
    let setup = c.post("/account/totp/start", &[("csrf", &csrf)]);
    assert_eq!(setup.status, 200);
    let secret_text: String = setup
        .body
        .split("class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .replace(' ', "");
    assert_totp_qr_holds_the_uri(&setup.body, &secret_text);
    let secret = TotpSecret::from_base32(&secret_text).unwrap();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let a = c.post(
        "/account/totp/confirm",
        &[("csrf", &csrf), ("code", "000000")],
    );
    assert!(
        a.body.contains("không đúng"),
        "a wrong code does not enable it"
    );
    let enrolled_at = now();
    let a = c.post(
        "/account/totp/confirm",
        &[("csrf", &csrf), ("code", &code_at(&secret, enrolled_at))],
    );
    assert!(a.body.contains("Đã bật xác thực hai lớp"), "{}", a.body);

    // A new login now stops at the code; nothing else is reachable before it.
    let mut d = Client::new(&server);
    let a = d.login("tu.phap", PASSWORD);
    assert_eq!(a.location(), "/login/totp");
    assert_eq!(d.get("/search").location(), "/login/totp");
    let csrf = d.csrf("/login/totp");
    let a = d.post("/login/totp", &[("csrf", &csrf), ("code", "123456")]);
    assert_eq!(a.status, 401);
    // The enrolment used this time step's code, so that one is spent; the next step's code is
    // accepted (a phone's clock may run up to a step ahead).
    let spent = code_at(&secret, enrolled_at);
    let a = d.post("/login/totp", &[("csrf", &csrf), ("code", &spent)]);
    assert_eq!(a.status, 401, "a code used at enrolment is spent");
    let code = code_at(&secret, enrolled_at + 30);
    let a = d.post("/login/totp", &[("csrf", &csrf), ("code", &code)]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location(), "/search");
    assert_eq!(d.get("/search").status, 200);
    // Replaying that code in another login fails.
    let mut e = Client::new(&server);
    e.login("tu.phap", PASSWORD);
    let csrf = e.csrf("/login/totp");
    let a = e.post("/login/totp", &[("csrf", &csrf), ("code", &code)]);
    assert_eq!(a.status, 401, "a used code is refused");
}

mod chip;
mod citizen;
mod eid;
mod oidc;
mod onestop;
mod reconcile;
mod shop_admin;
