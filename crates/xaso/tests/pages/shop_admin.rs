//! The one-stop shop's administration and books from the pages, over HTTP: admins edit the
//! procedure catalogue and the working calendar (validated, stored, still there after a
//! restart), justice officers digitise old civil-status entries with their scanned page, and
//! nobody else may.

use super::reconcile::{multipart, BOUNDARY};
use super::*;

/// The smallest PNG: the signature and an IHDR chunk are enough for the desk's sniffing.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

fn post_multipart(
    c: &mut Client,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> RawAnswer {
    let body = multipart(fields, file);
    c.send_raw(
        "POST",
        path,
        &[(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )],
        Some(&body),
    )
}

#[test]
fn admins_edit_the_catalogue_and_the_calendar() {
    let dir = TempDir::new("shop-admin");
    let data = data_arg(dir.path());
    ok(&xaso(&["demo", "--data", &data, "--residents", "50"]));
    let admin_otp = officer(&data, "quan.tri", "admin");
    let desk_otp = officer(&data, "mot.cua", "desk");
    let server = Server::start(&data);
    let mut admin = Client::new(&server);
    admin.first_login("quan.tri", &admin_otp, PASSWORD);
    let mut desk = Client::new(&server);
    desk.first_login("mot.cua", &desk_otp, PASSWORD);

    // Only admins.
    assert_eq!(desk.get("/admin/catalogue").status, 403);
    assert_eq!(desk.get("/admin/calendar").status, 403);

    let list = admin.get("/admin/catalogue");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("/admin/catalogue/birth-group"),
        "{}",
        list.body
    );
    let page = admin.get("/admin/catalogue/stay-notice");
    assert_eq!(page.status, 200);
    let csrf = page.input_value("csrf").unwrap();
    let name_vi = page.input_value("name_vi").unwrap();
    assert!(!name_vi.is_empty());

    // Refused edits name the field, and change nothing.
    let bad = admin.post(
        "/admin/catalogue/stay-notice",
        &[
            ("csrf", &csrf),
            ("name_vi", &name_vi),
            ("name_en", "Stay notice"),
            ("working_days", "0"),
            ("online", "full"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("working_days"), "{}", bad.body);
    let bad = admin.post(
        "/admin/catalogue/stay-notice",
        &[
            ("csrf", &csrf),
            ("name_vi", &name_vi),
            ("name_en", "Stay notice"),
            ("working_days", "2"),
            ("online", "full"),
            ("json", "{ not json"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("JSON"), "{}", bad.body);
    let blank = admin.post(
        "/admin/catalogue/stay-notice",
        &[
            ("csrf", &csrf),
            ("name_vi", ""),
            ("name_en", "Stay notice"),
            ("working_days", "2"),
            ("online", "full"),
        ],
    );
    assert_eq!(
        blank.status, 422,
        "a blank name is refused by the catalogue's validation: {}",
        blank.body
    );

    // A good edit is stored and used.
    let saved = admin.post(
        "/admin/catalogue/stay-notice",
        &[
            ("csrf", &csrf),
            ("name_vi", &format!("{name_vi} (sửa)")),
            ("name_en", "Stay notice (edited)"),
            ("working_days", "2"),
            ("online", "partial"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = admin.get("/admin/catalogue");
    assert!(after.body.contains("(sửa)"), "{}", after.body);
    assert!(after.body.contains("2 ngày làm việc"));

    // The calendar: an extra day off for 2026, a bad date refused with its field and line.
    let cal = admin.get("/admin/calendar?year=2026");
    assert_eq!(cal.status, 200);
    assert!(
        cal.body.contains("2026-02-17"),
        "Tết 2026 is listed: {}",
        cal.body
    );
    let csrf = cal.input_value("csrf").unwrap();
    let bad = admin.post(
        "/admin/calendar",
        &[
            ("csrf", &csrf),
            ("year", "2026"),
            ("extra_days_off", "2026-12-31\n2026-13-01"),
            ("working_days", ""),
            ("removed_days_off", ""),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("extra_days_off, line 2"), "{}", bad.body);
    let bad = admin.post(
        "/admin/calendar",
        &[
            ("csrf", &csrf),
            ("year", "2026"),
            ("extra_days_off", "2027-01-04"),
            ("working_days", ""),
            ("removed_days_off", ""),
        ],
    );
    assert_eq!(bad.status, 422, "a date of another year: {}", bad.body);
    let good = admin.post(
        "/admin/calendar",
        &[
            ("csrf", &csrf),
            ("year", "2026"),
            ("extra_days_off", "2026-12-31"),
            ("working_days", "2026-12-26"),
            ("removed_days_off", ""),
        ],
    );
    assert_eq!(good.status, 200, "{}", good.body);
    assert!(good.body.contains("2026-12-31"));

    // Both survive a restart.
    drop(server);
    let server = Server::start(&data);
    let mut admin = Client::new(&server);
    let a = admin.login("quan.tri", PASSWORD);
    assert_eq!(a.status, 303, "{}", a.body);
    let cal = admin.get("/admin/calendar?year=2026");
    assert!(cal.body.contains("2026-12-31"), "{}", cal.body);
    assert!(admin.get("/admin/catalogue").body.contains("(sửa)"));

    // Every change is in the audit log.
    let log = admin.get("/audit?action=catalogue.edit");
    assert!(log.body.contains("catalogue.edit"), "{}", log.body);
}

#[test]
fn old_paper_entries_are_digitised_with_their_scanned_page() {
    let dir = TempDir::new("civil-books");
    let data = data_arg(dir.path());
    ok(&xaso(&["demo", "--data", &data, "--residents", "50"]));
    let justice_otp = officer(&data, "tu.phap", "justice");
    let desk_otp = officer(&data, "mot.cua", "desk");
    let server = Server::start(&data);
    let mut justice = Client::new(&server);
    justice.first_login("tu.phap", &justice_otp, PASSWORD);
    let mut desk = Client::new(&server);
    desk.first_login("mot.cua", &desk_otp, PASSWORD);
    assert_eq!(desk.get("/civil-status").status, 403);

    let csrf = justice.csrf("/civil-status?kind=birth&year=1998");
    let fields = |name: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("kind", "birth".to_owned()),
            ("year", "1998".to_owned()),
            ("paper_book", "01/1998".to_owned()),
            ("paper_line", "57".to_owned()),
            ("full_name", name.to_owned()),
            ("personal_id", String::new()),
            ("event_date", "12/03/1998".to_owned()),
            ("registered_on", "20/03/1998".to_owned()),
        ]
    };
    let send = |c: &mut Client, v: Vec<(&'static str, String)>, file: Option<(&str, &[u8])>| {
        let pairs: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
        post_multipart(c, "/civil-status", &pairs, file)
    };

    // Not a picture: refused, naming the field; nothing written.
    let a = send(
        &mut justice,
        fields("Lê Văn Tám"),
        Some(("trang.txt", b"just text")),
    );
    assert_eq!(a.status, 422, "{}", a.text());
    assert!(a.text().contains("file: "), "{}", a.text());
    // A bad date: refused.
    let mut bad = fields("Lê Văn Tám");
    bad[7].1 = "31/02/1998".to_owned();
    let a = send(&mut justice, bad, Some(("trang.png", PNG)));
    assert_eq!(a.status, 422, "{}", a.text());
    assert!(a.text().contains("event_date"), "{}", a.text());
    let page = justice.get("/civil-status?kind=birth&year=1998");
    assert!(
        !page.body.contains("Lê Văn Tám"),
        "a refused entry is not written"
    );

    // Two good entries: lines 1 and 2 of the 1998 birth book, the same scan stored once.
    let a = send(&mut justice, fields("Lê Văn Tám"), Some(("trang.png", PNG)));
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a.text().contains("Đã lưu vào sổ, số 1"), "{}", a.text());
    let a = send(
        &mut justice,
        fields("Trần Thị Bưởi"),
        Some(("trang.png", PNG)),
    );
    assert!(a.text().contains("Đã lưu vào sổ, số 2"), "{}", a.text());
    let page = justice.get("/civil-status?kind=birth&year=1998");
    assert!(page.body.contains("Lê Văn Tám") && page.body.contains("Trần Thị Bưởi"));
    assert!(page.body.contains("01/1998"));
    let links = page.links("/attachments/");
    assert_eq!(links.len(), 2, "{}", page.body);
    assert_eq!(links[0], links[1], "the same page is stored once");
    let scan = justice.send_raw("GET", &links[0], &[], None);
    assert_eq!(scan.status, 200);
    assert_eq!(scan.header("content-type"), Some("image/png"));
    assert_eq!(scan.body, PNG);
    // The book's digitised entries go to the data-cleaning engine as a list.
    let csrf = page.input_value("csrf").unwrap();
    let a = justice.post(
        "/civil-status/reconcile",
        &[("csrf", &csrf), ("kind", "birth"), ("year", "1998")],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(
        a.location().starts_with("/reconcile/upload/"),
        "{}",
        a.location()
    );
    let mapping = justice.get(a.location());
    assert_eq!(mapping.status, 200, "{}", mapping.body);
    assert!(
        mapping.body.contains("so-ho-tich-birth-1998.csv"),
        "{}",
        mapping.body
    );
    assert!(
        mapping.body.contains("Trần Thị Bưởi"),
        "the rows are previewed"
    );
    // The desk cannot read the books, but may open attachments of dossiers.
    assert_eq!(desk.get("/civil-status?kind=birth&year=1998").status, 403);
}
