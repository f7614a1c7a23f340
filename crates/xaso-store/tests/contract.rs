//! One contract, every backend: each check runs against SQLite (always) and PostgreSQL (the
//! `pg_*` tests, ignored by default; `.ci/run` runs them with `XASO_TEST_DATABASE_URL` set and
//! `--ignored`, and they fail, not skip, when the variable is missing).
#![allow(clippy::unwrap_used)]

use xaso_domain::register::{
    Address, Household, Person, PersonRef, ResidenceEvent, ResidenceEventKind,
};
use xaso_domain::{Cmnd, PartialDate, PersonalId, Sex};
use xaso_store::{
    ApiTokenRecord, AttachmentLink, AuditFilter, AuditRecord, AuditStore, ChangeMeta,
    CitizenRecord, CitizenSessionRecord, CitizenStore, CivilStatusFilter, Complaint,
    ComplaintFilter, DecisionFilter, DossierChange, DossierFilter, DossierRecord, DossierStore,
    LoadItem, NameQuery, NewCivilStatusEntry, NewComplaint, NewDecision, NewRun, OfficerRecord,
    OfficerStore, OidcClientRecord, OidcGrantRecord, OidcStore, OtpRecord, ReconcileRow,
    RegisterEffect, RegisterStore, ReviewDecision, RowCandidate, RowFilter, RowResolution,
    RunFilter, RunStatus, SavedDossier, SessionRecord, Store, StoreError,
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
        let from_raw: serde_json::Value = serde_json::from_slice(&raw.to_stored_json()).unwrap();
        assert_eq!(from_raw, serde_json::to_value(&stored).unwrap());
    }
    assert!(store.get_person_raw(&id("038075999999")).unwrap().is_none());
}

/// The personal IDs of [`family`] and one nobody has, with the synchronous raw reads' answers.
fn raw_answers(store: &dyn Store) -> Vec<(PersonalId, Option<xaso_store::RawPerson>)> {
    family()
        .into_iter()
        .map(|p| p.personal_id)
        .chain([id("038075999999")])
        .map(|pid| {
            let raw = store.get_person_raw(&pid).unwrap();
            (pid, raw)
        })
        .collect()
}

fn async_reads_give_the_same_bytes(store: &dyn Store) {
    load_family(store);
    let Some(reader) = store.async_person_reader() else {
        // A backend without one reads in place (SQLite).
        assert!(store.reads_inline(), "{}", store.backend());
        return;
    };
    // Taken before the runtime: the synchronous client must not run inside one.
    let expected = raw_answers(store);
    assert!(expected.iter().filter(|(_, raw)| raw.is_some()).count() == 4);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        reader.open_connections().await.unwrap();
        // One after another, round every connection more than once.
        for _ in 0..3 {
            for (pid, want) in &expected {
                assert_eq!(&reader.get_person_raw(pid).await.unwrap(), want, "{pid}");
            }
        }
        // Many at once, pipelined on shared connections.
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let reader = reader.clone();
                let (pid, want) = expected[i % expected.len()].clone();
                tokio::spawn(async move {
                    assert_eq!(reader.get_person_raw(&pid).await.unwrap(), want, "{pid}");
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
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

fn officer(login: &str, name: &str, role: &str) -> OfficerRecord {
    let now = xaso_store::now_rfc3339();
    OfficerRecord {
        login: login.into(),
        display_name: name.into(),
        role: role.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${login}"),
        must_change_password: true,
        totp_secret: None,
        totp_last_step: None,
        disabled: false,
        login_attempts: "{}".into(),
        created_at: now.clone(),
        updated_at: now,
    }
}

/// A time as the store writes it: `minutes` after 08:00 UTC on 1 March 2026.
fn at_minute(minutes: i64) -> String {
    let base = time::macros::datetime!(2026-03-01 08:00 UTC);
    xaso_store::format_utc(base + time::Duration::minutes(minutes))
}

fn session(id_hash: &str, login: &str, last_seen_minute: i64) -> SessionRecord {
    SessionRecord {
        id_hash: id_hash.into(),
        login: login.into(),
        created_at: at_minute(0),
        last_seen: at_minute(last_seen_minute),
        second_factor_pending: false,
    }
}

fn officers_are_stored_listed_and_counted(store: &dyn Store) {
    assert_eq!(store.count_officers().unwrap(), 0);
    assert!(store.list_officers().unwrap().is_empty());
    assert_eq!(store.get_officer("admin").unwrap(), None);
    let admin = officer("admin", "Quản trị viên", "admin");
    let mut police = officer("ca.hung", "Trung úy Nguyễn Văn Hùng", "police");
    police.must_change_password = false;
    police.totp_secret = Some("JBSWY3DPEHPK3PXP".into());
    police.totp_last_step = Some(59_000_123);
    police.login_attempts = r#"{"failures":["2026-03-01T08:00:00Z"]}"#.into();
    let reader = officer("xem", "Cán bộ xem", "read-only");
    for o in [&reader, &admin, &police] {
        store.insert_officer(o).unwrap();
    }
    assert_eq!(store.count_officers().unwrap(), 3);
    assert_eq!(store.get_officer("admin").unwrap(), Some(admin.clone()));
    assert_eq!(store.get_officer("ca.hung").unwrap(), Some(police.clone()));
    // Logins are compared as stored: the caller lowers them.
    assert_eq!(store.get_officer("Admin").unwrap(), None);
    assert_eq!(store.get_officer("nobody").unwrap(), None);
    // Ordered by login.
    assert_eq!(store.list_officers().unwrap(), vec![admin, police, reader]);
}

fn officer_logins_are_unique_and_updates_need_an_officer(store: &dyn Store) {
    let first = officer("desk.lan", "Trần Thị Lan", "desk");
    store.insert_officer(&first).unwrap();
    let again = officer("desk.lan", "Someone else", "admin");
    let refused = store.insert_officer(&again);
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    // The first account is untouched.
    assert_eq!(store.get_officer("desk.lan").unwrap(), Some(first));
    assert_eq!(store.count_officers().unwrap(), 1);
    let missing = store.update_officer(&officer("ghost", "Không có", "desk"));
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    assert_eq!(store.get_officer("ghost").unwrap(), None);
    assert_eq!(store.count_officers().unwrap(), 1);
}

fn officer_updates_replace_all_but_login_and_creation(store: &dyn Store) {
    let created = officer("tp.minh", "Lê Văn Minh", "justice");
    let other = officer("dc.binh", "Phạm Thị Bình", "land");
    store.insert_officer(&created).unwrap();
    store.insert_officer(&other).unwrap();
    let changed = OfficerRecord {
        login: created.login.clone(),
        display_name: "Lê Văn Minh (Tư pháp)".into(),
        role: "leader".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$bmV3$new".into(),
        must_change_password: false,
        totp_secret: Some("KRSXG5CTMVRXEZLU".into()),
        totp_last_step: Some(i64::from(u32::MAX) + 7),
        disabled: true,
        login_attempts: r#"{"failures":[],"locked_until":"2026-03-01T08:15:00Z"}"#.into(),
        // Not changed by an update.
        created_at: at_minute(-60),
        updated_at: at_minute(30),
    };
    store.update_officer(&changed).unwrap();
    let expected = OfficerRecord {
        created_at: created.created_at.clone(),
        ..changed.clone()
    };
    assert_eq!(
        store.get_officer("tp.minh").unwrap(),
        Some(expected.clone())
    );
    // Optional fields can be cleared again (an admin resets the second factor).
    let reset = OfficerRecord {
        totp_secret: None,
        totp_last_step: None,
        must_change_password: true,
        disabled: false,
        login_attempts: "{}".into(),
        updated_at: at_minute(31),
        ..expected
    };
    store.update_officer(&reset).unwrap();
    assert_eq!(store.get_officer("tp.minh").unwrap(), Some(reset.clone()));
    // Only that officer changed.
    assert_eq!(store.list_officers().unwrap(), vec![other, reset]);
    assert_eq!(store.count_officers().unwrap(), 2);
}

fn sessions_are_found_updated_and_ended(store: &dyn Store) {
    store
        .insert_officer(&officer("ca.hung", "Nguyễn Văn Hùng", "police"))
        .unwrap();
    let hash = "9f".repeat(32);
    let mut pending = session(&hash, "ca.hung", 0);
    pending.second_factor_pending = true;
    store.insert_session(&pending).unwrap();
    assert_eq!(store.get_session(&hash).unwrap(), Some(pending.clone()));
    assert_eq!(store.get_session(&"00".repeat(32)).unwrap(), None);
    // The same id twice is refused, and the first session is kept.
    let twin = session(&hash, "ca.hung", 5);
    assert!(matches!(
        store.insert_session(&twin),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.get_session(&hash).unwrap(), Some(pending.clone()));
    // A session needs an officer.
    let orphan = store.insert_session(&session(&"ab".repeat(32), "nobody", 0));
    assert!(matches!(orphan, Err(StoreError::NotFound(_))), "{orphan:?}");
    assert_eq!(store.get_session(&"ab".repeat(32)).unwrap(), None);
    // The code was right: the session is complete and seen later. Only last_seen and the
    // pending flag change, whatever else the record says.
    let done = SessionRecord {
        last_seen: at_minute(3),
        second_factor_pending: false,
        created_at: at_minute(-100),
        ..pending.clone()
    };
    store.update_session(&done).unwrap();
    assert_eq!(
        store.get_session(&hash).unwrap(),
        Some(SessionRecord {
            created_at: pending.created_at.clone(),
            ..done.clone()
        })
    );
    let unknown = store.update_session(&session(&"cd".repeat(32), "ca.hung", 9));
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );
    // Logging out.
    store.delete_session(&hash).unwrap();
    assert_eq!(store.get_session(&hash).unwrap(), None);
    // Twice is not an error.
    store.delete_session(&hash).unwrap();
    assert!(matches!(
        store.update_session(&done),
        Err(StoreError::NotFound(_))
    ));
}

fn sessions_end_by_officer_and_by_idle_time(store: &dyn Store) {
    for login in ["a", "b"] {
        store
            .insert_officer(&officer(login, "Cán bộ", "desk"))
            .unwrap();
    }
    let sessions = [
        session("s1", "a", 1),
        session("s2", "a", 20),
        session("s3", "b", 5),
        session("s4", "b", 10),
        session("s5", "b", 30),
    ];
    for s in &sessions {
        store.insert_session(s).unwrap();
    }
    let present = |store: &dyn Store| -> Vec<String> {
        ["s1", "s2", "s3", "s4", "s5"]
            .into_iter()
            .filter(|id| store.get_session(id).unwrap().is_some())
            .map(String::from)
            .collect()
    };
    // Seen before minute 10: s1 and s3; s4, seen at minute 10 exactly, stays.
    assert_eq!(
        store.delete_sessions_seen_before(&at_minute(10)).unwrap(),
        2
    );
    assert_eq!(present(store), vec!["s2", "s4", "s5"]);
    assert_eq!(
        store.delete_sessions_seen_before(&at_minute(10)).unwrap(),
        0
    );
    // Disabling b ends b's sessions, and only those.
    assert_eq!(store.delete_sessions_of("b").unwrap(), 2);
    assert_eq!(present(store), vec!["s2"]);
    assert_eq!(store.delete_sessions_of("b").unwrap(), 0);
    assert_eq!(store.delete_sessions_of("nobody").unwrap(), 0);
    assert_eq!(store.get_session("s2").unwrap(), Some(sessions[1].clone()));
    assert_eq!(store.delete_sessions_of("a").unwrap(), 1);
    assert!(present(store).is_empty());
    // Officers stay.
    assert_eq!(store.count_officers().unwrap(), 2);
}

fn audit_is_filtered_by_time(store: &dyn Store) {
    // Record i happens at minute i, about subject "S<i mod 3>". The first AUDIT_FOLD_AT are
    // enough for SQLite to add them to its index tables; the last 10 wait for the next batch.
    // A look-up across both must read both.
    let record = |i: i64| {
        let mut r = AuditRecord::now(
            if i % 2 == 0 { "even" } else { "odd" },
            "officer",
            "person.read",
            "GET /api/v1/persons/{personal_id}",
        );
        r.at = at_minute(i);
        r.reason = Some(i.to_string());
        r.subject = Some(format!("S{}", i % 3));
        r
    };
    let folded = i64::try_from(xaso_store::sqlite::AUDIT_FOLD_AT).unwrap();
    assert_eq!(folded % 5_000, 0);
    let total = folded + 10;
    for start in (0..folded).step_by(5_000) {
        let batch: Vec<AuditRecord> = (start..start + 5_000).map(record).collect();
        store.append_audit(&batch).unwrap();
    }
    let inbox: Vec<AuditRecord> = (folded..total).map(record).collect();
    store.append_audit(&inbox).unwrap();
    let seq = |filter: AuditFilter| -> Vec<i64> {
        store
            .list_audit(&filter)
            .unwrap()
            .iter()
            .map(|r| r.reason.as_deref().unwrap().parse().unwrap())
            .collect()
    };
    let window = |since: Option<i64>, until: Option<i64>, limit: usize| AuditFilter {
        since: since.map(at_minute),
        until: until.map(at_minute),
        limit,
        ..Default::default()
    };
    // Since inclusive, until exclusive; newest first; across the fold.
    assert_eq!(
        seq(window(Some(folded - 3), Some(folded + 4), 100)),
        (folded - 3..folded + 4).rev().collect::<Vec<_>>()
    );
    // Only a lower bound: the newest, down to it.
    assert_eq!(
        seq(window(Some(total - 3), None, 100)),
        vec![total - 1, total - 2, total - 3]
    );
    assert_eq!(
        seq(window(Some(folded - 5), None, 3)),
        vec![total - 1, total - 2, total - 3]
    );
    // Only an upper bound, in either table.
    assert_eq!(seq(window(None, Some(3), 100)), vec![2, 1, 0]);
    assert_eq!(
        seq(window(None, Some(folded + 2), 4)),
        vec![folded + 1, folded, folded - 1, folded - 2]
    );
    // Everything, and nothing.
    assert_eq!(
        seq(window(None, None, total as usize + 1)).len(),
        total as usize
    );
    assert_eq!(
        seq(window(Some(0), Some(total), total as usize + 1)).len(),
        total as usize
    );
    assert!(seq(window(Some(500), Some(500), 100)).is_empty());
    assert!(seq(window(Some(total), None, 100)).is_empty());
    assert!(seq(window(None, Some(0), 100)).is_empty());
    // Together with the other filters.
    assert_eq!(
        seq(AuditFilter {
            actor: Some("odd".into()),
            ..window(Some(folded - 4), Some(folded + 5), 100)
        }),
        vec![folded + 3, folded + 1, folded - 1, folded - 3]
    );
    assert_eq!(
        seq(AuditFilter {
            actor: Some("even".into()),
            action: Some("person.read".into()),
            ..window(Some(10), Some(16), 100)
        }),
        vec![14, 12, 10]
    );
    assert!(seq(AuditFilter {
        action: Some("person.update".into()),
        ..window(Some(0), None, 100)
    })
    .is_empty());
    // By subject (and actor), newest first, across the batch boundary, and the limit.
    let of_subject = |s: i64, from: i64, to: i64| -> Vec<i64> {
        (from..to).rev().filter(|i| i % 3 == s).collect()
    };
    let subject = |s: &str, limit: usize| AuditFilter {
        subject: Some(s.into()),
        limit,
        ..Default::default()
    };
    assert_eq!(seq(subject("S1", 6)), of_subject(1, folded - 8, total));
    assert_eq!(
        seq(AuditFilter {
            since: Some(at_minute(folded - 7)),
            until: Some(at_minute(folded + 8)),
            ..subject("S0", 100)
        }),
        of_subject(0, folded - 7, folded + 8)
    );
    assert_eq!(
        seq(AuditFilter {
            actor: Some("odd".into()),
            until: Some(at_minute(10)),
            ..subject("S2", 100)
        }),
        vec![5]
    );
    assert_eq!(
        seq(subject("S2", total as usize)).len(),
        of_subject(2, 0, total).len()
    );
    assert!(seq(subject("S3", 100)).is_empty());
    // By actor alone, across the boundary.
    assert_eq!(
        seq(AuditFilter {
            actor: Some("even".into()),
            limit: 8,
            ..Default::default()
        }),
        (folded - 6..total)
            .rev()
            .filter(|i| i % 2 == 0)
            .collect::<Vec<_>>()
    );
}

fn new_run(kind: &str, file: &str) -> NewRun {
    NewRun {
        kind: kind.into(),
        file_name: file.into(),
        created_by: "lao.dong".into(),
        row_count: 40,
        columns: r#"{"name":1,"dob":2}"#.into(),
        headers: vec!["STT".into(), "Họ và tên".into(), "Ngày sinh".into()],
    }
}

fn list_row(row: i64, outcome: &str, personal_id: Option<&str>) -> ReconcileRow {
    let candidate = |id: &str, w: f64| RowCandidate {
        personal_id: id.into(),
        detail: format!(
            r#"{{"weight":{w},"fields":[{{"field":"given","level":"exact","weight":3.5}}]}}"#
        ),
    };
    ReconcileRow {
        row,
        cells: vec![
            row.to_string(),
            format!("Người \"số\" {row}\tx"),
            "1990".into(),
        ],
        engine_outcome: outcome.into(),
        outcome: outcome.into(),
        personal_id: personal_id.map(String::from),
        weight: personal_id.map(|_| 12.25 + row as f64),
        probability: personal_id.map(|_| 0.875),
        differences: if outcome == "matched_with_corrections" {
            vec![
                "Họ và tên: A → B".into(),
                "Ngày sinh: 1990 → 01/02/1990".into(),
            ]
        } else {
            Vec::new()
        },
        best: personal_id.map(|id| candidate(id, 12.25 + row as f64)),
        runner_up: (row % 2 == 0).then(|| candidate("038177000002", -3.5)),
        row_key: format!("key-{row}"),
        decision: None,
    }
}

fn runs_are_kept_per_kind_newest_first(store: &dyn Store) {
    let first = store
        .create_run(&new_run("welfare", "bao-tro.xlsx"))
        .unwrap();
    assert_eq!(first.status, RunStatus::Queued);
    assert_eq!(first.headers[1], "Họ và tên");
    assert_eq!(
        first.row_count, 40,
        "the rows uploaded, until the run is done"
    );
    assert!(first.summary.is_none() && first.finished_at.is_none());
    let land = store.create_run(&new_run("land", "dat.csv")).unwrap();
    let second = store
        .create_run(&new_run("welfare", "bao-tro-2.csv"))
        .unwrap();
    assert!(first.id < land.id && land.id < second.id);
    assert_eq!(store.get_run(first.id).unwrap(), Some(first.clone()));
    assert!(store.get_run(second.id + 100).unwrap().is_none());
    let ids = |filter: RunFilter| -> Vec<i64> {
        store
            .list_runs(&filter)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(
        ids(RunFilter {
            kind: None,
            limit: 10
        }),
        vec![second.id, land.id, first.id]
    );
    assert_eq!(
        ids(RunFilter {
            kind: Some("welfare".into()),
            limit: 10
        }),
        vec![second.id, first.id]
    );
    assert_eq!(
        ids(RunFilter {
            kind: Some("welfare".into()),
            limit: 1
        }),
        vec![second.id]
    );

    // Running, then failed with its reason; a run that is not there is named.
    store
        .set_run_status(first.id, RunStatus::Running, None)
        .unwrap();
    let running = store.get_run(first.id).unwrap().unwrap();
    assert_eq!(running.status, RunStatus::Running);
    assert!(running.finished_at.is_none());
    store
        .set_run_status(land.id, RunStatus::Failed, Some("register_empty"))
        .unwrap();
    let failed = store.get_run(land.id).unwrap().unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("register_empty"));
    assert!(failed.finished_at.is_some());
    assert!(matches!(
        store.set_run_status(second.id + 100, RunStatus::Running, None),
        Err(StoreError::NotFound(_))
    ));
    // A restart fails what was queued or running, and nothing else.
    assert_eq!(store.fail_unfinished_runs("interrupted").unwrap(), 2);
    for id in [first.id, second.id] {
        let r = store.get_run(id).unwrap().unwrap();
        assert_eq!(r.status, RunStatus::Failed);
        assert_eq!(r.error.as_deref(), Some("interrupted"));
    }
    assert_eq!(
        store.get_run(land.id).unwrap().unwrap().error.as_deref(),
        Some("register_empty")
    );
    assert_eq!(store.fail_unfinished_runs("interrupted").unwrap(), 0);
}

fn a_run_completes_with_its_rows_in_one_transaction(store: &dyn Store) {
    let run = store.create_run(&new_run("welfare", "list.csv")).unwrap();
    let mut rows: Vec<ReconcileRow> = (2..=41)
        .map(|r| match r % 4 {
            0 => list_row(r, "matched_by_id", Some("038075000001")),
            1 => list_row(r, "probable_match_review", Some("038205000003")),
            2 => list_row(r, "matched_with_corrections", Some("001190000004")),
            _ => list_row(r, "not_in_register", None),
        })
        .collect();
    // A repeated row number refuses the whole batch and leaves the run as it was.
    let mut bad = rows.clone();
    bad.push(list_row(2, "matched", None));
    assert!(matches!(
        store.complete_run(run.id, "{}", &bad),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.get_run(run.id).unwrap().unwrap().status,
        RunStatus::Queued
    );
    assert_eq!(
        store.count_run_rows(run.id, &RowFilter::default()).unwrap(),
        0
    );
    let summary = r#"{"counts":{"matched_by_id":10},"measures":{"correct":25.0}}"#;
    store.complete_run(run.id, summary, &rows).unwrap();
    let done = store.get_run(run.id).unwrap().unwrap();
    assert_eq!(done.status, RunStatus::Done);
    assert_eq!(done.row_count, 40);
    assert_eq!(done.summary.as_deref(), Some(summary));
    assert!(done.finished_at.is_some());
    assert!(matches!(
        store.complete_run(run.id, summary, &rows),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.complete_run(run.id + 100, summary, &rows),
        Err(StoreError::NotFound(_))
    ));

    // Every row reads back as written.
    let all = store
        .list_run_rows(
            run.id,
            &RowFilter {
                limit: 100,
                ..RowFilter::default()
            },
        )
        .unwrap();
    assert_eq!(all, rows);
    assert_eq!(
        store.get_run_row(run.id, 7).unwrap().as_ref(),
        Some(&rows[5])
    );
    assert!(store.get_run_row(run.id, 1).unwrap().is_none());

    // Pages of rows by outcome, in row order.
    let review = RowFilter {
        outcomes: vec!["probable_match_review".into()],
        offset: 2,
        limit: 3,
        ..RowFilter::default()
    };
    let page: Vec<i64> = store
        .list_run_rows(run.id, &review)
        .unwrap()
        .iter()
        .map(|r| r.row)
        .collect();
    assert_eq!(page, vec![13, 17, 21]);
    assert_eq!(store.count_run_rows(run.id, &review).unwrap(), 10);
    let after = RowFilter {
        outcomes: vec!["probable_match_review".into()],
        after_row: Some(21),
        limit: 2,
        ..RowFilter::default()
    };
    let page: Vec<i64> = store
        .list_run_rows(run.id, &after)
        .unwrap()
        .iter()
        .map(|r| r.row)
        .collect();
    assert_eq!(page, vec![25, 29]);
    assert_eq!(store.count_run_rows(run.id, &after).unwrap(), 5);
    let two = RowFilter {
        outcomes: vec!["matched_by_id".into(), "not_in_register".into()],
        limit: 4,
        ..RowFilter::default()
    };
    let page: Vec<i64> = store
        .list_run_rows(run.id, &two)
        .unwrap()
        .iter()
        .map(|r| r.row)
        .collect();
    assert_eq!(page, vec![3, 4, 7, 8]);
    assert_eq!(store.count_run_rows(run.id, &two).unwrap(), 20);
    let mut counts = store.run_outcome_counts(run.id).unwrap();
    counts.sort();
    assert_eq!(
        counts,
        vec![
            ("matched_by_id".to_string(), 10),
            ("matched_with_corrections".to_string(), 10),
            ("not_in_register".to_string(), 10),
            ("probable_match_review".to_string(), 10),
        ]
    );
    // Another run's rows are its own.
    let other = store.create_run(&new_run("welfare", "b.csv")).unwrap();
    rows.truncate(3);
    store.complete_run(other.id, "{}", &rows).unwrap();
    assert_eq!(
        store
            .count_run_rows(other.id, &RowFilter::default())
            .unwrap(),
        3
    );
    assert_eq!(
        store.count_run_rows(run.id, &RowFilter::default()).unwrap(),
        40
    );
    // An empty list completes too.
    let empty = store.create_run(&new_run("sim", "empty.csv")).unwrap();
    store.complete_run(empty.id, "{}", &[]).unwrap();
    let empty = store.get_run(empty.id).unwrap().unwrap();
    assert_eq!((empty.status, empty.row_count), (RunStatus::Done, 0));
}

fn review_decisions_update_the_row_and_are_kept(store: &dyn Store) {
    let run = store.create_run(&new_run("welfare", "list.csv")).unwrap();
    let rows = vec![
        list_row(2, "probable_match_review", Some("038205000003")),
        list_row(3, "probable_match_review", Some("038075000001")),
        list_row(4, "probable_match_review", Some("038177000002")),
        list_row(5, "matched_with_corrections", Some("001190000004")),
    ];
    store.complete_run(run.id, "{}", &rows).unwrap();
    let queue = RowFilter {
        outcomes: vec!["probable_match_review".into()],
        undecided: true,
        limit: 10,
        ..RowFilter::default()
    };
    assert_eq!(store.count_run_rows(run.id, &queue).unwrap(), 3);
    let decide = |row: i64, decision: ReviewDecision, id: Option<&str>, outcome: &str| {
        store
            .record_decision(
                &NewDecision {
                    run_id: run.id,
                    row,
                    decision,
                    personal_id: id.map(String::from),
                    officer: "lao.dong".into(),
                    note: Some(format!("dòng {row}")),
                },
                &RowResolution {
                    outcome: outcome.into(),
                    personal_id: if decision == ReviewDecision::Reject {
                        None
                    } else {
                        id.map(String::from)
                    },
                    differences: vec![format!("quyết định {}", decision.as_str())],
                },
            )
            .unwrap()
    };
    let accepted = decide(2, ReviewDecision::Accept, Some("038205000003"), "matched");
    assert_eq!(accepted.kind, "welfare");
    assert_eq!(accepted.row_key, "key-2");
    assert_eq!(accepted.officer, "lao.dong");
    decide(
        3,
        ReviewDecision::Reject,
        Some("038075000001"),
        "not_in_register",
    );
    decide(4, ReviewDecision::Correct, Some("001190000004"), "matched");
    let row = store.get_run_row(run.id, 2).unwrap().unwrap();
    assert_eq!(row.outcome, "matched");
    assert_eq!(row.engine_outcome, "probable_match_review");
    assert_eq!(row.decision.as_deref(), Some("accept"));
    assert_eq!(row.differences, vec!["quyết định accept".to_string()]);
    let row = store.get_run_row(run.id, 3).unwrap().unwrap();
    assert_eq!(row.outcome, "not_in_register");
    assert_eq!(row.personal_id, None);
    assert_eq!(
        row.best.unwrap().personal_id,
        "038075000001",
        "the proposal is kept"
    );
    let row = store.get_run_row(run.id, 4).unwrap().unwrap();
    assert_eq!(
        (row.outcome.as_str(), row.personal_id.as_deref()),
        ("matched", Some("001190000004"))
    );
    assert_eq!(store.count_run_rows(run.id, &queue).unwrap(), 0);
    // A changed mind is a new decision; the row follows the latest.
    decide(3, ReviewDecision::Accept, Some("038075000001"), "matched");
    assert_eq!(
        store.get_run_row(run.id, 3).unwrap().unwrap().outcome,
        "matched"
    );
    // A row that is not there.
    assert!(matches!(
        store.record_decision(
            &NewDecision {
                run_id: run.id,
                row: 99,
                decision: ReviewDecision::Accept,
                personal_id: None,
                officer: "x".into(),
                note: None,
            },
            &RowResolution {
                outcome: "matched".into(),
                personal_id: None,
                differences: Vec::new(),
            },
        ),
        Err(StoreError::NotFound(_))
    ));

    // Decisions newest first, by run or by list kind (to feed them into later runs).
    let land = store.create_run(&new_run("land", "dat.csv")).unwrap();
    store
        .complete_run(
            land.id,
            "{}",
            &[list_row(2, "probable_match_review", Some("038205000003"))],
        )
        .unwrap();
    store
        .record_decision(
            &NewDecision {
                run_id: land.id,
                row: 2,
                decision: ReviewDecision::Reject,
                personal_id: Some("038205000003".into()),
                officer: "dia.chinh".into(),
                note: None,
            },
            &RowResolution {
                outcome: "not_in_register".into(),
                personal_id: None,
                differences: Vec::new(),
            },
        )
        .unwrap();
    let list = |filter: DecisionFilter| -> Vec<(i64, i64, ReviewDecision)> {
        store
            .list_decisions(&filter)
            .unwrap()
            .into_iter()
            .map(|d| (d.run_id, d.row, d.decision))
            .collect()
    };
    assert_eq!(
        list(DecisionFilter {
            run_id: Some(run.id),
            kind: None,
            limit: 10
        }),
        vec![
            (run.id, 3, ReviewDecision::Accept),
            (run.id, 4, ReviewDecision::Correct),
            (run.id, 3, ReviewDecision::Reject),
            (run.id, 2, ReviewDecision::Accept),
        ]
    );
    assert_eq!(
        list(DecisionFilter {
            run_id: None,
            kind: Some("land".into()),
            limit: 10
        }),
        vec![(land.id, 2, ReviewDecision::Reject)]
    );
    assert_eq!(
        list(DecisionFilter {
            run_id: None,
            kind: None,
            limit: 2
        })
        .len(),
        2
    );
    let all = store
        .list_decisions(&DecisionFilter {
            limit: 10,
            ..DecisionFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[4].note.as_deref(), Some("dòng 2"));
    assert_eq!(all[4].personal_id.as_deref(), Some("038205000003"));
}

// ---- the one-stop shop ----

fn at_day(day: u32) -> String {
    format!("2026-03-{day:02}T02:00:00.000000Z")
}

fn dossier(
    receipt: &str,
    parent: Option<&str>,
    state: &str,
    role: &str,
    day: u32,
) -> DossierRecord {
    let group = state == "group";
    DossierRecord {
        receipt_number: receipt.into(),
        parent: parent.map(str::to_string),
        procedure_code: if group {
            "LT-KS".into()
        } else {
            "KS-01".into()
        },
        unit: "16309".into(),
        channel: "desk".into(),
        applicant_id: Some("038177000002".into()),
        handling_role: role.into(),
        assigned_officer: None,
        state: state.into(),
        received_at: at_day(day),
        due_on: format!("2026-04-{day:02}"),
        finished_on: None,
        form: Some("{\"ho_ten\":\"Nguyễn Văn An\"}".into()),
        data: (!group).then(|| "{\"history\":[]}".to_string()),
        result: None,
        rating: None,
        rating_comment: None,
        version: 1,
        updated_at: at_day(day),
        updated_by: "motcua".into(),
    }
}

fn receipts(list: &[DossierRecord]) -> Vec<&str> {
    list.iter().map(|d| d.receipt_number.as_str()).collect()
}

fn list(store: &dyn Store, filter: DossierFilter) -> Vec<String> {
    receipts(&store.list_dossiers(&filter).unwrap())
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// A group (received day 3) with two steps, and two single dossiers (days 1 and 5).
fn some_dossiers(store: &dyn Store) -> Vec<DossierRecord> {
    let group = dossier("G-1", None, "group", "", 3);
    let mut justice = dossier("G-1-1", Some("G-1"), "received", "justice", 3);
    justice.assigned_officer = Some("tuphap".into());
    justice.form = None;
    let police = dossier("G-1-2", Some("G-1"), "waiting", "police", 3);
    let mut old = dossier("S-1", None, "returned", "justice", 1);
    old.applicant_id = Some("001190000004".into());
    old.finished_on = Some("2026-03-02".into());
    old.result = Some("{\"so\":\"12\"}".into());
    let mut new = dossier("S-2", None, "processing", "justice", 5);
    new.assigned_officer = Some("tuphap".into());
    // The steps before their group: the group is checked at commit.
    let all = vec![justice, police, group, old, new];
    store.insert_dossiers(&all[..3]).unwrap();
    store.insert_dossiers(&all[3..]).unwrap();
    all
}

fn dossiers_read_back_and_are_listed_by_filter(store: &dyn Store) {
    let all = some_dossiers(store);
    for d in &all {
        assert_eq!(
            store.get_dossier(&d.receipt_number).unwrap().as_ref(),
            Some(d)
        );
    }
    assert!(store.get_dossier("G-9").unwrap().is_none());
    assert_eq!(
        receipts(&store.group_steps("G-1").unwrap()),
        vec!["G-1-1", "G-1-2"]
    );
    assert_eq!(store.group_steps("G-1-1").unwrap(), Vec::new());
    // Newest received first; the same day by receipt number, descending.
    let every = DossierFilter::default();
    assert_eq!(
        list(store, every.clone()),
        ["S-2", "G-1-2", "G-1-1", "G-1", "S-1"]
    );
    let top = DossierFilter {
        top_level: Some(true),
        ..every.clone()
    };
    assert_eq!(list(store, top), ["S-2", "G-1", "S-1"]);
    let handled = DossierFilter {
        top_level: Some(false),
        ..every.clone()
    };
    assert_eq!(list(store, handled), ["S-2", "G-1-2", "G-1-1", "S-1"]);
    let open = DossierFilter {
        states: vec!["received".into(), "processing".into(), "waiting".into()],
        ..every.clone()
    };
    assert_eq!(list(store, open.clone()), ["S-2", "G-1-2", "G-1-1"]);
    let justice_open = DossierFilter {
        handling_role: Some("justice".into()),
        ..open.clone()
    };
    assert_eq!(list(store, justice_open), ["S-2", "G-1-1"]);
    let justice = DossierFilter {
        handling_role: Some("justice".into()),
        ..every.clone()
    };
    assert_eq!(list(store, justice), ["S-2", "G-1-1", "S-1"]);
    let mine = DossierFilter {
        assigned_officer: Some("tuphap".into()),
        ..every.clone()
    };
    assert_eq!(list(store, mine), ["S-2", "G-1-1"]);
    let mine_top = DossierFilter {
        assigned_officer: Some("tuphap".into()),
        top_level: Some(true),
        ..every.clone()
    };
    assert_eq!(list(store, mine_top), ["S-2"]);
    let applicant = DossierFilter {
        applicant_id: Some("001190000004".into()),
        ..every.clone()
    };
    assert_eq!(list(store, applicant), ["S-1"]);
    let window = DossierFilter {
        received_since: Some(at_day(3)),
        received_until: Some(at_day(5)),
        top_level: Some(true),
        ..every.clone()
    };
    assert_eq!(list(store, window), ["G-1"]);
    let first_two = DossierFilter {
        limit: 2,
        ..every.clone()
    };
    assert_eq!(list(store, first_two), ["S-2", "G-1-2"]);
    let nothing = DossierFilter {
        states: vec!["cancelled".into()],
        ..every
    };
    assert!(list(store, nothing).is_empty());
}

fn a_refused_dossier_insert_writes_nothing(store: &dyn Store) {
    store
        .insert_dossiers(&[dossier("D-1", None, "received", "justice", 1)])
        .unwrap();
    // A receipt number that exists, after a new one.
    let err = store
        .insert_dossiers(&[
            dossier("D-2", None, "received", "justice", 2),
            dossier("D-1", None, "received", "police", 2),
        ])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(store.get_dossier("D-2").unwrap().is_none());
    assert_eq!(
        store.get_dossier("D-1").unwrap().unwrap().handling_role,
        "justice"
    );
    // One repeated within the rows.
    let err = store
        .insert_dossiers(&[
            dossier("D-3", None, "received", "justice", 3),
            dossier("D-3", None, "received", "justice", 3),
        ])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(store.get_dossier("D-3").unwrap().is_none());
    // A step of a group that is not there.
    let err = store
        .insert_dossiers(&[
            dossier("D-4", None, "received", "justice", 4),
            dossier("G-9-1", Some("G-9"), "received", "justice", 4),
        ])
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert!(store.get_dossier("D-4").unwrap().is_none());
    assert!(store.get_dossier("G-9-1").unwrap().is_none());
    // A rating outside 1..=5.
    let mut rated = dossier("D-5", None, "returned", "justice", 5);
    rated.rating = Some(9);
    assert!(matches!(
        store.insert_dossiers(&[rated]),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(list(store, DossierFilter::default()), ["D-1"]);
}

fn newborn(pid: &str, name: &str) -> Person {
    let mut p = person(pid, name, "02/03/2026", Sex::Male);
    p.household_id = Some("HK-1".into());
    p.relation_to_head = Some("Con".into());
    p
}

fn birth_entry(
    kind: &str,
    year: i32,
    receipt: Option<&str>,
    pid: &str,
    name: &str,
) -> NewCivilStatusEntry {
    NewCivilStatusEntry {
        kind: kind.into(),
        year,
        receipt_number: receipt.map(str::to_string),
        personal_id: Some(pid.into()),
        full_name: name.into(),
        event_date: format!("{year}-03-02"),
        registered_on: format!("{year}-03-05"),
        data: "{\"noi_sinh\":\"Trạm y tế xã\"}".into(),
        paper_book: None,
        paper_line: None,
        scanned_page: None,
        created_by: "tuphap".into(),
    }
}

fn registered(pid: &str) -> ResidenceEvent {
    ResidenceEvent {
        personal_id: id(pid),
        kind: ResidenceEventKind::PermanentRegistered,
        date: PartialDate::parse("05/03/2026").unwrap(),
        address: Address::default(),
        note: Some("đăng ký khai sinh".into()),
    }
}

/// The dossier completed: what an officer's save writes.
fn completed(store: &dyn Store, receipt: &str) -> DossierRecord {
    let mut d = store.get_dossier(receipt).unwrap().unwrap();
    d.state = "done".into();
    d.finished_on = Some("2026-03-05".into());
    d.result = Some("{\"personal_id\":\"038326000011\"}".into());
    d.updated_at = "2026-03-05T03:00:00.000000Z".into();
    d.updated_by = "tuphap".into();
    d
}

fn birth_change(
    record: DossierRecord,
    pid: &str,
    name: &str,
    kind: &str,
    year: i32,
) -> DossierChange {
    DossierChange {
        civil_status: Some(birth_entry(
            kind,
            year,
            Some(&record.receipt_number),
            pid,
            name,
        )),
        record,
        register: vec![
            RegisterEffect::Insert(newborn(pid, name)),
            RegisterEffect::Residence(registered(pid)),
        ],
        meta: ChangeMeta {
            actor: "tuphap".into(),
            reason: Some("đăng ký khai sinh".into()),
        },
    }
}

fn book(store: &dyn Store, kind: &str, year: i32) -> Vec<(i64, Option<String>)> {
    store
        .list_civil_status(&CivilStatusFilter {
            kind: Some(kind.into()),
            year: Some(year),
            ..CivilStatusFilter::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| (e.line, e.entry.receipt_number))
        .collect()
}

fn a_saved_birth_registers_the_child_with_the_next_book_line(store: &dyn Store) {
    load_family(store);
    for (i, r) in ["B-1", "B-2", "B-3", "B-4"].into_iter().enumerate() {
        store
            .insert_dossiers(&[dossier(r, None, "processing", "justice", i as u32 + 1)])
            .unwrap();
    }
    let change = birth_change(
        completed(store, "B-1"),
        "038326000011",
        "Nguyễn Văn An",
        "birth",
        2026,
    );
    let saved = store.save_dossier(&change).unwrap();
    assert_eq!(saved.version, 2);
    let entry = saved.civil_status.unwrap();
    assert_eq!(entry.line, 1);
    assert_eq!(entry.entry, change.civil_status.clone().unwrap());
    let stored = store.get_dossier("B-1").unwrap().unwrap();
    assert_eq!(
        stored,
        DossierRecord {
            version: 2,
            ..change.record.clone()
        }
    );
    let child = store.get_person(&id("038326000011")).unwrap().unwrap();
    assert_eq!(child.person, newborn("038326000011", "Nguyễn Văn An"));
    assert_eq!(child.version, 1);
    assert_eq!(child.updated_by, "tuphap");
    // The key columns were written: the child is found by name.
    assert_eq!(
        search(store, "nguyen van an", Some(2026)),
        vec!["038326000011"]
    );
    assert_eq!(
        store.residence_events(&id("038326000011")).unwrap(),
        vec![registered("038326000011")]
    );
    // The next birth of the year takes line 2; another kind or year starts at 1.
    let second = birth_change(
        completed(store, "B-2"),
        "038226000012",
        "Lê Thị Bình",
        "birth",
        2026,
    );
    assert_eq!(
        store
            .save_dossier(&second)
            .unwrap()
            .civil_status
            .unwrap()
            .line,
        2
    );
    let other_year = birth_change(
        completed(store, "B-3"),
        "038326000013",
        "Lê Văn Cường",
        "birth",
        2027,
    );
    assert_eq!(
        store
            .save_dossier(&other_year)
            .unwrap()
            .civil_status
            .unwrap()
            .line,
        1
    );
    let mut death = birth_change(
        completed(store, "B-4"),
        "038326000014",
        "Lê Văn Dũng",
        "death",
        2026,
    );
    death.register.clear();
    assert_eq!(
        store
            .save_dossier(&death)
            .unwrap()
            .civil_status
            .unwrap()
            .line,
        1
    );
    assert_eq!(
        book(store, "birth", 2026),
        vec![(1, Some("B-1".into())), (2, Some("B-2".into()))]
    );
    assert_eq!(book(store, "birth", 2027), vec![(1, Some("B-3".into()))]);
    assert_eq!(book(store, "death", 2026), vec![(1, Some("B-4".into()))]);
    assert_eq!(store.count_persons().unwrap(), 7);
    // A save without register effects or entry just moves the dossier on.
    let mut later = store.get_dossier("B-1").unwrap().unwrap();
    later.state = "returned".into();
    let plain = DossierChange {
        record: later.clone(),
        register: Vec::new(),
        civil_status: None,
        meta: change.meta.clone(),
    };
    let saved = store.save_dossier(&plain).unwrap();
    assert_eq!(
        saved,
        SavedDossier {
            version: 3,
            civil_status: None
        }
    );
    assert_eq!(store.get_dossier("B-1").unwrap().unwrap().state, "returned");
}

fn a_refused_dossier_save_writes_nothing(store: &dyn Store) {
    load_family(store);
    store
        .insert_dossiers(&[
            dossier("B-1", None, "processing", "justice", 1),
            dossier("B-2", None, "processing", "justice", 2),
        ])
        .unwrap();
    let first = birth_change(
        completed(store, "B-1"),
        "038326000011",
        "Nguyễn Văn An",
        "birth",
        2026,
    );
    store.save_dossier(&first).unwrap();
    // Saved again from the version read before: stale.
    let mut stale = birth_change(
        completed(store, "B-1"),
        "038326000021",
        "Nguyễn Văn Bảo",
        "birth",
        2026,
    );
    stale.record.version = 1;
    stale.record.state = "cancelled".into();
    let err = store.save_dossier(&stale).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(store.get_person(&id("038326000021")).unwrap().is_none());
    assert_eq!(book(store, "birth", 2026).len(), 1);
    let kept = store.get_dossier("B-1").unwrap().unwrap();
    assert_eq!((kept.version, kept.state.as_str()), (2, "done"));
    // A dossier that is not there.
    let mut missing = stale.clone();
    missing.record.receipt_number = "B-9".into();
    assert!(matches!(
        store.save_dossier(&missing),
        Err(StoreError::NotFound(_))
    ));
    // A child whose personal ID is taken: the dossier is not saved either.
    let taken = birth_change(
        completed(store, "B-2"),
        "038326000011",
        "Nguyễn Văn An",
        "birth",
        2026,
    );
    let err = store.save_dossier(&taken).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let b2 = store.get_dossier("B-2").unwrap().unwrap();
    assert_eq!((b2.version, b2.state.as_str()), (1, "processing"));
    // A residence event of someone not in the register, after a good insert: neither is kept.
    let mut unknown = birth_change(
        completed(store, "B-2"),
        "038326000031",
        "Trần Văn Chiến",
        "birth",
        2026,
    );
    unknown
        .register
        .push(RegisterEffect::Residence(registered("038326000099")));
    let err = store.save_dossier(&unknown).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert!(store.get_person(&id("038326000031")).unwrap().is_none());
    assert_eq!(store.get_dossier("B-2").unwrap().unwrap().version, 1);
    assert_eq!(book(store, "birth", 2026), vec![(1, Some("B-1".into()))]);
    assert_eq!(store.count_persons().unwrap(), 5);
    // The next good save still takes line 2.
    let good = birth_change(
        completed(store, "B-2"),
        "038326000031",
        "Trần Văn Chiến",
        "birth",
        2026,
    );
    assert_eq!(
        store
            .save_dossier(&good)
            .unwrap()
            .civil_status
            .unwrap()
            .line,
        2
    );
}

fn a_stale_register_update_rolls_the_dossier_back(store: &dyn Store) {
    load_family(store);
    store
        .insert_dossiers(&[dossier("C-1", None, "processing", "justice", 1)])
        .unwrap();
    let old = store.get_person(&id("038177000002")).unwrap().unwrap();
    let mut corrected = old.person.clone();
    corrected.full_name = "Lê Thị Hòa Bình".into();
    let mut record = completed(store, "C-1");
    record.procedure_code = "HT-CS".into();
    let meta = ChangeMeta {
        actor: "tuphap".into(),
        reason: Some("cải chính hộ tịch".into()),
    };
    let entry = NewCivilStatusEntry {
        personal_id: Some("038177000002".into()),
        ..birth_entry(
            "correction",
            2026,
            Some("C-1"),
            "038177000002",
            "Lê Thị Hòa Bình",
        )
    };
    let stale = DossierChange {
        record: record.clone(),
        register: vec![RegisterEffect::Update {
            person: corrected.clone(),
            expected_version: old.version + 1,
        }],
        civil_status: Some(entry.clone()),
        meta: meta.clone(),
    };
    let err = store.save_dossier(&stale).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let kept = store.get_dossier("C-1").unwrap().unwrap();
    assert_eq!((kept.version, kept.state.as_str()), (1, "processing"));
    assert_eq!(store.get_person(&id("038177000002")).unwrap().unwrap(), old);
    assert_eq!(store.person_history(&id("038177000002")).unwrap().len(), 1);
    assert!(book(store, "correction", 2026).is_empty());
    // With the version read, the record changes and the old one is kept.
    let fresh = DossierChange {
        register: vec![RegisterEffect::Update {
            person: corrected.clone(),
            expected_version: old.version,
        }],
        ..stale
    };
    let saved = store.save_dossier(&fresh).unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.civil_status.unwrap().line, 1);
    let now = store.get_person(&id("038177000002")).unwrap().unwrap();
    assert_eq!(now.person, corrected);
    assert_eq!((now.version, now.updated_by.as_str()), (2, "tuphap"));
    let history = store.person_history(&id("038177000002")).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].version, 1);
    assert_eq!(history[0].record, old.person);
    assert_eq!(history[0].changed_by, "loader");
    assert_eq!(history[1].record, corrected);
    assert_eq!(history[1].reason.as_deref(), Some("cải chính hộ tịch"));
    // The key columns follow the new name.
    assert_eq!(search(store, "le thi hoa binh", None), vec!["038177000002"]);
    assert!(search(store, "le thi hoa", None).contains(&"038177000002".to_string()));
    assert!(!search(store, "Lê Thị Hoà", None).is_empty());
}

fn serials_count_per_name(store: &dyn Store) {
    assert_eq!(store.next_serial("receipt/2026-03-05").unwrap(), 1);
    assert_eq!(store.next_serial("receipt/2026-03-05").unwrap(), 2);
    assert_eq!(store.next_serial("receipt/2026-03-06").unwrap(), 1);
    assert_eq!(store.next_serial("receipt/2026-03-05").unwrap(), 3);
}

fn a_dossier_is_rated_once(store: &dyn Store) {
    store
        .insert_dossiers(&[dossier("R-1", None, "returned", "justice", 1)])
        .unwrap();
    for bad in [0, 6, -1] {
        let err = store.rate_dossier("R-1", bad, None).unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m.contains("1 to 5")),
            "{bad}: {err}"
        );
    }
    assert!(matches!(
        store.rate_dossier("R-9", 5, None),
        Err(StoreError::NotFound(_))
    ));
    store
        .rate_dossier("R-1", 4, Some("Nhanh, chu đáo"))
        .unwrap();
    let rated = store.get_dossier("R-1").unwrap().unwrap();
    assert_eq!(rated.rating, Some(4));
    assert_eq!(rated.rating_comment.as_deref(), Some("Nhanh, chu đáo"));
    assert_eq!(rated.version, 1);
    let err = store.rate_dossier("R-1", 5, None).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // An officer's save from a copy read before the rating does not erase it.
    let mut before = dossier("R-1", None, "returned", "justice", 1);
    before.result = Some("{}".into());
    store
        .save_dossier(&DossierChange {
            record: before,
            register: Vec::new(),
            civil_status: None,
            meta: change("tuphap"),
        })
        .unwrap();
    let saved = store.get_dossier("R-1").unwrap().unwrap();
    assert_eq!(saved.rating, Some(4));
    assert_eq!(saved.result.as_deref(), Some("{}"));
}

fn complaint(receipt: &str, text: &str, day: u32) -> NewComplaint {
    NewComplaint {
        receipt_number: receipt.into(),
        text: text.into(),
        received_at: at_day(day),
        due_on: format!("2026-03-{:02}", day + 10),
        channel: "online".into(),
    }
}

fn complaint_ids(store: &dyn Store, filter: ComplaintFilter) -> Vec<i64> {
    store
        .list_complaints(&filter)
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect()
}

fn complaints_are_kept_and_listed_newest_first(store: &dyn Store) {
    some_dossiers(store);
    let late = store
        .add_complaint(&complaint("S-1", "Quá hạn trả kết quả", 2))
        .unwrap();
    assert_eq!(
        late,
        Complaint {
            id: late.id,
            complaint: complaint("S-1", "Quá hạn trả kết quả", 2),
            answer: None,
            answered_by: None,
            answered_on: None,
            satisfied: None,
        }
    );
    let mut at_desk = complaint(
        "G-1",
        "Cán bộ yêu cầu thêm giấy tờ không có trong danh mục",
        4,
    );
    at_desk.channel = "desk".into();
    let group = store.add_complaint(&at_desk).unwrap();
    // The same day as the first: the one added last comes first.
    let again = store
        .add_complaint(&complaint("S-1", "Vẫn chưa nhận được", 2))
        .unwrap();
    assert!(late.id < group.id && group.id < again.id);
    for c in [&late, &group, &again] {
        assert_eq!(store.get_complaint(c.id).unwrap().as_ref(), Some(c));
    }
    assert_eq!(store.get_complaint(again.id + 100).unwrap(), None);

    assert_eq!(
        complaint_ids(store, ComplaintFilter::default()),
        [group.id, again.id, late.id]
    );
    let of_s1 = ComplaintFilter {
        receipt_number: Some("S-1".into()),
        ..ComplaintFilter::default()
    };
    assert_eq!(complaint_ids(store, of_s1.clone()), [again.id, late.id]);
    assert!(complaint_ids(
        store,
        ComplaintFilter {
            receipt_number: Some("S-2".into()),
            ..ComplaintFilter::default()
        }
    )
    .is_empty());
    assert_eq!(
        complaint_ids(
            store,
            ComplaintFilter {
                limit: 2,
                ..ComplaintFilter::default()
            }
        ),
        [group.id, again.id]
    );

    store
        .answer_complaint(late.id, "Đã trả kết quả ngày 03/03", "tuphap", "2026-03-03")
        .unwrap();
    let open = ComplaintFilter {
        open_only: true,
        ..ComplaintFilter::default()
    };
    assert_eq!(complaint_ids(store, open.clone()), [group.id, again.id]);
    assert_eq!(
        complaint_ids(
            store,
            ComplaintFilter {
                open_only: true,
                ..of_s1
            }
        ),
        [again.id]
    );
    let answered = store.get_complaint(late.id).unwrap().unwrap();
    assert_eq!(
        answered.answer.as_deref(),
        Some("Đã trả kết quả ngày 03/03")
    );
    assert_eq!(answered.answered_by.as_deref(), Some("tuphap"));
    assert_eq!(answered.answered_on.as_deref(), Some("2026-03-03"));
    assert_eq!(answered.satisfied, None);
    assert_eq!(answered.complaint, late.complaint);
}

fn a_complaint_is_answered_once_then_judged_once(store: &dyn Store) {
    store
        .insert_dossiers(&[dossier("K-1", None, "processing", "justice", 1)])
        .unwrap();
    let c = store
        .add_complaint(&complaint("K-1", "Chậm xử lý", 2))
        .unwrap();
    // Not answered yet: nothing to judge.
    let err = store.judge_complaint(c.id, true).unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("not answered")),
        "{err}"
    );
    assert_eq!(store.get_complaint(c.id).unwrap().unwrap().satisfied, None);

    store
        .answer_complaint(c.id, "Đã xử lý xong", "tuphap", "2026-03-04")
        .unwrap();
    let err = store
        .answer_complaint(c.id, "Trả lời lại", "chutich", "2026-03-05")
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("answered already")),
        "{err}"
    );
    let kept = store.get_complaint(c.id).unwrap().unwrap();
    assert_eq!(kept.answer.as_deref(), Some("Đã xử lý xong"));
    assert_eq!(kept.answered_by.as_deref(), Some("tuphap"));
    assert_eq!(kept.answered_on.as_deref(), Some("2026-03-04"));

    store.judge_complaint(c.id, false).unwrap();
    let err = store.judge_complaint(c.id, true).unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("judged already")),
        "{err}"
    );
    let judged = store.get_complaint(c.id).unwrap().unwrap();
    assert_eq!(judged.satisfied, Some(false));
    assert_eq!(judged.answer, kept.answer);

    // A satisfied verdict reads back as such.
    let other = store
        .add_complaint(&complaint("K-1", "Thái độ cán bộ", 3))
        .unwrap();
    store
        .answer_complaint(other.id, "Đã nhắc nhở cán bộ", "chutich", "2026-03-06")
        .unwrap();
    store.judge_complaint(other.id, true).unwrap();
    assert_eq!(
        store.get_complaint(other.id).unwrap().unwrap().satisfied,
        Some(true)
    );

    // No such complaint.
    let missing = other.id + 100;
    assert!(matches!(
        store.answer_complaint(missing, "Trả lời", "tuphap", "2026-03-04"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.judge_complaint(missing, true),
        Err(StoreError::NotFound(_))
    ));
}

fn a_refused_complaint_writes_nothing(store: &dyn Store) {
    store
        .insert_dossiers(&[dossier("K-1", None, "processing", "justice", 1)])
        .unwrap();
    let err = store
        .add_complaint(&complaint("K-9", "Hồ sơ không có", 2))
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    for blank in ["", "   ", "\n\t", "\u{3000}"] {
        let err = store
            .add_complaint(&complaint("K-1", blank, 2))
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m == "complaint text: must not be blank"),
            "{blank:?}: {err}"
        );
    }
    assert!(complaint_ids(store, ComplaintFilter::default()).is_empty());

    let c = store
        .add_complaint(&complaint("K-1", "Chậm xử lý", 2))
        .unwrap();
    for blank in ["", " \n "] {
        let err = store
            .answer_complaint(c.id, blank, "tuphap", "2026-03-04")
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m == "complaint answer: must not be blank"),
            "{blank:?}: {err}"
        );
    }
    assert_eq!(store.get_complaint(c.id).unwrap().unwrap().answer, None);
    assert_eq!(
        complaint_ids(
            store,
            ComplaintFilter {
                open_only: true,
                ..ComplaintFilter::default()
            }
        ),
        [c.id]
    );
}

const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

fn link(
    receipt: Option<&str>,
    pid: Option<&str>,
    document: &str,
    added_at: &str,
) -> AttachmentLink {
    AttachmentLink {
        // Whatever the caller says, the store computes these two.
        sha256: "not a hash".into(),
        receipt_number: receipt.map(str::to_string),
        personal_id: pid.map(str::to_string),
        document: document.into(),
        file_name: "giay-chung-sinh.pdf".into(),
        media_type: "application/pdf".into(),
        size: 0,
        added_at: added_at.into(),
        added_by: "motcua".into(),
    }
}

fn attachments_are_stored_once_and_linked(store: &dyn Store) {
    let pid = Some("038326000011");
    let first = store
        .add_attachment(
            b"abc",
            &link(Some("B-1"), pid, "Giấy chứng sinh", &at_day(1)),
        )
        .unwrap();
    assert_eq!(first.sha256, ABC_SHA256);
    assert_eq!(first.size, 3);
    assert_eq!(first.document, "Giấy chứng sinh");
    // The same file again, for another dossier of the same citizen.
    let mut again = link(Some("B-2"), pid, "Giấy chứng sinh", &at_day(2));
    again.media_type = "image/png".into();
    let second = store.add_attachment(b"abc", &again).unwrap();
    assert_eq!((second.sha256.as_str(), second.size), (ABC_SHA256, 3));
    // The blob keeps the media type it was first stored with.
    assert_eq!(
        store.get_attachment(ABC_SHA256).unwrap(),
        Some(("application/pdf".to_string(), b"abc".to_vec()))
    );
    assert!(store.get_attachment(&"0".repeat(64)).unwrap().is_none());
    let card = store
        .add_attachment(b"\x00\xffcard", &link(Some("B-2"), pid, "CCCD", &at_day(3)))
        .unwrap();
    assert_eq!(card.size, 6);
    assert_eq!(card.sha256.len(), 64);
    assert!(card
        .sha256
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(
        store.get_attachment(&card.sha256).unwrap().unwrap().1,
        b"\x00\xffcard".to_vec()
    );
    // The same file as another document of the folder, and someone else's file.
    store
        .add_attachment(b"abc", &link(None, pid, "Tờ khai", &at_day(2)))
        .unwrap();
    store
        .add_attachment(
            b"xyz",
            &link(Some("B-3"), Some("038226000012"), "CCCD", &at_day(4)),
        )
        .unwrap();
    assert_eq!(
        store.dossier_attachments("B-1").unwrap(),
        vec![first.clone()]
    );
    assert_eq!(
        store.dossier_attachments("B-2").unwrap(),
        vec![second.clone(), card.clone()]
    );
    assert!(store.dossier_attachments("B-9").unwrap().is_empty());
    // Newest first, one row per file and document: the birth certificate's newest link.
    let folder: Vec<(String, String, Option<String>)> = store
        .citizen_folder("038326000011")
        .unwrap()
        .into_iter()
        .map(|l| (l.sha256, l.document, l.receipt_number))
        .collect();
    assert_eq!(
        folder,
        vec![
            (card.sha256.clone(), "CCCD".into(), Some("B-2".into())),
            (ABC_SHA256.into(), "Tờ khai".into(), None),
            (
                ABC_SHA256.into(),
                "Giấy chứng sinh".into(),
                Some("B-2".into())
            ),
        ]
    );
    assert!(store.citizen_folder("001190000004").unwrap().is_empty());
}

fn paper_entry(kind: &str, year: i32, pid: Option<&str>, paper_line: &str) -> NewCivilStatusEntry {
    NewCivilStatusEntry {
        kind: kind.into(),
        year,
        receipt_number: None,
        personal_id: pid.map(str::to_string),
        full_name: "Nguyễn Thị Thuý".into(),
        event_date: format!("{year}"),
        registered_on: format!("{year}-09-10"),
        data: "{}".into(),
        paper_book: Some(format!("Sổ đăng ký khai sinh {year}")),
        paper_line: Some(paper_line.into()),
        scanned_page: Some(ABC_SHA256.into()),
        created_by: "sohoa".into(),
    }
}

fn civil_status_books_are_numbered_and_listed(store: &dyn Store) {
    let a = paper_entry("birth", 2005, Some("038205000003"), "15");
    let b = paper_entry("birth", 2005, None, "16");
    let c = paper_entry("death", 2005, None, "3");
    let d = paper_entry("birth", 2004, Some("038205000003"), "99");
    let lines: Vec<i64> = [&a, &b, &c, &d]
        .into_iter()
        .map(|e| store.add_civil_status_entry(e).unwrap().line)
        .collect();
    assert_eq!(lines, vec![1, 2, 1, 1]);
    // A birth registered here, through a dossier, continues the book.
    load_family(store);
    store
        .insert_dossiers(&[dossier("K-1", None, "processing", "justice", 1)])
        .unwrap();
    let saved = store
        .save_dossier(&birth_change(
            completed(store, "K-1"),
            "038326000011",
            "Nguyễn Văn An",
            "birth",
            2005,
        ))
        .unwrap();
    assert_eq!(saved.civil_status.unwrap().line, 3);
    let all = store
        .list_civil_status(&CivilStatusFilter::default())
        .unwrap();
    let order: Vec<(&str, i32, i64)> = all
        .iter()
        .map(|e| (e.entry.kind.as_str(), e.entry.year, e.line))
        .collect();
    assert_eq!(
        order,
        vec![
            ("birth", 2004, 1),
            ("birth", 2005, 1),
            ("birth", 2005, 2),
            ("birth", 2005, 3),
            ("death", 2005, 1)
        ]
    );
    assert_eq!(all[1].entry, a);
    assert!(all.iter().all(|e| e.id > 0 && e.created_at.ends_with('Z')));
    let ids: std::collections::HashSet<i64> = all.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 5);
    let filtered = |f: CivilStatusFilter| -> Vec<(i32, i64)> {
        store
            .list_civil_status(&f)
            .unwrap()
            .into_iter()
            .map(|e| (e.entry.year, e.line))
            .collect()
    };
    let digitised = CivilStatusFilter {
        kind: Some("birth".into()),
        digitised: Some(true),
        ..CivilStatusFilter::default()
    };
    assert_eq!(filtered(digitised), vec![(2004, 1), (2005, 1), (2005, 2)]);
    let here = CivilStatusFilter {
        digitised: Some(false),
        ..CivilStatusFilter::default()
    };
    assert_eq!(filtered(here), vec![(2005, 3)]);
    let of_person = CivilStatusFilter {
        personal_id: Some("038205000003".into()),
        ..CivilStatusFilter::default()
    };
    assert_eq!(filtered(of_person), vec![(2004, 1), (2005, 1)]);
    let year = CivilStatusFilter {
        year: Some(2005),
        limit: 2,
        ..CivilStatusFilter::default()
    };
    assert_eq!(filtered(year), vec![(2005, 1), (2005, 2)]);
    let none = CivilStatusFilter {
        kind: Some("marriage".into()),
        ..CivilStatusFilter::default()
    };
    assert!(filtered(none).is_empty());
}

fn concurrent_writers_get_distinct_lines_and_serials(store: &dyn Store) {
    const THREADS: usize = 6;
    const EACH: usize = 5;
    let results: Vec<(Vec<i64>, Vec<u64>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    let mut lines = Vec::new();
                    let mut serials = Vec::new();
                    for i in 0..EACH {
                        let e = paper_entry("birth", 1999, None, &format!("{t}-{i}"));
                        lines.push(store.add_civil_status_entry(&e).unwrap().line);
                        serials.push(store.next_serial("receipt").unwrap());
                    }
                    (lines, serials)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut lines: Vec<i64> = results.iter().flat_map(|r| r.0.clone()).collect();
    let mut serials: Vec<u64> = results.iter().flat_map(|r| r.1.clone()).collect();
    lines.sort_unstable();
    serials.sort_unstable();
    let n = THREADS * EACH;
    assert_eq!(lines, (1..=n as i64).collect::<Vec<_>>());
    assert_eq!(serials, (1..=n as u64).collect::<Vec<_>>());
}

// ---- citizens' accounts and the OpenID provider ----

/// A time far in the future and one long past, for expiries.
const FAR_FUTURE: &str = "2999-01-01T00:00:00.000000Z";
const LONG_AGO: &str = "2001-01-01T00:00:00.000000Z";

fn citizen(pid: &str, phone: &str) -> CitizenRecord {
    CitizenRecord {
        personal_id: pid.into(),
        level: 1,
        phone: phone.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${pid}"),
        must_change_password: false,
        totp_secret: None,
        totp_last_step: None,
        disabled: false,
        login_attempts: "{}".into(),
        level2_evidence: None,
        created_at: at_minute(0),
        updated_at: at_minute(0),
    }
}

/// Asserts that a refusal names neither the personal ID nor the phone (errors may be logged).
fn says_nothing_personal(err: &StoreError, values: &[&str]) {
    let text = format!("{err} {err:?}");
    for v in values {
        assert!(!text.contains(v), "{text}");
    }
}

fn citizens_need_a_person_and_are_stored_once(store: &dyn Store) {
    // Nobody is in the register yet.
    let refused = store
        .insert_citizen(&citizen("038075000001", "0912345678"))
        .unwrap_err();
    assert!(matches!(refused, StoreError::NotFound(_)), "{refused:?}");
    says_nothing_personal(&refused, &["038075000001", "0912345678"]);
    assert_eq!(store.get_citizen("038075000001").unwrap(), None);
    load_family(store);
    let father = citizen("038075000001", "0912345678");
    let mut mother = citizen("038177000002", "0987654321");
    mother.level = 2;
    mother.totp_secret = Some("JBSWY3DPEHPK3PXP".into());
    mother.totp_last_step = Some(i64::from(u32::MAX) + 3);
    mother.level2_evidence = Some(r#"{"officer":"desk.lan","chip":"passed"}"#.into());
    mother.login_attempts = r#"{"failures":["2026-03-01T08:00:00Z"]}"#.into();
    store.insert_citizen(&mother).unwrap();
    store.insert_citizen(&father).unwrap();
    assert_eq!(
        store.get_citizen("038075000001").unwrap(),
        Some(father.clone())
    );
    assert_eq!(
        store.get_citizen("038177000002").unwrap(),
        Some(mother.clone())
    );
    // A person in the register without an account.
    assert_eq!(store.get_citizen("038205000003").unwrap(), None);
    // The same account twice is refused; the first is kept.
    let twin = citizen("038075000001", "0900000000");
    let refused = store.insert_citizen(&twin).unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");
    says_nothing_personal(&refused, &["038075000001", "0900000000"]);
    assert_eq!(store.get_citizen("038075000001").unwrap(), Some(father));
    // Only levels 1 and 2.
    let mut odd = citizen("038205000003", "0911111111");
    odd.level = 3;
    let refused = store.insert_citizen(&odd).unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");
    assert_eq!(store.get_citizen("038205000003").unwrap(), None);
    assert_eq!(store.list_citizens(0).unwrap().len(), 2);
}

fn citizen_updates_replace_all_but_the_id_and_creation(store: &dyn Store) {
    load_family(store);
    let created = citizen("038205000003", "0912345678");
    let other = citizen("001190000004", "0987654321");
    store.insert_citizen(&created).unwrap();
    store.insert_citizen(&other).unwrap();
    let raised = CitizenRecord {
        personal_id: created.personal_id.clone(),
        level: 2,
        phone: "0399999999".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$bmV3$new".into(),
        must_change_password: true,
        totp_secret: Some("KRSXG5CTMVRXEZLU".into()),
        totp_last_step: Some(59_000_123),
        disabled: true,
        login_attempts: r#"{"locked_until":"2026-03-01T08:15:00Z"}"#.into(),
        level2_evidence: Some(r#"{"officer":"desk.lan"}"#.into()),
        // Not changed by an update.
        created_at: at_minute(-60),
        updated_at: at_minute(30),
    };
    store.update_citizen(&raised).unwrap();
    let expected = CitizenRecord {
        created_at: created.created_at.clone(),
        ..raised
    };
    assert_eq!(
        store.get_citizen("038205000003").unwrap(),
        Some(expected.clone())
    );
    // Optional fields can be cleared again.
    let reset = CitizenRecord {
        level: 1,
        totp_secret: None,
        totp_last_step: None,
        level2_evidence: None,
        disabled: false,
        updated_at: at_minute(31),
        ..expected
    };
    store.update_citizen(&reset).unwrap();
    assert_eq!(
        store.get_citizen("038205000003").unwrap(),
        Some(reset.clone())
    );
    // Without the account (the person is in the register), and at a level that does not exist.
    let missing = store
        .update_citizen(&citizen("038075000001", "0912345678"))
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing:?}");
    says_nothing_personal(&missing, &["038075000001", "0912345678"]);
    assert_eq!(store.get_citizen("038075000001").unwrap(), None);
    let bad = store
        .update_citizen(&CitizenRecord {
            level: 0,
            ..reset.clone()
        })
        .unwrap_err();
    assert!(matches!(bad, StoreError::Conflict(_)), "{bad:?}");
    // By personal ID; the limit counts.
    assert_eq!(store.list_citizens(0).unwrap(), vec![other.clone(), reset]);
    assert_eq!(store.list_citizens(1).unwrap(), vec![other]);
}

fn otp(id: &str, phone: &str, created_minute: i64) -> OtpRecord {
    OtpRecord {
        id: id.into(),
        purpose: "registration".into(),
        personal_id: "038205000003".into(),
        phone: phone.into(),
        code_hash: "5e".repeat(32),
        created_at: at_minute(created_minute),
        expires_at: at_minute(created_minute + 5),
        attempts: 0,
        used: false,
    }
}

fn one_time_codes_are_counted_and_used_once(store: &dyn Store) {
    // A code needs no account (it confirms the phone of one being made).
    let code = otp("o1", "0912345678", 0);
    store.insert_otp(&code).unwrap();
    assert_eq!(store.get_otp("o1").unwrap(), Some(code.clone()));
    assert_eq!(store.get_otp("o9").unwrap(), None);
    let twin = store.insert_otp(&otp("o1", "0900000000", 1)).unwrap_err();
    assert!(matches!(twin, StoreError::Conflict(_)), "{twin:?}");
    assert_eq!(store.get_otp("o1").unwrap(), Some(code.clone()));
    // Wrong codes are counted.
    assert_eq!(store.count_otp_attempt("o1").unwrap(), 1);
    assert_eq!(store.count_otp_attempt("o1").unwrap(), 2);
    assert_eq!(store.get_otp("o1").unwrap().unwrap().attempts, 2);
    let missing = store.count_otp_attempt("o9").unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing:?}");
    // Used once.
    store.use_otp("o1").unwrap();
    assert_eq!(
        store.get_otp("o1").unwrap(),
        Some(OtpRecord {
            attempts: 2,
            used: true,
            ..code
        })
    );
    let again = store.use_otp("o1").unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    let missing = store.use_otp("o9").unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing:?}");
    // Codes sent to a phone since an instant (inclusive), used or not.
    for (id, phone, minute) in [
        ("o2", "0912345678", 5),
        ("o3", "0912345678", 10),
        ("o4", "0987654321", 7),
    ] {
        store.insert_otp(&otp(id, phone, minute)).unwrap();
    }
    let since =
        |phone: &str, minute: i64| store.count_otps_since(phone, &at_minute(minute)).unwrap();
    assert_eq!(since("0912345678", 0), 3);
    assert_eq!(since("0912345678", 5), 2);
    assert_eq!(since("0912345678", 6), 1);
    assert_eq!(since("0912345678", 11), 0);
    assert_eq!(since("0987654321", 0), 1);
    assert_eq!(since("0900000000", 0), 0);
}

fn citizen_session(id_hash: &str, pid: &str, created_minute: i64) -> CitizenSessionRecord {
    CitizenSessionRecord {
        id_hash: id_hash.into(),
        personal_id: pid.into(),
        level: 1,
        methods: r#"["pwd","otp"]"#.into(),
        created_at: at_minute(created_minute),
        last_seen: at_minute(created_minute),
        user_agent: "Mozilla/5.0 (Android 14; Mobile)".into(),
    }
}

fn citizen_sessions_are_found_touched_listed_and_ended(store: &dyn Store) {
    load_family(store);
    let (a, b) = ("038075000001", "038177000002");
    store.insert_citizen(&citizen(a, "0912345678")).unwrap();
    store.insert_citizen(&citizen(b, "0987654321")).unwrap();
    // A session needs an account (the person is in the register, without one).
    let orphan = store
        .insert_citizen_session(&citizen_session("s0", "038205000003", 0))
        .unwrap_err();
    assert!(matches!(orphan, StoreError::NotFound(_)), "{orphan:?}");
    says_nothing_personal(&orphan, &["038205000003"]);
    assert_eq!(store.get_citizen_session("s0").unwrap(), None);
    let mut s1 = citizen_session("s1", a, 0);
    s1.level = 2;
    s1.methods = r#"["pwd","totp"]"#.into();
    let s2 = citizen_session("s2", a, 10);
    let s3 = citizen_session("s3", a, 5);
    let s4 = citizen_session("s4", b, 1);
    for s in [&s1, &s2, &s3, &s4] {
        store.insert_citizen_session(s).unwrap();
    }
    assert_eq!(store.get_citizen_session("s1").unwrap(), Some(s1.clone()));
    assert_eq!(store.get_citizen_session("s9").unwrap(), None);
    let twin = store
        .insert_citizen_session(&citizen_session("s1", b, 3))
        .unwrap_err();
    assert!(matches!(twin, StoreError::Conflict(_)), "{twin:?}");
    assert_eq!(store.get_citizen_session("s1").unwrap(), Some(s1.clone()));
    // Touching changes last_seen only.
    store.touch_citizen_session("s1", &at_minute(20)).unwrap();
    let s1 = CitizenSessionRecord {
        last_seen: at_minute(20),
        ..s1
    };
    assert_eq!(store.get_citizen_session("s1").unwrap(), Some(s1.clone()));
    let gone = store
        .touch_citizen_session("s9", &at_minute(20))
        .unwrap_err();
    assert!(matches!(gone, StoreError::NotFound(_)), "{gone:?}");
    // Newest first.
    assert_eq!(
        store.list_citizen_sessions(a).unwrap(),
        vec![s2.clone(), s3.clone(), s1.clone()]
    );
    assert_eq!(store.list_citizen_sessions(b).unwrap(), vec![s4.clone()]);
    assert!(store
        .list_citizen_sessions("038205000003")
        .unwrap()
        .is_empty());
    // Ending one; twice is not an error.
    store.delete_citizen_session("s3").unwrap();
    store.delete_citizen_session("s3").unwrap();
    assert_eq!(store.get_citizen_session("s3").unwrap(), None);
    assert_eq!(
        store.list_citizen_sessions(a).unwrap(),
        vec![s2.clone(), s1]
    );
    // After a password change: every session of the citizen but the one in use.
    assert_eq!(store.delete_citizen_sessions(a, Some("s2")).unwrap(), 1);
    assert_eq!(store.list_citizen_sessions(a).unwrap(), vec![s2]);
    assert_eq!(store.delete_citizen_sessions(a, Some("s2")).unwrap(), 0);
    // Keeping another citizen's session keeps nothing of this one's.
    assert_eq!(store.delete_citizen_sessions(a, Some("s4")).unwrap(), 1);
    assert!(store.list_citizen_sessions(a).unwrap().is_empty());
    assert_eq!(store.list_citizen_sessions(b).unwrap(), vec![s4]);
    assert_eq!(store.delete_citizen_sessions(b, None).unwrap(), 1);
    assert!(store.list_citizen_sessions(b).unwrap().is_empty());
    // Accounts stay.
    assert_eq!(store.list_citizens(0).unwrap().len(), 2);
}

fn oidc_client(client_id: &str, name: &str) -> OidcClientRecord {
    OidcClientRecord {
        client_id: client_id.into(),
        name: name.into(),
        data: format!(r#"{{"redirect_uris":["https://{client_id}.example/cb"]}}"#),
        disabled: false,
        created_at: at_minute(0),
        created_by: "admin".into(),
    }
}

fn oidc_clients_are_stored_once_and_updated(store: &dyn Store) {
    assert!(store.list_oidc_clients().unwrap().is_empty());
    let tax = oidc_client("thue", "Cổng thuế");
    let bank = oidc_client("bank-a", "Ngân hàng A");
    store.insert_oidc_client(&tax).unwrap();
    store.insert_oidc_client(&bank).unwrap();
    assert_eq!(store.get_oidc_client("thue").unwrap(), Some(tax.clone()));
    assert_eq!(store.get_oidc_client("nobody").unwrap(), None);
    let twin = store
        .insert_oidc_client(&oidc_client("thue", "Khác"))
        .unwrap_err();
    assert!(matches!(twin, StoreError::Conflict(_)), "{twin:?}");
    assert_eq!(store.get_oidc_client("thue").unwrap(), Some(tax.clone()));
    // Name, data and disabled change; creation stays.
    let changed = OidcClientRecord {
        name: "Cổng thuế điện tử".into(),
        data: r#"{"redirect_uris":["https://thue.example/new"]}"#.into(),
        disabled: true,
        created_at: at_minute(99),
        created_by: "someone".into(),
        ..tax.clone()
    };
    store.update_oidc_client(&changed).unwrap();
    let expected = OidcClientRecord {
        created_at: tax.created_at.clone(),
        created_by: tax.created_by.clone(),
        ..changed
    };
    assert_eq!(
        store.get_oidc_client("thue").unwrap(),
        Some(expected.clone())
    );
    let missing = store
        .update_oidc_client(&oidc_client("nobody", "X"))
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing:?}");
    assert_eq!(store.get_oidc_client("nobody").unwrap(), None);
    // By client id.
    assert_eq!(store.list_oidc_clients().unwrap(), vec![bank, expected]);
}

fn grant(hash: &str, kind: &str, family: &str, expires_minute: i64) -> OidcGrantRecord {
    OidcGrantRecord {
        hash: hash.into(),
        kind: kind.into(),
        client_id: "thue".into(),
        family: family.into(),
        data: format!(r#"{{"kind":"{kind}","sub":"pairwise-1"}}"#),
        expires_at: at_minute(expires_minute),
        consumed_at: None,
        revoked: false,
        session: None,
    }
}

fn grant_state(store: &dyn Store, hash: &str) -> Option<(Option<String>, bool)> {
    store
        .get_oidc_grant(hash)
        .unwrap()
        .map(|g| (g.consumed_at, g.revoked))
}

fn oidc_grants_are_consumed_once_and_revoked_by_family(store: &dyn Store) {
    let code = grant("c1", "code", "f1", 1);
    store.insert_oidc_grant(&code).unwrap();
    assert_eq!(store.get_oidc_grant("c1").unwrap(), Some(code.clone()));
    assert_eq!(store.get_oidc_grant("c9").unwrap(), None);
    let twin = store
        .insert_oidc_grant(&grant("c1", "access", "f9", 60))
        .unwrap_err();
    assert!(matches!(twin, StoreError::Conflict(_)), "{twin:?}");
    assert_eq!(store.get_oidc_grant("c1").unwrap(), Some(code.clone()));
    let odd = store
        .insert_oidc_grant(&grant("x1", "id_token", "f1", 60))
        .unwrap_err();
    assert!(matches!(odd, StoreError::Conflict(_)), "{odd:?}");
    assert_eq!(store.get_oidc_grant("x1").unwrap(), None);
    // The code is exchanged for an access and a refresh token, once.
    let (a1, r1) = (
        grant("a1", "access", "f1", 60),
        grant("r1", "refresh", "f1", 600),
    );
    store
        .consume_oidc_grant("c1", &at_minute(1), &[a1.clone(), r1.clone()])
        .unwrap();
    assert_eq!(
        store.get_oidc_grant("c1").unwrap(),
        Some(OidcGrantRecord {
            consumed_at: Some(at_minute(1)),
            ..code.clone()
        })
    );
    assert_eq!(store.get_oidc_grant("a1").unwrap(), Some(a1.clone()));
    assert_eq!(store.get_oidc_grant("r1").unwrap(), Some(r1.clone()));
    let (a2, r2) = (
        grant("a2", "access", "f1", 60),
        grant("r2", "refresh", "f1", 600),
    );
    let again = store
        .consume_oidc_grant("c1", &at_minute(2), &[a2.clone(), r2.clone()])
        .unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    // Nothing of the second exchange is written, and the first stays as it was.
    assert_eq!(store.get_oidc_grant("a2").unwrap(), None);
    assert_eq!(store.get_oidc_grant("r2").unwrap(), None);
    assert_eq!(grant_state(store, "c1"), Some((Some(at_minute(1)), false)));
    let missing = store
        .consume_oidc_grant("c9", &at_minute(2), &[grant("a9", "access", "f9", 60)])
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing:?}");
    assert_eq!(store.get_oidc_grant("a9").unwrap(), None);
    // The refresh token is rotated: the next one is issued with it consumed.
    store
        .consume_oidc_grant("r1", &at_minute(30), &[a2.clone(), r2.clone()])
        .unwrap();
    assert_eq!(grant_state(store, "r1"), Some((Some(at_minute(30)), false)));
    assert_eq!(store.get_oidc_grant("r2").unwrap(), Some(r2.clone()));
    // An exchange whose issued grant exists is refused whole: the code stays unconsumed.
    store
        .insert_oidc_grant(&grant("c2", "code", "f2", 1))
        .unwrap();
    let clash = store
        .consume_oidc_grant(
            "c2",
            &at_minute(1),
            &[
                grant("a3", "access", "f2", 60),
                grant("a1", "access", "f2", 60),
            ],
        )
        .unwrap_err();
    assert!(matches!(clash, StoreError::Conflict(_)), "{clash:?}");
    assert_eq!(grant_state(store, "c2"), Some((None, false)));
    assert_eq!(store.get_oidc_grant("a3").unwrap(), None);
    assert_eq!(store.get_oidc_grant("a1").unwrap(), Some(a1));
    // Reuse detected: the whole family is revoked, and only it.
    assert_eq!(store.revoke_oidc_family("f1").unwrap(), 5);
    for hash in ["c1", "a1", "r1", "a2", "r2"] {
        assert!(grant_state(store, hash).unwrap().1, "{hash}");
    }
    assert_eq!(grant_state(store, "c2"), Some((None, false)));
    assert_eq!(store.revoke_oidc_family("f1").unwrap(), 0);
    assert_eq!(store.revoke_oidc_family("f9").unwrap(), 0);
    // A revoked grant cannot be consumed.
    let revoked = store
        .consume_oidc_grant("r2", &at_minute(40), &[grant("r3", "refresh", "f1", 600)])
        .unwrap_err();
    assert!(matches!(revoked, StoreError::Conflict(_)), "{revoked:?}");
    assert_eq!(grant_state(store, "r2"), Some((None, true)));
    assert_eq!(store.get_oidc_grant("r3").unwrap(), None);
    // One revoked in a family where others are not counts only the others.
    store
        .insert_oidc_grant(&OidcGrantRecord {
            revoked: true,
            ..grant("a4", "access", "f2", 60)
        })
        .unwrap();
    assert_eq!(store.revoke_oidc_family("f2").unwrap(), 1);
    // Expired grants are deleted: expiring before the instant, not at it.
    // c1 and c2 expire at minute 1; a1, a2 at 60; a4 at 60; r1, r2 at 600.
    assert_eq!(store.delete_expired_oidc_grants(&at_minute(1)).unwrap(), 0);
    assert_eq!(store.delete_expired_oidc_grants(&at_minute(2)).unwrap(), 2);
    assert_eq!(store.get_oidc_grant("c1").unwrap(), None);
    assert_eq!(store.get_oidc_grant("c2").unwrap(), None);
    assert_eq!(store.delete_expired_oidc_grants(&at_minute(61)).unwrap(), 3);
    assert_eq!(store.delete_expired_oidc_grants(&at_minute(61)).unwrap(), 0);
    assert!(store.get_oidc_grant("r1").unwrap().is_some());
    assert!(store.get_oidc_grant("r2").unwrap().is_some());
    assert_eq!(store.delete_expired_oidc_grants(FAR_FUTURE).unwrap(), 2);
}

fn session_grant(hash: &str, kind: &str, family: &str, session: Option<&str>) -> OidcGrantRecord {
    OidcGrantRecord {
        session: session.map(String::from),
        ..grant(hash, kind, family, 60)
    }
}

fn oidc_grants_are_revoked_with_their_session(store: &dyn Store) {
    // Session s1 authorized two clients (families f1, f2), s2 one (f3); f4 has no session (a
    // grant written before sessions were recorded).
    let s1_code = session_grant("c1", "code", "f1", Some("s1"));
    store.insert_oidc_grant(&s1_code).unwrap();
    assert_eq!(store.get_oidc_grant("c1").unwrap(), Some(s1_code));
    // Tokens issued from the code inherit its session.
    store
        .consume_oidc_grant(
            "c1",
            &at_minute(1),
            &[
                session_grant("a1", "access", "f1", Some("s1")),
                session_grant("r1", "refresh", "f1", Some("s1")),
            ],
        )
        .unwrap();
    for g in [
        session_grant("a2", "access", "f2", Some("s1")),
        session_grant("r2", "refresh", "f2", Some("s1")),
        session_grant("a3", "access", "f3", Some("s2")),
        session_grant("r3", "refresh", "f3", Some("s2")),
        session_grant("a4", "access", "f4", None),
        session_grant("r4", "refresh", "f4", None),
    ] {
        store.insert_oidc_grant(&g).unwrap();
    }
    // One of s1's already revoked (reuse detected in f2, say) is not counted again.
    store
        .insert_oidc_grant(&OidcGrantRecord {
            revoked: true,
            ..session_grant("r0", "refresh", "f2", Some("s1"))
        })
        .unwrap();
    assert_eq!(store.revoke_oidc_session("s1").unwrap(), 5);
    for hash in ["c1", "a1", "r1", "a2", "r2", "r0"] {
        assert!(grant_state(store, hash).unwrap().1, "{hash}");
    }
    // The consumed code keeps its consumption; revoking marks only `revoked`.
    assert_eq!(grant_state(store, "c1"), Some((Some(at_minute(1)), true)));
    for hash in ["a3", "r3", "a4", "r4"] {
        assert_eq!(grant_state(store, hash), Some((None, false)), "{hash}");
    }
    assert_eq!(store.revoke_oidc_session("s1").unwrap(), 0);
    assert_eq!(store.revoke_oidc_session("nobody").unwrap(), 0);
    // A revoked refresh token cannot be rotated.
    let revoked = store
        .consume_oidc_grant(
            "r1",
            &at_minute(2),
            &[session_grant("r5", "refresh", "f1", Some("s1"))],
        )
        .unwrap_err();
    assert!(matches!(revoked, StoreError::Conflict(_)), "{revoked:?}");
    assert_eq!(store.get_oidc_grant("r5").unwrap(), None);
    assert_eq!(store.revoke_oidc_session("s2").unwrap(), 2);
    assert_eq!(grant_state(store, "a4"), Some((None, false)));
}

fn concurrent_consumers_of_a_grant_find_one_winner(store: &dyn Store) {
    const THREADS: usize = 6;
    const ROUNDS: usize = 4;
    for round in 0..ROUNDS {
        let code = format!("code-{round}");
        store
            .insert_oidc_grant(&grant(&code, "code", &format!("f{round}"), 10))
            .unwrap();
        let outcomes: Vec<Result<(), StoreError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let code = &code;
                    s.spawn(move || {
                        let family = format!("f{round}");
                        store.consume_oidc_grant(
                            code,
                            &at_minute(t as i64),
                            &[
                                grant(&format!("a-{round}-{t}"), "access", &family, 60),
                                grant(&format!("r-{round}-{t}"), "refresh", &family, 600),
                            ],
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = (0..THREADS).filter(|&t| outcomes[t].is_ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        for outcome in &outcomes {
            assert!(
                matches!(outcome, Ok(()) | Err(StoreError::Conflict(_))),
                "{outcome:?}"
            );
        }
        let winner = winners[0];
        // The winner's time is the one kept, and only the winner's tokens exist.
        assert_eq!(
            grant_state(store, &code),
            Some((Some(at_minute(winner as i64)), false))
        );
        for t in 0..THREADS {
            for prefix in ["a", "r"] {
                let hash = format!("{prefix}-{round}-{t}");
                assert_eq!(
                    store.get_oidc_grant(&hash).unwrap().is_some(),
                    t == winner,
                    "{hash}"
                );
            }
        }
    }
}

fn oidc_consents_are_replaced_whole(store: &dyn Store) {
    let (a, b) = ("038075000001", "038177000002");
    assert_eq!(store.get_oidc_consent(a, "thue").unwrap(), None);
    store
        .set_oidc_consent(a, "thue", r#"["openid","profile"]"#)
        .unwrap();
    store
        .set_oidc_consent(a, "bank-a", r#"["openid"]"#)
        .unwrap();
    store
        .set_oidc_consent(b, "thue", r#"["openid","address"]"#)
        .unwrap();
    assert_eq!(
        store.get_oidc_consent(a, "thue").unwrap().as_deref(),
        Some(r#"["openid","profile"]"#)
    );
    // Replaced, not merged; the others untouched.
    store.set_oidc_consent(a, "thue", r#"["openid"]"#).unwrap();
    assert_eq!(
        store.get_oidc_consent(a, "thue").unwrap().as_deref(),
        Some(r#"["openid"]"#)
    );
    assert_eq!(
        store.get_oidc_consent(a, "bank-a").unwrap().as_deref(),
        Some(r#"["openid"]"#)
    );
    assert_eq!(
        store.get_oidc_consent(b, "thue").unwrap().as_deref(),
        Some(r#"["openid","address"]"#)
    );
    assert_eq!(store.get_oidc_consent(b, "bank-a").unwrap(), None);
}

fn client_assertion_ids_are_used_once_until_they_expire(store: &dyn Store) {
    store.remember_jti("thue", "j1", FAR_FUTURE).unwrap();
    let again = store.remember_jti("thue", "j1", FAR_FUTURE).unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    // Per client.
    store.remember_jti("bank-a", "j1", FAR_FUTURE).unwrap();
    store.remember_jti("thue", "j2", FAR_FUTURE).unwrap();
    // An id that expired is forgotten when the client is next seen, and may come again.
    store.remember_jti("thue", "old", LONG_AGO).unwrap();
    store.remember_jti("thue", "old", FAR_FUTURE).unwrap();
    let again = store.remember_jti("thue", "old", FAR_FUTURE).unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    // The unexpired ones are still remembered.
    for (client, jti) in [("thue", "j1"), ("thue", "j2"), ("bank-a", "j1")] {
        let again = store.remember_jti(client, jti, FAR_FUTURE).unwrap_err();
        assert!(matches!(again, StoreError::Conflict(_)), "{client} {jti}");
    }
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
    async_reads_give_the_same_bytes,
    a_long_audit_log_reads_newest_first_by_any_filter,
    a_refused_first_load_leaves_an_empty_register,
    a_household_repeated_in_a_load_keeps_its_last_version,
    officers_are_stored_listed_and_counted,
    officer_logins_are_unique_and_updates_need_an_officer,
    officer_updates_replace_all_but_login_and_creation,
    sessions_are_found_updated_and_ended,
    sessions_end_by_officer_and_by_idle_time,
    audit_is_filtered_by_time,
    runs_are_kept_per_kind_newest_first,
    a_run_completes_with_its_rows_in_one_transaction,
    review_decisions_update_the_row_and_are_kept,
    dossiers_read_back_and_are_listed_by_filter,
    a_refused_dossier_insert_writes_nothing,
    a_saved_birth_registers_the_child_with_the_next_book_line,
    a_refused_dossier_save_writes_nothing,
    a_stale_register_update_rolls_the_dossier_back,
    serials_count_per_name,
    a_dossier_is_rated_once,
    attachments_are_stored_once_and_linked,
    civil_status_books_are_numbered_and_listed,
    concurrent_writers_get_distinct_lines_and_serials,
    complaints_are_kept_and_listed_newest_first,
    a_complaint_is_answered_once_then_judged_once,
    a_refused_complaint_writes_nothing,
    citizens_need_a_person_and_are_stored_once,
    citizen_updates_replace_all_but_the_id_and_creation,
    one_time_codes_are_counted_and_used_once,
    citizen_sessions_are_found_touched_listed_and_ended,
    oidc_clients_are_stored_once_and_updated,
    oidc_grants_are_consumed_once_and_revoked_by_family,
    oidc_grants_are_revoked_with_their_session,
    concurrent_consumers_of_a_grant_find_one_winner,
    oidc_consents_are_replaced_whole,
    client_assertion_ids_are_used_once_until_they_expire,
);

/// The register schema as version 1 of this program left it, with a person in it.
fn schema_1_register(conn: &rusqlite::Connection) {
    conn.execute_batch(include_str!("../src/sql/sqlite/0001_register.sql"))
        .unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
}

#[test]
fn sqlite_migrates_a_schema_1_data_directory() {
    let dir = std::env::temp_dir().join(format!("xaso-migrate-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    // A data directory written before officers (data cleaning, the one-stop shop, citizens'
    // accounts) existed,
    // with its data.
    {
        let s = xaso_store::SqliteStore::open_dir(&dir).unwrap();
        load_family(&s);
    }
    {
        let conn = rusqlite::Connection::open(dir.join("xaso.db")).unwrap();
        conn.execute_batch(
            "DROP TABLE oidc_jti; DROP TABLE oidc_consents; DROP TABLE oidc_grants;
             DROP TABLE oidc_clients; DROP TABLE citizen_sessions; DROP TABLE citizen_otps;
             DROP TABLE citizens;
             DROP TABLE complaints; DROP TABLE attachment_links;
             DROP TABLE attachment_blobs; DROP TABLE civil_status_entries;
             DROP TABLE serials; DROP TABLE dossiers;
             DROP TABLE reconcile_decisions; DROP TABLE reconcile_rows;
             DROP TABLE reconcile_runs; DROP TABLE sessions; DROP TABLE officers;",
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    // And one made by the schema-1 SQL itself, with no audit file yet.
    let bare = dir.join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    schema_1_register(&rusqlite::Connection::open(bare.join("xaso.db")).unwrap());
    for d in [&dir, &bare] {
        let s = xaso_store::SqliteStore::open_dir(d).unwrap();
        let version: i64 = rusqlite::Connection::open(d.join("xaso.db"))
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 6, "{}", d.display());
        assert_eq!(s.count_officers().unwrap(), 0);
        // The one-stop shop's tables are there.
        assert_eq!(s.next_serial("receipt").unwrap(), 1);
        assert!(s
            .list_complaints(&ComplaintFilter::default())
            .unwrap()
            .is_empty());
        let admin = officer("admin", "Quản trị viên", "admin");
        s.insert_officer(&admin).unwrap();
        s.insert_session(&session("s1", "admin", 0)).unwrap();
        assert_eq!(s.get_officer("admin").unwrap(), Some(admin));
        // Sessions reference officers in a migrated file too.
        assert!(matches!(
            s.insert_session(&session("s2", "nobody", 0)),
            Err(StoreError::NotFound(_))
        ));
        // Citizens' accounts and the OpenID provider's tables are there, and an account
        // references the register.
        assert!(s.list_citizens(0).unwrap().is_empty());
        assert!(s.list_oidc_clients().unwrap().is_empty());
        assert!(matches!(
            s.insert_citizen(&citizen("038075999999", "0912345678")),
            Err(StoreError::NotFound(_))
        ));
    }
    // The data written before the migration is all there.
    let s = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    assert_eq!(s.count_persons().unwrap(), 4);
    assert!(s.get_household("HK-1").unwrap().is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sqlite_migrates_version_5_grants_to_grants_without_a_session() {
    let dir = std::env::temp_dir().join(format!("xaso-migrate-6-{}", unique()));
    drop(xaso_store::SqliteStore::open_dir(&dir).unwrap());
    {
        // The grants table as migration 0005 made it, with a grant in it.
        let conn = rusqlite::Connection::open(dir.join("xaso.db")).unwrap();
        conn.execute_batch(
            "DROP INDEX oidc_grants_session; ALTER TABLE oidc_grants DROP COLUMN session;
             INSERT INTO oidc_grants (hash, kind, client_id, family, data, expires_at)
             VALUES ('r1', 'refresh', 'thue', 'f1', '{}', '2999-01-01T00:00:00Z');",
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 5).unwrap();
    }
    let s = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    let old = s.get_oidc_grant("r1").unwrap().unwrap();
    assert_eq!((old.session, old.revoked), (None, false));
    // Nothing revokes it by session.
    assert_eq!(s.revoke_oidc_session("").unwrap(), 0);
    assert!(!s.get_oidc_grant("r1").unwrap().unwrap().revoked);
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_migrates_a_schema_1_database() {
    let url = std::env::var("XASO_TEST_DATABASE_URL").expect(
        "XASO_TEST_DATABASE_URL must name a PostgreSQL database for the pg_* contract tests",
    );
    let schema = format!("xaso_test_{}", unique());
    let _cleanup = Cleanup::Schema(url.clone(), schema.clone());
    {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "CREATE SCHEMA {schema}; SET search_path TO {schema};
             CREATE TABLE xaso_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
             INSERT INTO xaso_migrations VALUES (1, '2026-01-01T00:00:00.000000Z');"
        ))
        .unwrap();
        c.batch_execute(include_str!("../src/sql/postgres/0001_register.sql"))
            .unwrap();
    }
    let s = xaso_store::postgres::PgStore::connect(&url, Some(&schema)).unwrap();
    load_family(&s);
    let admin = officer("admin", "Quản trị viên", "admin");
    s.insert_officer(&admin).unwrap();
    assert_eq!(s.get_officer("admin").unwrap(), Some(admin));
    drop(s);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let versions: Vec<i32> = c
        .query(
            &format!("SELECT version FROM {schema}.xaso_migrations ORDER BY version"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6]);
    // Opening again applies nothing more.
    let s = xaso_store::postgres::PgStore::connect(&url, Some(&schema)).unwrap();
    assert_eq!(s.count_officers().unwrap(), 1);
    assert_eq!(s.count_persons().unwrap(), 4);
    assert_eq!(s.next_serial("receipt").unwrap(), 1);
    assert!(s
        .list_complaints(&ComplaintFilter::default())
        .unwrap()
        .is_empty());
    // Citizens' accounts reference the register loaded before the migration.
    s.insert_citizen(&citizen("038075000001", "0912345678"))
        .unwrap();
    assert!(matches!(
        s.insert_citizen(&citizen("038075999999", "0912345678")),
        Err(StoreError::NotFound(_))
    ));
    assert!(s.list_oidc_clients().unwrap().is_empty());
}

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
    // Enough records that some are in the index tables and some wait for the next batch.
    let batch: Vec<AuditRecord> = (0..xaso_store::sqlite::AUDIT_FOLD_AT)
        .map(|_| {
            let mut r = AuditRecord::now("a", "cli", "x", "y");
            r.subject = Some("038075000001".into());
            r
        })
        .collect();
    s.append_audit(&batch).unwrap();
    s.append_audit(&batch[..10]).unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(dir.join("xaso.audit.db")).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let indexed = count("SELECT upto FROM audit_indexed");
    assert_eq!(count("SELECT count(*) FROM audit"), indexed + 10);
    assert_eq!(count("SELECT count(*) FROM audit_by_subject"), indexed);
    assert_eq!(count("SELECT count(*) FROM audit_by_actor"), indexed);
    for sql in [
        "DELETE FROM audit",
        "UPDATE audit SET actor = 'b'",
        "DELETE FROM audit_by_subject",
        "UPDATE audit_by_subject SET subject = 'b'",
        "DELETE FROM audit_by_actor",
        "UPDATE audit_by_actor SET actor = 'b'",
        "DELETE FROM audit_indexed",
        "UPDATE audit_indexed SET upto = 0",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Records one decision in a fresh store; returns it ready for raw SQL.
fn one_decision(store: &dyn Store) {
    let run = store.create_run(&new_run("welfare", "a.csv")).unwrap();
    store
        .complete_run(
            run.id,
            "{}",
            &[list_row(2, "probable_match_review", Some("038205000003"))],
        )
        .unwrap();
    store
        .record_decision(
            &NewDecision {
                run_id: run.id,
                row: 2,
                decision: ReviewDecision::Accept,
                personal_id: Some("038205000003".into()),
                officer: "x".into(),
                note: None,
            },
            &RowResolution {
                outcome: "matched".into(),
                personal_id: Some("038205000003".into()),
                differences: Vec::new(),
            },
        )
        .unwrap();
}

#[test]
fn review_decisions_cannot_be_rewritten() {
    let dir = std::env::temp_dir().join(format!("xaso-decisions-{}", unique()));
    let s = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    one_decision(&s);
    drop(s);
    let conn = rusqlite::Connection::open(dir.join("xaso.db")).unwrap();
    for sql in [
        "UPDATE reconcile_decisions SET decision = 'reject'",
        "DELETE FROM reconcile_decisions",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_review_decisions_cannot_be_rewritten() {
    let (s, cleanup) = postgres();
    one_decision(s.as_ref());
    let Cleanup::Schema(url, schema) = &cleanup else {
        unreachable!()
    };
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    for sql in [
        "UPDATE reconcile_decisions SET decision = 'reject'",
        "DELETE FROM reconcile_decisions",
    ] {
        let err = c
            .batch_execute(&format!("SET search_path TO {schema}; {sql}"))
            .unwrap_err();
        let text = err
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_default();
        assert!(text.contains("append-only"), "{sql}: {err}");
    }
}

/// The same bytes linked twice and another file: two blobs, three links.
fn two_files_three_links(store: &dyn Store) {
    let pid = Some("038326000011");
    store
        .add_attachment(
            b"abc",
            &link(Some("B-1"), pid, "Giấy chứng sinh", &at_day(1)),
        )
        .unwrap();
    store
        .add_attachment(
            b"abc",
            &link(Some("B-2"), pid, "Giấy chứng sinh", &at_day(2)),
        )
        .unwrap();
    store
        .add_attachment(b"xyz", &link(Some("B-2"), pid, "CCCD", &at_day(2)))
        .unwrap();
}

#[test]
fn attachment_bytes_are_stored_once() {
    let dir = std::env::temp_dir().join(format!("xaso-blobs-{}", unique()));
    let s = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    two_files_three_links(&s);
    drop(s);
    let conn = rusqlite::Connection::open(dir.join("xaso.db")).unwrap();
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        (count("attachment_blobs"), count("attachment_links")),
        (2, 3)
    );
    let sha: String = conn
        .query_row(
            "SELECT sha256 FROM attachment_blobs WHERE size = 3 AND bytes = CAST('abc' AS BLOB)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sha, ABC_SHA256);
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_attachment_bytes_are_stored_once() {
    let (s, cleanup) = postgres();
    two_files_three_links(s.as_ref());
    let Cleanup::Schema(url, schema) = &cleanup else {
        unreachable!()
    };
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut count = |table: &str| -> i64 {
        c.query_one(&format!("SELECT count(*) FROM {schema}.{table}"), &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(
        (count("attachment_blobs"), count("attachment_links")),
        (2, 3)
    );
    let sha: String = c
        .query_one(
            &format!("SELECT sha256 FROM {schema}.attachment_blobs WHERE bytes = 'abc'::bytea"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(sha, ABC_SHA256);
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_async_lookups_give_up_on_a_silent_connection_and_read_again_after() {
    let url = std::env::var("XASO_TEST_DATABASE_URL").expect(
        "XASO_TEST_DATABASE_URL must name a PostgreSQL database for the pg_* contract tests",
    );
    let schema = format!("xaso_test_{}", unique());
    let _cleanup = Cleanup::Schema(url.clone(), schema.clone());
    let timeout = std::time::Duration::from_millis(600);
    let s = xaso_store::postgres::PgStore::connect(&url, Some(&schema))
        .unwrap()
        .with_lookup_timeout(timeout);
    load_family(&s);
    let expected = raw_answers(&s);
    let reader = s.async_person_reader().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (pid, want) = &expected[0];
    assert_eq!(&runtime.block_on(reader.get_person_raw(pid)).unwrap(), want);
    // Someone holds the register locked: PostgreSQL takes the lookup and says nothing.
    let mut locker = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut lock = locker.transaction().unwrap();
    lock.batch_execute(&format!(
        "LOCK TABLE {schema}.persons IN ACCESS EXCLUSIVE MODE"
    ))
    .unwrap();
    let started = std::time::Instant::now();
    // Several at once: they queue on the same connections.
    let answers = runtime.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (reader, pid) = (reader.clone(), pid.clone());
                tokio::spawn(async move { reader.get_person_raw(&pid).await })
            })
            .collect();
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        answers
    });
    let waited = started.elapsed();
    for a in &answers {
        assert!(matches!(a, Err(StoreError::Unavailable(_))), "{a:?}");
    }
    assert!(waited >= timeout, "{waited:?}");
    assert!(
        waited < timeout * 4,
        "given up together, in time: {waited:?}"
    );
    lock.rollback().unwrap();
    // The lock gone, the next lookups answer as before, on new connections.
    runtime.block_on(async {
        for (pid, want) in &expected {
            assert_eq!(&reader.get_person_raw(pid).await.unwrap(), want, "{pid}");
        }
    });
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_async_lookups_recover_from_killed_connections() {
    let (s, cleanup) = postgres();
    let Cleanup::Schema(url, schema) = &cleanup else {
        unreachable!()
    };
    load_family(s.as_ref());
    let expected = raw_answers(s.as_ref());
    let reader = s.async_person_reader().unwrap();
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let name = format!("xaso-lookup {schema}");
    let backends = |admin: &mut postgres::Client| -> Vec<i32> {
        admin
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid",
                &[&name],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let until_gone = |admin: &mut postgres::Client, gone: &[i32]| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while backends(admin).iter().any(|p| gone.contains(p)) {
            assert!(std::time::Instant::now() < deadline, "{gone:?} did not end");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    // On a current-thread runtime the connections' tasks run only while a lookup does, so the
    // lookup finds its connection broken under it; on a multi-thread one the tasks see the
    // end first. The second runtime also finds the first one's connections gone with it.
    let runtimes = [
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    ];
    let mut previous = Vec::new();
    for runtime in runtimes {
        runtime.block_on(reader.open_connections()).unwrap();
        until_gone(&mut admin, &previous);
        let before = backends(&mut admin);
        assert!(before.len() >= 2, "{before:?}");
        for pid in &before {
            let killed: bool = admin
                .query_one("SELECT pg_terminate_backend($1)", &[pid])
                .unwrap()
                .get(0);
            assert!(killed, "{pid}");
        }
        until_gone(&mut admin, &before);
        // The very next lookups, on every connection, answer as the synchronous reads did.
        runtime.block_on(async {
            for _ in 0..2 {
                for (pid, want) in &expected {
                    assert_eq!(&reader.get_person_raw(pid).await.unwrap(), want, "{pid}");
                }
            }
        });
        let after = backends(&mut admin);
        assert_eq!(after.len(), before.len(), "{before:?} → {after:?}");
        assert!(after.iter().all(|p| !before.contains(p)), "{after:?}");
        previous = after;
    }
}

/// Set in the child process of the killed-save tests: where its store is.
const KILLED_SAVE_CHILD: &str = "XASO_CONTRACT_KILLED_SAVE_STORE";

fn before_a_killed_save(store: &dyn Store) {
    load_family(store);
    store
        .insert_dossiers(&[dossier("B-1", None, "processing", "justice", 1)])
        .unwrap();
}

/// In the child: a birth registration with the `save_dossier` abort hook set.
fn killed_save(store: &dyn Store) -> ! {
    let change = birth_change(
        completed(store, "B-1"),
        "038326000011",
        "Nguyễn Văn An",
        "birth",
        2026,
    );
    let outcome = store.save_dossier(&change);
    panic!("the save was not aborted: {outcome:?}");
}

/// Runs `test` again in a child process that saves with the abort hook set; checks it was
/// killed.
fn run_killed_save_child(test: &str, store: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--include-ignored", "--nocapture"])
        .env(KILLED_SAVE_CHILD, store)
        .env("XASO_TEST_ABORT_IN", "save_dossier")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(!stdout.contains("was not aborted"), "{stdout}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "{:?}: {stdout}", out.status);
    }
}

/// After the child died: nothing of the save is there, and the same save then succeeds.
fn after_a_killed_save(store: &dyn Store) {
    assert!(store.get_person(&id("038326000011")).unwrap().is_none());
    assert_eq!(store.count_persons().unwrap(), 4);
    let d = store.get_dossier("B-1").unwrap().unwrap();
    assert_eq!((d.version, d.state.as_str()), (1, "processing"));
    assert!(book(store, "birth", 2026).is_empty());
    let change = birth_change(
        completed(store, "B-1"),
        "038326000011",
        "Nguyễn Văn An",
        "birth",
        2026,
    );
    let saved = store.save_dossier(&change).unwrap();
    assert_eq!(saved.civil_status.unwrap().line, 1);
}

#[test]
fn a_save_killed_before_its_commit_leaves_nothing() {
    if let Some(dir) = std::env::var_os(KILLED_SAVE_CHILD) {
        let s = xaso_store::SqliteStore::open_dir(std::path::Path::new(&dir)).unwrap();
        killed_save(&s);
    }
    let dir = std::env::temp_dir().join(format!("xaso-killed-{}", unique()));
    before_a_killed_save(&xaso_store::SqliteStore::open_dir(&dir).unwrap());
    run_killed_save_child(
        "a_save_killed_before_its_commit_leaves_nothing",
        &dir.to_string_lossy(),
    );
    after_a_killed_save(&xaso_store::SqliteStore::open_dir(&dir).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs PostgreSQL: XASO_TEST_DATABASE_URL"]
fn pg_a_save_killed_before_its_commit_leaves_nothing() {
    if let Some(schema) = std::env::var_os(KILLED_SAVE_CHILD) {
        let url = std::env::var("XASO_TEST_DATABASE_URL").unwrap();
        let s =
            xaso_store::postgres::PgStore::connect(&url, Some(&schema.to_string_lossy())).unwrap();
        killed_save(&s);
    }
    let (s, cleanup) = postgres();
    before_a_killed_save(s.as_ref());
    let Cleanup::Schema(_, schema) = &cleanup else {
        unreachable!()
    };
    run_killed_save_child("pg_a_save_killed_before_its_commit_leaves_nothing", schema);
    after_a_killed_save(s.as_ref());
}

#[test]
fn a_lookup_hint_missing_or_wrong_falls_back_to_the_personal_id_index() {
    let dir = std::env::temp_dir().join(format!("xaso-hints-{}", unique()));
    let server = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    load_family(&server);
    server.prepare_to_serve().unwrap();
    let read = |store: &xaso_store::SqliteStore, pid: &str| -> Option<String> {
        store.get_person_raw(&id(pid)).unwrap().map(|raw| {
            let v: serde_json::Value = serde_json::from_slice(&raw.json).unwrap();
            v["personal_id"].as_str().unwrap().to_string()
        })
    };
    for p in family() {
        assert_eq!(
            read(&server, p.personal_id.as_str()).as_deref(),
            Some(p.personal_id.as_str())
        );
    }
    assert_eq!(read(&server, "038075999999"), None);

    // Added by another process after the server learnt the rows: found through the index.
    let other = xaso_store::SqliteStore::open_dir(&dir).unwrap();
    let newcomer = person("038199000005", "Phạm Văn Mới", "1999", Sex::Male);
    other.insert_person(&newcomer, &change("cli")).unwrap();
    assert_eq!(
        read(&server, "038199000005").as_deref(),
        Some("038199000005")
    );

    // Rows moved under the server: the father's hint now points at the mother's row, hers at
    // nothing. Each is still read as themself.
    let conn = rusqlite::Connection::open(dir.join("xaso.db")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let rowid = |pid: &str| -> i64 {
        conn.query_row(
            "SELECT id FROM persons WHERE personal_id = ?1",
            [pid],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (father, mother) = (rowid("038075000001"), rowid("038177000002"));
    conn.execute("UPDATE persons SET id = 1000 WHERE id = ?1", [father])
        .unwrap();
    conn.execute("UPDATE persons SET id = ?1 WHERE id = ?2", [father, mother])
        .unwrap();
    assert_eq!(
        read(&server, "038075000001").as_deref(),
        Some("038075000001")
    );
    assert_eq!(
        read(&server, "038177000002").as_deref(),
        Some("038177000002")
    );
    assert_eq!(
        read(&server, "038205000003").as_deref(),
        Some("038205000003")
    );
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The secondary indexes of `persons` (name, SQL), as SQLite lists them.
fn sqlite_person_indexes(db: &std::path::Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT name, sql FROM sqlite_schema
             WHERE type = 'index' AND tbl_name = 'persons' AND sql IS NOT NULL ORDER BY name",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Where each secondary index of `persons` starts in the file: a rebuilt index starts elsewhere.
fn sqlite_person_index_roots(db: &std::path::Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT rootpage FROM sqlite_schema
             WHERE type = 'index' AND tbl_name = 'persons' AND sql IS NOT NULL ORDER BY name",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn sqlite_integrity(db: &std::path::Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// `n` persons with IDs from `first` on, half of them named "Đặng Thị Thuý".
fn numbered_persons(first: u32, n: u32) -> Vec<Person> {
    (first..first + n)
        .map(|i| {
            let name = if i % 2 == 0 {
                "Đặng Thị Thuý"
            } else {
                "Nguyễn Văn Hoà"
            };
            let mut p = person(&format!("038075{i:06}"), name, "1975", Sex::Male);
            p.household_id = Some(format!("HK-{}", i / 4));
            p
        })
        .collect()
}

#[test]
fn sqlite_a_big_load_rebuilds_the_indexes_it_dropped_and_a_refused_one_keeps_them() {
    let dir = std::env::temp_dir().join(format!("xaso-contract-{}", unique()));
    let db = dir.join("xaso.db");
    let store = xaso_store::SqliteStore::open_dir(&dir)
        .unwrap()
        .with_index_rebuild_after(10);
    let indexes = sqlite_person_indexes(&db);
    assert_eq!(indexes.len(), 5, "{indexes:?}");
    let roots = sqlite_person_index_roots(&db);
    let load = |persons: Vec<Person>, accept: bool| {
        let mut items = persons
            .into_iter()
            .enumerate()
            .map(|(i, p)| LoadItem::person(i + 2, p).unwrap());
        store
            .load(&mut items, &change("loader"), &mut |c| {
                accept && c.is_empty()
            })
            .unwrap()
    };

    // A first load past the threshold: the indexes come back, the same and complete.
    assert!(load(numbered_persons(1, 60), true).committed);
    assert_eq!(sqlite_person_indexes(&db), indexes);
    let roots_after_rebuild = sqlite_person_index_roots(&db);
    assert!(
        roots.iter().zip(&roots_after_rebuild).all(|(a, b)| a != b),
        "every index was rebuilt: {roots:?} → {roots_after_rebuild:?}"
    );
    assert_eq!(sqlite_integrity(&db), "ok");
    assert_eq!(search(&store, "Dang Thi Thuy", Some(1975)).len(), 30);
    assert_eq!(search(&store, "Nguyễn Văn Hòa", None).len(), 30);
    assert_eq!(store.household_members("HK-3").unwrap().len(), 4);

    // A load refused after the indexes were dropped leaves the register as it was.
    let mut refused = numbered_persons(1000, 100);
    refused.push(numbered_persons(5, 1).remove(0)); // already in the register
    let summary = load(refused, true);
    assert!(!summary.committed);
    assert_eq!(store.count_persons().unwrap(), 60);
    assert_eq!(sqlite_person_indexes(&db), indexes);
    assert_eq!(sqlite_person_index_roots(&db), roots_after_rebuild);
    assert_eq!(sqlite_integrity(&db), "ok");

    // A small load into a bigger register keeps the indexes up to date as it goes.
    assert!(load(numbered_persons(2000, 20), true).committed);
    assert_eq!(store.count_persons().unwrap(), 80);
    assert_eq!(search(&store, "Dang Thi Thuy", None).len(), 40);
    assert_eq!(sqlite_person_indexes(&db), indexes);
    assert_eq!(
        sqlite_person_index_roots(&db),
        roots_after_rebuild,
        "not rebuilt for a load smaller than the register"
    );
    assert_eq!(sqlite_integrity(&db), "ok");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
