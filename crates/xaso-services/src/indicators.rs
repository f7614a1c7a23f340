//! The service-quality indicators of Decision 766/QĐ-TTg (C10), computed over dossier facts for
//! one unit and period, each with its numerator, denominator, value, points and the ids behind
//! it (drill-down).
//!
//! The groups and points, as `MISSION.md` gives them (100 points for a unit):
//!
//! | group | points | indicators |
//! |---|---|---|
//! | transparency | 18 | procedures published and kept up to date; dossier status synchronised in real time |
//! | timeliness | 20 | 20 × (finished on time + open within deadline) / received |
//! | online service | 12 | end-to-end online dossiers / dossiers of eligible procedures |
//! | digitisation | 22 | electronic results 6, digitised dossiers 4, electronic certified copies 2, documents saved by reusing data 2 (full at 80%), digitised results reused 4, dossiers using population data 2, procedures connected to population data 2 |
//! | satisfaction | 18 | complaints handled on time 6, satisfaction with complaint handling 6, satisfaction with dossier handling 6 (full at 90%) |
//! | online payment | 10 | dossiers paid online / dossiers with a fee |
//!
//! Points of an indicator: `max × min(1, value / full_at)`; no points when nothing is counted
//! (denominator 0). Each [`Indicator`] says whether its points and its formula come from the
//! mission's statement of the Decision or are this crate's reading, to be confirmed against
//! the Decision's appendix: the split of transparency's 18 points (9 + 9 here) and the
//! denominators the mission does not state.
//!
//! Which dossiers count: those of the unit received within the period (inclusive), except
//! withdrawn ones (neither on time nor late). "Open within deadline" and complaints "on time"
//! are read on `as_of` (the end of the period, or today while it runs). A dossier is finished
//! when its clock stopped ([`xaso_domain::dossier::Clock::stopped_on`]: result ready, rejected).
//! A rating is on a 1–5 scale; 4 (satisfied) and 5 (very satisfied) count as satisfied.

use serde::Serialize;
use time::Date;
use xaso_domain::dossier::{Channel, DossierState};

use crate::catalogue::{OnlineLevel, Sourcing};
use crate::Text;

/// What the indicators need to know of one dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierFact {
    /// The receipt number: what drill-down lists.
    pub id: String,
    /// The commune (or other unit) code.
    pub unit: String,
    pub procedure_code: String,
    /// The procedure's online level: fully online procedures are the eligible ones.
    pub online_level: OnlineLevel,
    pub channel: Channel,
    pub received_on: Date,
    pub due_on: Date,
    /// The day the clock stopped, if it did.
    pub finished_on: Option<Date>,
    pub state: DossierState,
    /// Its status reached the national portal as it changed.
    pub status_synced: bool,
    /// Its papers were digitised.
    pub digitised: bool,
    /// Its result was issued electronically.
    pub electronic_result: bool,
    /// A certified copy was issued: electronically (`Some(true)`) or on paper.
    pub certified_copy: Option<bool>,
    /// Papers were not asked for because data already held was reused.
    pub reused_data: bool,
    /// A digitised result of an earlier procedure was reused.
    pub reused_digitised_result: bool,
    /// The population database was used (lookup, prefill, card).
    pub used_population_data: bool,
    pub fee_due: bool,
    pub paid_online: bool,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub rating: Option<u8>,
    pub complaint: Option<Complaint>,
}

/// A complaint about a dossier's handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Complaint {
    pub due_on: Date,
    pub handled_on: Option<Date>,
    /// The complainant's verdict on the handling, when given.
    pub satisfied: Option<bool>,
}

/// What the indicators need to know of one procedure the unit offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureFact {
    pub code: String,
    pub published_up_to_date: bool,
    pub connected_to_population_data: bool,
}

/// Inclusive dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    #[serde(serialize_with = "crate::iso::date")]
    pub from: Date,
    #[serde(serialize_with = "crate::iso::date")]
    pub to: Date,
}

impl Period {
    pub fn contains(self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }
}

/// The six groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorGroup {
    Transparency,
    Timeliness,
    OnlineService,
    Digitisation,
    Satisfaction,
    OnlinePayment,
}

impl IndicatorGroup {
    pub const ALL: [IndicatorGroup; 6] = [
        IndicatorGroup::Transparency,
        IndicatorGroup::Timeliness,
        IndicatorGroup::OnlineService,
        IndicatorGroup::Digitisation,
        IndicatorGroup::Satisfaction,
        IndicatorGroup::OnlinePayment,
    ];

    pub const fn max_points(self) -> u32 {
        match self {
            IndicatorGroup::Transparency => 18,
            IndicatorGroup::Timeliness => 20,
            IndicatorGroup::OnlineService => 12,
            IndicatorGroup::Digitisation => 22,
            IndicatorGroup::Satisfaction => 18,
            IndicatorGroup::OnlinePayment => 10,
        }
    }

    pub fn label(self) -> Text {
        match self {
            IndicatorGroup::Transparency => Text::new("Công khai, minh bạch", "Transparency"),
            IndicatorGroup::Timeliness => Text::new("Tiến độ giải quyết", "Timeliness"),
            IndicatorGroup::OnlineService => {
                Text::new("Dịch vụ công trực tuyến", "Online public service")
            }
            IndicatorGroup::Digitisation => Text::new("Số hóa hồ sơ", "Digitisation"),
            IndicatorGroup::Satisfaction => Text::new("Mức độ hài lòng", "Satisfaction"),
            IndicatorGroup::OnlinePayment => Text::new("Thanh toán trực tuyến", "Online payment"),
        }
    }
}

/// The indicators, each in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorKey {
    ProceduresPublished,
    StatusSynchronised,
    OnTime,
    EndToEndOnline,
    ElectronicResults,
    DigitisedDossiers,
    ElectronicCertifiedCopies,
    DataReuse,
    DigitisedResultsReused,
    PopulationDataUsed,
    ProceduresConnected,
    ComplaintsOnTime,
    ComplaintSatisfaction,
    DossierSatisfaction,
    OnlinePayment,
}

/// What the ids of an indicator are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    /// Receipt numbers.
    Dossiers,
    /// Procedure codes.
    Procedures,
}

/// One computed indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub key: IndicatorKey,
    pub group: IndicatorGroup,
    pub label: Text,
    pub numerator: usize,
    pub denominator: usize,
    /// numerator / denominator; `None` when nothing is counted.
    pub value: Option<f64>,
    pub max_points: f64,
    /// The value at which the points are full (1.0, or 0.8 and 0.9 where the Decision says).
    pub full_at: f64,
    pub points: Option<f64>,
    pub subject: Subject,
    /// The ids counted in the numerator, and in the denominator, in input order.
    pub numerator_ids: Vec<String>,
    pub denominator_ids: Vec<String>,
    /// Where the points come from.
    pub points_sourcing: Sourcing,
    /// Where the numerator and denominator come from.
    pub formula_sourcing: Sourcing,
}

/// A group's points: the sum of its indicators' points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupScore {
    pub group: IndicatorGroup,
    pub label: Text,
    pub max_points: f64,
    /// `None` when none of its indicators counts anything.
    pub points: Option<f64>,
}

/// The indicators of a unit for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub unit: String,
    pub period: Period,
    #[serde(serialize_with = "crate::iso::date")]
    pub as_of: Date,
    pub indicators: Vec<Indicator>,
    pub groups: Vec<GroupScore>,
    /// The sum of the points obtained.
    pub total_points: f64,
    /// The points of the indicators that counted something (at most 100).
    pub measured_points: f64,
}

impl Report {
    pub fn indicator(&self, key: IndicatorKey) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.key == key)
    }
}

const MISSION: &str = "MISSION.md (Quyết định 766/QĐ-TTg)";

fn stated() -> Sourcing {
    Sourcing::sourced(MISSION)
}

fn reading() -> Sourcing {
    Sourcing::to_confirm(
        "the denominator is this crate's reading of the indicator; check the Decision's appendix",
    )
}

struct Spec {
    key: IndicatorKey,
    group: IndicatorGroup,
    label: (&'static str, &'static str),
    max_points: f64,
    full_at: f64,
    points_sourcing: Sourcing,
    formula_sourcing: Sourcing,
}

fn spec(
    key: IndicatorKey,
    group: IndicatorGroup,
    vi: &'static str,
    en: &'static str,
    max_points: f64,
) -> Spec {
    Spec {
        key,
        group,
        label: (vi, en),
        max_points,
        full_at: 1.0,
        points_sourcing: stated(),
        formula_sourcing: reading(),
    }
}

/// `items` filtered by `counted` (the denominator) and `hit` (the numerator).
fn measure<T>(
    s: Spec,
    subject: Subject,
    items: &[&T],
    id: impl Fn(&T) -> &str,
    counted: impl Fn(&T) -> bool,
    hit: impl Fn(&T) -> bool,
) -> Indicator {
    let denominator_ids: Vec<String> = items
        .iter()
        .filter(|x| counted(x))
        .map(|x| id(x).to_owned())
        .collect();
    let numerator_ids: Vec<String> = items
        .iter()
        .filter(|x| counted(x) && hit(x))
        .map(|x| id(x).to_owned())
        .collect();
    let (numerator, denominator) = (numerator_ids.len(), denominator_ids.len());
    // Counts of dossiers are far below 2^52: the conversion is exact.
    let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
    let points = value.map(|v| s.max_points * (v / s.full_at).min(1.0));
    Indicator {
        key: s.key,
        group: s.group,
        label: Text::new(s.label.0, s.label.1),
        numerator,
        denominator,
        value,
        max_points: s.max_points,
        full_at: s.full_at,
        points,
        subject,
        numerator_ids,
        denominator_ids,
        points_sourcing: s.points_sourcing,
        formula_sourcing: s.formula_sourcing,
    }
}

/// The indicators of `unit` for dossiers received in `period`, read on `as_of`.
pub fn compute(
    unit: &str,
    period: Period,
    as_of: Date,
    dossiers: &[DossierFact],
    procedures: &[ProcedureFact],
) -> Report {
    use IndicatorGroup as G;
    use IndicatorKey as K;
    let scope: Vec<&DossierFact> = dossiers
        .iter()
        .filter(|d| d.unit == unit && period.contains(d.received_on))
        .filter(|d| d.state != DossierState::Withdrawn)
        .collect();
    let procs: Vec<&ProcedureFact> = procedures.iter().collect();
    let dossier =
        |s: Spec, counted: fn(&DossierFact) -> bool, hit: &dyn Fn(&DossierFact) -> bool| {
            measure(
                s,
                Subject::Dossiers,
                &scope,
                |d| d.id.as_str(),
                counted,
                hit,
            )
        };
    let procedure = |s: Spec, hit: fn(&ProcedureFact) -> bool| {
        measure(
            s,
            Subject::Procedures,
            &procs,
            |p| p.code.as_str(),
            |_| true,
            hit,
        )
    };
    let all = |_: &DossierFact| true;
    let transparency_split = || {
        Sourcing::to_confirm(
            "MISSION.md gives 18 points for the group; the 9 + 9 split is to be confirmed",
        )
    };

    let on_time = |d: &DossierFact| match d.finished_on {
        Some(finished) => finished <= d.due_on,
        None => as_of <= d.due_on,
    };
    let complaint_on_time = |d: &DossierFact| {
        d.complaint.is_some_and(|c| match c.handled_on {
            Some(handled) => handled <= c.due_on,
            None => as_of <= c.due_on,
        })
    };

    let indicators = vec![
        procedure(
            Spec {
                points_sourcing: transparency_split(),
                ..spec(
                    K::ProceduresPublished,
                    G::Transparency,
                    "Thủ tục được công khai đầy đủ, kịp thời",
                    "Procedures published and kept up to date",
                    9.0,
                )
            },
            |p| p.published_up_to_date,
        ),
        dossier(
            Spec {
                points_sourcing: transparency_split(),
                ..spec(
                    K::StatusSynchronised,
                    G::Transparency,
                    "Hồ sơ được đồng bộ trạng thái theo thời gian thực",
                    "Dossiers whose status is synchronised in real time",
                    9.0,
                )
            },
            all,
            &|d| d.status_synced,
        ),
        dossier(
            Spec {
                formula_sourcing: stated(),
                ..spec(
                    K::OnTime,
                    G::Timeliness,
                    "Hồ sơ giải quyết đúng hạn và đang giải quyết trong hạn",
                    "Dossiers finished on time or open within their deadline",
                    20.0,
                )
            },
            all,
            &on_time,
        ),
        dossier(
            Spec {
                formula_sourcing: stated(),
                ..spec(
                    K::EndToEndOnline,
                    G::OnlineService,
                    "Hồ sơ trực tuyến toàn trình trên hồ sơ của thủ tục đủ điều kiện",
                    "End-to-end online dossiers among those of eligible procedures",
                    12.0,
                )
            },
            |d| d.online_level == OnlineLevel::Full,
            &|d| d.channel == Channel::Online,
        ),
        dossier(
            spec(
                K::ElectronicResults,
                G::Digitisation,
                "Kết quả giải quyết được cấp bản điện tử",
                "Results issued electronically",
                6.0,
            ),
            |d| d.finished_on.is_some(),
            &|d| d.electronic_result,
        ),
        dossier(
            spec(
                K::DigitisedDossiers,
                G::Digitisation,
                "Hồ sơ được số hóa",
                "Digitised dossiers",
                4.0,
            ),
            all,
            &|d| d.digitised,
        ),
        dossier(
            spec(
                K::ElectronicCertifiedCopies,
                G::Digitisation,
                "Bản sao chứng thực điện tử",
                "Electronic certified copies",
                2.0,
            ),
            |d| d.certified_copy.is_some(),
            &|d| d.certified_copy == Some(true),
        ),
        dossier(
            Spec {
                full_at: 0.8,
                ..spec(
                    K::DataReuse,
                    G::Digitisation,
                    "Hồ sơ được giảm giấy tờ nhờ tái sử dụng dữ liệu",
                    "Dossiers spared papers by reusing data",
                    2.0,
                )
            },
            all,
            &|d| d.reused_data,
        ),
        dossier(
            spec(
                K::DigitisedResultsReused,
                G::Digitisation,
                "Hồ sơ tái sử dụng kết quả đã số hóa",
                "Dossiers reusing a digitised result",
                4.0,
            ),
            all,
            &|d| d.reused_digitised_result,
        ),
        dossier(
            spec(
                K::PopulationDataUsed,
                G::Digitisation,
                "Hồ sơ khai thác dữ liệu dân cư",
                "Dossiers using population data",
                2.0,
            ),
            all,
            &|d| d.used_population_data,
        ),
        procedure(
            spec(
                K::ProceduresConnected,
                G::Digitisation,
                "Thủ tục được kết nối Cơ sở dữ liệu quốc gia về dân cư",
                "Procedures connected to the population database",
                2.0,
            ),
            |p| p.connected_to_population_data,
        ),
        dossier(
            spec(
                K::ComplaintsOnTime,
                G::Satisfaction,
                "Phản ánh, kiến nghị được xử lý đúng hạn",
                "Complaints handled on time",
                6.0,
            ),
            |d| d.complaint.is_some(),
            &complaint_on_time,
        ),
        dossier(
            spec(
                K::ComplaintSatisfaction,
                G::Satisfaction,
                "Hài lòng với việc xử lý phản ánh, kiến nghị",
                "Satisfaction with complaint handling",
                6.0,
            ),
            |d| d.complaint.is_some_and(|c| c.satisfied.is_some()),
            &|d| d.complaint.and_then(|c| c.satisfied) == Some(true),
        ),
        dossier(
            Spec {
                full_at: 0.9,
                ..spec(
                    K::DossierSatisfaction,
                    G::Satisfaction,
                    "Hài lòng với việc giải quyết hồ sơ",
                    "Satisfaction with dossier handling",
                    6.0,
                )
            },
            |d| d.rating.is_some(),
            &|d| d.rating.is_some_and(|r| r >= 4),
        ),
        dossier(
            Spec {
                formula_sourcing: stated(),
                ..spec(
                    K::OnlinePayment,
                    G::OnlinePayment,
                    "Hồ sơ thanh toán trực tuyến trên hồ sơ phải nộp phí, lệ phí",
                    "Dossiers paid online among those with a fee",
                    10.0,
                )
            },
            |d| d.fee_due,
            &|d| d.paid_online,
        ),
    ];

    let groups: Vec<GroupScore> = IndicatorGroup::ALL
        .into_iter()
        .map(|group| {
            let points: Vec<f64> = indicators
                .iter()
                .filter(|i| i.group == group)
                .filter_map(|i| i.points)
                .collect();
            GroupScore {
                group,
                label: group.label(),
                max_points: f64::from(group.max_points()),
                points: (!points.is_empty()).then(|| points.iter().sum()),
            }
        })
        .collect();
    let total_points = groups.iter().filter_map(|g| g.points).sum();
    let measured_points = indicators
        .iter()
        .filter(|i| i.points.is_some())
        .map(|i| i.max_points)
        .sum();
    Report {
        unit: unit.to_owned(),
        period,
        as_of,
        indicators,
        groups,
        total_points,
        measured_points,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
