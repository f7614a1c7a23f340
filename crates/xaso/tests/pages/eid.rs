//! Issue 6's whole path over HTTP on the demo commune: a resident registers online at level 1,
//! the desk verifies the chip of the resident's ID card (a tampered chip is refused with the
//! failing check named, and offers no raise) and raises the account to level 2 with the chip's
//! evidence and the face comparison; the citizen signs in to the portal through the OpenID
//! provider and sees the desk's views of the record; a relying-party library completes the
//! code flow and validates an ID token with `acr` = level 2.

use openidconnect::core::CoreProviderMetadata;
use openidconnect::{ClientId, ClientSecret, IssuerUrl, RedirectUrl, TokenResponse};
use xaso_card::lds::testkit::{encode_dg13, KeyKind, TestPki};

use super::chip::{failed_checks, files, holder, issue, resident_with_card};
use super::citizen::last_code;
use super::oidc::{redeem, register_client, rp_at, rp_http, start, Browser, XasoClient, REDIRECT};
use super::*;

const DESK: &str = "mot.cua";
const ADMIN: &str = "quan.tri";
const CITIZEN_PASSWORD: &str = "cơm nắm muối vừng quê nhà";

fn hidden(page: &Answer, name: &str) -> String {
    page.input_value(name)
        .unwrap_or_else(|| panic!("no {name} field: {}", page.body))
}

#[test]
fn a_citizen_registers_is_raised_to_level_2_at_the_desk_and_signs_in_through_the_provider() {
    electronic_identity(Backend::Sqlite);
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_a_citizen_registers_is_raised_to_level_2_at_the_desk_and_signs_in_through_the_provider() {
    electronic_identity(Backend::postgres("eid"));
}

fn electronic_identity(backend: Backend) {
    let dir = TempDir::new("eid");
    let data = data_arg(dir.path());
    let store = backend.args();
    let mut demo = vec!["demo", "--data", &data, "--residents", "50"];
    demo.extend_from_slice(&store);
    ok(&xaso(&demo));
    let admin_token = token_with(&data, &store, "tester", "admin");
    let admin_otp = officer_with(&data, &store, ADMIN, "admin");
    let desk_otp = officer_with(&data, &store, DESK, "desk");
    let registered = register_client(&data, &store);
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    let secret = registered["client_secret"].as_str().unwrap().to_string();
    let otp_file = dir.path().join("codes.txt");
    let server = Server::spawn(
        &data,
        &store,
        &[("XASO_TEST_OTP_FILE", otp_file.to_str().unwrap())],
    );
    server.printed_until(&format!("database: {} (", backend.name()));

    // A living resident with a full date of birth and a card.
    let (payload, record) = resident_with_card(&dir, &server, &admin_token);
    let id = record["personal_id"].as_str().unwrap().to_owned();
    let name = record["full_name"].as_str().unwrap().to_owned();
    let iso = record["date_of_birth"].as_str().unwrap();
    let dob = format!("{}/{}/{}", &iso[8..10], &iso[5..7], &iso[..4]);

    // 1. Level 1 online: the register's facts, a code to the phone, a password.
    let mut citizen = Client::new(&server);
    let csrf = citizen.csrf("/cong-dan/dang-ky");
    let a = citizen.post(
        "/cong-dan/dang-ky",
        &[
            ("csrf", &csrf),
            ("personal_id", &id),
            ("full_name", &name),
            ("date_of_birth", &dob),
            ("phone", "0987654321"),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let otp = hidden(&a, "otp");
    let code = last_code(&otp_file, "0987654321");
    let a = citizen.post(
        "/cong-dan/dang-ky/ma",
        &[
            ("csrf", &csrf),
            ("otp", &otp),
            ("phone", "0987654321"),
            ("code", &code),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let ticket = hidden(&a, "ticket");
    let a = citizen.post(
        "/cong-dan/dang-ky/mat-khau",
        &[
            ("csrf", &csrf),
            ("otp", &otp),
            ("ticket", &ticket),
            ("new", CITIZEN_PASSWORD),
            ("repeat", CITIZEN_PASSWORD),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    // The portal opens through the provider: its own session after the code flow.
    let first = citizen.get("/cong-dan");
    assert_eq!(first.status, 303);
    assert!(
        first.location().starts_with("/cong-dan/vao?next="),
        "{}",
        first.location()
    );
    let portal = citizen.follow("/cong-dan");
    assert_eq!(portal.status, 200, "{}", portal.body);
    assert!(portal.body.contains("Mức 1"), "{}", portal.body);
    assert!(citizen.cookies.contains_key("xaso_portal"));

    // 2. The desk: the admin trusts the test CSCA; a chip whose DG13 was changed after signing
    //    is refused, naming the check, and offers no raise to level 2.
    let mut admin = Client::new(&server);
    admin.first_login(ADMIN, &admin_otp, PASSWORD);
    let pki = TestPki::generate(2026, KeyKind::EcP256, KeyKind::EcP256);
    let added = admin.add_csca("certificate", &pki.csca.certificate);
    assert_eq!(added.status, 201, "{}", added.body);
    let (dg13, mrz) = holder(&payload);
    let card = issue(&pki.document_signer, &dg13, &mrz);
    let mut tampered = card.clone();
    let mut changed = dg13.clone();
    changed.place_of_residence = Some("Số 1 đường Giả, Hà Nội".into());
    tampered.dg13 = encode_dg13(&changed);

    let mut desk = Client::new(&server);
    desk.first_login(DESK, &desk_otp, PASSWORD);
    let refused = desk.verify_chip(&files(&tampered));
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(refused.body.contains("Chip KHÔNG được xác thực"));
    assert_eq!(failed_checks(&refused.body), vec!["dg13_hash".to_string()]);
    assert!(refused.body.contains("DG13: "), "the failure is named");
    assert!(
        !refused.body.contains("id=\"raise-level2\""),
        "no raise from a chip that failed"
    );

    // 3. The genuine chip: the raise form, sealed evidence, the face comparison required.
    let page = desk.verify_chip(&files(&card));
    assert_eq!(failed_checks(&page.body), Vec::<String>::new());
    assert!(page.body.contains("id=\"raise-level2\""), "{}", page.body);
    let evidence = hidden(&page, "evidence");
    let seal = hidden(&page, "seal");
    let csrf = hidden(&page, "csrf");
    let raise = |desk: &mut Client, evidence: &str, face: &str| {
        desk.post(
            "/desk/chip/muc-2",
            &[
                ("csrf", &csrf),
                ("evidence", evidence),
                ("seal", &seal),
                ("face", face),
            ],
        )
    };
    let a = raise(&mut desk, &evidence, "");
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("ảnh chân dung"), "{}", a.body);
    // Evidence the server did not seal (another person's ID written in) is refused.
    let forged = evidence.replace(&id, "038199000001");
    let a = raise(&mut desk, &forged, "match");
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(
        a.body.contains("Bằng chứng chip không dùng được"),
        "{}",
        a.body
    );
    let portal = citizen.follow("/cong-dan");
    assert!(portal.body.contains("Mức 1"), "nothing changed yet");
    let a = raise(&mut desk, &evidence, "match");
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("id=\"level\">2<"), "{}", a.body);
    assert!(
        !a.body.contains("id=\"otp\""),
        "the account existed: no one-time password"
    );

    // 4. The citizen signs in again (a session keeps the level it began with), through the
    //    provider, and sees level 2 and the desk among those who viewed the record.
    let mut browser = Client::new(&server);
    let login = browser.follow("/cong-dan");
    assert_eq!(login.status, 200, "{}", login.body);
    let next = hidden(&login, "next");
    assert!(next.starts_with("/oidc/authorize?"), "{next}");
    assert!(next.contains("client_id=xaso-cong-dan"), "{next}");
    let csrf = hidden(&login, "csrf");
    let a = browser.post(
        "/cong-dan/dang-nhap",
        &[
            ("csrf", &csrf),
            ("personal_id", &id),
            ("password", CITIZEN_PASSWORD),
            ("next", &next),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let portal = browser.follow(a.location());
    assert_eq!(portal.status, 200, "{}", portal.body);
    assert!(portal.body.contains("Mức 2"), "{}", portal.body);
    let viewers = &portal.body[portal.body.find("id=\"viewers\"").unwrap()..];
    assert!(viewers.contains(DESK), "the desk's chip check: {viewers}");
    assert!(
        viewers.contains("card.chip") || viewers.contains("chip"),
        "{viewers}"
    );
    // A dossier submitted online: the form prefilled from the register for the citizen; a
    // stranger cannot be named; missing declarations are named and nothing is stored.
    let list = browser.get("/cong-dan/nop-ho-so");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Khai báo tạm vắng"), "{}", list.body);
    let csrf = hidden(&list, "csrf");
    let form = browser.post(
        "/cong-dan/nop-ho-so",
        &[
            ("csrf", &csrf),
            ("procedure", "temporary-absence-declaration"),
        ],
    );
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("từ CSDL dân cư"), "{}", form.body);
    assert_eq!(hidden(&form, "f_applicant_full_name"), name);
    let stranger = browser.post(
        "/cong-dan/nop-ho-so",
        &[
            ("csrf", &csrf),
            ("procedure", "death-registration"),
            ("party_Deceased", "038199000001"),
        ],
    );
    assert_eq!(stranger.status, 422, "{}", stranger.body);
    assert!(
        stranger.body.contains("không phải người thân"),
        "{}",
        stranger.body
    );
    let send = |b: &mut Client, extra: &[(&str, &str)]| {
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("procedure", "temporary-absence-declaration"),
        ];
        fields.extend_from_slice(extra);
        b.post("/cong-dan/nop-ho-so/gui", &fields)
    };
    let incomplete = send(&mut browser, &[("f_absence_reason", "Đi làm ăn xa")]);
    assert_eq!(incomplete.status, 422, "{}", incomplete.body);
    assert!(
        incomplete.body.contains("Chưa có gì được lưu"),
        "{}",
        incomplete.body
    );
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap())
        .date();
    let dmy = |d: time::Date| format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year());
    let (from, until) = (dmy(today), dmy(today + time::Duration::days(30)));
    let sent = send(
        &mut browser,
        &[
            ("f_absence_reason", "Đi làm ăn xa"),
            ("f_absence_from", &from),
            ("f_absence_until", &until),
            ("f_destination", "Phường Bến Nghé, Thành phố Hồ Chí Minh"),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.location(), "/cong-dan?m=submitted");
    let mine = browser.get(sent.location());
    assert!(mine.body.contains("Đã nộp hồ sơ"), "{}", mine.body);
    let dossiers = &mine.body[mine.body.find("id=\"dossiers\"").unwrap()..];
    assert!(dossiers.contains("Khai báo tạm vắng"), "{dossiers}");
    assert!(
        dossiers.contains("/tra-cuu?so="),
        "a status link: {dossiers}"
    );

    // The signed identity code the citizen shows at the desk instead of a paper document.
    let code_page = browser.get("/cong-dan/ma-dinh-danh");
    assert_eq!(code_page.status, 200, "{}", code_page.body);
    assert!(
        code_page.body.contains("id=\"identity-qr\""),
        "{}",
        code_page.body
    );
    let token = code_page
        .body
        .split("id=\"identity-qr-text\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap()
        .trim()
        .to_string();
    let scan = |desk: &mut Client, payload: &str| {
        let csrf = desk.csrf("/desk");
        desk.post("/desk", &[("csrf", &csrf), ("payload", payload)])
    };
    let seen = scan(&mut desk, &token);
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(
        seen.body.contains("Mã định danh điện tử mức 2 hợp lệ"),
        "{}",
        seen.body
    );
    assert!(
        seen.body.contains(&name),
        "the desk sees the person: {}",
        seen.body
    );
    // One character of the signature changed (not the last: its low bits are padding).
    let mut chars: Vec<char> = token.chars().collect();
    let at = chars.len() - 10;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let altered: String = chars.into_iter().collect();
    let refused = scan(&mut desk, &altered);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("Chữ ký của mã không hợp lệ"),
        "{}",
        refused.body
    );

    // The portal's session ends with the provider's: signing out closes both.
    let csrf = hidden(&portal, "csrf");
    let out = browser.post("/cong-dan/dang-xuat", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(browser.get("/cong-dan").status, 303);

    // 5. Another service's relying-party library: code flow asking for level 2; the ID token
    //    validates and says level 2.
    let http = rp_http(&server);
    let issuer = IssuerUrl::new(format!("http://{}", server.addr)).unwrap();
    let metadata = CoreProviderMetadata::discover(&issuer, &http).unwrap();
    let client = XasoClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let flow = start(&client, Some("urn:xaso:loa:2"), None);
    let mut rp_browser = Browser::new(&server);
    let at = rp_browser.go(&flow.url);
    let at = rp_browser.sign_in(at, &id, CITIZEN_PASSWORD);
    let at = rp_browser.consent(at, "allow");
    let callback = rp_at(at);
    let tokens = redeem(&client, &http, &callback, flow.verifier);
    let claims = tokens
        .id_token()
        .expect("an ID token")
        .claims(&client.id_token_verifier(), &flow.nonce)
        .unwrap();
    assert_eq!(
        claims.auth_context_ref().map(|a| a.as_str()),
        Some("urn:xaso:loa:2")
    );
    assert_eq!(
        claims.additional_claims().personal_id.as_deref(),
        Some(id.as_str())
    );

    // An administrator looks the account up (level 2, raised by the desk) and disables it,
    // with a reason: the citizen can no longer sign in, anywhere.
    let page = admin.get("/admin/cong-dan");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = hidden(&page, "csrf");
    let manage = |admin: &mut Client, op: &str, reason: &str| {
        admin.post(
            "/admin/cong-dan",
            &[
                ("csrf", &csrf),
                ("personal_id", &id),
                ("op", op),
                ("reason", reason),
            ],
        )
    };
    let shown = manage(&mut admin, "show", "");
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(
        shown.body.contains("id=\"account-level\">2<"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains(DESK), "who raised it: {}", shown.body);
    assert_eq!(
        manage(&mut admin, "disable", " ").status,
        422,
        "a reason is required"
    );
    let disabled = manage(&mut admin, "disable", "Báo mất điện thoại");
    assert!(
        disabled.body.contains("Đã khóa tài khoản"),
        "{}",
        disabled.body
    );
    let mut locked_out = Client::new(&server);
    let login = locked_out.follow("/cong-dan");
    let a = locked_out.post(
        "/cong-dan/dang-nhap",
        &[
            ("csrf", &hidden(&login, "csrf")),
            ("personal_id", &id),
            ("password", CITIZEN_PASSWORD),
            ("next", &hidden(&login, "next")),
        ],
    );
    assert_ne!(
        a.status, 303,
        "a disabled account does not sign in: {}",
        a.body
    );
    assert!(a.body.contains("Tài khoản này đã bị khoá"), "{}", a.body);
    let enabled = manage(&mut admin, "enable", "");
    assert!(enabled.body.contains("Đã mở khóa"), "{}", enabled.body);

    // The raise is in the audit log with the officer, the subject and the evidence's hash.
    let (status, audit) =
        server.get_json("/api/v1/audit?action=citizen.level2&limit=5", &admin_token);
    assert_eq!(status, 200, "{audit}");
    let text = audit.to_string();
    assert!(text.contains(DESK) && text.contains(&id), "{text}");
    assert!(text.contains("evidence sha256"), "{text}");
}
