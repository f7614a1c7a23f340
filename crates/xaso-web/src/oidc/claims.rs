//! What the provider says about a citizen: the register's record (name, date of birth, sex,
//! personal ID, permanent address) and the account's confirmed phone number. The scopes a
//! client was granted decide which of these it gets (`UserClaims::released`).

use xaso_domain::admin_units::units;
use xaso_domain::register::{Address, Person};
use xaso_domain::PersonalId;
use xaso_identity::oidc::tokens::{AddressClaim, UserClaims};
use xaso_store::{CitizenRecord, Store, StoreError};

/// The account of `personal_id` and what the register says of its holder. `None` when there is
/// no such account, it is disabled, or the person is no longer in the register: no token is
/// issued for it.
pub fn for_account(
    store: &dyn Store,
    personal_id: &str,
) -> Result<Option<(UserClaims, CitizenRecord)>, StoreError> {
    let Ok(id) = PersonalId::parse(personal_id) else {
        return Ok(None);
    };
    let Some(citizen) = store.get_citizen(personal_id)? else {
        return Ok(None);
    };
    if citizen.disabled {
        return Ok(None);
    }
    let Some(person) = store.get_person(&id)? else {
        return Ok(None);
    };
    Ok(Some((claims(&person.person, &citizen.phone), citizen)))
}

/// The claims of a register record, with the account's phone (national form).
pub fn claims(person: &Person, phone: &str) -> UserClaims {
    let address = if person.permanent_address.is_empty() {
        &person.current_address
    } else {
        &person.permanent_address
    };
    UserClaims {
        name: Some(person.full_name.clone()).filter(|n| !n.trim().is_empty()),
        birthdate: person.date_of_birth,
        gender: person.sex,
        personal_id: Some(person.personal_id.clone()),
        address: address_claim(address),
        phone_number: e164(phone),
    }
}

/// Core §5.1.1's address for Vietnam's two tiers: the house and village as written, the
/// commune (`locality`), the province (`region`), `VN`.
pub fn address_claim(address: &Address) -> Option<AddressClaim> {
    if address.is_empty() {
        return None;
    }
    let detail = address
        .detail
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let commune = address
        .commune_code
        .as_deref()
        .and_then(|code| units().commune(code));
    let locality = commune.map(|c| c.name.clone());
    let region = commune
        .and_then(|c| units().province(&c.province_code))
        .map(|p| p.name.clone());
    let formatted: Vec<&str> = [detail.as_deref(), locality.as_deref(), region.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    Some(AddressClaim {
        formatted: Some(formatted.join(", ")).filter(|f| !f.is_empty()),
        street_address: detail,
        locality,
        region,
        postal_code: None,
        country: Some("VN".into()),
    })
}

/// A national mobile number (`0912345678`) in E.164 (`+84912345678`); a number already in
/// international form is kept; anything else is left out.
pub fn e164(phone: &str) -> Option<String> {
    let digits: String = phone
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    if let Some(rest) = digits.strip_prefix("+84") {
        return (rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()))
            .then(|| format!("+84{rest}"));
    }
    let rest = digits.strip_prefix('0')?;
    (rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit())).then(|| format!("+84{rest}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use xaso_domain::{PartialDate, Sex};
    use xaso_identity::oidc::{Scope, ScopeSet};

    #[test]
    fn phone_numbers_in_e164() {
        assert_eq!(e164("0912345678").as_deref(), Some("+84912345678"));
        assert_eq!(e164("091 234 5678").as_deref(), Some("+84912345678"));
        assert_eq!(e164("+84912345678").as_deref(), Some("+84912345678"));
        assert_eq!(e164("12345"), None);
        assert_eq!(e164(""), None);
    }

    #[test]
    fn a_register_record_as_claims() {
        let mut p = Person::new(PersonalId::parse("038190012345").unwrap(), "Nguyễn Thị Hoà");
        p.date_of_birth = Some(PartialDate::parse_iso("1990-04-30").unwrap());
        p.sex = Some(Sex::Female);
        let code = units().communes()[0].code.clone();
        let commune = units().commune(&code).unwrap();
        let province = units().province(&commune.province_code).unwrap();
        p.permanent_address = Address {
            detail: Some("Thôn 3".into()),
            commune_code: Some(code.clone()),
        };
        let c = claims(&p, "0912345678");
        let released = c.released(&ScopeSet::new([
            Scope::Openid,
            Scope::Profile,
            Scope::PersonalId,
            Scope::Address,
            Scope::Phone,
        ]));
        assert_eq!(released.name.as_deref(), Some("Nguyễn Thị Hoà"));
        assert_eq!(released.birthdate.as_deref(), Some("1990-04-30"));
        assert_eq!(released.gender.as_deref(), Some("female"));
        assert_eq!(released.personal_id.as_deref(), Some("038190012345"));
        assert_eq!(released.phone_number.as_deref(), Some("+84912345678"));
        let a = released.address.unwrap();
        assert_eq!(a.street_address.as_deref(), Some("Thôn 3"));
        assert_eq!(a.locality.as_deref(), Some(commune.name.as_str()));
        assert_eq!(a.region.as_deref(), Some(province.name.as_str()));
        assert_eq!(a.country.as_deref(), Some("VN"));
        assert_eq!(
            a.formatted.unwrap(),
            format!("Thôn 3, {}, {}", commune.name, province.name)
        );
        // Only what the scopes release.
        let only_openid = c.released(&ScopeSet::new([Scope::Openid]));
        assert_eq!(only_openid, Default::default());
    }
}
