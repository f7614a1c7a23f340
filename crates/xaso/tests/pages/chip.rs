//! The chip of an ID card at the desk, over HTTP, on the demo commune: an admin keeps the CSCA
//! trust store (certificates refused by rule, a master list, removal), the desk uploads the
//! files a chip reader produced and sees every check of passive authentication, the chip's
//! data and the register's record beside it; a reading agent does the same through the JSON
//! API; every access is audited with the personal ID as subject.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha2::{Digest, Sha256};
use xaso_card::lds::testkit::{
    default_csca_validity, default_ds_validity, encode_dg13, td1_mrz, ChipKeys, Csca,
    DocumentSigner, KeyKind, SodOptions, TestCard, TestPki,
};
use xaso_card::lds::Dg13;

use super::reconcile::BOUNDARY;
use super::*;

const ADMIN: &str = "quan.tri";
const DESK: &str = "mot.cua";
const POLICE: &str = "cong.an";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A multipart/form-data body: text fields, then files, each under its own field name.
fn multipart_files(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl Client {
    pub(super) fn post_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Answer {
        let body = multipart_files(fields, files);
        let raw = self.send_raw(
            "POST",
            path,
            &[(
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )],
            Some(&body),
        );
        Answer {
            status: raw.status,
            headers: raw.headers,
            body: String::from_utf8(raw.body).unwrap(),
        }
    }

    /// Uploads a card's files to the desk's chip page.
    pub(super) fn verify_chip(&mut self, files: &[(&str, &[u8])]) -> Answer {
        let csrf = self.csrf("/desk/chip");
        self.post_files("/desk/chip", &[("csrf", &csrf)], files)
    }

    /// Adds a certificate (or, with kind "master-list", a master list) to the trust store.
    pub(super) fn add_csca(&mut self, kind: &str, bytes: &[u8]) -> Answer {
        let csrf = self.csrf("/admin/csca");
        self.post_files(
            "/admin/csca",
            &[("csrf", &csrf), ("kind", kind)],
            &[("file", bytes)],
        )
    }
}

/// The files of a card as the form's fields name them.
pub(super) fn files(card: &TestCard) -> Vec<(&'static str, &[u8])> {
    vec![
        ("sod", &card.sod[..]),
        ("dg1", &card.dg1[..]),
        ("dg2", &card.dg2[..]),
        ("dg13", &card.dg13[..]),
        ("dg14", &card.dg14[..]),
        ("dg15", &card.dg15[..]),
    ]
}

/// The holder a demo card QR payload describes, as DG13 and the TD1 MRZ of their chip.
pub(super) fn holder(payload: &str) -> (Dg13, String) {
    let f: Vec<&str> = payload.split('|').collect();
    let (id, dob, sex) = (f[0], f[3], f[4]);
    let dmy = |s: &str| format!("{}/{}/{}", &s[0..2], &s[2..4], &s[4..8]);
    let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    let dg13 = Dg13 {
        id_number: some(id),
        full_name: some(f[2]),
        date_of_birth: Some(dmy(dob)),
        sex: some(sex),
        nationality: some("Việt Nam"),
        ethnicity: some("Kinh"),
        place_of_residence: some(f[5]),
        issue_date: f.get(6).filter(|s| s.len() == 8).map(|s| dmy(s)),
        old_id_number: some(f[1]),
        ..Dg13::default()
    };
    // NGUYEN<<VAN<AN: the family name, then the middle and given names, without tones.
    let words: Vec<String> = xaso_domain::name::stripped_key(f[2])
        .to_ascii_uppercase()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut name = format!("{}<<{}", words[0], words[1..].join("<"));
    name.truncate(30);
    let birth = format!("{}{}{}", &dob[6..8], &dob[2..4], &dob[0..2]);
    let sex = if sex == "Nam" { 'M' } else { 'F' };
    (dg13, td1_mrz(id, &birth, sex, "451231", &name))
}

pub(super) fn issue(signer: &DocumentSigner, holder: &Dg13, mrz: &str) -> TestCard {
    TestCard::issue(
        signer,
        holder,
        mrz,
        &ChipKeys::generate(5),
        &SodOptions::default(),
    )
}

/// The row of one check on the result page: its class ("pa-passed", "pa-failed",
/// "pa-not-checked") and text.
fn check_row<'a>(page: &'a str, check: &str) -> (&'a str, &'a str) {
    let at = page
        .find(&format!("data-check=\"{check}\""))
        .unwrap_or_else(|| panic!("no row for {check}: {page}"));
    let start = page[..at].rfind("<tr").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    let row = &page[start..end];
    let class = row
        .split("class=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    (class, row)
}

/// The rows of passive authentication that did not pass.
pub(super) fn failed_checks(page: &str) -> Vec<String> {
    let table = &page[page.find("id=\"pa-checks\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("<tr class=\"")
        .skip(1)
        .filter(|r| !r.starts_with("pa-passed"))
        .map(|r| {
            r.split("data-check=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn evidence_of(page: &str) -> String {
    page.split("id=\"evidence-hash\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned()
}

/// A living resident of the demo register with a full date of birth, from the desk's sample
/// cards: the card's QR payload and the register's record (JSON).
pub(super) fn resident_with_card(
    dir: &TempDir,
    server: &Server,
    admin_token: &str,
) -> (String, serde_json::Value) {
    let samples =
        std::fs::read_to_string(dir.path().join("data/lists/card-qr-samples.txt")).unwrap();
    samples
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter(|l| !l.split('|').nth(3).unwrap_or("00").starts_with("00"))
        .find_map(|l| {
            let id = l.split('|').next().unwrap();
            let (s, p) = server.get_json(&format!("/api/v1/persons/{id}"), admin_token);
            (s == 200 && p["death_date"].is_null()).then(|| (l.to_owned(), p))
        })
        .expect("a living demo resident with a card")
}

#[test]
fn chip_reads_are_verified_at_the_desk_against_the_admins_trust_store() {
    let dir = TempDir::new("chip");
    let data = data_arg(dir.path());
    ok(&xaso(&["demo", "--data", &data, "--residents", "50"]));
    let admin_token = token(&data, "tester", "admin");
    let agent_token = token(&data, "dau-doc-chip", "desk");
    let police_token = token(&data, "he-thong-khac", "police");
    let admin_otp = officer(&data, ADMIN, "admin");
    let desk_otp = officer(&data, DESK, "desk");
    let police_otp = officer(&data, POLICE, "police");
    let server = Server::start(&data);

    let (payload, record) = resident_with_card(&dir, &server, &admin_token);
    let id = record["personal_id"].as_str().unwrap().to_owned();
    let full_name = record["full_name"].as_str().unwrap().to_owned();
    let (dg13, mrz) = holder(&payload);

    // The test PKI, a card signed under it, the same card with DG13 changed after signing, and
    // a card signed under a CSCA the store does not (yet) trust.
    let pki = TestPki::generate(2026, KeyKind::EcP256, KeyKind::EcP256);
    let card = issue(&pki.document_signer, &dg13, &mrz);
    let mut tampered = card.clone();
    let mut changed = dg13.clone();
    changed.full_name = Some(format!("{full_name} Giả"));
    tampered.dg13 = encode_dg13(&changed);
    let other = Csca::generate(99, KeyKind::EcP256, "CSCA Khác", default_csca_validity());
    let other_signer =
        other.issue_document_signer(100, KeyKind::EcP256, "DS Khác", default_ds_validity());
    let foreign = issue(&other_signer, &dg13, &mrz);

    let mut admin = Client::new(&server);
    admin.first_login(ADMIN, &admin_otp, PASSWORD);
    let mut desk = Client::new(&server);
    desk.first_login(DESK, &desk_otp, PASSWORD);
    let mut police = Client::new(&server);
    police.first_login(POLICE, &police_otp, PASSWORD);

    // The trust store: admins only.
    let page = admin.get("/admin/csca");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Kho chưa có CSCA nào"), "{}", page.body);
    assert_eq!(desk.get("/admin/csca").status, 403);
    let csrf = desk.csrf("/desk/chip");
    let a = desk.post_files(
        "/admin/csca",
        &[("csrf", &csrf), ("kind", "certificate")],
        &[("file", &pki.csca.certificate)],
    );
    assert_eq!(a.status, 403, "a non-admin cannot add a CSCA: {}", a.body);
    let csrf = police.csrf("/search");
    let a = police.post_files(
        "/admin/csca",
        &[("csrf", &csrf), ("kind", "certificate")],
        &[("file", &pki.csca.certificate)],
    );
    assert_eq!(a.status, 403, "{}", a.body);
    // Without the session's token, not even an admin.
    let a = admin.post_files(
        "/admin/csca",
        &[("kind", "certificate")],
        &[("file", &pki.csca.certificate)],
    );
    assert_eq!(a.status, 403);

    // Uploads that are not a CSCA certificate are refused with the rule they break.
    let a = admin.add_csca("certificate", b"not a certificate at all");
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(
        a.body
            .contains("không phải chứng thư X.509: Chứng thư số, byte"),
        "{}",
        a.body
    );
    let a = admin.add_csca("certificate", &pki.document_signer.certificate);
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("không phải là CA"), "{}", a.body);
    let a = admin.add_csca(
        "certificate",
        b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    );
    assert_eq!(a.status, 422);
    assert!(a.body.contains("khóa bí mật"), "{}", a.body);

    // The test CSCA, as PEM: its subject, validity and fingerprint are shown.
    let b64 = BASE64.encode(&pki.csca.certificate);
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        b64.as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let a = admin.add_csca("certificate", pem.as_bytes());
    assert_eq!(a.status, 201, "{}", a.body);
    let fingerprint = sha256_hex(&pki.csca.certificate);
    assert!(a.body.contains(&fingerprint), "{}", a.body);
    assert!(a.body.contains("CN=CSCA Test"), "{}", a.body);
    assert!(a.body.contains("01/01/2020 – 01/01/2040"), "{}", a.body);
    let a = admin.add_csca("certificate", &pki.csca.certificate);
    assert_eq!(a.status, 409, "the same certificate twice: {}", a.body);

    // The desk: only the desk and admins, and the form needs the session's token.
    assert_eq!(police.get("/desk/chip").status, 403);
    let a = desk.post_files("/desk/chip", &[], &files(&card));
    assert_eq!(a.status, 403);

    // A genuine card: every check passes, and the register's record is beside it.
    let page = desk.verify_chip(&files(&card));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Chip hợp lệ"), "{}", page.body);
    assert_eq!(failed_checks(&page.body), Vec::<String>::new());
    for check in [
        "sod_structure",
        "content_type",
        "message_digest",
        "signature",
        "chain",
        "document_signer_validity",
        "csca_validity",
        "dg1_hash",
        "dg2_hash",
        "dg13_hash",
        "dg14_hash",
        "dg15_hash",
        "mrz",
        "dg13_personal_id",
        "mrz_personal_id",
    ] {
        assert_eq!(check_row(&page.body, check).0, "pa-passed", "{check}");
    }
    assert!(check_row(&page.body, "dg13_hash")
        .1
        .contains("Nhóm dữ liệu 13 có mã băm đúng như trong SOD"));
    let all = [
        &card.sod[..],
        &card.dg1,
        &card.dg2,
        &card.dg13,
        &card.dg14,
        &card.dg15,
    ]
    .concat();
    assert_eq!(evidence_of(&page.body), sha256_hex(&all));
    assert!(page.body.contains(&sha256_hex(&card.dg13)));
    assert!(
        page.body.contains("src=\"data:image/jpeg;base64,"),
        "the face is shown inline"
    );
    assert!(
        page.body.contains(&mrz[..30].replace('<', "&lt;")),
        "the MRZ is shown"
    );
    assert!(page.body.contains("id=\"card-compare\""), "{}", page.body);
    let compare = &page.body[page.body.find("id=\"card-compare\"").unwrap()..];
    assert!(compare.contains(&full_name), "{compare}");
    assert!(page.body.contains("/p/"), "a link to the record");
    assert!(
        !page.body.contains(&format!("/p/{id}")),
        "no personal ID in URLs"
    );

    // DG13 changed after signing: its hash check fails, and only that one.
    let page = desk.verify_chip(&files(&tampered));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Chip KHÔNG được xác thực"),
        "{}",
        page.body
    );
    assert_eq!(failed_checks(&page.body), ["dg13_hash"]);
    let (class, row) = check_row(&page.body, "dg13_hash");
    assert_eq!(class, "pa-failed");
    assert!(row.contains("DG13"), "{row}");
    assert!(
        row.contains("Nhóm dữ liệu 13 không có mã băm như trong SOD: dữ liệu đã bị thay đổi"),
        "{row}"
    );
    let verdict = &page.body[page.body.find("id=\"chip-verdict\"").unwrap()..];
    assert!(
        verdict[..verdict.find("</div>").unwrap()]
            .contains("DG13: Nhóm dữ liệu 13 không có mã băm"),
        "the failure is named at the top"
    );

    // A card signed under a CSCA the store does not hold: the issuer is unknown.
    let page = desk.verify_chip(&files(&foreign));
    assert_eq!(page.status, 200);
    assert_eq!(failed_checks(&page.body), ["chain", "csca_validity"]);
    let (class, row) = check_row(&page.body, "chain");
    assert_eq!(class, "pa-failed");
    assert!(
        row.contains("Không có CSCA tin cậy nào mang tên") && row.contains("CN=CSCA Khác"),
        "{row}"
    );
    assert_eq!(check_row(&page.body, "csca_validity").0, "pa-not-checked");
    assert_eq!(check_row(&page.body, "dg13_hash").0, "pa-passed");

    // Files missing or too large are named.
    let mut without = files(&card);
    without.retain(|(k, _)| *k != "dg13");
    let a = desk.verify_chip(&without);
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(
        a.body.contains("DG13: bắt buộc phải có tệp này"),
        "{}",
        a.body
    );
    let big = vec![0u8; 1024 * 1024 + 1];
    let mut oversized = files(&card);
    oversized[2].1 = &big;
    let a = desk.verify_chip(&oversized);
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(a.body.contains("DG2: tệp có 1048577 byte"), "{}", a.body);

    // The JSON API for a reading agent: the same verdict, the evidence for level 2.
    let json = |card: &TestCard| {
        serde_json::json!({
            "sod": BASE64.encode(&card.sod),
            "dg1": BASE64.encode(&card.dg1),
            "dg2": BASE64.encode(&card.dg2),
            "dg13": BASE64.encode(&card.dg13),
            "dg14": BASE64.encode(&card.dg14),
            "dg15": BASE64.encode(&card.dg15),
        })
        .to_string()
    };
    let post = |token: &str, body: &str| {
        let (s, b) = server.request(
            "POST",
            "/api/v1/card/chip",
            Some(token),
            Some(("application/json", body)),
        );
        (
            s,
            serde_json::from_str::<serde_json::Value>(&b).unwrap_or_default(),
        )
    };
    let (s, answer) = post(&agent_token, &json(&card));
    assert_eq!(s, 200, "{answer}");
    assert_eq!(answer["passed"], true);
    assert_eq!(answer["evidence_hash"], sha256_hex(&all));
    assert_eq!(answer["personal_id"], id.as_str());
    assert_eq!(answer["person"]["full_name"], full_name.as_str());
    assert_eq!(answer["verified"]["personal_id"], id.as_str());
    assert_eq!(answer["verified"]["officer"], "dau-doc-chip");
    assert!(answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["outcome"] == "passed"));
    let (s, answer) = post(&agent_token, &json(&tampered));
    assert_eq!(s, 200);
    assert_eq!(answer["passed"], false);
    assert!(
        answer["verified"].is_null(),
        "no evidence from a changed chip"
    );
    let dg13_check = answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "dg13_hash")
        .unwrap()
        .clone();
    assert_eq!(dg13_check["outcome"], "failed");
    let (s, e) = post(&police_token, &json(&card));
    assert_eq!(s, 403, "{e}");
    let (s, e) = post(
        &agent_token,
        r#"{"sod":"AAAA","dg1":"not base64!","dg2":"AAAA","dg13":"AAAA"}"#,
    );
    assert_eq!(s, 422);
    assert_eq!(e["error"]["field"], "dg1");
    let (s, e) = post(&agent_token, r#"{"sod":"AAAA","dg1":"AAAA","dg2":"AAAA"}"#);
    assert_eq!(s, 422);
    assert_eq!(e["error"]["field"], "dg13");

    // An ICAO master list signed under the trusted CSCA brings the other CSCA in; removing it
    // takes it out again.
    let list = pki.csca.sign_master_list(7, &[&other.certificate]);
    let a = admin.add_csca("master-list", &list);
    assert_eq!(a.status, 201, "{}", a.body);
    let other_fingerprint = sha256_hex(&other.certificate);
    assert!(a.body.contains(&other_fingerprint), "{}", a.body);
    assert!(a.body.contains("master list sha256:"), "{}", a.body);
    let page = desk.verify_chip(&files(&foreign));
    assert!(page.body.contains("Chip hợp lệ"), "{}", page.body);
    let unsigned = other.sign_master_list(8, &[&pki.csca.certificate]);
    let csrf = admin.csrf("/admin/csca");
    let a = admin.post(
        "/admin/csca/remove",
        &[("csrf", &csrf), ("fingerprint", &other_fingerprint)],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("Đã gỡ khỏi kho"));
    assert!(!a
        .body
        .contains(&format!("data-fingerprint=\"{other_fingerprint}\"")));
    let a = admin.add_csca("master-list", &unsigned);
    assert_eq!(
        a.status, 422,
        "a list signed under an untrusted CSCA: {}",
        a.body
    );
    assert!(a.body.contains("Không nhận danh sách CSCA"), "{}", a.body);
    let page = desk.verify_chip(&files(&foreign));
    assert_eq!(failed_checks(&page.body), ["chain", "csca_validity"]);

    // Every verification is in the audit log with the personal ID as subject, the outcome and
    // the evidence hash; the trust store's changes too.
    let (s, log) = server.get_json(
        &format!("/api/v1/audit?subject={id}&action=card.chip&limit=100"),
        &admin_token,
    );
    assert_eq!(s, 200);
    let records = log["records"].as_array().unwrap();
    // Five uploads at the desk and two through the API; refused uploads read nothing.
    assert_eq!(records.len(), 7, "{log}");
    let routes: Vec<&str> = records
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .collect();
    assert_eq!(
        routes.iter().filter(|r| **r == "POST /desk/chip").count(),
        5
    );
    assert_eq!(
        routes
            .iter()
            .filter(|r| **r == "POST /api/v1/card/chip")
            .count(),
        2
    );
    assert!(records.iter().any(|r| r["reason"]
        .as_str()
        .unwrap()
        .contains(&format!("passed; evidence sha256 {}", sha256_hex(&all)))));
    let (_, log) = server.get_json("/api/v1/audit?action=person.read&limit=100", &admin_token);
    assert!(log["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["subject"] == id.as_str() && r["route"] == "POST /desk/chip"));
    for action in ["chip.csca.add", "chip.csca.remove"] {
        let (_, log) = server.get_json(&format!("/api/v1/audit?action={action}"), &admin_token);
        assert!(log["count"].as_u64().unwrap() >= 1, "{action}: {log}");
    }
}
