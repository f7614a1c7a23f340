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
    nav_dossiers: "Hồ sơ một cửa", "Dossiers";
    nav_catalogue: "Danh mục thủ tục", "Procedures";
    nav_audit: "Nhật ký truy cập", "Audit log";
    nav_officers: "Cán bộ", "Officers";
    nav_reconcile: "Làm sạch dữ liệu", "Data cleaning";
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
    totp_setup: "Thêm tài khoản vào ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…): quét mã QR, hoặc nhập khoá bí mật dưới đây, rồi nhập mã ứng dụng hiển thị.", "Add the account to an authenticator app (Google Authenticator, Microsoft Authenticator…): scan the QR code, or type the secret key below, then enter the code it shows.";
    totp_scan: "Quét bằng ứng dụng xác thực", "Scan with the authenticator app";
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

    // Data cleaning: sector lists against the register
    rc_title: "Làm sạch dữ liệu: đối chiếu danh sách với CSDL dân cư", "Data cleaning: lists against the register";
    rc_intro: "Tải lên danh sách của một ngành (Excel hoặc CSV). Mỗi dòng được đối chiếu với cơ sở dữ liệu dân cư: khớp, khớp nhưng cần sửa, cần rà soát, không có trong CSDL, đã chết, đã chuyển đi, trùng trong danh sách.", "Upload a sector's list (Excel or CSV). Every row is checked against the register: matched, matched with corrections, to review, not in the register, deceased, moved away, duplicated in the list.";
    rc_upload_title: "Tải lên danh sách", "Upload a list";
    rc_file: "Tệp danh sách (.xlsx, .xls, .ods hoặc .csv; tối đa {} MB)", "List file (.xlsx, .xls, .ods or .csv; at most {} MB)";
    rc_kind: "Loại danh sách", "Kind of list";
    rc_upload_submit: "Tải lên và chọn cột", "Upload and map the columns";
    rc_runs: "Các lần đối chiếu", "Runs";
    rc_runs_chart_note: "Mỗi lần đối chiếu được lưu theo loại danh sách; chọn một loại để xem tiến độ làm sạch qua các lần (số liệu lúc chạy xong).", "Every run is kept per kind of list; pick a kind to follow the cleaning over time (figures as the run finished).";
    rc_runs_empty: "Chưa có lần đối chiếu nào.", "No runs yet.";
    rc_all_kinds: "Tất cả các loại", "All kinds";
    rc_col_run: "Lần", "Run";
    rc_col_file: "Tệp", "File";
    rc_col_by: "Người tải lên", "Uploaded by";
    rc_col_at: "Thời gian", "Time";
    rc_col_status: "Trạng thái", "Status";
    rc_col_rows: "Số dòng", "Rows";
    rc_status_queued: "Đang chờ", "Queued";
    rc_status_running: "Đang chạy", "Running";
    rc_status_done: "Xong", "Done";
    rc_status_failed: "Lỗi", "Failed";
    rc_forbidden_start: "Vai trò chỉ xem không được tạo lần đối chiếu.", "The read-only role may not start a run.";
    rc_forbidden_decide: "Vai trò của bạn không được quyết định rà soát cho loại danh sách này ({}).", "Your role may not decide reviews for this kind of list ({}).";
    rc_who_decides: "Người quyết định rà soát: quản trị, công an xã và {}.", "Reviews are decided by administrators, the commune police and {}.";
    rc_too_large: "Tệp quá lớn: tối đa {} MB. Hãy chia danh sách thành nhiều tệp.", "The file is too large: at most {} MB. Split the list into several files.";
    rc_no_file: "Hãy chọn tệp danh sách.", "Choose a list file.";
    rc_bad_kind: "Loại danh sách không hợp lệ.", "Unknown kind of list.";
    rc_bad_upload: "Không đọc được biểu mẫu tải lên. Hãy thử lại.", "The upload form could not be read. Try again.";
    rc_unreadable: "Không đọc được tệp: {}", "The file cannot be read: {}";
    rc_bad_row: "Không đọc được dòng {} của tệp: {}", "Line {} of the file cannot be read: {}";
    rc_empty_list: "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.", "The file has no data rows below the header.";
    rc_too_many_rows: "Danh sách có hơn {} dòng; hãy chia thành nhiều tệp.", "The list has more than {} rows; split it into several files.";
    rc_upload_expired: "Tệp tải lên đã hết hạn (giữ một giờ) hoặc thuộc phiên làm việc khác. Hãy tải lên lại.", "The upload expired (it is kept for an hour) or belongs to another session. Upload it again.";
    rc_map_title: "Chọn cột: {}", "Map the columns: {}";
    rc_map_intro: "Hệ thống đã đoán cột nào chứa thông tin nào. Kiểm tra, sửa nếu cần, rồi bấm “Bắt đầu đối chiếu”. Cần ít nhất cột họ tên hoặc cột số định danh.", "The columns were guessed from their headers. Check them, change what is wrong, then press “Start reconciling”. A name column or an ID column is needed.";
    rc_map_field: "Thông tin", "Field";
    rc_map_column: "Cột trong danh sách", "Column of the list";
    rc_map_none: "— không có —", "— none —";
    rc_map_suggested: "gợi ý", "suggested";
    rc_map_preview: "Các dòng đầu (tệp có {} dòng dữ liệu)", "The first rows (the file has {} data rows)";
    rc_map_need_name_or_id: "Hãy chọn cột họ tên hoặc cột số định danh.", "Choose the name column or the ID column.";
    rc_map_twice: "Cột “{}” được chọn cho hai thông tin.", "Column “{}” is chosen for two fields.";
    rc_start: "Bắt đầu đối chiếu", "Start reconciling";
    lf_name: "Họ và tên", "Full name";
    lf_dob: "Ngày sinh", "Date of birth";
    lf_sex: "Giới tính", "Sex";
    lf_id: "Số định danh / CCCD / CMND", "Personal ID / ID card / old ID number";
    lf_phone: "Số điện thoại", "Phone";
    lf_village: "Thôn, xóm / địa chỉ", "Village / address";
    rc_run_title: "Lần đối chiếu số {}", "Run {}";
    rc_run_meta: "{} · danh sách {} · {} dòng · tải lên bởi {} lúc {}", "{} · {} list · {} rows · uploaded by {} at {}";
    rc_progress: "Đang đối chiếu…", "Reconciling…";
    rc_queued_note: "Đang chờ lần đối chiếu trước chạy xong.", "Waiting for an earlier run to finish.";
    rc_refresh_note: "Trang tự tải lại sau mỗi 2 giây.", "This page reloads itself every 2 seconds.";
    rc_stage_register: "Đọc cơ sở dữ liệu dân cư", "Reading the register";
    rc_stage_index: "Lập chỉ mục cơ sở dữ liệu", "Indexing the register";
    rc_stage_standardise: "Chuẩn hoá danh sách", "Standardising the list";
    rc_stage_u_sampling: "Ước lượng mô hình", "Estimating the model";
    rc_stage_blocking: "Tìm người có thể khớp", "Finding candidates";
    rc_stage_em: "Học trọng số", "Learning the weights";
    rc_stage_scoring: "Chấm điểm", "Scoring";
    rc_stage_assignment: "Ghép cặp", "Assigning";
    rc_stage_duplicates: "Tìm dòng trùng", "Finding duplicates";
    rc_stage_save: "Lưu kết quả", "Saving the results";
    rc_failed: "Lần đối chiếu không thành công: {}", "The run failed: {}";
    rc_err_register_empty: "cơ sở dữ liệu dân cư đang trống; hãy nhập dữ liệu trước.", "the register is empty; import it first.";
    rc_err_interrupted: "máy chủ đã khởi động lại trong lúc chạy; hãy tải danh sách lên lại.", "the server restarted during the run; upload the list again.";
    rc_err_internal: "lỗi hệ thống ({}); hãy báo quản trị viên.", "a system error ({}); tell an administrator.";
    rc_summary: "Kết quả", "Results";
    rc_measures: "Bốn tiêu chí: đúng, đủ, sạch, sống", "The four measures: correct, complete, clean, alive";
    rc_m_correct: "Đúng", "Correct";
    rc_m_correct_hint: "khớp CSDL, không cần sửa", "matches the register, nothing to correct";
    rc_m_complete: "Đủ", "Complete";
    rc_m_complete_hint: "có họ tên, ngày sinh, số định danh", "has a name, a date of birth and an ID";
    rc_m_clean: "Sạch", "Clean";
    rc_m_clean_hint: "không trùng, không sai số định danh", "no duplicates, no invalid IDs";
    rc_m_alive: "Sống", "Alive";
    rc_m_alive_hint: "người khớp còn sống, còn cư trú", "matched persons alive and still resident";
    rc_after_decisions: "Số liệu đã tính lại sau {} quyết định rà soát.", "Figures recomputed after {} review decisions.";
    rc_feedback_applied: "Đã áp dụng lại {} quyết định rà soát của các lần đối chiếu trước (cùng loại danh sách).", "{} review decisions of earlier runs of this kind were applied again.";
    rc_download: "Tải báo cáo Excel", "Download the Excel report";
    rc_open_review: "Rà soát ({} dòng chờ)", "Review ({} rows waiting)";
    rc_filter: "Lọc theo kết quả", "Filter by outcome";
    rc_all_outcomes: "Tất cả", "All";
    rc_col_row: "Dòng", "Row";
    rc_col_outcome: "Kết quả", "Outcome";
    rc_col_list_name: "Họ tên trong danh sách", "Name in the list";
    rc_col_register: "Người trong CSDL", "Register person";
    rc_col_weight: "Trọng số", "Weight";
    rc_col_probability: "Xác suất", "Probability";
    rc_col_differences: "Khác biệt", "Differences";
    rc_review_row: "rà soát", "review";
    rc_page: "Trang {} / {}", "Page {} of {}";
    rc_prev: "← Trang trước", "← Previous";
    rc_next: "Trang sau →", "Next →";
    rc_no_rows: "Không có dòng nào.", "No rows.";
    rc_decided: "đã rà soát: {}", "reviewed: {}";
    o_matched_by_id: "Khớp theo số định danh", "Matched by ID";
    o_matched: "Khớp", "Matched";
    o_matched_with_corrections: "Khớp, cần sửa thông tin", "Matched, to correct";
    o_review: "Có thể khớp, cần rà soát", "Probable match, to review";
    o_not_in_register: "Không có trong CSDL dân cư", "Not in the register";
    o_deceased: "Đã chết theo CSDL", "Deceased in the register";
    o_moved_away: "Đã chuyển đi", "Moved away";
    o_duplicate: "Trùng trong danh sách", "Duplicate in the list";
    o_invalid: "Số định danh không hợp lệ", "Invalid ID number";
    rc_review_title: "Rà soát dòng {} (lần đối chiếu {})", "Review row {} (run {})";
    rc_review_empty: "Không còn dòng nào chờ rà soát.", "No rows are waiting for review.";
    rc_review_left: "Còn {} dòng chờ rà soát: {} có thể khớp, {} khớp cần sửa.", "{} rows wait for review: {} probable matches, {} matches to correct.";
    rc_side_list: "Trong danh sách", "In the list";
    rc_side_best: "Người được đề xuất", "Proposed person";
    rc_side_runner: "Ứng viên thứ hai", "Runner-up";
    rc_weights: "Trọng số từng thông tin", "Weight per field";
    rc_weight_total: "Tổng (log₂ tỉ số khả năng)", "Total (log₂ likelihood ratio)";
    rc_probability_of: "Xác suất là cùng một người: {}", "Probability of being the same person: {}";
    rc_level: "Mức so khớp", "Comparison";
    rc_accept: "Đúng người này", "Accept: same person";
    rc_reject: "Không phải người này", "Reject: not this person";
    rc_correct_label: "Hoặc là người khác, số định danh:", "Or another person, personal ID:";
    rc_correct: "Chọn người khác", "Choose another person";
    rc_note: "Ghi chú (không bắt buộc)", "Note (optional)";
    rc_decision_saved: "Đã ghi quyết định cho dòng {}.", "Decision recorded for row {}.";
    rc_correct_unknown: "Không có người mang số định danh {} trong CSDL.", "Nobody with personal ID {} is in the register.";
    rc_correct_missing: "Hãy nhập số định danh của người đúng.", "Type the personal ID of the right person.";
    rc_bad_decision: "Quyết định không hợp lệ.", "Unknown decision.";
    rc_no_candidate: "Dòng này không có người được đề xuất; chỉ có thể chọn người khác.", "This row has no proposed person; only another person can be chosen.";
    rc_decided_before: "Dòng này đã được rà soát: {} bởi {} lúc {}.", "This row was reviewed: {} by {} at {}.";
    rc_d_accept: "chấp nhận", "accepted";
    rc_d_reject: "bác bỏ", "rejected";
    rc_d_correct: "chọn người khác", "another person chosen";
    rc_next_row: "Dòng tiếp theo →", "Next row →";
    rc_back_to_run: "Về lần đối chiếu", "Back to the run";
    rc_register_gone: "(không còn trong CSDL)", "(no longer in the register)";
    rc_not_done: "Lần đối chiếu này chưa xong.", "This run has not finished.";
    rc_run_not_found: "Không có lần đối chiếu này.", "No such run.";
    rc_row_not_found: "Không có dòng này trong lần đối chiếu.", "No such row in this run.";
    rc_feedback_title: "Quyết định được dùng lại", "Decisions fed back";
    rc_feedback_note: "Khi đối chiếu lại cùng loại danh sách, dòng giống hệt (cùng các giá trị ở các cột đã chọn) được áp dụng quyết định gần nhất: chấp nhận hoặc chọn người khác thì ghép với người đó; bác bỏ thì không ghép lại với người đã bác bỏ.", "When a list of the same kind is reconciled again, an identical row (the same values in the mapped columns) gets its latest decision: accepted or corrected, it is linked to that person; rejected, it is not linked again to the rejected person.";
    fw_id: "Số định danh", "ID number";
    fw_family: "Họ", "Family name";
    fw_middle: "Tên đệm", "Middle name";
    fw_given: "Tên", "Given name";
    fw_date_of_birth: "Ngày sinh", "Date of birth";
    fw_sex: "Giới tính", "Sex";
    fw_village: "Thôn, xóm", "Village";
    fw_phone: "Số điện thoại", "Phone";
    lv_exact: "trùng khớp", "exact";
    lv_one_digit_wrong: "sai một chữ số", "one digit wrong";
    lv_adjacent_swap: "đảo hai chữ số kề nhau", "two adjacent digits swapped";
    lv_cmnd_matches: "khớp số CMND cũ", "matches the old ID card";
    lv_different: "khác", "different";
    lv_missing: "thiếu", "missing";
    lv_tone_insensitive: "chỉ khác dấu", "differs only in tones";
    lv_variant_spelling: "cách viết khác", "variant spelling";
    lv_jaro_winkler_92: "rất giống (≥ 0,92)", "very similar (≥ 0.92)";
    lv_jaro_winkler_80: "gần giống (≥ 0,80)", "similar (≥ 0.80)";
    lv_van_thi_differs: "khác Văn/Thị", "Văn/Thị differs";
    lv_day_month_swapped: "đảo ngày và tháng", "day and month swapped";
    lv_year_only: "chỉ có năm, khớp", "year only, agrees";
    lv_same_year: "cùng năm", "same year";
    lv_year_off_by_one: "lệch một năm", "year off by one";
    lv_year_only_off_by_one: "chỉ có năm, lệch một năm", "year only, off by one";
    lv_same_key: "trùng sau chuẩn hoá", "same once standardised";
    lv_similar: "gần giống", "similar";
    lv_partial_exact: "trùng khớp (cùng độ chi tiết)", "exact (same precision)";
    lv_year_mistyped: "năm gõ nhầm", "year mistyped";
    k_welfare: "Bảo trợ xã hội", "Social welfare";
    k_civil_status: "Hộ tịch", "Civil status";
    k_land: "Đất đai", "Land";
    k_school: "Học sinh", "School pupils";
    k_health_insurance: "Bảo hiểm y tế", "Health insurance";
    k_sim: "Thuê bao di động", "Mobile subscribers";
    k_cadre: "Cán bộ, công chức", "Cadres and civil servants";
    k_other: "Khác", "Other";

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
