//! Golden figures computed by hand (see each comment) on eight dossiers of Xã Thắng Lợi in
//! January 2026, read on 31 January, plus three that must not count.

use super::*;
use crate::vi_check::assert_vi;
use time::macros::date;

const UNIT: &str = "16309";

#[allow(clippy::too_many_arguments)]
fn fact(
    id: &str,
    online_level: OnlineLevel,
    channel: Channel,
    received_on: Date,
    due_on: Date,
    finished_on: Option<Date>,
    state: DossierState,
) -> DossierFact {
    DossierFact {
        id: id.to_owned(),
        unit: UNIT.to_owned(),
        procedure_code: "p".to_owned(),
        online_level,
        channel,
        received_on,
        due_on,
        finished_on,
        state,
        status_synced: true,
        digitised: true,
        electronic_result: false,
        certified_copy: None,
        reused_data: true,
        reused_digitised_result: false,
        used_population_data: true,
        fee_due: false,
        paid_online: false,
        rating: None,
        complaint: None,
    }
}

fn dossiers() -> Vec<DossierFact> {
    use Channel::{Desk, Online};
    use DossierState::{Processing, Rejected, Returned, Withdrawn};
    use OnlineLevel::{Full, Partial};
    let d = |day: u8| Date::from_calendar_date(2026, time::Month::January, day).unwrap();
    let feb = |day: u8| Date::from_calendar_date(2026, time::Month::February, day).unwrap();

    let mut d1 = fact("d1", Full, Online, d(5), d(5), Some(d(5)), Returned);
    d1.electronic_result = true;
    d1.rating = Some(5);

    let mut d2 = fact("d2", Full, Desk, d(6), d(15), Some(d(16)), Returned);
    d2.certified_copy = Some(false);
    d2.reused_digitised_result = true;
    d2.fee_due = true;
    d2.rating = Some(2);
    d2.complaint = Some(Complaint {
        due_on: d(26),
        handled_on: Some(d(23)),
        satisfied: Some(true),
    });

    let mut d3 = fact("d3", Full, Online, d(12), d(15), Some(d(14)), Returned);
    d3.electronic_result = true;
    d3.certified_copy = Some(true);
    d3.fee_due = true;
    d3.paid_online = true;
    d3.rating = Some(4);

    let mut d4 = fact("d4", Partial, Desk, d(13), d(13), Some(d(13)), Returned);
    d4.status_synced = false;
    d4.digitised = false;
    d4.reused_data = false;

    let mut d5 = fact("d5", Full, Online, d(20), d(23), None, Processing);
    d5.fee_due = true;
    d5.paid_online = true;
    d5.complaint = Some(Complaint {
        due_on: d(28),
        handled_on: None,
        satisfied: None,
    });

    let mut d6 = fact("d6", Full, Desk, d(27), feb(3), None, Processing);
    d6.reused_data = false;
    d6.used_population_data = false;
    d6.fee_due = true;

    let mut d7 = fact("d7", Full, Online, d(28), feb(6), Some(d(29)), Rejected);
    d7.electronic_result = true;
    d7.reused_digitised_result = true;
    d7.fee_due = true;
    d7.paid_online = true;
    d7.rating = Some(3);
    d7.complaint = Some(Complaint {
        due_on: feb(10),
        handled_on: Some(d(30)),
        satisfied: Some(false),
    });

    let mut d8 = fact("d8", Full, Online, d(30), d(30), Some(d(30)), Returned);
    d8.digitised = false;
    d8.electronic_result = true;
    d8.rating = Some(5);

    // Not counted: another unit, after the period, withdrawn.
    let mut x1 = fact("x1", Full, Online, d(10), d(10), None, Processing);
    x1.unit = "16312".to_owned();
    let x2 = fact("x2", Full, Online, feb(2), feb(2), None, Processing);
    let x3 = fact("x3", Full, Desk, d(15), d(20), Some(d(16)), Withdrawn);

    vec![d1, x1, d2, d3, x2, d4, d5, x3, d6, d7, d8]
}

fn procedures() -> Vec<ProcedureFact> {
    let p = |code: &str, published, connected| ProcedureFact {
        code: code.to_owned(),
        published_up_to_date: published,
        connected_to_population_data: connected,
    };
    vec![
        p("p1", true, true),
        p("p2", true, true),
        p("p3", true, false),
        p("p4", false, false),
    ]
}

fn report() -> Report {
    compute(
        UNIT,
        Period {
            from: date!(2026 - 01 - 01),
            to: date!(2026 - 01 - 31),
        },
        date!(2026 - 01 - 31),
        &dossiers(),
        &procedures(),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn golden_indicators() {
    let r = report();
    use IndicatorKey as K;
    // (key, numerator, denominator, points)
    let golden: [(IndicatorKey, usize, usize, f64); 15] = [
        // 3 of 4 procedures published: 9 × 0.75.
        (K::ProceduresPublished, 3, 4, 6.75),
        // All but d4 synchronised: 9 × 7/8.
        (K::StatusSynchronised, 7, 8, 7.875),
        // On time: d1, d3, d4, d7 (rejected on the 29th, due 6 Feb), d8 finished by their due
        // date; d6 open and due 3 Feb. Late: d2 (16 > 15), d5 (open, due the 23rd).
        // 20 × 6/8.
        (K::OnTime, 6, 8, 15.0),
        // Fully online procedures: all but d4 (7); received online: d1, d3, d5, d7, d8.
        // 12 × 5/7.
        (K::EndToEndOnline, 5, 7, 12.0 * 5.0 / 7.0),
        // Finished: d1, d2, d3, d4, d7, d8; electronic results: d1, d3, d7, d8. 6 × 4/6.
        (K::ElectronicResults, 4, 6, 4.0),
        // Digitised: all but d4 and d8. 4 × 6/8.
        (K::DigitisedDossiers, 6, 8, 3.0),
        // Certified copies: d2 on paper, d3 electronic. 2 × 1/2.
        (K::ElectronicCertifiedCopies, 1, 2, 1.0),
        // Reused data: all but d4 and d6: 6/8 = 75%, full at 80%: 2 × 0.75/0.8.
        (K::DataReuse, 6, 8, 1.875),
        // Digitised results reused: d2, d7. 4 × 2/8.
        (K::DigitisedResultsReused, 2, 8, 1.0),
        // Population data: all but d6. 2 × 7/8.
        (K::PopulationDataUsed, 7, 8, 1.75),
        // Connected procedures: p1, p2. 2 × 2/4.
        (K::ProceduresConnected, 2, 4, 1.0),
        // Complaints: d2 handled the 23rd (due 26th), d7 the 30th (due 10 Feb), d5 still open
        // after its due date (28th). 6 × 2/3.
        (K::ComplaintsOnTime, 2, 3, 4.0),
        // Verdicts: d2 satisfied, d7 not. 6 × 1/2.
        (K::ComplaintSatisfaction, 1, 2, 3.0),
        // Ratings: d1 5, d2 2, d3 4, d7 3, d8 5: satisfied 3/5 = 60%, full at 90%: 6 × 0.6/0.9.
        (K::DossierSatisfaction, 3, 5, 4.0),
        // With a fee: d2, d3, d5, d6, d7; paid online: d3, d5, d7. 10 × 3/5.
        (K::OnlinePayment, 3, 5, 6.0),
    ];
    assert_eq!(r.indicators.len(), golden.len());
    for (key, numerator, denominator, points) in golden {
        let i = r.indicator(key).unwrap();
        assert_eq!(
            (i.numerator, i.denominator),
            (numerator, denominator),
            "{key:?}"
        );
        assert!(close(i.points.unwrap(), points), "{key:?}: {:?}", i.points);
        assert!(i.points.unwrap() <= i.max_points);
        assert_vi(&i.label.en, &i.label.vi);
    }
    // Drill-down: the dossiers behind the timeliness figure, and the late ones.
    let on_time = r.indicator(K::OnTime).unwrap();
    assert_eq!(on_time.numerator_ids, ["d1", "d3", "d4", "d6", "d7", "d8"]);
    assert_eq!(
        on_time.denominator_ids,
        ["d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"]
    );
    assert_eq!(on_time.value, Some(0.75));
    assert_eq!(on_time.subject, Subject::Dossiers);
    let published = r.indicator(K::ProceduresPublished).unwrap();
    assert_eq!(published.subject, Subject::Procedures);
    assert_eq!(published.numerator_ids, ["p1", "p2", "p3"]);
    assert_eq!(
        r.indicator(K::ComplaintsOnTime).unwrap().numerator_ids,
        ["d2", "d7"]
    );
}

#[test]
fn golden_groups_and_total() {
    let r = report();
    let groups: Vec<(IndicatorGroup, f64)> = r
        .groups
        .iter()
        .map(|g| (g.group, g.points.unwrap()))
        .collect();
    let expected = [
        (IndicatorGroup::Transparency, 14.625),
        (IndicatorGroup::Timeliness, 15.0),
        (IndicatorGroup::OnlineService, 60.0 / 7.0),
        // 4 + 3 + 1 + 1.875 + 1 + 1.75 + 1
        (IndicatorGroup::Digitisation, 13.625),
        (IndicatorGroup::Satisfaction, 11.0),
        (IndicatorGroup::OnlinePayment, 6.0),
    ];
    for ((g, p), (eg, ep)) in groups.iter().zip(expected) {
        assert_eq!(*g, eg);
        assert!(close(*p, ep), "{g:?}: {p}");
    }
    assert!(close(
        r.total_points,
        14.625 + 15.0 + 60.0 / 7.0 + 13.625 + 11.0 + 6.0
    ));
    assert!(close(r.total_points, 68.821_428_571_428_57));
    assert!(close(r.measured_points, 100.0));
    let max: u32 = IndicatorGroup::ALL.iter().map(|g| g.max_points()).sum();
    assert_eq!(max, 100);
    // The indicators' maxima add up to their groups'.
    for g in IndicatorGroup::ALL {
        let sum: f64 = r
            .indicators
            .iter()
            .filter(|i| i.group == g)
            .map(|i| i.max_points)
            .sum();
        assert!(close(sum, f64::from(g.max_points())), "{g:?}");
        let label = g.label();
        assert_vi(&label.en, &label.vi);
    }
}

#[test]
fn nothing_counted_gives_no_points() {
    let r = compute(
        "00004",
        Period {
            from: date!(2026 - 01 - 01),
            to: date!(2026 - 01 - 31),
        },
        date!(2026 - 01 - 31),
        &dossiers(),
        &[],
    );
    assert!(r
        .indicators
        .iter()
        .all(|i| i.points.is_none() && i.value.is_none()));
    assert!(r.groups.iter().all(|g| g.points.is_none()));
    assert_eq!(r.total_points, 0.0);
    assert_eq!(r.measured_points, 0.0);
}

#[test]
fn sources_of_points_and_formulas() {
    let r = report();
    let confirmed: Vec<IndicatorKey> = r
        .indicators
        .iter()
        .filter(|i| i.formula_sourcing.is_confirmed())
        .map(|i| i.key)
        .collect();
    assert_eq!(
        confirmed,
        [
            IndicatorKey::OnTime,
            IndicatorKey::EndToEndOnline,
            IndicatorKey::OnlinePayment
        ]
    );
    let split: Vec<IndicatorKey> = r
        .indicators
        .iter()
        .filter(|i| !i.points_sourcing.is_confirmed())
        .map(|i| i.key)
        .collect();
    assert_eq!(
        split,
        [
            IndicatorKey::ProceduresPublished,
            IndicatorKey::StatusSynchronised
        ]
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["indicators"][2]["key"], "on-time");
    assert_eq!(json["indicators"][2]["numerator_ids"][0], "d1");
}
