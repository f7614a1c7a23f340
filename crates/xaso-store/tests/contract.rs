//! One contract, every backend: each check runs against SQLite (always) and PostgreSQL (the
//! `pg_*` tests, ignored by default; `.ci/run` runs them with `XASO_TEST_DATABASE_URL` set and
//! `--ignored`, and they fail, not skip, when the variable is missing).
#![allow(clippy::unwrap_used)]

use xaso_domain::register::{
    Address, Household, Person, PersonRef, ResidenceEvent, ResidenceEventKind,
};
use xaso_domain::{Cmnd, PartialDate, PersonalId, Sex};
use xaso_store::{
    ApiTokenRecord, AuditFilter, AuditRecord, AuditStore, ChangeMeta, LoadItem, NameQuery,
    RegisterStore, Store, StoreError,
};

fn sqlite() -> (Box<dyn Store>, Cleanup) {
    let dir = std::env::temp_dir().join(format!("xaso-contract-{}", unique()));
    let store = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    (Box::new(store), Cleanup::Dir(dir))
}

fn postgres() -> (Box<dyn Store>, Cleanup) {
    let url = std::env::var("XASO_TEST_DATABASE_URL").expect(
        "XASO_TEST_DATABASE_URL must name a PostgreSQL database for the pg_* contract tests",
    );
    let schema = format!("xaso_test_{}", unique());
    let store = xaso_store::postgres::PgStore::connect(&url, Some(&schema)).unwrap();
    (Box::new(store), Cleanup::Schema(url, schema))
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Schema(String, String),
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::Dir(d) => {
                let _ = std::fs::remove_dir_all(d);
            }
            Cleanup::Schema(url, schema) => {
                if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
                    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            }
        }
    }
}

fn unique() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn id(s: &str) -> PersonalId {
    PersonalId::parse(s).unwrap()
}

fn person(pid: &str, name: &str, dob: &str, sex: Sex) -> Person {
    let mut p = Person::new(id(pid), name);
    p.date_of_birth = Some(PartialDate::parse(dob).unwrap());
    p.sex = Some(sex);
    p.nationality = Some("VN".into());
    p.permanent_address = Address {
        detail: Some("Thôn 3".into()),
        commune_code: Some("16309".into()),
    };
    p
}

fn change(actor: &str) -> ChangeMeta {
    ChangeMeta {
        actor: actor.into(),
        reason: None,
    }
}

fn family() -> Vec<Person> {
    let mut father = person("038075000001", "Nguyễn Văn Hùng", "12/05/1975", Sex::Male);
    father.household_id = Some("HK-1".into());
    father.relation_to_head = Some("Chủ hộ".into());
    father.old_cmnd = Some(Cmnd::parse("172345678").unwrap());
    let mut mother = person("038177000002", "Lê Thị Hoà", "1977", Sex::Female);
    mother.household_id = Some("HK-1".into());
    mother.relation_to_head = Some("Vợ".into());
    mother.spouse = PersonRef {
        personal_id: Some(father.personal_id.clone()),
        full_name: Some(father.full_name.clone()),
    };
    let mut child = person("038205000003", "Nguyễn Thị Thuý", "01/09/2005", Sex::Female);
    child.household_id = Some("HK-1".into());
    child.relation_to_head = Some("Con".into());
    child.father = PersonRef {
        personal_id: Some(father.personal_id.clone()),
        full_name: Some(father.full_name.clone()),
    };
    let other = person("001190000004", "Trần Đức Hoà", "03/1990", Sex::Male);
    vec![father, mother, child, other]
}

fn load_family(store: &dyn Store) {
    let mut items = family()
        .into_iter()
        .enumerate()
        .map(|(i, p)| LoadItem::person(i + 2, p).unwrap())
        .chain([LoadItem::Household(Household {
            id: "HK-1".into(),
            head_personal_id: Some(id("038075000001")),
            address: Address {
                detail: Some("Thôn 3".into()),
                commune_code: Some("16309".into()),
            },
        })])
        .chain([LoadItem::ResidenceEvent(ResidenceEvent {
            personal_id: id("038205000003"),
            kind: ResidenceEventKind::PermanentRegistered,
            date: PartialDate::parse("01/10/2005").unwrap(),
            address: Address::default(),
            note: Some("đăng ký khai sinh".into()),
        })]);
    let summary = store
        .load(&mut items, &change("loader"), &mut |c| c.is_empty())
        .unwrap();
    assert!(summary.committed);
    assert_eq!(summary.persons, 4);
}

fn search(store: &dyn Store, name: &str, year: Option<i32>) -> Vec<String> {
    store
        .search_by_name(&NameQuery {
            name: name.into(),
            birth_year: year,
            limit: 50,
        })
        .unwrap()
        .into_iter()
        .map(|p| p.person.personal_id.to_string())
        .collect()
}

// ---- the contract ----

fn loaded_persons_read_back_exactly(store: &dyn Store) {
    load_family(store);
    assert_eq!(store.count_persons().unwrap(), 4);
    for p in family() {
        let got = store.get_person(&p.personal_id).unwrap().unwrap();
        assert_eq!(got.person, p);
        assert_eq!(got.version, 1);
        assert_eq!(got.updated_by, "loader");
    }
    assert!(store.get_person(&id("038075999999")).unwrap().is_none());
}

fn name_search_ignores_tones_only_when_none_are_typed(store: &dyn Store) {
    load_family(store);
    assert_eq!(search(store, "nguyen thi thuy", None), vec!["038205000003"]);
    assert_eq!(search(store, "Nguyễn Thị Thúy", None), vec!["038205000003"]);
    assert_eq!(search(store, "NGUYỄN THỊ THUÝ", None), vec!["038205000003"]);
    // Prefix of the full name.
    assert_eq!(
        search(store, "nguyen", None),
        vec!["038205000003", "038075000001"]
    );
    // One word finds the given name too; tones typed must agree.
    assert_eq!(
        search(store, "hoa", None),
        vec!["038177000002", "001190000004"]
    );
    assert_eq!(
        search(store, "Hòa", None),
        vec!["038177000002", "001190000004"]
    );
    assert!(search(store, "Hóa", None).is_empty());
    // Birth year narrows.
    assert_eq!(search(store, "hoa", Some(1990)), vec!["001190000004"]);
    assert!(search(store, "le thi hoa", Some(1990)).is_empty());
    assert!(search(store, "pham", None).is_empty());
    // Đ typed as D or as the look-alike Ð.
    assert_eq!(search(store, "Tran Duc Hoa", None), vec!["001190000004"]);
    assert_eq!(search(store, "Trần Ðức Hoà", None), vec!["001190000004"]);
}

fn cmnd_lookup(store: &dyn Store) {
    load_family(store);
    let found = store.find_by_cmnd("172345678").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].person.full_name, "Nguyễn Văn Hùng");
    assert!(store.find_by_cmnd("000000000").unwrap().is_empty());
}

fn edits_create_versions_and_keep_the_old(store: &dyn Store) {
    load_family(store);
    let mut p = store
        .get_person(&id("038177000002"))
        .unwrap()
        .unwrap()
        .person;
    p.full_name = "Lê Thị Hòa Bình".into();
    let updated = store
        .update_person(
            &p,
            1,
            &ChangeMeta {
                actor: "officer-1".into(),
                reason: Some("sửa theo giấy khai sinh".into()),
            },
        )
        .unwrap();
    assert_eq!(updated.version, 2);
    // A second writer holding version 1 is refused.
    let stale = store.update_person(&p, 1, &change("officer-2"));
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let history = store.person_history(&id("038177000002")).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].version, 1);
    assert_eq!(history[0].record.full_name, "Lê Thị Hoà");
    assert_eq!(history[0].changed_by, "loader");
    assert_eq!(history[1].record.full_name, "Lê Thị Hòa Bình");
    assert_eq!(
        history[1].reason.as_deref(),
        Some("sửa theo giấy khai sinh")
    );
    // Keys follow the edit.
    assert_eq!(search(store, "le thi hoa binh", None), vec!["038177000002"]);
    let missing = store.update_person(
        &person("038075999999", "X Y", "1975", Sex::Male),
        1,
        &change("o"),
    );
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

fn insert_refuses_a_taken_id(store: &dyn Store) {
    let p = person("038095001234", "Phạm Văn Nam", "07/03/1995", Sex::Male);
    let stored = store.insert_person(&p, &change("desk")).unwrap();
    assert_eq!(stored.version, 1);
    let again = store.insert_person(&p, &change("desk"));
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
}

fn households_and_events(store: &dyn Store) {
    load_family(store);
    let h = store.get_household("HK-1").unwrap().unwrap();
    assert_eq!(h.head_personal_id, Some(id("038075000001")));
    let members: Vec<String> = store
        .household_members("HK-1")
        .unwrap()
        .into_iter()
        .map(|p| p.person.personal_id.to_string())
        .collect();
    assert_eq!(
        members,
        vec!["038075000001", "038177000002", "038205000003"]
    );
    assert!(store.get_household("HK-2").unwrap().is_none());
    let events = store.residence_events(&id("038205000003")).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, ResidenceEventKind::PermanentRegistered);
    assert_eq!(events[0].note.as_deref(), Some("đăng ký khai sinh"));
    // Events come back in date order, whatever order they were recorded in.
    let absence = ResidenceEvent {
        personal_id: id("038205000003"),
        kind: ResidenceEventKind::AbsenceDeclared,
        date: PartialDate::parse("2024-02-01").unwrap(),
        address: Address {
            detail: Some("KCN Bắc Thăng Long, Hà Nội".into()),
            commune_code: None,
        },
        note: None,
    };
    let earlier = ResidenceEvent {
        kind: ResidenceEventKind::TemporaryRegistered,
        date: PartialDate::parse("2023-06").unwrap(),
        ..absence.clone()
    };
    store.add_residence_event(&absence).unwrap();
    store.add_residence_event(&earlier).unwrap();
    let kinds: Vec<_> = store
        .residence_events(&id("038205000003"))
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            ResidenceEventKind::PermanentRegistered,
            ResidenceEventKind::TemporaryRegistered,
            ResidenceEventKind::AbsenceDeclared
        ]
    );
    let stranger = ResidenceEvent {
        personal_id: id("038075999999"),
        ..absence
    };
    assert!(matches!(
        store.add_residence_event(&stranger),
        Err(StoreError::NotFound(_))
    ));
}

fn a_refused_load_writes_nothing(store: &dyn Store) {
    load_family(store);
    let mut fresh = person("038099000010", "Đỗ Văn Mới", "1999", Sex::Male);
    fresh.household_id = Some("HK-9".into());
    let items = vec![
        LoadItem::person(2, fresh.clone()).unwrap(),
        // Already in the register.
        LoadItem::person(3, family()[0].clone()).unwrap(),
        // Repeated within the load.
        LoadItem::person(4, fresh.clone()).unwrap(),
        LoadItem::Household(Household {
            id: "HK-9".into(),
            head_personal_id: None,
            address: Address::default(),
        }),
    ];
    let mut seen = Vec::new();
    let summary = store
        .load(
            &mut items.clone().into_iter(),
            &change("loader"),
            &mut |c| {
                seen = c.to_vec();
                false
            },
        )
        .unwrap();
    assert!(!summary.committed);
    let mut lines: Vec<usize> = seen.iter().map(|c| c.line).collect();
    lines.sort();
    assert_eq!(lines, vec![3, 4]);
    assert_eq!(store.count_persons().unwrap(), 4);
    assert!(store.get_person(&fresh.personal_id).unwrap().is_none());
    assert!(store.get_household("HK-9").unwrap().is_none());
    // The same load, accepting the conflicts, writes the valid part only.
    let summary = store
        .load(&mut items.into_iter(), &change("loader"), &mut |_| true)
        .unwrap();
    assert!(summary.committed);
    assert_eq!(summary.persons, 1);
    assert_eq!(store.count_persons().unwrap(), 5);
    assert_eq!(
        store
            .get_person(&fresh.personal_id)
            .unwrap()
            .unwrap()
            .person,
        fresh
    );
}

fn export_streams_everyone_in_id_order(store: &dyn Store) {
    load_family(store);
    let mut ids = Vec::new();
    store
        .for_each_person(&mut |p| {
            ids.push(p.person.personal_id.to_string());
            Ok(())
        })
        .unwrap();
    assert_eq!(
        ids,
        vec![
            "001190000004",
            "038075000001",
            "038177000002",
            "038205000003"
        ]
    );
}

fn audit_is_appended_and_filtered(store: &dyn Store) {
    let mut records = Vec::new();
    for (actor, subject) in [
        ("a", "038075000001"),
        ("b", "038075000001"),
        ("a", "038177000002"),
    ] {
        let mut r = AuditRecord::now(
            actor,
            "api-token",
            "person.read",
            "GET /api/v1/persons/{personal_id}",
        );
        r.subject = Some(subject.into());
        r.role = Some("police".into());
        records.push(r);
    }
    store.append_audit(&records).unwrap();
    let all = store
        .list_audit(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    // Newest first.
    assert_eq!(all[0], records[2]);
    let by_subject = store
        .list_audit(&AuditFilter {
            subject: Some("038075000001".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_subject.len(), 2);
    let by_actor = store
        .list_audit(&AuditFilter {
            actor: Some("a".into()),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_actor, vec![records[2].clone()]);
}

fn a_long_audit_log_reads_newest_first_by_any_filter(store: &dyn Store) {
    // More records than SQLite keeps in its inbox, appended in batches like the sink does.
    let total = 25_000usize;
    let subjects = [
        "038075000001",
        "038177000002",
        "038305000003",
        "001090000004",
        "038099000010",
    ];
    for start in (0..total).step_by(1000) {
        let batch: Vec<AuditRecord> = (start..start + 1000)
            .map(|i| {
                let mut r = AuditRecord::now(
                    if i % 2 == 0 { "even" } else { "odd" },
                    "api-token",
                    "person.read",
                    "GET /api/v1/persons/{personal_id}",
                );
                r.subject = Some(subjects[i % subjects.len()].into());
                r.reason = Some(i.to_string());
                r
            })
            .collect();
        store.append_audit(&batch).unwrap();
    }
    let seq = |records: &[AuditRecord]| -> Vec<usize> {
        records
            .iter()
            .map(|r| r.reason.as_deref().unwrap().parse().unwrap())
            .collect()
    };
    let newest = store
        .list_audit(&AuditFilter {
            limit: 3,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(seq(&newest), vec![total - 1, total - 2, total - 3]);
    let everyone = store
        .list_audit(&AuditFilter {
            limit: 30_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(everyone.len(), total);
    assert!(
        seq(&everyone).windows(2).all(|w| w[0] == w[1] + 1),
        "strictly newest first"
    );
    let one = store
        .list_audit(&AuditFilter {
            subject: Some("038305000003".into()),
            limit: 30_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(one.len(), total / subjects.len());
    assert!(seq(&one).iter().all(|i| i % subjects.len() == 2));
    let odd = store
        .list_audit(&AuditFilter {
            actor: Some("odd".into()),
            subject: Some("038075000001".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        seq(&odd),
        vec![24_995, 24_985, 24_975, 24_965, 24_955, 24_945, 24_935, 24_925, 24_915, 24_905]
    );
}

fn tokens_are_found_by_hash(store: &dyn Store) {
    let t = ApiTokenRecord {
        name: "hệ thống bảo hiểm".into(),
        role: "labour".into(),
        token_hash: "ab".repeat(32),
        created_at: xaso_store::now_rfc3339(),
        revoked: false,
    };
    store.insert_token(&t).unwrap();
    assert_eq!(store.find_token(&t.token_hash).unwrap(), Some(t.clone()));
    assert_eq!(store.find_token("cd").unwrap(), None);
    assert!(matches!(
        store.insert_token(&t),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.list_tokens().unwrap(), vec![t.clone()]);
    store.revoke_token(&t.name).unwrap();
    assert!(store.find_token(&t.token_hash).unwrap().unwrap().revoked);
    assert!(matches!(
        store.revoke_token("no such token"),
        Err(StoreError::NotFound(_))
    ));
}

fn meta_round_trips(store: &dyn Store) {
    assert_eq!(store.get_meta("commune_code").unwrap(), None);
    store.set_meta("commune_code", "16309").unwrap();
    store.set_meta("commune_code", "16310").unwrap();
    assert_eq!(
        store.get_meta("commune_code").unwrap().as_deref(),
        Some("16310")
    );
}

fn raw_reads_give_the_same_document(store: &dyn Store) {
    load_family(store);
    for p in family() {
        let stored = store.get_person(&p.personal_id).unwrap().unwrap();
        let raw = store.get_person_raw(&p.personal_id).unwrap().unwrap();
        let from_raw: serde_json::Value = serde_json::from_str(&raw.to_stored_json()).unwrap();
        assert_eq!(from_raw, serde_json::to_value(&stored).unwrap());
    }
    assert!(store.get_person_raw(&id("038075999999")).unwrap().is_none());
}

fn a_refused_first_load_leaves_an_empty_register(store: &dyn Store) {
    let mut items = family()
        .into_iter()
        .enumerate()
        .map(|(i, p)| LoadItem::person(i + 2, p).unwrap())
        .chain([LoadItem::Household(Household {
            id: "HK-1".into(),
            head_personal_id: None,
            address: Address::default(),
        })]);
    let summary = store
        .load(&mut items, &change("loader"), &mut |_| false)
        .unwrap();
    assert!(!summary.committed);
    assert_eq!(store.count_persons().unwrap(), 0);
    assert!(store.get_household("HK-1").unwrap().is_none());
    // And the register still takes a load afterwards.
    load_family(store);
    assert_eq!(store.count_persons().unwrap(), 4);
}

fn a_household_repeated_in_a_load_keeps_its_last_version(store: &dyn Store) {
    let first = Household {
        id: "HK-7".into(),
        head_personal_id: None,
        address: Address {
            detail: Some("Thôn 1".into()),
            commune_code: None,
        },
    };
    let last = Household {
        id: "HK-7".into(),
        head_personal_id: Some(id("038075000001")),
        address: Address {
            detail: Some("Thôn 2".into()),
            commune_code: Some("16309".into()),
        },
    };
    let mut items = vec![
        LoadItem::person(2, family()[0].clone()).unwrap(),
        LoadItem::Household(first),
        LoadItem::Household(last.clone()),
    ]
    .into_iter();
    let summary = store
        .load(&mut items, &change("loader"), &mut |c| c.is_empty())
        .unwrap();
    assert!(summary.committed);
    assert_eq!(store.get_household("HK-7").unwrap(), Some(last));
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[test] fn $name() { let (s, _c) = super::sqlite(); super::$name(s.as_ref()); })*
        }
        mod pg_backend {
            $(#[test] #[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"] fn $name() { let (s, _c) = super::postgres(); super::$name(s.as_ref()); })*
        }
    };
}

contract!(
    loaded_persons_read_back_exactly,
    name_search_ignores_tones_only_when_none_are_typed,
    cmnd_lookup,
    edits_create_versions_and_keep_the_old,
    insert_refuses_a_taken_id,
    households_and_events,
    a_refused_load_writes_nothing,
    export_streams_everyone_in_id_order,
    audit_is_appended_and_filtered,
    tokens_are_found_by_hash,
    meta_round_trips,
    raw_reads_give_the_same_document,
    a_long_audit_log_reads_newest_first_by_any_filter,
    a_refused_first_load_leaves_an_empty_register,
    a_household_repeated_in_a_load_keeps_its_last_version,
);

#[test]
fn sqlite_reopens_with_its_data_and_refuses_a_newer_schema() {
    let dir = std::env::temp_dir().join(format!("xaso-reopen-{}", unique()));
    {
        let s = xaso_store::SqliteStore::open_dir(&dir).unwrap();
        load_family(&s);
    }
    let s = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    assert_eq!(s.count_persons().unwrap(), 4);
    drop(s);
    let conn = rusqlite::Connection::open(dir.join("xaso.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = xaso_store::SqliteStore::open_dir(&dir).err().unwrap();
    assert!(err.to_string().contains("newer version"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_audit_log_cannot_be_rewritten() {
    let dir = std::env::temp_dir().join(format!("xaso-audit-{}", unique()));
    let s = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    // Enough records that some are folded into the indexed table and some wait in the inbox.
    let batch: Vec<AuditRecord> = (0..25_000)
        .map(|_| AuditRecord::now("a", "cli", "x", "y"))
        .collect();
    s.append_audit(&batch).unwrap();
    s.append_audit(&batch[..10]).unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(dir.join("xaso.audit.db")).unwrap();
    let folded: i64 = conn
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert!(folded > 0);
    for sql in [
        "DELETE FROM audit",
        "UPDATE audit SET actor = 'b'",
        "UPDATE audit_inbox SET actor = 'b'",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
