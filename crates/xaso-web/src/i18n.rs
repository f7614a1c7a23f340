//! The one message catalogue of the officer pages, Vietnamese first. Every message exists in
//! both languages by construction: the catalogue is a struct, so a message missing in one
//! language does not compile. Placeholders are `{}`, filled in order by [`fill`].

use xaso_domain::register::ResidenceEventKind;
use xaso_domain::role::Role;

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// The English or the Vietnamese of a text that comes in both.
    pub fn pick<'a>(self, en: &'a str, vi: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    pub fn msg(self) -> &'static Messages {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    pub fn residence_event(self, kind: ResidenceEventKind) -> &'static str {
        match self {
            Lang::Vi => kind.label_vi(),
            Lang::En => match kind {
                ResidenceEventKind::PermanentRegistered => "Permanent residence registered",
                ResidenceEventKind::PermanentDeleted => "Permanent residence deleted",
                ResidenceEventKind::TemporaryRegistered => "Temporary residence registered",
                ResidenceEventKind::TemporaryDeleted => "Temporary residence deleted",
                ResidenceEventKind::AbsenceDeclared => "Absence declared",
                ResidenceEventKind::AbsenceEnded => "Absence ended",
            },
        }
    }

    pub fn role(self, role: Role) -> &'static str {
        match self {
            Lang::Vi => role.label_vi(),
            Lang::En => match role {
                Role::Admin => "Administrator",
                Role::Police => "Commune police",
                Role::Desk => "One-stop desk",
                Role::Justice => "Justice and civil status",
                Role::Labour => "Labour and social affairs",
                Role::Land => "Land administration",
                Role::Leader => "Leadership",
                Role::ReadOnly => "Read only",
            },
        }
    }
}

/// Replaces each `{}` of `template` with the next argument.
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(at) = rest.find("{}") {
        out.push_str(&rest[..at]);
        out.push_str(args.next().copied().unwrap_or(""));
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

macro_rules! catalogue {
    ($($key:ident: $vi:literal, $en:literal;)*) => {
        /// Every message of the officer pages.
        pub struct Messages {
            $(pub $key: &'static str,)*
        }
        pub static VI: Messages = Messages { $($key: $vi,)* };
        pub static EN: Messages = Messages { $($key: $en,)* };
        #[cfg(test)]
        pub(crate) fn all(m: &Messages) -> Vec<(&'static str, &'static str)> {
            vec![$((stringify!($key), m.$key),)*]
        }
    };
}

catalogue! {
    app_name: "Xã số", "Xã số";
    app_tagline: "Cơ sở dữ liệu dân cư và dịch vụ công của xã", "The commune's population register and public services";
    skip_to_content: "Bỏ qua, đến nội dung chính", "Skip to main content";
    switch_language: "English", "Tiếng Việt";
    nav_search: "Tra cứu", "Search";
    nav_desk: "Quầy tiếp nhận", "Desk";
    nav_audit: "Nhật ký truy cập", "Audit log";
    nav_officers: "Cán bộ", "Officers";
    nav_account: "Tài khoản", "Account";
    logout: "Đăng xuất", "Log out";
    signed_in_as: "Đăng nhập: {} ({})", "Signed in: {} ({})";
    print: "In trang này", "Print this page";
    back_to_search: "Về trang tra cứu", "Back to search";
    save: "Lưu", "Save";
    cancel: "Huỷ", "Cancel";
    yes: "Có", "Yes";
    no: "Không", "No";
    none: "—", "—";
    field_required: "Bắt buộc", "Required";

    // Login
    login_title: "Đăng nhập", "Log in";
    login_name: "Tên đăng nhập", "Login";
    login_password: "Mật khẩu", "Password";
    login_submit: "Đăng nhập", "Log in";
    login_failed: "Tên đăng nhập hoặc mật khẩu không đúng. Sau {} lần sai liên tiếp, tài khoản bị tạm khoá {} phút.", "Wrong login or password. After {} failures in a row the account is locked for {} minutes.";
    login_locked: "Tài khoản tạm khoá do đăng nhập sai nhiều lần. Thử lại sau {} (giờ Việt Nam) hoặc nhờ quản trị viên mở khoá.", "The account is locked after repeated failed logins. Try again after {} (Vietnam time) or ask an administrator to unlock it.";
    login_disabled: "Tài khoản đã bị vô hiệu hoá. Liên hệ quản trị viên.", "This account is disabled. Contact an administrator.";
    login_throttled: "Quá nhiều lần thử đăng nhập. Đợi một phút rồi thử lại.", "Too many login attempts. Wait a minute and try again.";
    login_expired_form: "Biểu mẫu đã hết hạn. Vui lòng nhập lại.", "The form expired. Please try again.";
    session_expired: "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.", "Your session has ended. Please log in again.";
    logged_out: "Đã đăng xuất.", "You are logged out.";
    totp_title: "Xác thực hai lớp", "Two-step verification";
    totp_prompt: "Nhập mã 6 chữ số trong ứng dụng xác thực trên điện thoại.", "Enter the 6-digit code from the authenticator app on your phone.";
    totp_code: "Mã xác thực", "Verification code";
    totp_wrong: "Mã xác thực không đúng hoặc đã dùng.", "The code is wrong or was already used.";
    verify: "Xác nhận", "Verify";

    // Account
    account_title: "Tài khoản của tôi", "My account";
    password_change_title: "Đổi mật khẩu", "Change password";
    password_must_change: "Đây là lần đăng nhập đầu tiên bằng mật khẩu tạm. Hãy đặt mật khẩu mới để tiếp tục.", "This is a first login with a one-time password. Choose a new password to go on.";
    password_current: "Mật khẩu hiện tại", "Current password";
    password_new: "Mật khẩu mới", "New password";
    password_repeat: "Nhập lại mật khẩu mới", "Repeat the new password";
    password_hint: "Ít nhất 12 ký tự; có thể dùng một câu dễ nhớ.", "At least 12 characters; a memorable sentence works well.";
    password_wrong_current: "Mật khẩu hiện tại không đúng.", "The current password is wrong.";
    password_mismatch: "Hai lần nhập mật khẩu mới không giống nhau.", "The two new passwords differ.";
    password_changed: "Đã đổi mật khẩu.", "Password changed.";
    totp_section: "Xác thực hai lớp (TOTP)", "Two-step verification (TOTP)";
    totp_on: "Đang bật.", "On.";
    totp_off: "Đang tắt.", "Off.";
    totp_enable: "Bật xác thực hai lớp", "Turn on two-step verification";
    totp_disable: "Tắt xác thực hai lớp", "Turn off two-step verification";
    totp_setup: "Thêm tài khoản vào ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…) bằng khoá bí mật dưới đây, rồi nhập mã ứng dụng hiển thị.", "Add the account to an authenticator app (Google Authenticator, Microsoft Authenticator…) with the secret key below, then enter the code it shows.";
    totp_secret: "Khoá bí mật", "Secret key";
    totp_enabled: "Đã bật xác thực hai lớp.", "Two-step verification is on.";
    totp_disabled: "Đã tắt xác thực hai lớp.", "Two-step verification is off.";

    // Search
    search_title: "Tra cứu dân cư", "Register search";
    search_label: "Số định danh, CMND, họ tên (có hoặc không dấu, có thể kèm năm sinh) hoặc quét mã QR trên thẻ căn cước", "Personal ID, old ID card number, name (with or without tones, optionally a birth year) or scan the ID card's QR code";
    search_placeholder: "VD: 001085012345 · Nguyen Van An 1985 · quét thẻ", "e.g. 001085012345 · Nguyen Van An 1985 · scan a card";
    search_submit: "Tìm", "Search";
    search_results: "{} kết quả", "{} results";
    search_none: "Không tìm thấy ai trong cơ sở dữ liệu.", "Nobody found in the register.";
    search_more: "Chỉ hiện {} kết quả đầu; hãy thêm năm sinh để thu hẹp.", "Only the first {} results are shown; add a birth year to narrow down.";
    search_empty: "Hãy nhập số định danh, số CMND, họ tên hoặc quét thẻ.", "Type a personal ID, an old ID number, a name, or scan a card.";
    search_bad_number: "Số phải có 12 chữ số (số định danh) hoặc 9 chữ số (CMND); đã nhập {} chữ số.", "A number must have 12 digits (personal ID) or 9 digits (old ID card); {} digits were typed.";
    search_no_letters: "Họ tên phải có chữ cái.", "A name needs letters.";
    col_name: "Họ và tên", "Full name";
    col_id: "Số định danh", "Personal ID";
    col_dob: "Ngày sinh", "Date of birth";
    col_sex: "Giới tính", "Sex";
    col_address: "Nơi thường trú", "Permanent residence";
    col_household: "Hộ", "Household";
    deceased: "Đã mất", "Deceased";

    // Person
    person_title: "Thông tin công dân", "Resident record";
    person_not_found: "Không có người này trong cơ sở dữ liệu.", "This person is not in the register.";
    link_expired: "Đường dẫn không hợp lệ hoặc đã cũ. Hãy tra cứu lại.", "The link is invalid or out of date. Please search again.";
    section_identity: "Nhân thân", "Identity";
    section_residence: "Cư trú", "Residence";
    section_relations: "Quan hệ gia đình", "Family";
    section_household: "Hộ gia đình", "Household";
    section_events: "Lịch sử cư trú", "Residence history";
    section_versions: "Các lần thay đổi", "Changes";
    section_viewers: "Ai đã xem hồ sơ này", "Who looked at this record";
    edit: "Sửa thông tin", "Edit";
    version_n: "Phiên bản {}", "Version {}";
    changed_by_at: "{} lúc {}", "{} at {}";
    changed_fields: "Đã thay đổi", "Changed";
    reason: "Lý do", "Reason";
    no_events: "Chưa có sự kiện cư trú.", "No residence events yet.";
    event_date: "Ngày", "Date";
    event_kind: "Sự kiện", "Event";
    event_address: "Địa chỉ", "Address";
    event_note: "Ghi chú", "Note";
    no_versions: "Chưa có thay đổi nào kể từ khi nhập.", "No change since the record was loaded.";
    record_saved: "Đã lưu. Phiên bản mới: {}.", "Saved. New version: {}.";
    open_household: "Xem hộ", "Open household";
    household_title: "Hộ gia đình", "Household";
    household_not_found: "Không có hộ này.", "No such household.";
    household_head: "Chủ hộ", "Head of household";
    household_members: "Thành viên", "Members";
    relation_to_head: "Quan hệ với chủ hộ", "Relation to the head";

    // Reason to view
    reason_title: "Mục đích tra cứu", "Purpose of the lookup";
    reason_prompt: "Vai trò của bạn cần ghi rõ mục đích trước khi xem thông tin cá nhân. Mục đích được ghi vào nhật ký truy cập.", "Your role must state a purpose before viewing personal data. It is recorded in the audit log.";
    reason_submit: "Xem thông tin", "View the record";
    reason_missing: "Hãy ghi mục đích tra cứu.", "State the purpose of the lookup.";

    // Fields
    f_personal_id: "Số định danh cá nhân", "Personal ID number";
    f_old_cmnd: "Số CMND cũ", "Old ID card (CMND) number";
    f_full_name: "Họ, chữ đệm và tên", "Full name";
    f_other_name: "Tên gọi khác", "Other name";
    f_date_of_birth: "Ngày, tháng, năm sinh", "Date of birth";
    f_sex: "Giới tính", "Sex";
    f_birth_registration_place: "Nơi đăng ký khai sinh", "Place of birth registration";
    f_home_town: "Quê quán", "Home town";
    f_ethnicity: "Dân tộc", "Ethnic group";
    f_religion: "Tôn giáo", "Religion";
    f_nationality: "Quốc tịch", "Nationality";
    f_blood_type: "Nhóm máu", "Blood type";
    f_permanent_address: "Nơi thường trú", "Permanent residence";
    f_temporary_address: "Nơi tạm trú", "Temporary residence";
    f_current_address: "Nơi ở hiện tại", "Current residence";
    f_address_detail: "Số nhà, thôn/xóm", "House number, village";
    f_commune_code: "Mã xã/phường (5 số)", "Commune code (5 digits)";
    f_father: "Cha", "Father";
    f_mother: "Mẹ", "Mother";
    f_spouse: "Vợ/chồng", "Spouse";
    f_guardian: "Người giám hộ", "Guardian";
    f_relative_id: "Số định danh", "Personal ID";
    f_relative_name: "Họ tên", "Name";
    f_death_date: "Ngày mất", "Date of death";
    f_household_id: "Số hộ", "Household number";
    f_relation_to_head: "Quan hệ với chủ hộ", "Relation to the head";
    f_issue_date: "Ngày cấp thẻ", "Card issue date";
    sex_male: "Nam", "Male";
    sex_female: "Nữ", "Female";
    date_hint: "dd/mm/yyyy, mm/yyyy hoặc yyyy", "dd/mm/yyyy, mm/yyyy or yyyy";

    // Edit
    edit_title: "Sửa thông tin: {}", "Edit: {}";
    edit_reason: "Lý do thay đổi (căn cứ, giấy tờ)", "Reason for the change (grounds, documents)";
    edit_fix_errors: "Chưa lưu: hãy sửa các ô được đánh dấu.", "Not saved: correct the marked fields.";
    edit_conflict: "Hồ sơ vừa được người khác sửa (phiên bản {}). Hãy mở lại và sửa lại.", "Someone else changed the record meanwhile (version {}). Reopen it and edit again.";
    edit_no_change: "Không có gì thay đổi.", "Nothing changed.";
    edit_forbidden: "Vai trò của bạn không được sửa cơ sở dữ liệu dân cư.", "Your role may not change the register.";
    bad_date: "Ngày không hợp lệ: {}", "Not a valid date: {}";
    bad_id: "Số định danh không hợp lệ: {}", "Not a valid personal ID: {}";
    bad_cmnd: "Số CMND phải có 9 chữ số.", "An old ID card number has 9 digits.";
    bad_commune: "Không có xã/phường mã {} (danh mục từ 1/7/2025).", "No commune has code {} (list in force since 1 July 2025).";

    // Desk
    desk_title: "Quầy tiếp nhận: quét thẻ căn cước", "Desk: scan the ID card";
    desk_scan_label: "Đặt con trỏ vào ô dưới rồi quét mã QR trên thẻ", "Put the cursor in the box below and scan the card's QR code";
    desk_scan_submit: "Đọc thẻ", "Read card";
    desk_card: "Trên thẻ", "On the card";
    desk_register: "Trong cơ sở dữ liệu", "In the register";
    desk_field: "Thông tin", "Field";
    desk_verdict: "Đối chiếu", "Check";
    desk_same: "Khớp", "Same";
    desk_equivalent: "Tương đương", "Equivalent";
    desk_differs: "Khác", "Differs";
    desk_card_only: "Chỉ có trên thẻ", "Card only";
    desk_register_only: "Chỉ có trong CSDL", "Register only";
    desk_differences: "{} thông tin khác nhau", "{} fields differ";
    desk_all_match: "Thông tin trên thẻ khớp với cơ sở dữ liệu.", "The card agrees with the register.";
    desk_not_in_register: "Chưa có người mang số định danh này trong cơ sở dữ liệu của xã.", "Nobody with this personal ID is in the commune's register.";
    desk_bad_qr: "Không đọc được mã QR: {}", "The QR code could not be read: {}";
    desk_id_warning: "Cảnh báo: {}", "Warning: {}";
    desk_old_address: "Địa chỉ trước 1/7/2025; nay là {}", "Address before 1 July 2025; now {}";
    desk_open_record: "Mở hồ sơ", "Open the record";
    desk_samples: "Thẻ mẫu của xã demo (để thử)", "Sample cards of the demo commune (to try)";

    // Audit
    audit_title: "Nhật ký truy cập", "Audit log";
    audit_time: "Thời gian", "Time";
    audit_actor: "Người truy cập", "Who";
    audit_role: "Vai trò", "Role";
    audit_action: "Hành động", "Action";
    audit_subject: "Đối tượng", "Subject";
    audit_route: "Đường dẫn", "Route";
    audit_since: "Từ ngày", "From";
    audit_until: "Đến hết ngày", "Until";
    audit_filter: "Lọc", "Filter";
    audit_empty: "Không có bản ghi nào.", "No records.";
    audit_forbidden: "Vai trò của bạn không được xem nhật ký truy cập.", "Your role may not see the audit log.";
    audit_only_person: "Chỉ các lần truy cập hồ sơ {}", "Only accesses to record {}";

    // Officers (admin)
    officers_title: "Quản lý cán bộ", "Officers";
    officers_forbidden: "Chỉ quản trị viên được quản lý cán bộ.", "Only administrators manage officers.";
    officer_login: "Tên đăng nhập", "Login";
    officer_name: "Họ tên", "Name";
    officer_role: "Vai trò", "Role";
    officer_status: "Trạng thái", "Status";
    officer_active: "Đang hoạt động", "Active";
    officer_disabled: "Đã vô hiệu hoá", "Disabled";
    officer_locked: "Tạm khoá đến {}", "Locked until {}";
    officer_create: "Thêm cán bộ", "Add an officer";
    officer_created: "Đã tạo tài khoản {}. Mật khẩu dùng một lần (chỉ hiện lần này, hãy trao tận tay): {}", "Account {} created. One-time password (shown only now, hand it over in person): {}";
    officer_reset: "Cấp lại mật khẩu", "Reset password";
    officer_reset_done: "Mật khẩu dùng một lần mới của {} (chỉ hiện lần này): {}", "New one-time password for {} (shown only now): {}";
    officer_disable: "Vô hiệu hoá", "Disable";
    officer_enable: "Kích hoạt lại", "Enable";
    officer_unlock: "Mở khoá", "Unlock";
    officer_set_role: "Đổi vai trò", "Change role";
    officer_exists: "Tên đăng nhập {} đã có.", "The login {} is taken.";
    officer_bad_login: "Tên đăng nhập gồm 3–32 ký tự a–z, 0–9, dấu chấm, gạch dưới hoặc gạch ngang.", "A login has 3–32 characters: a–z, 0–9, dot, underscore or hyphen.";
    officer_name_required: "Hãy nhập họ tên.", "Enter the name.";
    officer_self: "Không thể tự vô hiệu hoá hoặc hạ vai trò của chính mình.", "You cannot disable or demote yourself.";
    officer_updated: "Đã cập nhật {}.", "{} updated.";

    // Errors
    error_title: "Có lỗi", "Something went wrong";
    error_forbidden: "Bạn không có quyền làm việc này.", "You may not do this.";
    error_csrf: "Biểu mẫu không hợp lệ hoặc đã hết hạn (bảo vệ CSRF). Hãy tải lại trang và thử lại.", "The form is invalid or expired (CSRF protection). Reload the page and try again.";
    error_unavailable: "Không ghi được nhật ký truy cập nên tạm thời không hiển thị dữ liệu cá nhân. Báo quản trị viên.", "The audit log cannot be written, so personal data is not shown for now. Tell an administrator.";
    error_internal: "Lỗi hệ thống. Đã ghi nhận; hãy thử lại hoặc báo quản trị viên.", "A system error. It was logged; try again or tell an administrator.";
    error_not_found: "Không có trang này.", "No such page.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_message_with_the_same_placeholders() {
        let vi = all(&VI);
        let en = all(&EN);
        assert_eq!(vi.len(), en.len());
        for ((key, v), (_, e)) in vi.iter().zip(en.iter()) {
            assert!(!v.is_empty() && !e.is_empty(), "{key} is empty");
            assert_eq!(
                v.matches("{}").count(),
                e.matches("{}").count(),
                "{key}: placeholders differ"
            );
        }
    }

    #[test]
    fn fill_replaces_in_order() {
        assert_eq!(fill("{} of {}", &["a", "b"]), "a of b");
        assert_eq!(fill("no args", &["a"]), "no args");
        assert_eq!(fill("{} {}", &["a"]), "a ");
    }
}
