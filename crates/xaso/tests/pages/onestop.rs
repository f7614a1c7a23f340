//! The one-stop shop from the pages, over HTTP, on the demo commune: the desk receives an
//! interlinked group with the form prefilled from the register, prints the receipt, the
//! citizen follows it on the public status page, the handling officers do their steps, and
//! completing a step changes the register in the same transaction as the dossier (also when
//! the server dies in the middle); the indicators and the audit log count it all.

use std::time::{Duration, Instant};

use super::*;

/// The tag of a register field on the e-form.
const FROM_REGISTER: &str = "từ CSDL dân cư";

/// A demo commune (Xã Thắng Lợi, commune code set) with a desk officer and the three handling
/// officers, not yet served: (temp dir, data dir, backend, admin API token, one-time passwords
/// by login).
struct Commune {
    dir: TempDir,
    data: String,
    backend: Backend,
    admin: String,
    otps: HashMap<&'static str, String>,
}

const DESK: &str = "mot.cua";
const JUSTICE: &str = "tu.phap";
const POLICE: &str = "cong.an";
const LABOUR: &str = "lao.dong";

/// The demo commune on SQLite.
fn commune(tag: &str) -> Commune {
    commune_on(tag, Backend::Sqlite)
}

/// The demo commune on `backend` (its lists, such as the card samples, in the data directory).
fn commune_on(tag: &str, backend: Backend) -> Commune {
    let dir = TempDir::new(tag);
    let data = data_arg(dir.path());
    let store = backend.args();
    let mut demo = vec!["demo", "--data", &data, "--residents", "600", "--seed", "3"];
    demo.extend_from_slice(&store);
    ok(&xaso(&demo));
    let admin = token_with(&data, &store, "tester", "admin");
    let mut otps = HashMap::new();
    for (login, role) in [
        (DESK, "desk"),
        (JUSTICE, "justice"),
        (POLICE, "police"),
        (LABOUR, "labour"),
    ] {
        otps.insert(login, officer_with(&data, &store, login, role));
    }
    Commune {
        dir,
        data,
        backend,
        admin,
        otps,
    }
}

impl Commune {
    /// `xaso serve` on the commune's data and backend (which it says it uses).
    fn serve(&self) -> Server {
        let server = Server::start_with(&self.data, &self.backend.args());
        server.printed_until(&format!("database: {} (", self.backend.name()));
        server
    }

    /// The card QR payloads the demo wrote for the desk, one per card.
    fn card_payloads(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("data/lists/card-qr-samples.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// An officer's browser, logged in (first login: the one-time password is changed).
    fn staff(&self, server: &Server, login: &str) -> Client {
        let mut c = Client::new(server);
        c.first_login(login, &self.otps[login], PASSWORD);
        c
    }

    /// How many persons the register holds, from `xaso export registry`.
    fn register_size(&self) -> usize {
        let out = self.dir.path().join("count.csv");
        let mut args = vec![
            "export",
            "registry",
            "--data",
            &self.data,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(self.backend.args());
        ok(&xaso(&args));
        std::fs::read_to_string(&out).unwrap().lines().count() - 1
    }

    /// A card whose holder is a married woman with a household and a spouse in the register:
    /// (payload, her record, her spouse's record).
    fn mother_card(&self, server: &Server) -> (String, serde_json::Value, serde_json::Value) {
        for payload in self.card_payloads() {
            let id = payload.split('|').next().unwrap();
            let (s, p) = server.get_json(&format!("/api/v1/persons/{id}"), &self.admin);
            if s != 200
                || p["sex"] != "female"
                || !p["household_id"].is_string()
                || !p["death_date"].is_null()
            {
                continue;
            }
            let Some(spouse) = p["spouse"]["personal_id"].as_str() else {
                continue;
            };
            let (s, husband) = server.get_json(&format!("/api/v1/persons/{spouse}"), &self.admin);
            if s == 200 && husband["death_date"].is_null() {
                return (payload, p, husband);
            }
        }
        panic!("no card of a married woman with a household among the demo's samples");
    }

    fn person(&self, server: &Server, id: &str) -> serde_json::Value {
        let (s, p) = server.get_json(&format!("/api/v1/persons/{id}"), &self.admin);
        assert_eq!(s, 200, "GET /api/v1/persons/{id}: {p}");
        p
    }
}

/// Today in Viet Nam, `days` days ago, as the forms write dates (dd/mm/yyyy), and as ISO.
fn local_day(days_ago: i64) -> (String, String) {
    let offset = time::UtcOffset::from_hms(7, 0, 0).unwrap();
    let d =
        time::OffsetDateTime::now_utc().to_offset(offset).date() - time::Duration::days(days_ago);
    (
        format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()),
        d.to_string(),
    )
}

/// The value of the attribute `name` in an opening tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[at..].find('"')?;
    Some(unescape(&tag[at..at + len]))
}

/// The text of the element with `id` up to its first child tag (for `<dd id=..>text</dd>`).
fn text_of(body: &str, id: &str) -> Option<String> {
    let at = body.find(&format!("id=\"{id}\""))?;
    let start = at + body[at..].find('>')? + 1;
    let len = body[start..].find('<')?;
    Some(unescape(body[start..start + len].trim()))
}

/// The table row (`<tr>…</tr>`) that contains `needle`.
fn row_with<'a>(body: &'a str, needle: &str) -> &'a str {
    let at = body
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in the page"));
    let start = body[..at].rfind("<tr").unwrap();
    let end = at + body[at..].find("</tr>").unwrap();
    &body[start..end]
}

/// The fields the e-form (`form.eform`) would post as it stands: every input's value and every
/// select's chosen option, in page order.
fn eform_fields(body: &str) -> Vec<(String, String)> {
    let start = body
        .find("<form class=\"sheet eform\"")
        .expect("the e-form on the page");
    let form = &body[start..start + body[start..].find("</form>").unwrap()];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        if tag.starts_with("<input ") {
            if let Some(name) = attr(tag, "name") {
                out.push((name, attr(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<select ") {
            let close = rest.find("</select>").unwrap();
            let chosen = rest[..close]
                .split("<option")
                .skip(1)
                .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
                .and_then(|o| attr(&o[..o.find('>').unwrap()], "value"))
                .unwrap_or_default();
            out.push((attr(tag, "name").unwrap(), chosen));
            rest = &rest[close..];
            continue;
        }
        rest = &rest[end..];
    }
    out
}

/// Whether the e-form field `key` carries the "from the register" tag.
fn from_register(body: &str, key: &str) -> bool {
    let label = format!("<label for=\"f_{key}\">");
    let Some(at) = body.find(&label) else {
        return false;
    };
    let div = &body[body[..at].rfind("<div").unwrap()..at];
    let end = at + body[at..].find("</label>").unwrap();
    div.contains("from-register") && body[at..end].contains(FROM_REGISTER)
}

/// The field errors the e-form shows.
fn field_errors(body: &str) -> Vec<String> {
    body.split("<small class=\"error\">")
        .skip(1)
        .map(|s| unescape(&s[..s.find('<').unwrap()]))
        .collect()
}

/// The text of the page's error notice.
fn error_notice(body: &str) -> Option<String> {
    let at = body.find("class=\"notice error\"")?;
    let start = at + body[at..].find('>')? + 1;
    Some(unescape(&body[start..start + body[start..].find('<')?]))
}

/// `reused/total` of the page's reuse count.
fn reuse(body: &str) -> (usize, usize) {
    let text = text_of(body, "reuse").expect("the reuse count");
    let (a, b) = text.split_once('/').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

impl Client {
    /// Step 1 of receiving: the applicant (an ID or a scanned card) and the procedure, with
    /// other parties; returns step 2, the prefilled e-form.
    fn start_dossier(
        &mut self,
        applicant: &str,
        procedure: &str,
        parties: &[(&str, &str)],
    ) -> Answer {
        let page = self.get("/dossiers/new");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"applicant\""), "{}", page.body);
        assert!(
            page.body.contains(&format!("value=\"{procedure}\"")),
            "{procedure} offered on step 1"
        );
        let csrf = page.input_value("csrf").unwrap();
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("applicant", applicant),
            ("procedure", procedure),
        ];
        fields.extend_from_slice(parties);
        let a = self.post("/dossiers/new", &fields);
        assert_eq!(a.status, 200, "step 2 of {procedure}: {}", a.body);
        assert!(a.body.contains("<form class=\"sheet eform\""), "{}", a.body);
        a
    }

    /// Posts the e-form of `step2` with `fill` replacing the values of those fields.
    fn submit_dossier(&mut self, step2: &Answer, fill: &[(&str, &str)]) -> Answer {
        let mut fields = eform_fields(&step2.body);
        for (k, v) in fill {
            match fields.iter_mut().find(|(n, _)| n == k) {
                Some(f) => f.1 = v.to_string(),
                None => panic!("no field {k} on the e-form"),
            }
        }
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post("/dossiers", &refs)
    }

    /// Takes `action` on the dossier `receipt` from its page, with the form's other fields;
    /// the page must offer the action's button. Returns the answer to the POST.
    fn act(&mut self, receipt: &str, action: &str, extra: &[(&str, &str)]) -> Answer {
        let page = self.get(&format!("/dossiers/{receipt}"));
        assert_eq!(page.status, 200, "GET /dossiers/{receipt}: {}", page.body);
        assert!(
            page.body.contains(&format!("data-action=\"{action}\"")),
            "the page of {receipt} offers {action}: {}",
            text_of(&page.body, "state").unwrap_or_default()
        );
        let csrf = page.input_value("csrf").unwrap();
        let mut fields = vec![("csrf", csrf.as_str()), ("action", action)];
        fields.extend_from_slice(extra);
        self.post(&format!("/dossiers/{receipt}/act"), &fields)
    }

    /// `act`, which must succeed (303 back to the dossier).
    fn act_ok(&mut self, receipt: &str, action: &str, extra: &[(&str, &str)]) {
        let a = self.act(receipt, action, extra);
        assert_eq!(
            (a.status, a.location()),
            (303, format!("/dossiers/{receipt}").as_str()),
            "{action} on {receipt}: {}",
            a.body
        );
    }

    /// The state shown on a dossier's page.
    fn state_of(&mut self, receipt: &str) -> String {
        let page = self.get(&format!("/dossiers/{receipt}"));
        assert_eq!(page.status, 200, "{}", page.body);
        text_of(&page.body, "state").expect("#state")
    }

    /// The same browser against another server (a restart on the same data: sessions live in
    /// the store, so the cookies still hold).
    fn to(&self, server: &Server) -> Client {
        Client {
            addr: server.addr.clone(),
            cookies: self.cookies.clone(),
        }
    }

    /// A POST that may get no answer (the server dies): the status, or why there was none.
    fn try_post(&self, path: &str, fields: &[(&str, &str)]) -> Result<u16, String> {
        let body = form_encode(fields);
        let jar: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut stream = TcpStream::connect(&self.addr).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nCookie: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            jar.join("; "),
            body.len()
        );
        stream
            .write_all(req.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
        let head = String::from_utf8_lossy(&raw);
        head.split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("no HTTP answer ({} bytes)", raw.len()))
    }
}

impl Server {
    /// Waits (up to `timeout`) for the server process to end; its exit status.
    fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What a birth group's form declares (the rest comes from the register).
struct Birth {
    child: &'static str,
    born: String,
    born_iso: String,
}

impl Birth {
    fn new() -> Birth {
        let (born, born_iso) = local_day(3);
        Birth {
            child: "Phạm Minh Khang",
            born,
            born_iso,
        }
    }

    fn fill(&self) -> Vec<(&'static str, String)> {
        vec![
            ("f_applicant_relation", "mother".into()),
            ("f_applicant_phone", "0912345678".into()),
            ("f_child_full_name", self.child.into()),
            ("f_child_sex", "Nam".into()),
            ("f_child_date_of_birth", self.born.clone()),
            ("f_child_birth_place", "Trạm Y tế xã Thắng Lợi".into()),
            ("f_child_home_town", "Xã Thắng Lợi, Tỉnh Thanh Hóa".into()),
            ("f_child_ethnicity", "01".into()),
            ("f_child_nationality", "Việt Nam".into()),
            ("f_child_relation_to_head", "Con".into()),
            ("f_initial_health_facility", "Trạm Y tế xã Thắng Lợi".into()),
        ]
    }
}

fn refs<'a>(fill: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    fill.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The desk receives a birth group for the card's holder; the receipt number.
fn receive_birth(desk: &mut Client, payload: &str, birth: &Birth) -> String {
    let step2 = desk.start_dossier(payload, "birth-group", &[]);
    let fill = birth.fill();
    let a = desk.submit_dossier(&step2, &refs(&fill));
    assert_eq!(a.status, 303, "{:?}", field_errors(&a.body));
    receipt_of(&a)
}

/// The receipt number of the redirect to a receipt page.
fn receipt_of(a: &Answer) -> String {
    let receipt = a
        .location()
        .strip_prefix("/dossiers/")
        .and_then(|r| r.strip_suffix("/receipt"))
        .unwrap_or_else(|| panic!("a redirect to the receipt: {:?}", a.location()))
        .to_string();
    // The commune code, the day (YYMMDD) and a serial.
    let parts: Vec<&str> = receipt.split('-').collect();
    assert!(
        parts.len() == 3
            && parts[0] == "16309"
            && parts[1].len() == 6
            && parts[2].len() == 4
            && receipt.chars().all(|c| c.is_ascii_digit() || c == '-'),
        "receipt number {receipt:?}"
    );
    receipt
}

/// The personal ID in a birth step's result ("… cấp số định danh cá nhân NNNNNNNNNNNN").
fn issued_id(page: &str) -> String {
    let result = text_of(page, "result").expect("#result on the birth step");
    let id = result
        .rsplit(' ')
        .next()
        .filter(|w| w.len() == 12 && w.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("a personal ID at the end of the result: {result:?}"));
    assert!(
        result.contains("cấp số định danh cá nhân"),
        "the result says an ID was issued: {result:?}"
    );
    id.to_string()
}

fn audit_reasons(server: &Server, admin: &str, action: &str) -> Vec<String> {
    let (s, log) = server.get_json(&format!("/api/v1/audit?action={action}&limit=500"), admin);
    assert_eq!(s, 200, "{log}");
    log["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_birth_group_from_the_desk_to_the_register() {
    birth_group(Backend::Sqlite);
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_the_birth_group_from_the_desk_to_the_register() {
    birth_group(Backend::postgres("birth"));
}

/// The birth group from the desk to the register, on `backend`.
fn birth_group(backend: Backend) {
    let town = commune_on("onestop-birth", backend);
    let server = town.serve();
    let (payload, mother, father) = town.mother_card(&server);
    let mother_id = mother["personal_id"].as_str().unwrap().to_string();
    let mother_name = mother["full_name"].as_str().unwrap().to_string();
    let household = mother["household_id"].as_str().unwrap().to_string();
    let mut desk = town.staff(&server, DESK);
    let mut justice = town.staff(&server, JUSTICE);
    let mut police = town.staff(&server, POLICE);
    let mut labour = town.staff(&server, LABOUR);
    let persons_before = town.register_size();

    // The desk scans the mother's card into the applicant box and picks the birth group: the
    // parents' data come from the register, tagged as such.
    let step2 = desk.start_dossier(&payload, "birth-group", &[]);
    let prefilled = |key: &str| step2.input_value(&format!("f_{key}")).unwrap_or_default();
    assert_eq!(prefilled("mother_full_name"), mother_name);
    assert_eq!(prefilled("mother_personal_id"), mother_id);
    assert_eq!(
        prefilled("father_full_name"),
        father["full_name"].as_str().unwrap()
    );
    assert_eq!(
        prefilled("father_personal_id"),
        father["personal_id"].as_str().unwrap()
    );
    assert_eq!(prefilled("household_id"), household);
    for key in ["mother_full_name", "father_full_name", "household_id"] {
        assert!(
            from_register(&step2.body, key),
            "{key} is tagged «{FROM_REGISTER}»"
        );
    }
    assert!(
        prefilled("child_full_name").is_empty() && !from_register(&step2.body, "child_full_name"),
        "the child is declared, not prefilled"
    );
    let (reused, total) = reuse(&step2.body);
    assert!(
        total > 0 && reused * 5 >= total,
        "at least 20% of the fields come from the register: {reused}/{total}"
    );

    // Submitted without the declared fields: every missing one is named, nothing is stored.
    let a = desk.submit_dossier(&step2, &[]);
    assert_eq!(a.status, 422, "{}", a.body);
    let errors = field_errors(&a.body);
    assert!(
        errors.iter().any(|e| e.contains("tên của trẻ")),
        "the child's name is required: {errors:?}"
    );
    assert!(errors.len() >= 5, "each missing field named: {errors:?}");
    assert_eq!(
        a.input_value("f_mother_full_name").as_deref(),
        Some(mother_name.as_str()),
        "the refused form keeps the register's values"
    );
    assert!(
        !desk.get("/dossiers").body.contains("/dossiers/16309-"),
        "a refused form stores no dossier"
    );

    // With them: the receipt, with its status code and QR, ready to print.
    let birth = Birth::new();
    let fill = birth.fill();
    let a = desk.submit_dossier(&step2, &refs(&fill));
    assert_eq!(a.status, 303, "{:?}", field_errors(&a.body));
    let group = receipt_of(&a);
    let receipt = desk.get(a.location());
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert_eq!(
        text_of(&receipt.body, "receipt-number").as_deref(),
        Some(group.as_str())
    );
    let code = text_of(&receipt.body, "status-code").unwrap();
    assert!(
        code.len() >= 8 && code.chars().all(|c| c.is_ascii_alphanumeric()),
        "status code {code:?}"
    );
    assert!(
        !text_of(&receipt.body, "due").unwrap().is_empty(),
        "a due date"
    );
    let qr = &receipt.body[receipt.body.find("id=\"status-qr\"").expect("#status-qr")..];
    assert!(
        qr[..qr.find("</figure>").unwrap()].contains("<svg"),
        "the status QR is inline SVG"
    );
    assert!(
        !receipt.body.contains("<?xml"),
        "no XML declaration inside the HTML page"
    );
    assert!(receipt.body.contains("data-print"), "a print button");
    assert!(
        receipt.body.contains(&mother_name),
        "the applicant is named on the receipt"
    );

    // The public status page: with the printed code, the status; without it or with a wrong
    // one, the same 404 as for a receipt number that does not exist, and nothing personal.
    let mut citizen = Client::new(&server);
    let public = citizen.get(&format!("/tra-cuu?so={group}&ma={code}"));
    assert_eq!(public.status, 200, "{}", public.body);
    assert!(!text_of(&public.body, "public-state").unwrap().is_empty());
    let personal = [
        mother_name.as_str(),
        mother_id.as_str(),
        birth.child,
        household.as_str(),
        father["full_name"].as_str().unwrap(),
    ];
    for p in personal {
        assert!(!public.body.contains(p), "no {p:?} on the public page");
    }
    let wrong = citizen.get(&format!("/tra-cuu?so={group}&ma=WRONGCODE1"));
    let missing = citizen.get(&format!("/tra-cuu?so={group}"));
    let unknown = citizen.get("/tra-cuu?so=16309-000101-9999&ma=WRONGCODE1");
    for (what, a) in [("wrong", &wrong), ("no", &missing), ("unknown", &unknown)] {
        assert_eq!(a.status, 404, "{what} code: {}", a.body);
        assert!(a.body.contains("Không tìm thấy hồ sơ"), "{}", a.body);
        assert!(
            !a.body.contains("id=\"public-state\""),
            "{what} code shows no state"
        );
        for p in personal {
            assert!(!a.body.contains(p), "{what} code: no {p:?}");
        }
    }
    assert_eq!(
        wrong.body.replace(&group, "X"),
        unknown.body.replace("16309-000101-9999", "X"),
        "a wrong code and an unknown receipt number look the same"
    );

    // The group's page: three steps with their own receipt numbers and roles.
    let page = desk.get(&format!("/dossiers/{group}"));
    assert_eq!(page.status, 200);
    let steps = &page.body[page.body.find("id=\"steps\"").expect("#steps")..];
    let (birth_step, residence_step, card_step) = (
        format!("{group}-1"),
        format!("{group}-2"),
        format!("{group}-3"),
    );
    for (step, procedure) in [
        (&birth_step, "Đăng ký khai sinh"),
        (&residence_step, "Đăng ký thường trú"),
        (&card_step, "bảo hiểm y tế"),
    ] {
        let row = row_with(steps, &format!("href=\"/dossiers/{step}\""));
        assert!(row.contains(procedure), "{step} is {procedure}: {row}");
    }

    // The desk assigns each step to an officer of its role (only those are offered).
    let birth_page = desk.get(&format!("/dossiers/{birth_step}"));
    assert!(birth_page
        .body
        .contains(&format!("<option value=\"{JUSTICE}\"")));
    assert!(!birth_page
        .body
        .contains(&format!("<option value=\"{POLICE}\"")));
    desk.act_ok(&birth_step, "assign", &[("officer", JUSTICE)]);
    desk.act_ok(&residence_step, "assign", &[("officer", POLICE)]);
    desk.act_ok(&card_step, "assign", &[("officer", LABOUR)]);
    assert_eq!(
        police.get(&format!("/dossiers/{birth_step}")).status,
        403,
        "the police do not see the justice step"
    );
    // A land officer has no step in the group: neither the group nor its steps.
    let land_otp = officer_with(&town.data, &town.backend.args(), "dia.chinh", "land");
    let mut land = Client::new(&server);
    land.first_login("dia.chinh", &land_otp, PASSWORD);
    for r in [&group, &birth_step] {
        assert_eq!(land.get(&format!("/dossiers/{r}")).status, 403, "{r}");
    }
    assert_eq!(
        police.get(&format!("/dossiers/{group}")).status,
        200,
        "the police have a step"
    );

    // The police cannot register the child's residence before the birth is registered.
    police.act_ok(&residence_step, "start", &[]);
    let refused = police.act(&residence_step, "approve", &[]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("Đăng ký khai sinh") && refused.body.contains("chưa được phê duyệt"),
        "the refusal names the step it waits for: {:?}",
        error_notice(&refused.body)
    );
    assert_eq!(
        police.state_of(&residence_step),
        "Đang xử lý",
        "still processing"
    );
    assert_eq!(
        town.register_size(),
        persons_before,
        "the refusal changed nothing"
    );

    // Justice registers the birth: the child is in the register with a new personal ID.
    justice.act_ok(&birth_step, "start", &[]);
    justice.act_ok(&birth_step, "approve", &[]);
    let page = justice.get(&format!("/dossiers/{birth_step}"));
    let child_id = issued_id(&page.body);
    assert!(
        child_id.starts_with("038")
            && &child_id[3..4] == "2"
            && child_id[4..6] == birth.born_iso[2..4],
        "Thanh Hóa's code, a boy born in the 2000s, the year of birth: {child_id}"
    );
    assert!(
        page.body.contains("Sổ hộ tịch") && page.body.contains(birth.child),
        "the entry in the birth book is shown"
    );
    assert_eq!(town.register_size(), persons_before + 1);
    let child = town.person(&server, &child_id);
    assert_eq!(child["full_name"], birth.child);
    assert_eq!(child["date_of_birth"], birth.born_iso.as_str());
    assert_eq!(child["sex"], "male");
    assert_eq!(child["mother"]["personal_id"], mother_id.as_str());
    assert_eq!(child["father"]["personal_id"], father["personal_id"]);
    assert!(child["household_id"].is_null(), "no residence yet: {child}");

    // Now the police register the child's permanent residence in the mother's household.
    police.act_ok(&residence_step, "approve", &[]);
    let child = town.person(&server, &child_id);
    assert_eq!(child["household_id"], household.as_str(), "{child}");
    assert_eq!(child["relation_to_head"], "Con");
    assert_eq!(child["permanent_address"], mother["permanent_address"]);

    // Labour issues the card; everyone marks the result ready; the desk returns all three
    // with the citizen's rating.
    labour.act_ok(&card_step, "start", &[]);
    labour.act_ok(&card_step, "approve", &[]);
    let page = labour.get(&format!("/dossiers/{card_step}"));
    assert!(
        text_of(&page.body, "result").unwrap().contains(&child_id),
        "the card's number is the child's ID"
    );
    justice.act_ok(&birth_step, "result-ready", &[]);
    police.act_ok(&residence_step, "result-ready", &[]);
    labour.act_ok(&card_step, "result-ready", &[]);
    for step in [&birth_step, &residence_step, &card_step] {
        desk.act_ok(step, "return", &[("rating", "5")]);
        assert_eq!(desk.state_of(step), "Đã trả kết quả");
    }
    assert_eq!(desk.state_of(&group), "Đã trả đủ kết quả");
    assert_eq!(town.register_size(), persons_before + 1, "one child, once");

    // The indicators: received and finished today, so early or on time, never open or late;
    // and the rating counts for satisfaction.
    let a = desk.get("/indicators.json");
    assert_eq!(a.status, 200, "{}", a.body);
    let json: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    let bucket = |name: &str| -> Vec<String> {
        json["timeliness"][name]
            .as_array()
            .unwrap_or_else(|| panic!("bucket {name} in {}", json["timeliness"]))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let finished: Vec<&str> = ["finished-early", "finished-on-time"]
        .into_iter()
        .filter(|b| bucket(b).contains(&group))
        .collect();
    assert_eq!(finished.len(), 1, "finished once: {}", json["timeliness"]);
    for b in [
        "finished-late",
        "open-within-deadline",
        "open-overdue",
        "withdrawn",
    ] {
        assert!(!bucket(b).contains(&group), "{group} not in {b}");
    }
    for b in ["finished-early", "finished-on-time", "finished-late"] {
        assert!(
            !bucket(b)
                .iter()
                .any(|r| r.starts_with(&format!("{group}-"))),
            "a group counts once, not by its steps: {}",
            json["timeliness"]
        );
    }
    let indicator = |key: &str| -> serde_json::Value {
        json["report"]["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap_or_else(|| panic!("indicator {key}"))
            .clone()
    };
    let satisfaction = indicator("dossier-satisfaction");
    for ids in ["numerator_ids", "denominator_ids"] {
        assert!(
            satisfaction[ids]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == group.as_str()),
            "the rated group counts in the satisfaction indicator's {ids}: {satisfaction}"
        );
    }
    assert!(
        indicator("data-reuse")["numerator_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == group.as_str()),
        "the group reused register data"
    );
    let page = desk.get("/indicators");
    assert_eq!(page.status, 200);
    let row = row_with(&page.body, &format!("data-bucket=\"{}\"", finished[0]));
    assert!(
        row.contains(&group),
        "the page lists {group} under {}",
        finished[0]
    );

    // The citizen rates the returned group once, on the public page.
    let public = citizen.get(&format!("/tra-cuu?so={group}&ma={code}"));
    assert!(
        public.body.contains("action=\"/tra-cuu/danh-gia\""),
        "the rating form"
    );
    let rate = [
        ("so", group.as_str()),
        ("ma", code.as_str()),
        ("rating", "4"),
    ];
    let a = citizen.post("/tra-cuu/danh-gia", &rate);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("Cảm ơn"), "{}", a.body);
    let a = citizen.post("/tra-cuu/danh-gia", &rate);
    assert!(
        a.body.contains("đã được đánh giá"),
        "rated once: {}",
        a.body
    );
    let a = citizen.post(
        "/tra-cuu/danh-gia",
        &[
            ("so", group.as_str()),
            ("ma", "WRONGCODE1"),
            ("rating", "1"),
        ],
    );
    assert_eq!(a.status, 404, "no rating without the code");

    // The audit log has the receiving and every action, the refused one marked.
    let received = audit_reasons(&server, &town.admin, "dossier.receive");
    assert!(
        received
            .iter()
            .any(|r| r.starts_with(&group) && r.contains("birth-group")),
        "{received:?}"
    );
    let acts = audit_reasons(&server, &town.admin, "dossier.act");
    for expected in [
        format!("{birth_step} assign"),
        format!("{birth_step} approve"),
        format!("{residence_step} approve (refused)"),
        format!("{residence_step} approve"),
        format!("{card_step} return the result"),
    ] {
        assert!(
            acts.contains(&expected),
            "{expected:?} in the audit log: {acts:?}"
        );
    }
}

#[test]
fn the_death_group_records_the_death_and_deletes_the_residence() {
    death_group(Backend::Sqlite);
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_the_death_group_records_the_death_and_deletes_the_residence() {
    death_group(Backend::postgres("death"));
}

/// The death group records the death and deletes the residence, on `backend`.
fn death_group(backend: Backend) {
    let town = commune_on("onestop-death", backend);
    let server = town.serve();
    // The deceased: a married woman who is not the head of her household; her husband applies.
    let (_, deceased, husband) = town.mother_card(&server);
    let deceased_id = deceased["personal_id"].as_str().unwrap().to_string();
    let household = deceased["household_id"].as_str().unwrap().to_string();
    let (s, h) = server.get_json(&format!("/api/v1/households/{household}"), &town.admin);
    assert_eq!(s, 200, "{h}");
    assert_ne!(h["household"]["head_personal_id"], deceased_id.as_str());
    let mut desk = town.staff(&server, DESK);
    let mut justice = town.staff(&server, JUSTICE);
    let mut police = town.staff(&server, POLICE);
    let mut labour = town.staff(&server, LABOUR);

    let step2 = desk.start_dossier(
        husband["personal_id"].as_str().unwrap(),
        "death-group",
        &[("party_Deceased", &deceased_id)],
    );
    assert_eq!(
        step2.input_value("f_deceased_full_name").as_deref(),
        deceased["full_name"].as_str()
    );
    assert_eq!(
        step2.input_value("f_deceased_personal_id").as_deref(),
        Some(deceased_id.as_str())
    );
    assert!(from_register(&step2.body, "deceased_full_name"));
    let (died, died_iso) = local_day(2);
    let a = desk.submit_dossier(
        &step2,
        &[
            ("f_applicant_relation", "spouse"),
            ("f_death_date", &died),
            ("f_death_place", "Tại nhà riêng, xã Thắng Lợi"),
            ("f_death_cause", "Bệnh già"),
            ("f_death_notice_number", "GBT-2026-042"),
            ("f_beneficiary_category", "other"),
            ("f_payment_method", "cash"),
        ],
    );
    assert_eq!(a.status, 303, "{:?}", field_errors(&a.body));
    let group = receipt_of(&a);
    let (death_step, deletion_step, funeral_step) = (
        format!("{group}-1"),
        format!("{group}-2"),
        format!("{group}-3"),
    );
    for (step, officer, who) in [
        (&death_step, JUSTICE, &mut justice),
        (&deletion_step, POLICE, &mut police),
        (&funeral_step, LABOUR, &mut labour),
    ] {
        desk.act_ok(step, "assign", &[("officer", officer)]);
        who.act_ok(step, "start", &[]);
    }

    // The funeral allowance waits for the death registration.
    let a = labour.act(&funeral_step, "approve", &[]);
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(
        a.body.contains("Đăng ký khai tử"),
        "names the step it waits for"
    );

    justice.act_ok(&death_step, "approve", &[]);
    let p = town.person(&server, &deceased_id);
    assert_eq!(p["death_date"], died_iso.as_str(), "{p}");
    assert_eq!(
        p["household_id"],
        household.as_str(),
        "still resident until the police act"
    );
    let book = justice.get("/civil-status?kind=death");
    assert_eq!(book.status, 200);
    assert!(
        row_with(&book.body, &format!("href=\"/dossiers/{death_step}\""))
            .contains(deceased["full_name"].as_str().unwrap()),
        "the death book has the entry"
    );

    police.act_ok(&deletion_step, "approve", &[]);
    let p = town.person(&server, &deceased_id);
    assert!(p["household_id"].is_null(), "residence deleted: {p}");
    assert!(p["relation_to_head"].is_null(), "{p}");
    let (_, h) = server.get_json(&format!("/api/v1/households/{household}"), &town.admin);
    assert!(
        !h["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["personal_id"] == deceased_id.as_str()),
        "no longer a member of {household}"
    );

    labour.act_ok(&funeral_step, "approve", &[]);
    let page = labour.get(&format!("/dossiers/{funeral_step}"));
    assert!(text_of(&page.body, "result").unwrap().contains("mai táng"));
    assert_eq!(labour.state_of(&funeral_step), "Đã phê duyệt");
}

/// A single (not interlinked) dossier: its receipt, printed again after officers have acted
/// on it, still names the desk officer who received it.
#[test]
fn a_reprinted_receipt_names_who_received_the_dossier() {
    let town = commune("onestop-receipt");
    let server = Server::start(&town.data);
    let (payload, _, _) = town.mother_card(&server);
    let mut desk = town.staff(&server, DESK);
    let mut justice = town.staff(&server, JUSTICE);
    let step2 = desk.start_dossier(&payload, "birth-registration", &[]);
    let on_form: Vec<String> = eform_fields(&step2.body)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let fill: Vec<(&'static str, String)> = Birth::new()
        .fill()
        .into_iter()
        .filter(|(k, _)| on_form.iter().any(|f| f == k))
        .collect();
    let a = desk.submit_dossier(&step2, &refs(&fill));
    assert_eq!(a.status, 303, "{:?}", field_errors(&a.body));
    let receipt = receipt_of(&a);
    assert_eq!(
        text_of(&desk.get(a.location()).body, "received-by").as_deref(),
        Some(DESK)
    );
    desk.act_ok(&receipt, "assign", &[("officer", JUSTICE)]);
    justice.act_ok(&receipt, "start", &[]);
    let again = desk.get(&format!("/dossiers/{receipt}/receipt"));
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        text_of(&again.body, "received-by").as_deref(),
        Some(DESK),
        "the receiver, not the officer who acted last"
    );
}

#[test]
fn a_kill_while_completing_a_birth_leaves_the_register_unchanged() {
    let town = commune("onestop-kill");
    let birth = Birth::new();
    let (group, step, desk, justice) = {
        let server = Server::start(&town.data);
        let (payload, _, _) = town.mother_card(&server);
        let mut desk = town.staff(&server, DESK);
        let mut justice = town.staff(&server, JUSTICE);
        let group = receive_birth(&mut desk, &payload, &birth);
        let step = format!("{group}-1");
        desk.act_ok(&step, "assign", &[("officer", JUSTICE)]);
        justice.act_ok(&step, "start", &[]);
        (group, step, desk, justice)
    };
    let persons_before = town.register_size();
    let db = dir_db(&town);
    let entries_before = count(&db, "civil_status_entries");
    let versions_before = count(&db, "person_versions");

    // The store aborts the process inside the transaction that approves the birth: after the
    // child, the dossier and the book entry are written, before the commit.
    let mut dying = Server::start_env(&town.data, &[("XASO_TEST_ABORT_IN", "save_dossier")]);
    let mut justice_then = justice.to(&dying);
    let page = justice_then.get(&format!("/dossiers/{step}"));
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let answer = justice_then.try_post(
        &format!("/dossiers/{step}/act"),
        &[("csrf", &csrf), ("action", "approve")],
    );
    assert!(answer.is_err(), "no answer from a dying server: {answer:?}");
    let status = dying
        .wait_exit(Duration::from_secs(10))
        .expect("the server died");
    assert!(!status.success(), "{status:?}");
    drop(dying);

    assert_eq!(
        town.register_size(),
        persons_before,
        "no child in the register"
    );
    assert_eq!(
        count(&db, "civil_status_entries"),
        entries_before,
        "no book entry"
    );
    assert_eq!(count(&db, "person_versions"), versions_before);

    // Restarted normally: the step is still being processed, with no result; approving now
    // registers the child.
    let server = Server::start(&town.data);
    let mut justice = justice.to(&server);
    let mut desk = desk.to(&server);
    let page = justice.get(&format!("/dossiers/{step}"));
    assert_eq!(text_of(&page.body, "state").as_deref(), Some("Đang xử lý"));
    assert!(!page.body.contains("id=\"result\""), "no result");
    let book = justice.get("/civil-status?kind=birth");
    assert_eq!(book.status, 200, "{}", book.body);
    assert!(
        !book.body.contains(&step),
        "the birth book has no entry for {step}"
    );
    assert!(
        !desk
            .get(&format!("/dossiers/{group}"))
            .body
            .contains("cấp số định danh"),
        "the group shows no issued ID"
    );

    justice.act_ok(&step, "approve", &[]);
    let page = justice.get(&format!("/dossiers/{step}"));
    let child_id = issued_id(&page.body);
    let child = town.person(&server, &child_id);
    assert_eq!(child["full_name"], birth.child);
    assert_eq!(town.register_size(), persons_before + 1);
    let book = justice.get("/civil-status?kind=birth");
    assert!(
        row_with(&book.body, &format!("href=\"/dossiers/{step}\"")).contains(birth.child),
        "the birth book has the entry now"
    );
    drop(server);
    assert_eq!(count(&db, "civil_status_entries"), entries_before + 1);
}

fn dir_db(town: &Commune) -> PathBuf {
    town.dir.path().join("data").join("xaso.db")
}

/// Rows of a table of the (stopped) server's database.
fn count(db: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// The desk in headless Chromium: the scanner types a card's payload into the applicant box,
/// the birth group is chosen, the register prefills the parents, the officer types what the
/// citizen declares and lands on the receipt with its QR code and print button.
#[test]
#[ignore = "needs chromedriver; .ci/run runs it"]
fn browser_desk_receives_a_birth_dossier_and_prints_the_receipt() {
    use super::super::webdriver::{keys, screenshot_dir, Browser};
    let town = commune("browser-desk");
    let server = Server::start(&town.data);
    let (payload, mother, father) = town.mother_card(&server);
    let otp = &town.otps[DESK];
    let shots = screenshot_dir();
    let shot = |b: &Browser, name: &str| {
        b.screenshot_png(shots.join(format!("onestop-{name}.png")));
    };
    let url = |path: &str| format!("http://{}{path}", server.addr);
    let wait = Duration::from_secs(10);
    let birth = Birth::new();

    let browser = Browser::start();
    browser.goto(&url("/login"));
    browser.find("#login").send_keys(DESK);
    browser.expect_navigation(|| {
        browser
            .find("#password")
            .send_keys(&format!("{otp}{}", keys::ENTER))
    });
    assert!(browser.wait_until(wait, || browser.current_url().ends_with("/account")));
    browser.find("#current").send_keys(otp);
    browser.find("#new").send_keys(PASSWORD);
    browser.expect_navigation(|| {
        browser
            .find("#repeat")
            .send_keys(&format!("{PASSWORD}{}", keys::ENTER))
    });
    assert!(browser.wait_until(wait, || browser.page_source().contains("Đã đổi mật khẩu")));

    // From the menu to step 1; the applicant box has the focus, the scanner types into it.
    browser.expect_navigation(|| browser.find("header nav a[href='/dossiers']").click());
    browser.expect_navigation(|| {
        browser
            .find("a.button.primary[href='/dossiers/new']")
            .click()
    });
    let focused = browser.execute("return document.activeElement.id", &[]);
    assert_eq!(focused, "applicant", "the applicant box has the focus");
    browser.find("#applicant").send_keys(&payload);
    browser
        .find("input[name=procedure][value='birth-group']")
        .click();
    shot(&browser, "01-start");
    browser.expect_navigation(|| browser.find("form.sheet button.primary").click());

    // Step 2: the parents from the register.
    let value = |css: &str| {
        browser
            .find(css)
            .prop("value")
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        value("#f_mother_full_name"),
        mother["full_name"].as_str().unwrap()
    );
    assert_eq!(
        value("#f_father_full_name"),
        father["full_name"].as_str().unwrap()
    );
    assert_eq!(
        browser.find("label[for=f_mother_full_name] .badge").text(),
        FROM_REGISTER
    );
    let reuse = browser.find("#reuse").text();
    assert!(reuse.contains('/'), "{reuse}");
    assert_eq!(value("#f_child_full_name"), "", "declared by the citizen");
    for (key, v) in birth.fill() {
        let css = format!("#{key}");
        if browser.find(&css).tag_name() == "select" {
            browser.find(&format!("{css} option[value='{v}']")).click();
        } else {
            browser.find(&css).clear();
            browser.find(&css).send_keys(&v);
        }
    }
    shot(&browser, "02-eform");
    browser.expect_navigation(|| browser.find("form.eform button.primary").click());

    // The receipt.
    assert!(
        browser.current_url().ends_with("/receipt"),
        "{}: {}",
        browser.current_url(),
        browser
            .find_all("small.error")
            .iter()
            .map(|e| e.text())
            .collect::<Vec<_>>()
            .join("; ")
    );
    let number = browser.find("#receipt-number").text();
    assert!(number.starts_with("16309-"), "{number}");
    assert!(browser.current_url().contains(&number));
    assert!(!browser.find("#status-code").text().is_empty());
    let qr = browser.find("#status-qr svg");
    assert!(qr.displayed(), "the QR code is shown");
    let print = browser.find("button[data-print]");
    assert!(print.displayed() && print.enabled());
    shot(&browser, "03-receipt");
    let pdf = browser
        .command(
            "POST",
            "/print",
            Some(&serde_json::json!({"orientation": "portrait"})),
        )
        .unwrap();
    let pdf = super::super::webdriver::base64_decode(pdf.as_str().unwrap()).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    std::fs::write(shots.join("onestop-receipt.pdf"), &pdf).unwrap();
    let severe: Vec<String> = browser
        .console_log()
        .into_iter()
        .filter(|e| e.level == "SEVERE")
        .map(|e| e.message)
        .collect();
    assert!(severe.is_empty(), "{severe:?}");
}

/// A single birth registration: a paper digitised onto the dossier lands in the mother's
/// digital folder (a second dossier does not ask for it again); the result prints as a PDF
/// with the child's name and a verification code the public page confirms; the citizen
/// complains, the desk answers, the citizen is satisfied, and the indicators count it.
#[test]
fn papers_results_and_complaints_of_a_single_dossier() {
    let town = commune("onestop-papers");
    let server = Server::start(&town.data);
    let (payload, _, _) = town.mother_card(&server);
    let mut desk = town.staff(&server, DESK);
    let mut justice = town.staff(&server, JUSTICE);
    let birth = Birth::new();
    let submit = |desk: &mut Client| {
        let step2 = desk.start_dossier(&payload, "birth-registration", &[]);
        let on_form: Vec<String> = eform_fields(&step2.body)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let fill: Vec<(&'static str, String)> = birth
            .fill()
            .into_iter()
            .filter(|(k, _)| on_form.iter().any(|f| f == k))
            .collect();
        let a = desk.submit_dossier(&step2, &refs(&fill));
        assert_eq!(a.status, 303, "{:?}", field_errors(&a.body));
        (step2, a)
    };
    let (step2, a) = submit(&mut desk);
    assert!(
        !step2.body.contains("id=\"folder\""),
        "an empty folder is not mentioned"
    );
    let receipt = receipt_of(&a);
    let status_code = text_of(&desk.get(a.location()).body, "status-code").unwrap();

    // A paper digitised at the desk: refused when it is not a picture or PDF.
    let page = desk.get(&format!("/dossiers/{receipt}"));
    let csrf = page.input_value("csrf").unwrap();
    let select = &page.body[page.body.find("id=\"document\"").unwrap()..];
    let document = attr(&select[select.find("<option").unwrap()..], "value").unwrap();
    let post_paper = |c: &mut Client, bytes: &[u8]| {
        let body = super::reconcile::multipart(
            &[("csrf", &csrf), ("document", &document)],
            Some(("giay.pdf", bytes)),
        );
        c.send_raw(
            "POST",
            &format!("/dossiers/{receipt}/attachments"),
            &[(
                "Content-Type",
                format!(
                    "multipart/form-data; boundary={}",
                    super::reconcile::BOUNDARY
                ),
            )],
            Some(&body),
        )
    };
    let refused = post_paper(&mut desk, b"plain text, not a scan");
    assert_eq!(refused.status, 422, "{}", refused.text());
    let pdf_scan = b"%PDF-1.4\n% a scanned paper\n%%EOF\n";
    let saved = post_paper(&mut desk, pdf_scan);
    assert_eq!(saved.status, 303, "{}", saved.text());
    let page = desk.get(&format!("/dossiers/{receipt}"));
    let links = page.links("/attachments/");
    assert_eq!(links.len(), 1, "{}", page.body);
    let file = desk.send_raw("GET", &links[0], &[], None);
    assert_eq!(file.body, pdf_scan);
    // The next dossier of the same mother: the folder already holds the paper.
    let step2 = desk.start_dossier(&payload, "birth-registration", &[]);
    let folder = &step2.body[step2
        .body
        .find("id=\"folder\"")
        .expect("the folder is shown")..];
    assert!(
        folder.contains(&document[..document.len().min(20)]),
        "{folder}"
    );

    // The result, as a page and as a PDF.
    desk.act_ok(&receipt, "assign", &[("officer", JUSTICE)]);
    justice.act_ok(&receipt, "start", &[]);
    assert_eq!(
        justice.get(&format!("/dossiers/{receipt}/result")).status,
        409,
        "no result before approval"
    );
    justice.act_ok(&receipt, "approve", &[]);
    let result = justice.get(&format!("/dossiers/{receipt}/result"));
    assert_eq!(result.status, 200, "{}", result.body);
    let verify = text_of(&result.body, "verify-code").expect("#verify-code");
    // The newborn is the subject of an audit record of their own.
    let child_id = text_of(&result.body, "result-id").expect("#result-id");
    let (s, log) = server.get_json(
        &format!("/api/v1/audit?action=register.change&subject={child_id}"),
        &town.admin,
    );
    assert_eq!(s, 200, "{log}");
    assert_eq!(log["count"], 1, "{log}");
    assert_eq!(log["records"][0]["actor"], JUSTICE, "{log}");
    let pdf = justice.send_raw("GET", &format!("/dossiers/{receipt}/result.pdf"), &[], None);
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-") && pdf.body.ends_with(b"%%EOF\n"));
    let path = town.dir.path().join("result.pdf");
    std::fs::write(&path, &pdf.body).unwrap();
    match Command::new("pdftotext").arg(&path).arg("-").output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(text.contains(birth.child), "{text}");
            assert!(text.contains("Sổ đăng ký khai sinh"), "{text}");
        }
        Err(e) => assert!(
            std::env::var_os("XASO_PDF_TOOLS_REQUIRED").is_none(),
            "pdftotext: {e}"
        ),
    }
    // The public verification page: right code, then a wrong one.
    let public = Client::new(&server).get(&format!("/xac-minh?so={receipt}&ma={verify}"));
    assert_eq!(public.status, 200, "{}", public.body);
    assert_eq!(
        text_of(&public.body, "verified-name").as_deref(),
        Some(birth.child)
    );
    let wrong = Client::new(&server).get(&format!("/xac-minh?so={receipt}&ma=AAAAAAAAAAAA"));
    assert_eq!(wrong.status, 404);
    assert!(!wrong.body.contains(birth.child));
    // Not overdue: no apology letter.
    assert_eq!(
        desk.get(&format!("/dossiers/{receipt}/apology")).status,
        409
    );

    // A complaint from the public page, answered by the desk, judged by the citizen.
    let mut citizen = Client::new(&server);
    let status_page = format!("/tra-cuu?so={receipt}&ma={status_code}");
    assert_eq!(citizen.get(&status_page).status, 200);
    let blank = citizen.post(
        "/tra-cuu/phan-anh",
        &[("so", &receipt), ("ma", &status_code), ("text", "  ")],
    );
    assert_eq!(blank.status, 422, "{}", blank.body);
    let sent = citizen.post(
        "/tra-cuu/phan-anh",
        &[
            ("so", &receipt),
            ("ma", &status_code),
            ("text", "Cán bộ hẹn sai ngày trả"),
        ],
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let forged = citizen.post(
        "/tra-cuu/phan-anh",
        &[("so", &receipt), ("ma", "x"), ("text", "spam")],
    );
    assert_eq!(forged.status, 404);
    let page = desk.get(&format!("/dossiers/{receipt}"));
    assert!(
        page.body.contains("Cán bộ hẹn sai ngày trả"),
        "{}",
        page.body
    );
    let id = attr(
        &page.body[page.body.find("data-complaint=").unwrap() - 5..],
        "data-complaint",
    )
    .unwrap();
    let csrf = page.input_value("csrf").unwrap();
    let answered = desk.post(
        &format!("/dossiers/{receipt}/complaints/{id}/answer"),
        &[
            ("csrf", &csrf),
            ("answer", "Đã kiểm tra, hẹn trả đúng ngày; xin lỗi ông bà"),
        ],
    );
    assert_eq!(answered.status, 303, "{}", answered.body);
    let twice = desk.post(
        &format!("/dossiers/{receipt}/complaints/{id}/answer"),
        &[("csrf", &csrf), ("answer", "again")],
    );
    assert_eq!(twice.status, 409, "answered once: {}", twice.body);
    let page = citizen.get(&status_page);
    assert!(page.body.contains("xin lỗi ông bà"), "{}", page.body);
    let judged = citizen.post(
        "/tra-cuu/phan-anh/danh-gia",
        &[
            ("so", &receipt),
            ("ma", &status_code),
            ("id", &id),
            ("satisfied", "1"),
        ],
    );
    assert_eq!(judged.status, 200, "{}", judged.body);
    let again = citizen.post(
        "/tra-cuu/phan-anh/danh-gia",
        &[
            ("so", &receipt),
            ("ma", &status_code),
            ("id", &id),
            ("satisfied", "0"),
        ],
    );
    assert_eq!(again.status, 409);

    // The indicators count the complaint, handled on time, to the citizen's satisfaction.
    let json = desk.get("/indicators.json");
    assert_eq!(json.status, 200, "{}", json.body);
    let report: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    let indicator = |key: &str| {
        report["report"]["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("indicator {key}: {report}"))
    };
    for key in ["complaints-on-time", "complaint-satisfaction"] {
        let i = indicator(key);
        assert_eq!(i["numerator"], 1, "{key}: {i}");
        assert_eq!(i["denominator"], 1, "{key}: {i}");
        assert!(i["numerator_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == receipt.as_str()));
    }
}

/// A permanent residence registration on its own: the desk names the head of the household
/// the applicant moves into; the household fields come from that household; the police's
/// approval moves the applicant there, with a residence event.
#[test]
fn a_move_into_another_household_registers_the_permanent_residence() {
    let town = commune("onestop-move");
    let server = Server::start(&town.data);
    let mut desk = town.staff(&server, DESK);
    let mut police = town.staff(&server, POLICE);
    // The mover and the head of another household, both from the demo's card holders.
    let people: Vec<serde_json::Value> = town
        .card_payloads()
        .iter()
        .map(|p| town.person(&server, p.split('|').next().unwrap()))
        .filter(|p| p["household_id"].is_string() && p["death_date"].is_null())
        .collect();
    let mover = &people[0];
    let target = people
        .iter()
        .find(|p| p["household_id"] != mover["household_id"])
        .expect("two households among the card holders");
    let household = target["household_id"].as_str().unwrap().to_owned();
    let (_, h) = server.get_json(&format!("/api/v1/households/{household}"), &town.admin);
    let head = h["household"]["head_personal_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mover_id = mover["personal_id"].as_str().unwrap().to_owned();

    let step2 = desk.start_dossier(
        &mover_id,
        "permanent-residence-registration",
        &[("party_HouseholdHead", &head)],
    );
    assert_eq!(
        step2.input_value("f_household_id").as_deref(),
        Some(household.as_str())
    );
    assert!(from_register(&step2.body, "household_id"));
    assert_eq!(
        step2.input_value("f_head_personal_id").as_deref(),
        Some(head.as_str())
    );
    let a = desk.submit_dossier(
        &step2,
        &[
            ("f_relation_to_head", "Cháu"),
            ("f_legal_residence_basis", "family"),
            ("f_request", "Đăng ký thường trú vào hộ của ông bà"),
        ],
    );
    assert_eq!(a.status, 303, "{:?}", field_errors(&a.body));
    let receipt = receipt_of(&a);
    desk.act_ok(&receipt, "assign", &[("officer", POLICE)]);
    police.act_ok(&receipt, "start", &[]);
    police.act_ok(&receipt, "approve", &[]);
    let moved = town.person(&server, &mover_id);
    assert_eq!(moved["household_id"], household.as_str(), "{moved}");
    assert_eq!(moved["relation_to_head"], "Cháu");
    assert_eq!(
        moved["permanent_address"], h["household"]["address"],
        "{moved}"
    );
    let (s, events) = server.get_json(
        &format!("/api/v1/persons/{mover_id}/residence-events"),
        &town.admin,
    );
    assert_eq!(s, 200, "{events}");
    assert!(
        events.to_string().contains("permanent_registered"),
        "a residence event: {events}"
    );
}
