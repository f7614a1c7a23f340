//! The citizens' pages over HTTP, on the demo commune: registration at level 1 against the
//! register with a one-time code (read through the log sender's test hook), the portal with
//! "who viewed my record", sessions, recovery, lockout, an account made from the command line
//! with a one-time password, the second factor, and the wall between citizens' and officers'
//! sessions.

use super::*;

const CITIZEN_PASSWORD: &str = "cơm nắm muối vừng quê nhà";
const NEW_PASSWORD: &str = "bánh chưng xanh ngày tết";

/// A demo commune with an admin token ("tester") and a police officer ("cong.an"):
/// (temp dir, data dir, token, the officer's one-time password).
fn commune(tag: &str) -> (TempDir, String, String, String) {
    let dir = TempDir::new(tag);
    let data = data_arg(dir.path());
    ok(&xaso(&["demo", "--data", &data, "--residents", "50"]));
    let admin = token(&data, "tester", "admin");
    let police = officer(&data, "cong.an", "police");
    (dir, data, admin, police)
}

/// Living residents with a full date of birth, from the demo's card samples and the API:
/// (personal ID, full name, date of birth as dd/mm/yyyy).
fn residents(dir: &TempDir, server: &Server, admin: &str) -> Vec<(String, String, String)> {
    let samples =
        std::fs::read_to_string(dir.path().join("data/lists/card-qr-samples.txt")).unwrap();
    let mut out = Vec::new();
    for line in samples
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let id = line.split('|').next().unwrap().to_string();
        if out.iter().any(|(i, _, _)| *i == id) {
            continue;
        }
        let (s, p) = server.get_json(&format!("/api/v1/persons/{id}"), admin);
        let dob = p["date_of_birth"].as_str().unwrap_or("");
        if s != 200 || !p["death_date"].is_null() || dob.len() != 10 {
            continue;
        }
        let (y, m, d) = (&dob[..4], &dob[5..7], &dob[8..]);
        out.push((
            id,
            p["full_name"].as_str().unwrap().to_string(),
            format!("{d}/{m}/{y}"),
        ));
    }
    assert!(out.len() >= 2, "the demo has residents with cards");
    out
}

/// The text of the page's error notice.
fn error_notice(a: &Answer) -> String {
    let at = a
        .body
        .find("notice error")
        .unwrap_or_else(|| panic!("an error notice: {}", a.body));
    let rest = &a.body[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..rest.find("</p>").unwrap()].to_string()
}

/// The last code the log sender's test hook wrote for `phone`.
pub(super) fn last_code(file: &Path, phone: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(p, _)| *p == phone)
        .map(|(_, c)| c.trim().to_string())
        .next_back()
        .unwrap_or_else(|| panic!("no code for {phone} in {text:?}"))
}

/// A different six-digit code.
fn other_code(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

/// True when the portal does not open for `c`: following `/cong-dan` through the OpenID
/// provider ends on the citizens' sign-in page.
fn portal_closed(c: &mut Client) -> bool {
    let a = c.follow("/cong-dan");
    a.status == 200
        && !a.body.contains("id=\"viewers\"")
        && a.body.contains("action=\"/cong-dan/dang-nhap")
}

impl Client {
    /// Signs a citizen in; returns the answer to the POST.
    fn citizen_sign_in(&mut self, personal_id: &str, password: &str) -> Answer {
        let csrf = self.csrf("/cong-dan/dang-nhap");
        self.post(
            "/cong-dan/dang-nhap",
            &[
                ("csrf", &csrf),
                ("personal_id", personal_id),
                ("password", password),
                ("next", "/cong-dan"),
            ],
        )
    }
}

#[test]
fn a_citizen_registers_online_sees_who_viewed_the_record_ends_sessions_and_recovers() {
    let (dir, data, admin, police_otp) = commune("citizen-register");
    let otp_file = dir.path().join("codes.txt");
    let server = Server::start_env(&data, &[("XASO_TEST_OTP_FILE", otp_file.to_str().unwrap())]);
    let people = residents(&dir, &server, &admin);
    let (id, name, dob) = people[0].clone();
    let phone = "0912345678";

    // The portal needs a citizen's session.
    let mut c = Client::new(&server);
    let a = c.get("/cong-dan");
    assert_eq!(a.status, 303);
    assert_eq!(a.location(), "/cong-dan/vao?next=/cong-dan");
    assert!(
        portal_closed(&mut c),
        "through the provider to its sign-in page"
    );

    // Registration: the three facts must all match the register, and a mismatch does not say
    // which one differs.
    let csrf = c.csrf("/cong-dan/dang-ky");
    let register = |c: &mut Client, name: &str, dob: &str| {
        c.post(
            "/cong-dan/dang-ky",
            &[
                ("csrf", &csrf),
                ("personal_id", &id),
                ("full_name", name),
                ("date_of_birth", dob),
                ("phone", "0912 345 678"),
            ],
        )
    };
    let wrong_day = match dob.strip_prefix("01") {
        Some(rest) => format!("02{rest}"),
        None => format!("01{}", &dob[2..]),
    };
    let wrong_dob = register(&mut c, &name, &wrong_day);
    assert_eq!(wrong_dob.status, 422, "{}", wrong_dob.body);
    let wrong_name = register(&mut c, "Nguyễn Thị Không Có", &dob);
    assert_eq!(wrong_name.status, 422, "{}", wrong_name.body);
    assert_eq!(
        error_notice(&wrong_dob),
        error_notice(&wrong_name),
        "the same answer whichever fact differs"
    );
    assert!(error_notice(&wrong_dob).contains("không khớp"));
    assert!(
        !otp_file.exists() || std::fs::read_to_string(&otp_file).unwrap().is_empty(),
        "no code is sent for a mismatch"
    );
    // A request without the form's token is refused.
    let a = c.post(
        "/cong-dan/dang-ky",
        &[("personal_id", &id), ("full_name", &name)],
    );
    assert_eq!(a.status, 403);

    // The right facts (the name typed in lower case): a code goes to the phone.
    let a = register(&mut c, &name.to_lowercase(), &dob);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.body.contains("*******678"),
        "the phone masked: {}",
        a.body
    );
    let otp = a.input_value("otp").unwrap();
    let code = last_code(&otp_file, phone);
    assert_eq!(code.len(), 6);
    let code_form = |c: &mut Client, code: &str| {
        c.post(
            "/cong-dan/dang-ky/ma",
            &[
                ("csrf", &csrf),
                ("otp", &otp),
                ("phone", phone),
                ("code", code),
            ],
        )
    };
    let a = code_form(&mut c, &other_code(&code));
    assert_eq!(a.status, 401, "{}", a.body);
    assert!(a.body.contains("Còn 4 lần"), "{}", a.body);
    let a = code_form(&mut c, &code);
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = a.input_value("ticket").unwrap();
    // Once used, the code is spent.
    assert_eq!(code_form(&mut c, &code).status, 410);
    let password = |c: &mut Client, new: &str| {
        c.post(
            "/cong-dan/dang-ky/mat-khau",
            &[
                ("csrf", &csrf),
                ("otp", &otp),
                ("ticket", &ticket),
                ("new", new),
                ("repeat", new),
            ],
        )
    };
    let a = password(&mut c, "short");
    assert_eq!(a.status, 422, "the policy applies: {}", a.body);
    let a = password(&mut c, CITIZEN_PASSWORD);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location(), "/cong-dan?m=registered");
    let cookie = a
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("xaso_citizen="))
        .unwrap()
        .to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    // The ticket is spent too.
    assert_eq!(password(&mut c, NEW_PASSWORD).status, 410);

    // The portal: my record at level 1; the API token's read is listed, no officer yet.
    let portal = c.follow("/cong-dan");
    assert_eq!(portal.status, 200, "{}", portal.body);
    assert!(portal.body.contains("Mức 1"));
    assert!(portal.body.contains(&name) && portal.body.contains(&id));
    let viewers = |page: &Answer| {
        let at = page.body.find("id=\"viewers\"").unwrap();
        let end = page.body[at..].find("</section>").unwrap();
        page.body[at..at + end].to_string()
    };
    let before = viewers(&portal);
    assert!(before.contains("tester"), "the API token's read: {before}");
    assert!(!before.contains("cong.an"));

    // An officer views the record; the citizen sees who, with the role.
    let mut police = Client::new(&server);
    police.first_login("cong.an", &police_otp, PASSWORD);
    let a = police.search(&id);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(police.get(a.location()).status, 200);
    let after = viewers(&c.follow("/cong-dan"));
    assert!(after.contains("cong.an"), "{after}");
    assert!(
        after.contains("Công an xã") && after.contains("Xem hồ sơ"),
        "{after}"
    );
    // The citizen's own views are audited with the citizen as the actor (and not listed as
    // viewers).
    let log = police.get("/audit?action=citizen.person.read");
    assert!(log.body.contains(&id), "{}", log.body);
    assert!(!after.contains("citizen.person.read"));

    // Neither session opens the other's pages, even with the cookie under the other's name.
    assert!(c.get("/search").location().starts_with("/login"));
    assert!(portal_closed(&mut police));
    let mut mixed = Client::new(&server);
    mixed
        .cookies
        .insert("xaso_session".into(), c.cookies["xaso_citizen"].clone());
    assert!(mixed.get("/search").location().starts_with("/login"));
    let mut mixed = Client::new(&server);
    mixed.cookies.insert(
        "xaso_citizen".into(),
        police.cookies["xaso_session"].clone(),
    );
    assert!(portal_closed(&mut mixed));

    // A second browser signs in; the first lists both sessions and ends the other one.
    let mut other = Client::new(&server);
    let a = other.citizen_sign_in(&id, CITIZEN_PASSWORD);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location(), "/cong-dan");
    assert_eq!(other.follow("/cong-dan").status, 200);
    let sessions = c.get("/cong-dan/phien");
    assert_eq!(sessions.status, 200);
    assert!(sessions.body.contains("Phiên này"));
    assert_eq!(
        sessions.body.matches("<tr>").count(),
        3,
        "a header and two sessions"
    );
    let handle = sessions.input_value("session").unwrap();
    let csrf_portal = sessions.input_value("csrf").unwrap();
    let a = c.post(
        "/cong-dan/phien/ket-thuc",
        &[("csrf", &csrf_portal), ("session", &handle)],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("Đã kết thúc phiên"));
    assert_eq!(a.body.matches("<tr>").count(), 2);
    assert!(portal_closed(&mut other));
    // A forged token ends nothing.
    let a = c.post("/cong-dan/dang-xuat", &[("csrf", "forged")]);
    assert_eq!(a.status, 403);
    // Signing out ends the session on the server.
    let stolen = c.cookies["xaso_citizen"].clone();
    let stolen_portal = c.cookies["xaso_portal"].clone();
    let a = c.post("/cong-dan/dang-xuat", &[("csrf", &csrf_portal)]);
    assert_eq!(a.status, 303);
    assert_eq!(a.location(), "/cong-dan/dang-nhap?m=signed-out");
    c.cookies.insert("xaso_citizen".into(), stolen);
    c.cookies.insert("xaso_portal".into(), stolen_portal);
    assert_eq!(c.get("/cong-dan").status, 303);
    assert!(portal_closed(&mut c));

    // Recovery: a phone that is not the account's gets the same answer, and no code.
    let mut r = Client::new(&server);
    let csrf = r.csrf("/cong-dan/khoi-phuc");
    let a = r.post(
        "/cong-dan/khoi-phuc",
        &[
            ("csrf", &csrf),
            ("personal_id", &id),
            ("phone", "0987654321"),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("*******321"));
    let fake = a.input_value("otp").unwrap();
    let codes = std::fs::read_to_string(&otp_file).unwrap();
    assert!(!codes.contains("0987654321"));
    let a = r.post(
        "/cong-dan/khoi-phuc/ma",
        &[
            ("csrf", &csrf),
            ("otp", &fake),
            ("phone", "0987654321"),
            ("code", "123456"),
        ],
    );
    assert_eq!(a.status, 401);
    let wrong_answer = error_notice(&a);
    // The registered phone: a code, then a new password; every session ends.
    let a = r.post(
        "/cong-dan/khoi-phuc",
        &[("csrf", &csrf), ("personal_id", &id), ("phone", phone)],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let otp = a.input_value("otp").unwrap();
    let code = last_code(&otp_file, phone);
    let a = r.post(
        "/cong-dan/khoi-phuc/ma",
        &[
            ("csrf", &csrf),
            ("otp", &otp),
            ("phone", phone),
            ("code", &other_code(&code)),
        ],
    );
    assert_eq!(a.status, 401);
    assert_eq!(
        error_notice(&a),
        wrong_answer,
        "a wrong code answers as no code"
    );
    let a = r.post(
        "/cong-dan/khoi-phuc/ma",
        &[
            ("csrf", &csrf),
            ("otp", &otp),
            ("phone", phone),
            ("code", &code),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = a.input_value("ticket").unwrap();
    let mut before = Client::new(&server);
    assert_eq!(before.citizen_sign_in(&id, CITIZEN_PASSWORD).status, 303);
    let a = r.post(
        "/cong-dan/khoi-phuc/mat-khau",
        &[
            ("csrf", &csrf),
            ("otp", &otp),
            ("ticket", &ticket),
            ("new", NEW_PASSWORD),
            ("repeat", NEW_PASSWORD),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location(), "/cong-dan?m=recovered");
    assert_eq!(r.follow("/cong-dan").status, 200);
    assert!(
        portal_closed(&mut before),
        "the sessions from before the recovery ended"
    );
    let mut after = Client::new(&server);
    assert_eq!(after.citizen_sign_in(&id, CITIZEN_PASSWORD).status, 401);
    assert_eq!(after.citizen_sign_in(&id, NEW_PASSWORD).status, 303);
    // The registration again: the account exists.
    let mut again = Client::new(&server);
    let csrf = again.csrf("/cong-dan/dang-ky");
    let a = again.post(
        "/cong-dan/dang-ky",
        &[
            ("csrf", &csrf),
            ("personal_id", &id),
            ("full_name", &name),
            ("date_of_birth", &dob),
            ("phone", phone),
        ],
    );
    assert_eq!(a.status, 409, "{}", a.body);
}

#[test]
fn cli_accounts_must_change_the_one_time_password_and_wrong_passwords_lock() {
    use xaso_identity::totp::{code_at, TotpSecret};
    let (dir, data, admin, _) = commune("citizen-cli");
    let server = Server::start(&data);
    let people = residents(&dir, &server, &admin);
    let (id, _, _) = people[0].clone();
    let (other_id, _, _) = people[1].clone();

    // The command line: a one-time password alone on standard output.
    let create = |id: &str, level: &str| {
        xaso(&[
            "admin",
            "citizen",
            "create",
            "--data",
            &data,
            "--personal-id",
            id,
            "--level",
            level,
        ])
    };
    let one_time = ok(&create(&id, "2")).trim().to_string();
    assert!(one_time.len() >= 12 && !one_time.contains(char::is_whitespace));
    let again = create(&id, "2");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--personal-id"));
    let nobody = create("001099999999", "1");
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("--personal-id"));
    assert!(!create(&other_id, "3").status.success(), "level 1 or 2");

    // The one-time password opens only the page that replaces it.
    let mut c = Client::new(&server);
    let a = c.citizen_sign_in(&id, &one_time);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location(), "/cong-dan/dang-nhap/doi-mat-khau");
    assert!(!c.cookies.contains_key("xaso_citizen"), "no session yet");
    assert!(portal_closed(&mut c));
    let page = c.get("/cong-dan/dang-nhap/doi-mat-khau");
    assert_eq!(page.status, 200);
    let csrf = page.input_value("csrf").unwrap();
    let a = c.post(
        "/cong-dan/dang-nhap/doi-mat-khau",
        &[("csrf", &csrf), ("new", &one_time), ("repeat", &one_time)],
    );
    assert_eq!(a.status, 422, "not the one-time password again: {}", a.body);
    let a = c.post(
        "/cong-dan/dang-nhap/doi-mat-khau",
        &[
            ("csrf", &csrf),
            ("new", CITIZEN_PASSWORD),
            ("repeat", CITIZEN_PASSWORD),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location(), "/cong-dan");
    let portal = c.follow("/cong-dan");
    assert_eq!(portal.status, 200);
    assert!(
        portal.body.contains("Mức 2"),
        "level 2 from the command line"
    );
    let account = c.get("/cong-dan/tai-khoan");
    assert!(
        account.body.contains("Nâng lên mức 2 bởi cli"),
        "{}",
        account.body
    );
    // The one-time password no longer works.
    let mut d = Client::new(&server);
    assert_eq!(d.citizen_sign_in(&id, &one_time).status, 401);

    // The second factor: enrolled on the account page, then asked at sign-in.
    let csrf = account.input_value("csrf").unwrap();
    let setup = c.post("/cong-dan/tai-khoan/totp/bat", &[("csrf", &csrf)]);
    assert_eq!(setup.status, 200);
    let secret: String = setup
        .body
        .split("class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .replace(' ', "");
    super::assert_totp_qr_holds_the_uri(&setup.body, &secret);
    let secret = TotpSecret::from_base32(&secret).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let a = c.post(
        "/cong-dan/tai-khoan/totp/xac-nhan",
        &[("csrf", &csrf), ("code", &code_at(&secret, now))],
    );
    assert!(a.body.contains("Đã bật xác thực hai lớp"), "{}", a.body);
    let mut t = Client::new(&server);
    let a = t.citizen_sign_in(&id, CITIZEN_PASSWORD);
    assert_eq!(a.location(), "/cong-dan/dang-nhap/ma");
    assert!(portal_closed(&mut t));
    let csrf_t = t.csrf("/cong-dan/dang-nhap/ma");
    let a = t.post(
        "/cong-dan/dang-nhap/ma",
        &[("csrf", &csrf_t), ("code", "000000")],
    );
    assert_eq!(a.status, 401);
    let a = t.post(
        "/cong-dan/dang-nhap/ma",
        &[("csrf", &csrf_t), ("code", &code_at(&secret, now + 30))],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.location(), "/cong-dan");
    let sessions = t.follow("/cong-dan/phien");
    assert!(sessions.body.contains("ứng dụng xác thực"), "amr pwd+totp");

    // Five wrong passwords lock the account; then the right one is refused too. An unknown
    // personal ID gets the same answer as a wrong password.
    let mut attacker = Client::new(&server);
    let unknown = attacker.citizen_sign_in("001099999999", "whatever it is");
    assert_eq!(unknown.status, 401);
    for i in 1..=5 {
        let a = attacker.citizen_sign_in(&id, "wrong password here");
        let expected = if i < 5 { 401 } else { 423 };
        assert_eq!(a.status, expected, "try {i}: {}", a.body);
        if i == 1 {
            assert_eq!(error_notice(&a), error_notice(&unknown));
        }
    }
    let a = attacker.citizen_sign_in(&id, CITIZEN_PASSWORD);
    assert_eq!(a.status, 423);
    assert!(a.body.contains("tạm khoá"), "{}", a.body);
    // Only a local `next` is followed.
    let mut n = Client::new(&server);
    let a = n.get("/cong-dan/dang-nhap?next=//evil.example/");
    assert_eq!(a.input_value("next").as_deref(), Some("/cong-dan"));
    let a = n.get("/cong-dan/dang-nhap?next=/oidc/authorize%3Fclient_id%3Dx");
    assert_eq!(
        a.input_value("next").as_deref(),
        Some("/oidc/authorize?client_id=x")
    );
}

/// `xaso serve --sms-webhook URL`: one-time codes reach the SMS gateway as JSON, and the code
/// it received completes the registration; an https address is refused at start, by rule.
#[test]
fn one_time_codes_reach_the_sms_gateway_webhook() {
    use std::io::{Read, Write};
    let (dir, data, admin, _) = commune("citizen-sms");
    let refused = xaso(&[
        "serve",
        "--data",
        &data,
        "--listen",
        "127.0.0.1:0",
        "--sms-webhook",
        "https://sms.example.vn/send",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("https is not supported"));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let gateway = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("\"message\"") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "the request ended early");
            got.extend_from_slice(&buf[..n]);
        }
        while !got.ends_with(b"}") {
            let n = s.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        String::from_utf8(got).unwrap()
    });
    let server = Server::start_with(&data, &["--sms-webhook", &url]);
    let people = residents(&dir, &server, &admin);
    let (id, name, dob) = people[0].clone();
    let mut c = Client::new(&server);
    let csrf = c.csrf("/cong-dan/dang-ky");
    let a = c.post(
        "/cong-dan/dang-ky",
        &[
            ("csrf", &csrf),
            ("personal_id", &id),
            ("full_name", &name),
            ("date_of_birth", &dob),
            ("phone", "0912345678"),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let request = gateway.join().unwrap();
    assert!(request.starts_with("POST /sms HTTP/1.1"), "{request}");
    let body: serde_json::Value =
        serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["phone"], "0912345678");
    assert_eq!(body["purpose"], "registration");
    let code = body["code"].as_str().unwrap().to_string();
    assert!(body["message"].as_str().unwrap().contains(&code));
    let a = c.post(
        "/cong-dan/dang-ky/ma",
        &[
            ("csrf", &csrf),
            ("otp", &a.input_value("otp").unwrap()),
            ("phone", "0912345678"),
            ("code", &code),
        ],
    );
    assert_eq!(
        a.status, 200,
        "the gateway's code is the right one: {}",
        a.body
    );
    assert!(a.input_value("ticket").is_some());
}
