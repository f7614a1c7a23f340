//! The binary at its boundaries: the CLI as a user runs it, and the HTTP API as another system
//! calls it. Each test gets its own data directory and server on a free port.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod pages;
mod reconcile;
mod webdriver;

const XASO: &str = env!("CARGO_BIN_EXE_xaso");

struct TempDir(PathBuf);

/// Twelve random hex digits, to name throw-away directories and databases.
fn random_suffix() -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let suffix = random_suffix();
        let p = std::env::temp_dir().join(format!("xaso-e2e-{tag}-{suffix}"));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A throw-away PostgreSQL database on the server `XASO_TEST_DATABASE_URL` names (where `psql`
/// may create databases), dropped on drop (with any connection a server still holds).
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn new(tag: &str) -> PgDatabase {
        let admin_url = std::env::var("XASO_TEST_DATABASE_URL")
            .expect("XASO_TEST_DATABASE_URL must name a PostgreSQL database");
        let name = format!("xaso_e2e_{tag}_{}", random_suffix());
        let out = Command::new("psql")
            .args([&admin_url, "-v", "ON_ERROR_STOP=1", "-qc"])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The same server and options, another database.
        let (address, options) = match admin_url.split_once('?') {
            Some((a, o)) => (a, format!("?{o}")),
            None => (admin_url.as_str(), String::new()),
        };
        let (base, _) = address.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}{options}");
        PgDatabase {
            admin_url,
            name,
            url,
        }
    }

    fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([&self.admin_url, "-qc"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
    }
}

/// Where a test's register and store live: the SQLite file in the data directory, or a
/// throw-away PostgreSQL database (the data directory still holds the files, such as the
/// demo's lists).
enum Backend {
    Sqlite,
    Postgres(PgDatabase),
}

impl Backend {
    /// A fresh PostgreSQL database (see [`PgDatabase`]).
    fn postgres(tag: &str) -> Backend {
        Backend::Postgres(PgDatabase::new(tag))
    }

    /// The store's name, as `xaso serve` prints it.
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The arguments that choose this backend, given to every `xaso` command beside `--data`.
    fn args(&self) -> Vec<&str> {
        match self {
            Backend::Sqlite => Vec::new(),
            Backend::Postgres(db) => vec!["--database-url", db.url()],
        }
    }
}

fn xaso(args: &[&str]) -> Output {
    Command::new(XASO)
        .args(args)
        .env("XASO_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "xaso failed: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn data_arg(dir: &Path) -> String {
    dir.join("data").to_string_lossy().into_owned()
}

/// A running `xaso serve`, stopped on drop.
struct Server {
    child: Child,
    addr: String,
    /// What the server printed after its first line.
    printed: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    fn start(data: &str) -> Server {
        Server::start_with(data, &[])
    }

    fn start_with(data: &str, extra: &[&str]) -> Server {
        Server::spawn(data, extra, &[])
    }

    /// A server with extra environment variables, such as the store's test hook
    /// `XASO_TEST_ABORT_IN`.
    fn start_env(data: &str, env: &[(&str, &str)]) -> Server {
        Server::spawn(data, &[], env)
    }

    fn spawn(data: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(XASO)
            .args(["serve", "--data", data, "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("XASO_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .unwrap()
            .trim_end_matches('/')
            .to_string();
        // Keep draining stdout so the server never blocks on a full pipe.
        let printed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = printed.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Server {
            child,
            addr,
            printed,
        }
    }

    /// Waits (up to 10 s) for a printed line containing `text` and returns it.
    fn printed_until(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self
                .printed
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(text))
            {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the server never printed {text:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, &str)>,
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        let body_bytes = body.map(|(ct, b)| {
            req.push_str(&format!(
                "Content-Type: {ct}\r\nContent-Length: {}\r\n",
                b.len()
            ));
            b.as_bytes().to_vec()
        });
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        if let Some(b) = body_bytes {
            stream.write_all(&b).unwrap();
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, rest) = text.split_once("\r\n\r\n").unwrap();
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        (status, body)
    }

    fn get_json(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        let (s, b) = self.request("GET", path, Some(token), None);
        (
            s,
            serde_json::from_str(&b).unwrap_or(serde_json::Value::Null),
        )
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(data: &str, name: &str, role: &str) -> String {
    token_with(data, &[], name, role)
}

/// `token` with extra arguments, such as a backend's.
fn token_with(data: &str, extra: &[&str], name: &str, role: &str) -> String {
    let mut args = vec![
        "admin", "token", "create", "--data", data, "--name", name, "--role", role,
    ];
    args.extend_from_slice(extra);
    let out = ok(&xaso(&args));
    let t = out.trim().to_string();
    assert!(
        t.starts_with("xaso_") && !t.contains('\n'),
        "token printed alone: {out:?}"
    );
    t
}

const HEADERS: &str = "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Dân tộc,Số hộ,Quan hệ với chủ hộ,Nơi thường trú,Mã xã thường trú";

fn write(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}

fn small_register(dir: &Path) -> String {
    write(
        dir,
        "register.csv",
        &format!(
            "{HEADERS}\n\
             038075000001,Nguyễn Văn Hùng,12/05/1975,Nam,Kinh,HK-1,Chủ hộ,Thôn 3,16309\n\
             038177000002,Lê Thị Hoà,1977,Nữ,Kinh,HK-1,Vợ,Thôn 3,16309\n\
             038305000003,Nguyễn Thị Thuý,01/09/2005,Nữ,Kinh,HK-1,Con,Thôn 3,16309\n\
             001090000004,Trần Đức Hoà,03/1990,Nam,Mường,HK-2,Chủ hộ,Tổ 5,16309\n"
        ),
    )
}

#[test]
fn import_then_query_the_api_with_audit_and_roles() {
    let dir = TempDir::new("api");
    let data = data_arg(dir.path());
    let file = small_register(dir.path());
    let out = xaso(&["import", "registry", "--data", &data, &file]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported 4 persons"));
    let admin = token(&data, "tester", "admin");
    let labour = token(&data, "labour-office", "labour");
    let reader = token(&data, "reader", "read-only");
    let revoked = token(&data, "old-system", "police");
    let out = xaso(&[
        "admin",
        "token",
        "revoke",
        "--data",
        &data,
        "--name",
        "old-system",
    ]);
    ok(&out);
    let out = xaso(&[
        "admin", "token", "revoke", "--data", &data, "--name", "nobody",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token named"));
    let server = Server::start(&data);

    let (s, body) = server.request("GET", "/healthz", None, None);
    assert_eq!((s, body.contains("\"ok\"")), (200, true));

    // No token, a wrong token.
    assert_eq!(
        server
            .request("GET", "/api/v1/persons/038075000001", None, None)
            .0,
        401
    );
    assert_eq!(
        server
            .request(
                "GET",
                "/api/v1/persons/038075000001",
                Some("xaso_nope"),
                None
            )
            .0,
        401
    );

    assert_eq!(
        server
            .request("GET", "/api/v1/persons/038075000001", Some(&revoked), None)
            .0,
        401,
        "a revoked token is refused"
    );

    // Lookup by ID; partial dates in ISO form.
    let (s, p) = server.get_json("/api/v1/persons/038177000002", &reader);
    assert_eq!(s, 200);
    assert_eq!(p["full_name"], "Lê Thị Hoà");
    assert_eq!(p["date_of_birth"], "1977");
    assert_eq!(p["sex"], "female");
    assert_eq!(p["household_id"], "HK-1");
    assert_eq!(p["version"], 1);
    let (s, p) = server.get_json("/api/v1/persons/001090000004", &reader);
    assert_eq!((s, p["date_of_birth"].as_str()), (200, Some("1990-03")));
    assert_eq!(p["ethnicity"], "04");

    // A malformed ID names the field and the rule; an unknown one is 404.
    let (s, e) = server.get_json("/api/v1/persons/03807500000", &reader);
    assert_eq!(s, 422);
    assert_eq!(e["error"]["field"], "personal_id");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("12 digits"));
    assert_eq!(
        server.get_json("/api/v1/persons/038075999999", &reader).0,
        404
    );

    // Search by name without tones, with tones, with a birth year; by ID; by CMND-less number.
    let (s, r) = server.get_json("/api/v1/persons?q=nguyen%20thi%20thuy", &reader);
    assert_eq!(
        (s, r["query_kind"].as_str(), r["count"].as_u64()),
        (200, Some("name"), Some(1))
    );
    assert_eq!(r["results"][0]["personal_id"], "038305000003");
    let (_, r) = server.get_json(
        "/api/v1/persons?q=Nguy%E1%BB%85n%20Th%E1%BB%8B%20Th%C3%BAy",
        &reader,
    );
    assert_eq!(r["count"], 1, "Thúy finds Thuý: {r}");
    let (_, r) = server.get_json("/api/v1/persons?q=hoa%201990", &reader);
    assert_eq!(r["count"], 1);
    assert_eq!(r["results"][0]["full_name"], "Trần Đức Hoà");
    let (_, r) = server.get_json("/api/v1/persons?q=038075000001", &reader);
    assert_eq!(
        (r["query_kind"].as_str(), r["count"].as_u64()),
        (Some("personal_id"), Some(1))
    );
    let (s, e) = server.get_json("/api/v1/persons?q=", &reader);
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("q")));
    let (s, r) = server.request(
        "POST",
        "/api/v1/persons/search",
        Some(&reader),
        Some(("application/json", r#"{"q":"tran duc hoa"}"#)),
    );
    assert_eq!(s, 200, "{r}");
    assert!(r.contains("001090000004"));

    // Household with members.
    let (s, h) = server.get_json("/api/v1/households/HK-1", &reader);
    assert_eq!(s, 200);
    assert_eq!(h["household"]["head_personal_id"], "038075000001");
    assert_eq!(h["members"].as_array().unwrap().len(), 3);

    // Residence events: admin/police record them, read-only may not; a bad kind is named.
    let ev = r#"{"personal_id":"038305000003","kind":"absence_declared","date":"2026-01-15","address":{"detail":"KCN VSIP, Bình Dương"}}"#;
    let path = "/api/v1/persons/038305000003/residence-events";
    assert_eq!(
        server
            .request("POST", path, Some(&reader), Some(("application/json", ev)))
            .0,
        403
    );
    let (s, b) = server.request("POST", path, Some(&admin), Some(("application/json", ev)));
    assert_eq!(s, 201, "{b}");
    let (_, evs) = server.get_json(path, &reader);
    assert_eq!(evs["events"][0]["kind"], "absence_declared");
    assert_eq!(evs["events"][0]["date"], "2026-01-15");
    let bad = r#"{"personal_id":"038305000003","kind":"moved_to_mars","date":"2026-01-15"}"#;
    let (s, b) = server.request("POST", path, Some(&admin), Some(("application/json", bad)));
    assert_eq!(s, 422, "{b}");
    assert!(b.contains("kind"), "{b}");

    // The card QR: parsed, matched, differences named; garbage names the field.
    let payload = "038305000003|||01092005|Nữ|Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa|15082021\r\n";
    let (s, b) = server.request(
        "POST",
        "/api/v1/card/qr",
        Some(&reader),
        Some(("text/plain", payload)),
    );
    assert_eq!(s, 422, "an empty name is refused: {b}");
    assert!(b.contains("full_name"), "{b}");
    let payload = "038305000003||Nguyễn Thị Thúy|01092005|Nữ|Thôn 3, Tế Lợi, Nông Cống, Thanh Hóa|15082021|extra";
    let (s, b) = server.request(
        "POST",
        "/api/v1/card/qr",
        Some(&reader),
        Some(("text/plain", payload)),
    );
    assert_eq!(s, 200, "{b}");
    let card: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(card["card"]["personal_id"], "038305000003");
    assert_eq!(card["person"]["full_name"], "Nguyễn Thị Thuý");
    assert_eq!(
        card["differences"].as_array().unwrap().len(),
        0,
        "Thúy = Thuý: {b}"
    );
    let address = card["comparison"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["field"] == "permanent_address")
        .unwrap();
    assert_eq!(
        address["verdict"], "equivalent",
        "the old Tế Lợi is now 16309: {b}"
    );
    assert_eq!(address["current_units"][0]["code"], "16309");
    let payload = "038305000003||Nguyễn Thị Thu|02092005|Nữ|Thôn 3|15082021";
    let (_, b) = server.request(
        "POST",
        "/api/v1/card/qr",
        Some(&reader),
        Some(("text/plain", payload)),
    );
    let card: serde_json::Value = serde_json::from_str(&b).unwrap();
    let fields: Vec<&str> = card["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    // "Thôn 3" alone names no commune, so the address cannot be matched either.
    assert_eq!(
        fields,
        vec!["full_name", "date_of_birth", "permanent_address"]
    );
    let (s, b) = server.request(
        "POST",
        "/api/v1/card/qr",
        Some(&reader),
        Some(("text/plain", "hello|world")),
    );
    assert_eq!(s, 422, "{b}");

    // Editing: read-only may not; police/admin may, with a reason; the history keeps both.
    let (_, current) = server.get_json("/api/v1/persons/038177000002", &admin);
    let mut record = current.clone();
    for k in ["version", "updated_at", "updated_by"] {
        record.as_object_mut().unwrap().remove(k);
    }
    record["full_name"] = "Lê Thị Hòa".into();
    let body = serde_json::json!({"version": 1, "reason": "theo giấy khai sinh", "record": record})
        .to_string();
    let (s, _) = server.request(
        "PUT",
        "/api/v1/persons/038177000002",
        Some(&reader),
        Some(("application/json", &body)),
    );
    assert_eq!(s, 403);
    let no_reason = serde_json::json!({"version": 1, "record": record}).to_string();
    let (s, b) = server.request(
        "PUT",
        "/api/v1/persons/038177000002",
        Some(&admin),
        Some(("application/json", &no_reason)),
    );
    assert_eq!(s, 422);
    assert!(b.contains("\"reason\""), "{b}");
    let mut bad = record.clone();
    bad["date_of_birth"] = "1980".into();
    let bad_body = serde_json::json!({"version": 1, "reason": "x", "record": bad}).to_string();
    let (s, b) = server.request(
        "PUT",
        "/api/v1/persons/038177000002",
        Some(&admin),
        Some(("application/json", &bad_body)),
    );
    assert_eq!(s, 422, "the ID says born 1977: {b}");
    assert!(b.contains("date_of_birth"), "{b}");
    let (s, b) = server.request(
        "PUT",
        "/api/v1/persons/038177000002",
        Some(&admin),
        Some(("application/json", &body)),
    );
    assert_eq!(s, 200, "{b}");
    let (s, _) = server.request(
        "PUT",
        "/api/v1/persons/038177000002",
        Some(&admin),
        Some(("application/json", &body)),
    );
    assert_eq!(s, 409, "a stale version is refused");
    let (_, hist) = server.get_json("/api/v1/persons/038177000002/history", &reader);
    let versions = hist["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["record"]["full_name"], "Lê Thị Hoà");
    assert_eq!(versions[1]["record"]["full_name"], "Lê Thị Hòa");
    assert_eq!(versions[1]["changed_by"], "tester");

    // Audit: labour may not read it; admin sees every access, by whom and which route.
    assert_eq!(server.get_json("/api/v1/audit", &labour).0, 403);
    let (s, a) = server.get_json("/api/v1/audit?subject=038177000002&limit=100", &admin);
    assert_eq!(s, 200);
    let records = a["records"].as_array().unwrap();
    let actions: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"person.read"), "{actions:?}");
    assert!(actions.contains(&"person.update"), "{actions:?}");
    assert!(actions.contains(&"person.history"), "{actions:?}");
    assert!(records
        .iter()
        .any(|r| r["actor"] == "reader" && r["role"] == "read-only"));
    assert!(
        records
            .iter()
            .all(|r| !r["route"].as_str().unwrap().contains("038177000002")),
        "routes are templates"
    );
    let (_, a) = server.get_json("/api/v1/audit?action=card.qr", &admin);
    assert!(a["count"].as_u64().unwrap() >= 2);

    // The OpenAPI document is served and parses.
    let (s, doc) = server.request("GET", "/api/openapi.json", None, None);
    assert_eq!(s, 200);
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["paths"]["/api/v1/card/qr"]["post"].is_object());
}

#[test]
fn an_import_with_bad_rows_writes_nothing_unless_told_to_skip_them() {
    let dir = TempDir::new("bad");
    let data = data_arg(dir.path());
    let file = write(
        dir.path(),
        "bad.csv",
        &format!(
            "{HEADERS}\n\
             038075000001,Nguyễn Văn Hùng,12/05/1975,Nam,Kinh,HK-1,Chủ hộ,Thôn 3,16309\n\
             03807500000X,Lê Thị Hoà,1977,Nữ,Kinh,HK-1,Vợ,Thôn 3,16309\n\
             038305000003,Nguyễn Thị Thuý,31/02/2005,Nữ,Kinh,HK-1,Con,Thôn 3,16309\n\
             038075000001,Nguyễn Văn Hùng,12/05/1975,Nam,Kinh,HK-1,Chủ hộ,Thôn 3,16309\n\
             001090000004,Trần Đức Hoà,03/1990,Nam,Người sao Hỏa,HK-2,Chủ hộ,Tổ 5,99999\n"
        ),
    );
    let out = xaso(&["import", "registry", "--data", &data, &file]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let report = std::fs::read_to_string(format!("{file}.errors.csv")).unwrap();
    for (line, column) in [
        ("3", "Số định danh cá nhân"),
        ("4", "Ngày sinh"),
        ("5", "Số định danh cá nhân"),
        ("6", "Dân tộc"),
        ("6", "Mã xã thường trú"),
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(&format!("{line},{column},"))),
            "no error for line {line} column {column} in:\n{report}"
        );
    }
    let export = dir.path().join("out.csv");
    ok(&xaso(&[
        "export",
        "registry",
        "--data",
        &data,
        "--out",
        export.to_str().unwrap(),
    ]));
    assert_eq!(
        std::fs::read_to_string(&export).unwrap().lines().count(),
        1,
        "only the header"
    );

    let out = xaso(&[
        "import",
        "registry",
        "--data",
        &data,
        "--skip-invalid",
        &file,
    ]);
    ok(&out);
    ok(&xaso(&[
        "export",
        "registry",
        "--data",
        &data,
        "--out",
        export.to_str().unwrap(),
    ]));
    let exported = std::fs::read_to_string(&export).unwrap();
    assert_eq!(exported.lines().count(), 2, "{exported}");
    assert!(exported.contains("038075000001,,Nguyễn Văn Hùng,,12/05/1975,Nam"));
}

#[test]
fn export_and_reimport_round_trip_the_register() {
    let dir = TempDir::new("roundtrip");
    let data = data_arg(dir.path());
    let out = xaso(&["demo", "--data", &data, "--residents", "600", "--seed", "3"]);
    ok(&out);
    let export = dir.path().join("register.csv");
    ok(&xaso(&[
        "export",
        "registry",
        "--data",
        &data,
        "--out",
        export.to_str().unwrap(),
    ]));
    let data2 = dir.path().join("data2").to_string_lossy().into_owned();
    ok(&xaso(&[
        "import",
        "registry",
        "--data",
        &data2,
        export.to_str().unwrap(),
    ]));
    let export2 = dir.path().join("register2.csv");
    ok(&xaso(&[
        "export",
        "registry",
        "--data",
        &data2,
        "--out",
        export2.to_str().unwrap(),
    ]));
    let a = std::fs::read_to_string(&export).unwrap();
    let b = std::fs::read_to_string(&export2).unwrap();
    assert!(a.lines().count() > 500);
    assert_eq!(a, b, "export → import → export changes nothing");
    // The demo wrote its sector lists too.
    let lists: Vec<_> = std::fs::read_dir(dir.path().join("data").join("lists"))
        .unwrap()
        .collect();
    assert!(lists.len() >= 7, "{lists:?}");
    // A second demo into the same register is refused rather than mixed in.
    let out = xaso(&["demo", "--data", &data, "--residents", "50"]);
    assert!(!out.status.success());
}

#[test]
fn a_killed_import_leaves_the_register_as_it_was() {
    let dir = TempDir::new("kill");
    let data = data_arg(dir.path());
    ok(&xaso(&[
        "import",
        "registry",
        "--data",
        &data,
        &small_register(dir.path()),
    ]));
    // A file big enough that the import is still running when it is killed.
    let big = dir.path().join("big.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        writeln!(w, "{HEADERS}").unwrap();
        for i in 0..200_000u32 {
            let sex = if i % 2 == 0 {
                ("Nam", '0')
            } else {
                ("Nữ", '1')
            };
            writeln!(
                w,
                "038{}90{:06},Phạm Văn Tư,1990,{},Kinh,HK-B{},Chủ hộ,Thôn 1,16309",
                sex.1, i, sex.0, i
            )
            .unwrap();
        }
    }
    let mut child = Command::new(XASO)
        .args(["import", "registry", "--data", &data, big.to_str().unwrap()])
        .env("XASO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it is writing (the database file grows), then kill it.
    let wal = dir.path().join("data").join("xaso.db-wal");
    let started = Instant::now();
    while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) < 4 << 20 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the import never started writing"
        );
        if child.try_wait().unwrap().is_some() {
            panic!("the import finished before it could be killed; make the file bigger");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let export = dir.path().join("after.csv");
    ok(&xaso(&[
        "export",
        "registry",
        "--data",
        &data,
        "--out",
        export.to_str().unwrap(),
    ]));
    assert_eq!(
        std::fs::read_to_string(&export).unwrap().lines().count(),
        5,
        "header + the 4 persons from before"
    );
    // Killed at the very end, with the indexes it dropped rebuilt but not committed: the
    // register and its indexes are as they were.
    let db = dir.path().join("data").join("xaso.db");
    let indexes = || {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let names: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'persons' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        let persons: i64 = conn
            .query_row("SELECT count(*) FROM persons", [], |r| r.get(0))
            .unwrap();
        (names, check, persons)
    };
    let before = indexes();
    assert_eq!(before.0.len(), 6, "{:?}", before.0);
    assert_eq!((before.1.as_str(), before.2), ("ok", 4));
    let out = Command::new(XASO)
        .args(["import", "registry", "--data", &data, big.to_str().unwrap()])
        .env("XASO_LOG", "warn")
        .env("XASO_TEST_ABORT_IN", "load_commit")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the hook aborts the import");
    assert_eq!(indexes(), before);

    // And the same import, run to the end, works.
    let out = xaso(&["import", "registry", "--data", &data, big.to_str().unwrap()]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported 200000 persons"));
    let after = indexes();
    assert_eq!(
        after.0, before.0,
        "the indexes dropped for the load are back"
    );
    assert_eq!((after.1.as_str(), after.2), ("ok", 200_004));
}

#[test]
fn cli_errors_name_the_flag() {
    let dir = TempDir::new("cli");
    let data = data_arg(dir.path());
    let out = xaso(&[
        "admin", "token", "create", "--data", &data, "--name", "x", "--role", "mayor",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--role"));
    let out = xaso(&[
        "import",
        "registry",
        "--data",
        &data,
        "/nonexistent/file.csv",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.csv"));
    let f = write(dir.path(), "noid.csv", "Họ và tên,Ngày sinh\nA,1990\n");
    let out = xaso(&["import", "registry", "--data", &data, &f]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Số định danh cá nhân"));
    let out = xaso(&[
        "serve",
        "--database-url",
        "mysql://x",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"));
}

/// A real .xlsx written cell by cell: text cells as inline strings, IDs and dates as numbers the
/// way Excel stores them when a clerk types them into General-format cells.
fn write_xlsx(path: &Path, rows: &[Vec<XCell>]) {
    use zip::write::SimpleFileOptions;
    let file = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(file);
    let opts = SimpleFileOptions::default();
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Danh sách" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
    ];
    for (name, content) in parts {
        z.start_file(name, opts).unwrap();
        z.write_all(content.as_bytes()).unwrap();
    }
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            let reference = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            match cell {
                XCell::T(t) => sheet.push_str(&format!(
                    "<c r=\"{reference}\" t=\"inlineStr\"><is><t>{t}</t></is></c>"
                )),
                XCell::N(n) => sheet.push_str(&format!("<c r=\"{reference}\"><v>{n}</v></c>")),
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    z.write_all(sheet.as_bytes()).unwrap();
    z.finish().unwrap();
}

enum XCell {
    T(&'static str),
    N(f64),
}

#[test]
fn an_xlsx_typed_by_hand_imports_with_ids_and_dates_repaired() {
    use XCell::{N, T};
    let dir = TempDir::new("xlsx");
    let data = data_arg(dir.path());
    let file = dir.path().join("ho-khau.xlsx");
    write_xlsx(
        &file,
        &[
            vec![
                T("STT"),
                T("HỌ VÀ TÊN"),
                T("Ngày, tháng, năm sinh"),
                T("Giới tính"),
                T("Số CCCD"),
                T("Ghi chú"),
            ],
            // The ID lost its leading zero in a number cell; the date is an Excel serial.
            vec![
                N(1.0),
                T("Nguyễn Văn Hùng"),
                N(27526.0),
                T("Nam"),
                N(38075000001.0),
                T(""),
            ],
            vec![
                N(2.0),
                T("Lê Thị Hoà"),
                T("00/00/1977"),
                T("Nữ"),
                T("038177000002"),
                T("cũ"),
            ],
            vec![
                N(3.0),
                T("Trần Đức Hoà"),
                N(1990.0),
                T("nam"),
                T("001090000004"),
                T(""),
            ],
        ],
    );
    let out = xaso(&[
        "import",
        "registry",
        "--data",
        &data,
        file.to_str().unwrap(),
    ]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("imported 3 persons"), "{stderr}");
    assert!(
        stderr.contains("columns not imported: STT, Ghi chú"),
        "{stderr}"
    );
    let export = dir.path().join("out.csv");
    ok(&xaso(&[
        "export",
        "registry",
        "--data",
        &data,
        "--out",
        export.to_str().unwrap(),
    ]));
    let exported = std::fs::read_to_string(&export).unwrap();
    // 27526 is 12 May 1975 in Excel's 1900 date system (25569 = 1 January 1970).
    assert!(
        exported.contains("038075000001,,Nguyễn Văn Hùng,,12/05/1975,Nam"),
        "{exported}"
    );
    assert!(
        exported.contains("038177000002,,Lê Thị Hoà,,1977,Nữ"),
        "{exported}"
    );
    assert!(
        exported.contains("001090000004,,Trần Đức Hoà,,1990,Nam"),
        "{exported}"
    );

    // A bad cell in a spreadsheet is reported by its row and header too.
    let bad = dir.path().join("bad.xlsx");
    write_xlsx(
        &bad,
        &[
            vec![T("Họ và tên"), T("Số định danh cá nhân"), T("Ngày sinh")],
            vec![T("Phạm Văn Tư"), T("038090000123"), T("32/13/1990")],
        ],
    );
    let out = xaso(&["import", "registry", "--data", &data, bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let report = std::fs::read_to_string(format!("{}.errors.csv", bad.display())).unwrap();
    assert!(
        report
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("2,Ngày sinh,32/13/1990,"),
        "{report}"
    );
}

/// The same binary on PostgreSQL: import, tokens, serve, lookups and audit. Ignored by default;
/// `.ci/run` runs it with `XASO_TEST_DATABASE_URL` (a server where `psql` may create databases).
#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_import_serve_and_look_up() {
    let db = PgDatabase::new("import");
    let url = db.url();
    let dir = TempDir::new("pg");
    let file = small_register(dir.path());
    let out = xaso(&["import", "registry", "--database-url", url, &file]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported 4 persons"));
    let token = ok(&xaso(&[
        "admin",
        "token",
        "create",
        "--database-url",
        url,
        "--name",
        "pg",
        "--role",
        "police",
    ]));
    let token = token.trim();

    let server = Server::start_with(&data_arg(dir.path()), &["--database-url", url]);
    server.printed_until("postgres (4 persons)");

    let path = "/api/v1/persons/038177000002";
    let (s, first) = server.request("GET", path, Some(token), None);
    assert_eq!(s, 200);
    let p: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(p["full_name"], "Lê Thị Hoà");
    assert_eq!(
        server
            .request("GET", "/api/v1/persons/038075999999", Some(token), None)
            .0,
        404
    );
    let (_, r) = server.get_json("/api/v1/persons?q=tran%20duc%20hoa", token);
    assert_eq!(r["results"][0]["personal_id"], "001090000004");
    let (_, r) = server.get_json("/api/v1/persons?q=038177000002", token);
    assert_eq!(r["results"][0]["full_name"], "Lê Thị Hoà");
    let (_, h) = server.get_json("/api/v1/households/HK-1", token);
    assert_eq!(h["members"].as_array().unwrap().len(), 3);

    // The lookups' own connections, killed under the running server: the next lookups open
    // new ones and answer the same bytes.
    let killed = Command::new("psql")
        .args([&db.admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc"])
        .arg(format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = '{}' AND application_name = 'xaso-lookup'",
            db.name
        ))
        .output()
        .unwrap();
    let killed = String::from_utf8_lossy(&killed.stdout).trim().to_string();
    assert!(killed.parse::<u32>().unwrap() >= 2, "{killed}");
    for _ in 0..8 {
        assert_eq!(
            server.request("GET", path, Some(token), None),
            (200, first.clone())
        );
    }

    let (_, a) = server.get_json("/api/v1/audit?subject=038177000002", token);
    assert_eq!(a["records"][0]["actor"], "pg");
    // Every access to the person was audited: 9 lookups, the search, the household.
    assert_eq!(a["records"].as_array().unwrap().len(), 11, "{a}");
    drop(server);
}

#[test]
fn no_personal_data_is_served_while_the_audit_log_cannot_be_written() {
    let dir = TempDir::new("failclosed");
    let data = data_arg(dir.path());
    ok(&xaso(&[
        "import",
        "registry",
        "--data",
        &data,
        &small_register(dir.path()),
    ]));
    let token = token(&data, "desk-1", "desk");
    let server = Server::start(&data);
    let path = "/api/v1/persons/038075000001";
    assert_eq!(server.request("GET", path, Some(&token), None).0, 200);

    // Break the audit log for real: its table disappears under the running server.
    let audit_db = dir.path().join("data").join("xaso.audit.db");
    let conn = rusqlite::Connection::open(&audit_db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let schema: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'audit'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch("DROP TABLE audit").unwrap();
    // The first access after the break is the one whose commit fails; from then on, refusals.
    let _ = server.request("GET", path, Some(&token), None);
    let started = Instant::now();
    loop {
        let (status, body) = server.request("GET", path, Some(&token), None);
        if status == 503 {
            assert!(body.contains("audit"), "{body}");
            assert!(
                !body.contains("Nguyễn"),
                "no personal data in a refusal: {body}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still serving: {status}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Repaired, the retry commits what was kept and service resumes.
    conn.execute_batch(&schema).unwrap();
    let started = Instant::now();
    while server.request("GET", path, Some(&token), None).0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never recovered"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The access whose commit failed is in the log after the repair (retried, not dropped),
    // beside the access that found the service back.
    let count = || -> i64 {
        conn.query_row(
            "SELECT count(*) FROM audit WHERE subject = '038075000001'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let started = Instant::now();
    while count() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the record that failed to commit was dropped: {} in the log",
            count()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whatever a client sends, the API answers with data or with an error naming the input:
/// never a server error, never a dropped connection.
#[test]
fn arbitrary_input_gets_an_answer_or_a_named_error() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let dir = TempDir::new("fuzz");
    let data = data_arg(dir.path());
    ok(&xaso(&[
        "import",
        "registry",
        "--data",
        &data,
        &small_register(dir.path()),
    ]));
    let token = token(&data, "fuzzer", "police");
    let server = Server::start(&data);
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let mut runner = TestRunner::new(Config {
        cases: 150,
        ..Config::default()
    });
    let payloads = prop_oneof![
        "\\PC{0,80}",
        "[0-9]{0,14}(\\|[^|]{0,20}){0,9}",
        "0[0-9]{11}\\|[0-9]{0,9}\\|[A-Za-zÀ-ỹ ]{0,20}\\|[0-9]{8}\\|(Nam|Nữ|X)\\|[^|]{0,20}\\|[0-9]{0,8}",
    ];
    runner
        .run(&payloads, |payload| {
            let (status, body) = server.request(
                "POST",
                "/api/v1/card/qr",
                Some(&token),
                Some(("text/plain", &payload)),
            );
            prop_assert!(
                status == 200 || status == 422,
                "{status} for {payload:?}: {body}"
            );
            if status == 422 {
                let e: serde_json::Value = serde_json::from_str(&body).unwrap();
                prop_assert!(e["error"]["field"].is_string(), "{body}");
            }
            let (status, body) = server.request(
                "GET",
                &format!("/api/v1/persons?q={}", encode(&payload)),
                Some(&token),
                None,
            );
            prop_assert!(
                status == 200 || status == 422,
                "{status} for q={payload:?}: {body}"
            );
            Ok(())
        })
        .unwrap();
    let bodies = prop_oneof![
        "\\PC{0,60}",
        Just("{}".to_string()),
        Just(r#"{"version":1,"reason":"x","record":{}}"#.to_string()),
        Just(r#"{"version":"1","reason":"x","record":{"personal_id":"038075000001","full_name":"A"}}"#.to_string()),
        Just(r#"{"version":1,"reason":"x","record":{"personal_id":"038075000001","full_name":"A","date_of_birth":"31/02/1975"}}"#.to_string()),
    ];
    runner
        .run(&bodies, |body| {
            let (status, answer) = server.request(
                "PUT",
                "/api/v1/persons/038075000001",
                Some(&token),
                Some(("application/json", &body)),
            );
            prop_assert!(
                status == 200 || status == 409 || status == 422 || status == 415 || status == 400,
                "{status} for {body:?}: {answer}"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_calendar_from_the_command_line() {
    let out = ok(&xaso(&["calendar", "holidays", "--year", "2030"]));
    let days: Vec<&str> = out.lines().collect();
    assert!(
        days.iter().all(|d| d.len() == 10 && d.starts_with("2030-")),
        "{out}"
    );
    let mut sorted = days.clone();
    sorted.sort();
    assert_eq!(days, sorted, "one ISO date a line, in order");
    // Tết 2030 is 2 February in Viet Nam (3 February by the Chinese calendar), so the last day
    // of the lunar year, 1 February, is off; Hùng Kings' day is 12 April; the fixed holidays.
    for day in [
        "2030-01-01",
        "2030-02-01",
        "2030-02-02",
        "2030-04-12",
        "2030-04-30",
        "2030-05-01",
        "2030-09-02",
    ] {
        assert!(days.contains(&day), "{day} missing from {out}");
    }

    // Monday 23 November 2026, 10:00, one working day: Tuesday 24/11 is Vietnam Culture Day.
    let due = ok(&xaso(&[
        "calendar",
        "due",
        "--received",
        "2026-11-23T10:00",
        "--working-days",
        "1",
    ]));
    assert_eq!(due, "2026-11-25\n");
    // Within the day, received Friday after 15:00: the next working day.
    let due = ok(&xaso(&[
        "calendar",
        "due",
        "--received",
        "2026-11-27T16:00",
        "--working-days",
        "0",
    ]));
    assert_eq!(due, "2026-11-30\n");
    let bad = xaso(&[
        "calendar",
        "due",
        "--received",
        "27/11/2026",
        "--working-days",
        "1",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--received"));
    let bad = xaso(&["calendar", "holidays", "--year", "99999"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--year"));
}

/// The home page in a real browser: headless Chromium through chromedriver (`tests/webdriver`).
#[test]
#[ignore = "needs chromedriver; .ci/run runs it"]
fn browser_smoke() {
    let Some(browser) = webdriver::Browser::start_or_skip() else {
        return;
    };
    let dir = TempDir::new("browser");
    let server = Server::start(&data_arg(dir.path()));
    browser.goto(&format!("http://{}/", server.addr));
    let html = browser.find("html");
    let lang = html.attr("lang").unwrap_or_default();
    assert!(!lang.is_empty(), "<html lang> is set");
    assert!(!browser.title().trim().is_empty(), "the page has a title");
    assert!(
        !browser.find("body").text().trim().is_empty(),
        "something visible on {}",
        browser.current_url()
    );
    let shot = webdriver::screenshot_dir().join("smoke.png");
    let png = browser.screenshot_png(&shot);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    eprintln!("screenshot: {}", shot.display());
}
