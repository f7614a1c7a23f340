//! Submitted form values checked against the schema. Every error names the field and the rule,
//! in English (`en`, the JSON API) and Vietnamese (`vi`, the pages). The rules on personal IDs,
//! dates, names, ethnic groups and communes are `xaso-domain`'s, with its messages.
//!
//! Order: each field in form order (required, then its type, then its rules; a value of the
//! wrong type is not checked further), then the submitted keys the form does not have.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use time::Date;
use xaso_domain::admin_units::units;
use xaso_domain::ethnic::ethnic_by_code;
use xaso_domain::{name, Cmnd, PartialDate, PersonalId, Sex};

use crate::catalogue::{FieldKind, FieldSpec, FormSchema, Rule};

/// Submitted values by field key, as typed.
pub type FormValues = BTreeMap<String, String>;

/// Which rule a value breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorRule {
    Required,
    UnknownField,
    /// Not a value of the field's type (date, personal ID, code…).
    Format,
    NotAnOption,
    MinLength,
    MaxLength,
    Min,
    Max,
    NotInFuture,
    PersonName,
    Before,
    NotBefore,
    IdMismatch,
    AgeUnder,
}

/// One broken rule of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub rule: ErrorRule,
    /// "`label`: `rule`" in English.
    pub en: String,
    /// "`label`: `rule`" in Vietnamese.
    pub vi: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl FieldError {
    fn new(
        spec: &FieldSpec,
        rule: ErrorRule,
        en: impl fmt::Display,
        vi: impl fmt::Display,
    ) -> Self {
        FieldError {
            field: spec.key.clone(),
            rule,
            en: format!("{}: {en}", spec.label.en),
            vi: format!("{}: {vi}", spec.label.vi),
        }
    }
}

/// A Vietnamese phone number in its 10-digit (mobile, 0 + 9 digits) or 11-digit (landline,
/// 02…) national form; spaces, dots, dashes, brackets and a +84/84 prefix are tolerated.
pub fn normalize_phone(s: &str) -> Option<String> {
    let compact: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = if let Some(rest) = compact.strip_prefix("+84") {
        format!("0{rest}")
    } else if compact.starts_with("84") && (compact.len() == 11 || compact.len() == 12) {
        format!("0{}", &compact[2..])
    } else {
        compact
    };
    if !national.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mobile = national.len() == 10
        && national.starts_with('0')
        && matches!(
            national.as_bytes().get(1),
            Some(b'3' | b'5' | b'7' | b'8' | b'9')
        );
    let landline = national.len() == 11 && national.starts_with("02");
    (mobile || landline).then_some(national)
}

/// The value read by its type.
enum Parsed {
    Date(PartialDate),
    Id(PersonalId),
    Number(i64),
    Other,
}

fn read(spec: &FieldSpec, raw: &str) -> Result<Parsed, FieldError> {
    let format = |en: String, vi: String| FieldError::new(spec, ErrorRule::Format, en, vi);
    match &spec.kind {
        FieldKind::Text => Ok(Parsed::Other),
        FieldKind::Date => {
            let d = PartialDate::parse(raw).map_err(|e| format(e.to_string(), e.vi()))?;
            if d.full().is_none() {
                return Err(format(
                    format!("{raw:?} is not a full date: day, month and year are required"),
                    format!(
                        "{:?} chưa đủ ngày, tháng, năm; cần ghi đủ cả ba",
                        name::nfc(raw)
                    ),
                ));
            }
            Ok(Parsed::Date(d))
        }
        FieldKind::PartialDate => PartialDate::parse(raw)
            .map(Parsed::Date)
            .map_err(|e| format(e.to_string(), e.vi())),
        FieldKind::Sex => Sex::parse(raw).map(|_| Parsed::Other).ok_or_else(|| {
            format(
                format!("{raw:?} is not a sex: expected Nam or Nữ"),
                format!(
                    "{:?} không phải giới tính: phải là Nam hoặc Nữ",
                    name::nfc(raw)
                ),
            )
        }),
        FieldKind::PersonalId => PersonalId::parse(raw)
            .map(Parsed::Id)
            .map_err(|e| format(e.to_string(), e.vi())),
        FieldKind::Cmnd => Cmnd::parse(raw)
            .map(|_| Parsed::Other)
            .map_err(|e| format(e.to_string(), e.vi())),
        FieldKind::EthnicityCode => ethnic_by_code(raw).map(|_| Parsed::Other).ok_or_else(|| {
            format(
                format!("{raw:?} is not an ethnic group code of Decision 1019/QĐ-TCTK (01–54)"),
                format!(
                    "Mã dân tộc {:?} không có trong danh mục của Quyết định 1019/QĐ-TCTK (từ 01 \
                     đến 54)",
                    name::nfc(raw)
                ),
            )
        }),
        FieldKind::CommuneCode => units().commune(raw).map(|_| Parsed::Other).ok_or_else(|| {
            format(
                format!("{raw:?} is not the code of a commune in force since 1 July 2025"),
                format!(
                    "{:?} không phải là mã xã, phường, đặc khu đang có hiệu lực từ ngày 01/7/2025",
                    name::nfc(raw)
                ),
            )
        }),
        FieldKind::Select { options } => {
            if options.iter().any(|o| o.value == raw) {
                Ok(Parsed::Other)
            } else {
                let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                let labels: Vec<&str> = options.iter().map(|o| o.label.vi.as_str()).collect();
                Err(FieldError::new(
                    spec,
                    ErrorRule::NotAnOption,
                    format!("{raw:?} is not one of the choices ({})", values.join(", ")),
                    format!(
                        "{:?} không phải là một lựa chọn ({})",
                        name::nfc(raw),
                        labels.join(", ")
                    ),
                ))
            }
        }
        FieldKind::Number => raw.parse::<i64>().map(Parsed::Number).map_err(|_| {
            format(
                format!("{raw:?} is not a whole number"),
                format!("{:?} không phải là số nguyên", name::nfc(raw)),
            )
        }),
        FieldKind::Phone => normalize_phone(raw).map(|_| Parsed::Other).ok_or_else(|| {
            format(
                format!(
                    "{raw:?} is not a Vietnamese phone number (10 digits from 03, 05, 07, 08 or \
                     09, or 11 digits from 02)"
                ),
                format!(
                    "{:?} không phải số điện thoại Việt Nam (10 chữ số bắt đầu bằng 03, 05, 07, \
                     08 hoặc 09, hoặc 11 chữ số bắt đầu bằng 02)",
                    name::nfc(raw)
                ),
            )
        }),
    }
}

/// How two possibly partial dates compare, when what both know decides it.
fn compare(a: PartialDate, b: PartialDate) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (a.full(), b.full()) {
        return Some(a.cmp(&b));
    }
    match a.year().cmp(&b.year()) {
        Ordering::Equal => match (a.month(), b.month()) {
            (Some(x), Some(y)) if x != y => Some(x.cmp(&y)),
            _ => None,
        },
        other => Some(other),
    }
}

fn is_after_today(d: PartialDate, today: Date) -> bool {
    compare(d, PartialDate::Full(today)) == Some(Ordering::Greater)
}

/// The date `years` after `d` (29 February → 1 March when that year has none).
fn years_after(d: Date, years: u32) -> Option<Date> {
    let year = d.year().checked_add(i32::try_from(years).ok()?)?;
    d.replace_year(year)
        .ok()
        .or_else(|| Date::from_calendar_date(year, time::Month::March, 1).ok())
}

/// The other field's value read as a date, when it is one.
fn date_of(schema: &FormSchema, values: &FormValues, key: &str) -> Option<PartialDate> {
    schema.field(key)?;
    let raw = values.get(key)?.trim();
    PartialDate::parse(raw).ok()
}

fn label_of<'a>(schema: &'a FormSchema, key: &'a str) -> (&'a str, &'a str) {
    schema
        .field(key)
        .map_or((key, key), |f| (f.label.en.as_str(), f.label.vi.as_str()))
}

/// Every rule `values` break, field by field.
pub fn validate(schema: &FormSchema, values: &FormValues, today: Date) -> Vec<FieldError> {
    let mut out = Vec::new();
    for spec in &schema.fields {
        let Some(raw) = values
            .get(&spec.key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        else {
            if spec.required {
                out.push(FieldError::new(
                    spec,
                    ErrorRule::Required,
                    "required",
                    "bắt buộc phải khai",
                ));
            }
            continue;
        };
        let parsed = match read(spec, raw) {
            Ok(p) => p,
            Err(e) => {
                out.push(e);
                continue;
            }
        };
        for rule in &spec.rules {
            if let Some(e) = check_rule(spec, rule, raw, &parsed, schema, values, today) {
                out.push(e);
            }
        }
    }
    for key in values.keys() {
        if schema.field(key).is_none() {
            out.push(FieldError {
                field: key.clone(),
                rule: ErrorRule::UnknownField,
                en: format!("{key}: this form has no such field"),
                vi: format!("{key}: biểu mẫu không có trường này"),
            });
        }
    }
    out
}

fn check_rule(
    spec: &FieldSpec,
    rule: &Rule,
    raw: &str,
    parsed: &Parsed,
    schema: &FormSchema,
    values: &FormValues,
    today: Date,
) -> Option<FieldError> {
    let err = |rule, en: String, vi: String| Some(FieldError::new(spec, rule, en, vi));
    let chars = raw.chars().count();
    match (rule, parsed) {
        (Rule::MinLength { chars: min }, _) if chars < *min as usize => err(
            ErrorRule::MinLength,
            format!("at least {min} characters, got {chars}"),
            format!("phải có ít nhất {min} ký tự, đã nhập {chars}"),
        ),
        (Rule::MaxLength { chars: max }, _) if chars > *max as usize => err(
            ErrorRule::MaxLength,
            format!("at most {max} characters, got {chars}"),
            format!("tối đa {max} ký tự, đã nhập {chars}"),
        ),
        (Rule::Min { value: min }, Parsed::Number(n)) if n < min => err(
            ErrorRule::Min,
            format!("{n} is less than {min}"),
            format!("{n} nhỏ hơn mức tối thiểu {min}"),
        ),
        (Rule::Max { value: max }, Parsed::Number(n)) if n > max => err(
            ErrorRule::Max,
            format!("{n} is more than {max}"),
            format!("{n} lớn hơn mức tối đa {max}"),
        ),
        (Rule::NotInFuture, Parsed::Date(d)) if is_after_today(*d, today) => err(
            ErrorRule::NotInFuture,
            format!("{} is after today", d.to_vi()),
            format!("{} sau ngày hôm nay", d.to_vi()),
        ),
        (Rule::PersonName, _) => name::check_full_name(raw)
            .and_then(|p| err(ErrorRule::PersonName, p.en().to_owned(), p.vi().to_owned())),
        (Rule::Before { field }, Parsed::Date(d)) => {
            let other = date_of(schema, values, field)?;
            let (en, vi) = label_of(schema, field);
            match compare(*d, other) {
                Some(Ordering::Greater | Ordering::Equal) => err(
                    ErrorRule::Before,
                    format!(
                        "{} must be before the {} ({})",
                        d.to_vi(),
                        en.to_lowercase(),
                        other.to_vi()
                    ),
                    format!(
                        "{} phải trước {} ({})",
                        d.to_vi(),
                        lower_first(vi),
                        other.to_vi()
                    ),
                ),
                _ => None,
            }
        }
        (Rule::NotBefore { field }, Parsed::Date(d)) => {
            let other = date_of(schema, values, field)?;
            let (en, vi) = label_of(schema, field);
            match compare(*d, other) {
                Some(Ordering::Less) => err(
                    ErrorRule::NotBefore,
                    format!(
                        "{} is before the {} ({})",
                        d.to_vi(),
                        en.to_lowercase(),
                        other.to_vi()
                    ),
                    format!(
                        "{} trước {} ({})",
                        d.to_vi(),
                        lower_first(vi),
                        other.to_vi()
                    ),
                ),
                _ => None,
            }
        }
        (Rule::IdMatches { date_of_birth, sex }, Parsed::Id(id)) => {
            let dob = date_of_birth
                .as_deref()
                .and_then(|k| date_of(schema, values, k));
            let sex = sex
                .as_deref()
                .and_then(|k| values.get(k))
                .and_then(|s| Sex::parse(s));
            let mismatches = id.check_against(dob.as_ref(), sex);
            if mismatches.is_empty() {
                None
            } else {
                let en: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
                let vi: Vec<String> = mismatches.iter().map(|m| m.vi()).collect();
                err(ErrorRule::IdMismatch, en.join("; "), vi.join("; "))
            }
        }
        (Rule::AgeUnder { years }, Parsed::Date(d)) => {
            let too_old = match d.full() {
                Some(born) => years_after(born, *years).is_none_or(|limit| limit <= today),
                None => today.year() - d.year() > i32::try_from(*years).unwrap_or(i32::MAX),
            };
            if too_old {
                err(
                    ErrorRule::AgeUnder,
                    format!("born {}, not under {years} years old today", d.to_vi()),
                    format!("sinh {}, đến nay không còn dưới {years} tuổi", d.to_vi()),
                )
            } else {
                None
            }
        }
        _ => None,
    }
}

/// "Ngày sinh của trẻ" → "ngày sinh của trẻ", for a label inside a sentence.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
