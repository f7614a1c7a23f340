//! Roles of officers and systems. What each role may do is decided here, once, so the web layer
//! and the CLI ask the same question.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Police,
    Desk,
    Justice,
    Labour,
    Land,
    Leader,
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Police,
        Role::Desk,
        Role::Justice,
        Role::Labour,
        Role::Land,
        Role::Leader,
        Role::ReadOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Police => "police",
            Role::Desk => "desk",
            Role::Justice => "justice",
            Role::Labour => "labour",
            Role::Land => "land",
            Role::Leader => "leader",
            Role::ReadOnly => "read-only",
        }
    }

    /// Accepts the canonical names and "readonly" / "read_only".
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        if s == "readonly" {
            return Some(Role::ReadOnly);
        }
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị",
            Role::Police => "Công an xã",
            Role::Desk => "Bộ phận một cửa",
            Role::Justice => "Tư pháp – hộ tịch",
            Role::Labour => "Lao động – TB&XH",
            Role::Land => "Địa chính",
            Role::Leader => "Lãnh đạo",
            Role::ReadOnly => "Chỉ xem",
        }
    }

    /// May read persons and households of the register.
    pub fn can_read_register(self) -> bool {
        true
    }

    /// May change the register (police keeps it; admins for corrections).
    pub fn can_edit_register(self) -> bool {
        matches!(self, Role::Admin | Role::Police)
    }

    /// May read the audit log of everyone.
    pub fn can_read_audit(self) -> bool {
        matches!(self, Role::Admin | Role::Police | Role::Leader)
    }

    /// Must state a purpose before viewing a person's record: the roles that use the register
    /// for another sector's work rather than keeping it or serving people at the desk. The
    /// purpose goes into the audit log.
    pub fn must_state_purpose(self) -> bool {
        matches!(
            self,
            Role::Labour | Role::Land | Role::Leader | Role::ReadOnly
        )
    }

    /// May manage officers' accounts.
    pub fn can_manage_officers(self) -> bool {
        self == Role::Admin
    }

    /// May import and export the register in bulk.
    pub fn can_bulk_transfer(self) -> bool {
        matches!(self, Role::Admin | Role::Police)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_back_from_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("READONLY"), Some(Role::ReadOnly));
        assert_eq!(Role::parse("read_only"), Some(Role::ReadOnly));
        assert_eq!(Role::parse("mayor"), None);
    }

    #[test]
    fn only_police_and_admin_edit_the_register() {
        let editors: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.can_edit_register())
            .collect();
        assert_eq!(editors, vec![Role::Admin, Role::Police]);
        assert!(!Role::Labour.can_read_audit());
    }
}
