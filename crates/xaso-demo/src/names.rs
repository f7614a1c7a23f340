//! Name tables: Vietnamese family names with their frequencies, middle and given names by sex
//! and generation, and the other words a commune's records are made of.

use xaso_domain::Sex;

use crate::rng::{Rng, Weighted};

/// Kinh family names, weights per 1,000 people (Nguyễn ~38%). Hoàng and Vũ are the northern
/// spellings of Huỳnh and Võ, so they dominate in Thanh Hóa.
const KINH_FAMILY: &[(&str, u32)] = &[
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 40),
    ("Huỳnh", 10),
    ("Phan", 45),
    ("Vũ", 30),
    ("Võ", 10),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Trịnh", 12),
    ("Lý", 5),
    ("Mai", 8),
    ("Đào", 6),
    ("Đinh", 6),
    ("Lương", 5),
    ("Hà", 5),
    ("Lưu", 4),
    ("Cao", 4),
    ("Đoàn", 4),
    ("Tạ", 3),
    ("Chu", 3),
    ("Lại", 2),
    ("Quách", 2),
    ("Thái", 2),
    ("Lâm", 2),
    ("Tô", 2),
    ("Vương", 2),
    ("Triệu", 2),
    ("Kiều", 1),
    ("Khổng", 1),
    ("Nghiêm", 1),
];

const MUONG_FAMILY: &[(&str, u32)] = &[
    ("Bùi", 35),
    ("Đinh", 20),
    ("Quách", 15),
    ("Hà", 10),
    ("Phạm", 10),
    ("Trương", 5),
    ("Cao", 5),
];

const THAI_FAMILY: &[(&str, u32)] = &[
    ("Lò", 20),
    ("Hà", 15),
    ("Cầm", 15),
    ("Lường", 12),
    ("Vi", 10),
    ("Lang", 8),
    ("Lộc", 5),
    ("Ngân", 5),
    ("Lê", 5),
];

const MALE_MIDDLE_OLD: &[(&str, u32)] = &[
    ("Văn", 700),
    ("Đình", 60),
    ("Hữu", 50),
    ("Xuân", 40),
    ("Ngọc", 30),
    ("Công", 30),
    ("Quang", 30),
    ("Đức", 30),
    ("Minh", 30),
    ("Thanh", 20),
    ("Trọng", 15),
    ("Bá", 10),
];

const MALE_MIDDLE_YOUNG: &[(&str, u32)] = &[
    ("Văn", 250),
    ("Minh", 120),
    ("Đức", 100),
    ("Quang", 80),
    ("Gia", 70),
    ("Bảo", 60),
    ("Anh", 50),
    ("Hoàng", 50),
    ("Quốc", 40),
    ("Thành", 40),
    ("Hải", 40),
    ("Trung", 30),
    ("Đăng", 30),
    ("Ngọc", 20),
    ("Hữu", 20),
];

const FEMALE_MIDDLE_OLD: &[(&str, u32)] = &[
    ("Thị", 850),
    ("Thu", 30),
    ("Ngọc", 30),
    ("Thanh", 30),
    ("Hồng", 20),
    ("Kim", 20),
    ("Minh", 10),
    ("Xuân", 10),
];

const FEMALE_MIDDLE_YOUNG: &[(&str, u32)] = &[
    ("Thị", 300),
    ("Ngọc", 100),
    ("Thu", 80),
    ("Minh", 60),
    ("Bảo", 60),
    ("Gia", 50),
    ("Khánh", 50),
    ("Phương", 50),
    ("Thanh", 50),
    ("Hoài", 40),
    ("Quỳnh", 40),
    ("Diệu", 30),
    ("Tường", 30),
    ("Hải", 30),
    ("Mai", 30),
];

/// The second middle word of four-word names ("Nguyễn Thị Thu Hà").
const FEMALE_SECOND_MIDDLE: &[&str] = &["Thu", "Ngọc", "Thanh", "Hồng", "Minh", "Phương", "Kim"];

/// Given names ordered by popularity; drawn with Zipf-like weights.
const MALE_GIVEN_OLD: &[&str] = &[
    "Hùng", "Dũng", "Hải", "Thắng", "Tuấn", "Sơn", "Hòa", "Minh", "Nam", "Long", "Cường", "Bình",
    "Hưng", "Thành", "Trung", "Quang", "Tiến", "Đức", "Lợi", "Thanh", "Toàn", "Phúc", "Lâm",
    "Chiến", "Tâm", "Thịnh", "Vinh", "Nghĩa", "Hiển", "Định", "Quý", "Lực", "Tài", "Khánh", "Xuân",
    "Hợp", "Thọ", "Lộc", "Tư", "Ba", "Đông", "Bảy", "Huấn", "Luyện", "Thuận", "Tuyên", "Đạo",
    "Hoan", "Thủy", "Điệp", "Khoa", "Thụy",
];

const MALE_GIVEN_YOUNG: &[&str] = &[
    "Minh", "Huy", "Nam", "Đức", "Khang", "Phúc", "Bảo", "An", "Khôi", "Duy", "Long", "Hoàng",
    "Quân", "Lâm", "Kiên", "Tùng", "Hiếu", "Đạt", "Tuấn", "Anh", "Phong", "Thành", "Trung",
    "Quang", "Hưng", "Vinh", "Khoa", "Nhật", "Sơn", "Hải", "Thắng", "Dũng", "Hòa", "Toàn", "Việt",
    "Tiến", "Lộc", "Nghĩa", "Tài", "Trí", "Thịnh", "Khánh", "Hậu", "Cường", "Đăng", "Hùng", "Thái",
    "Tâm", "Thụy", "Hào",
];

const FEMALE_GIVEN_OLD: &[&str] = &[
    "Lan", "Hoa", "Hương", "Hồng", "Mai", "Hằng", "Nga", "Thủy", "Hà", "Loan", "Liên", "Nhung",
    "Yến", "Thanh", "Hạnh", "Lý", "Xuân", "Đào", "Cúc", "Huệ", "Tuyết", "Dung", "Oanh", "Vân",
    "Thoa", "Hiền", "Bình", "Tâm", "Lài", "Sen", "Hòa", "Thúy", "Hảo", "Lụa", "Mận", "Nụ", "Lựu",
    "Gấm", "Tươi", "Thơm", "Tám", "Chín", "Hợi", "Dậu", "Quế", "Điểm", "Đông", "Hiên", "Liễu",
    "Thắm",
];

const FEMALE_GIVEN_YOUNG: &[&str] = &[
    "Linh", "Anh", "Trang", "Ngọc", "Hà", "Thảo", "Huyền", "Phương", "Nhi", "Vy", "Chi", "My",
    "Hân", "An", "Như", "Quỳnh", "Giang", "Trâm", "Uyên", "Thư", "Diệp", "Hiền", "Yến", "Nhung",
    "Hằng", "Vân", "Hoa", "Lan", "Mai", "Hương", "Ly", "Thùy", "Hạnh", "Loan", "Thúy", "Duyên",
    "Oanh", "Thương", "Tâm", "Khuê", "Ánh", "Hòa", "Đào", "Dung", "Nga", "Thủy", "Xoan",
];

/// Baptismal names Catholics often carry as their other name.
pub(crate) const SAINT_NAMES_MALE: &[&str] = &[
    "Giuse",
    "Phêrô",
    "Gioan",
    "Phaolô",
    "Martinô",
    "Đaminh",
    "Antôn",
    "Luca",
    "Giacôbê",
];
pub(crate) const SAINT_NAMES_FEMALE: &[&str] =
    &["Maria", "Anna", "Têrêsa", "Anê", "Matta", "Monica"];

/// Syllables of invented village names ("Thôn Yên Lạc").
pub(crate) const VILLAGE_FIRST: &[&str] = &[
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Trung",
    "Thượng",
    "Hạ",
    "Yên",
    "Phú",
    "Văn",
    "Đại",
    "Tân",
    "Xuân",
    "Hòa",
    "Thọ",
    "Ngọc",
    "Kim",
    "Minh",
    "Thanh",
    "Đồng",
    "Cao",
    "Phúc",
    "Vĩnh",
    "Quang",
];
pub(crate) const VILLAGE_SECOND: &[&str] = &[
    "Lạc", "Thành", "Hưng", "Thịnh", "Lộc", "Xá", "Sơn", "Tiến", "Lợi", "Vinh", "Mỹ", "An", "Bình",
    "Khê", "Giang", "Trang", "Đình", "Châu", "Cát", "Lâm", "Hạ", "Hải", "Nội", "Trù", "Xuyên",
    "Đoài",
];

/// Ethnic groups of the commune's households: Kinh, Mường, Thái (codes of Decision 1019).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ethnic {
    Kinh,
    Muong,
    Thai,
}

impl Ethnic {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Ethnic::Kinh => "01",
            Ethnic::Thai => "03",
            Ethnic::Muong => "04",
        }
    }
}

/// The name tables, built once per generation.
pub(crate) struct Names {
    kinh_family: Weighted<&'static str>,
    muong_family: Weighted<&'static str>,
    thai_family: Weighted<&'static str>,
    male_middle_old: Weighted<&'static str>,
    male_middle_young: Weighted<&'static str>,
    female_middle_old: Weighted<&'static str>,
    female_middle_young: Weighted<&'static str>,
    male_given_old: Weighted<&'static str>,
    male_given_young: Weighted<&'static str>,
    female_given_old: Weighted<&'static str>,
    female_given_young: Weighted<&'static str>,
}

impl Names {
    pub(crate) fn new() -> Names {
        Names {
            kinh_family: Weighted::new(KINH_FAMILY),
            muong_family: Weighted::new(MUONG_FAMILY),
            thai_family: Weighted::new(THAI_FAMILY),
            male_middle_old: Weighted::new(MALE_MIDDLE_OLD),
            male_middle_young: Weighted::new(MALE_MIDDLE_YOUNG),
            female_middle_old: Weighted::new(FEMALE_MIDDLE_OLD),
            female_middle_young: Weighted::new(FEMALE_MIDDLE_YOUNG),
            male_given_old: Weighted::zipf(MALE_GIVEN_OLD, 3),
            male_given_young: Weighted::zipf(MALE_GIVEN_YOUNG, 3),
            female_given_old: Weighted::zipf(FEMALE_GIVEN_OLD, 3),
            female_given_young: Weighted::zipf(FEMALE_GIVEN_YOUNG, 3),
        }
    }

    pub(crate) fn family(&self, rng: &mut Rng, ethnic: Ethnic) -> &'static str {
        let table = match ethnic {
            Ethnic::Kinh => &self.kinh_family,
            Ethnic::Muong => &self.muong_family,
            Ethnic::Thai => &self.thai_family,
        };
        table.sample(rng).unwrap_or("Nguyễn")
    }

    /// Middle and given name for a person born in `birth_year`: the old naming habits
    /// (Văn/Thị, one-syllable classics) fade among the young.
    pub(crate) fn middle_and_given(&self, rng: &mut Rng, sex: Sex, birth_year: i32) -> String {
        let old_share = match birth_year {
            ..=1969 => 1.0,
            1970..=1989 => 0.6,
            1990..=2004 => 0.25,
            _ => 0.1,
        };
        let old = rng.chance(old_share);
        // Given names follow fashion a little later than middle names.
        let old_given = rng.chance(if birth_year < 1975 {
            1.0
        } else {
            old_share * 0.7
        });
        let (middle, given) = match sex {
            Sex::Male => (
                if old {
                    &self.male_middle_old
                } else {
                    &self.male_middle_young
                },
                if old_given {
                    &self.male_given_old
                } else {
                    &self.male_given_young
                },
            ),
            Sex::Female => (
                if old {
                    &self.female_middle_old
                } else {
                    &self.female_middle_young
                },
                if old_given {
                    &self.female_given_old
                } else {
                    &self.female_given_young
                },
            ),
        };
        let middle = middle.sample(rng).unwrap_or("Văn");
        let mut given = given.sample(rng).unwrap_or("An");
        // A few given names double as middle names; "Nguyễn Minh Minh" is not a name.
        if given == middle {
            given = if sex == Sex::Male { "Tuấn" } else { "Lan" };
        }
        let mut out = String::with_capacity(24);
        out.push_str(middle);
        if sex == Sex::Female && middle == "Thị" && birth_year >= 1975 && rng.chance(0.12) {
            if let Some(second) = rng.pick(FEMALE_SECOND_MIDDLE) {
                out.push(' ');
                out.push_str(second);
            }
        }
        out.push(' ');
        out.push_str(given);
        out
    }

    pub(crate) fn full(&self, rng: &mut Rng, family: &str, sex: Sex, birth_year: i32) -> String {
        let rest = self.middle_and_given(rng, sex, birth_year);
        let mut out = String::with_capacity(family.len() + 1 + rest.len());
        out.push_str(family);
        out.push(' ');
        out.push_str(&rest);
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tables_are_nfc_and_clean() {
        let all = KINH_FAMILY
            .iter()
            .chain(MUONG_FAMILY)
            .chain(THAI_FAMILY)
            .chain(MALE_MIDDLE_OLD)
            .chain(MALE_MIDDLE_YOUNG)
            .chain(FEMALE_MIDDLE_OLD)
            .chain(FEMALE_MIDDLE_YOUNG)
            .map(|(n, _)| *n)
            .chain(MALE_GIVEN_OLD.iter().copied())
            .chain(MALE_GIVEN_YOUNG.iter().copied())
            .chain(FEMALE_GIVEN_OLD.iter().copied())
            .chain(FEMALE_GIVEN_YOUNG.iter().copied())
            .chain(VILLAGE_FIRST.iter().copied())
            .chain(VILLAGE_SECOND.iter().copied());
        for n in all {
            assert_eq!(xaso_domain::name::normalize(n), n, "{n}");
            assert!(!n.contains(' '), "{n}");
        }
    }

    #[test]
    fn nguyen_is_the_most_common_family_name() {
        let names = Names::new();
        let mut rng = Rng::new(3);
        let n = 20_000;
        let nguyen = (0..n)
            .filter(|_| names.family(&mut rng, Ethnic::Kinh) == "Nguyễn")
            .count();
        let share = nguyen as f64 / n as f64;
        assert!((0.35..0.41).contains(&share), "{share}");
    }

    #[test]
    fn old_women_are_mostly_thi() {
        let names = Names::new();
        let mut rng = Rng::new(4);
        let thi = (0..2_000)
            .filter(|_| {
                names
                    .middle_and_given(&mut rng, Sex::Female, 1950)
                    .starts_with("Thị ")
            })
            .count();
        assert!(thi > 1_500, "{thi}");
        let young_thi = (0..2_000)
            .filter(|_| {
                names
                    .middle_and_given(&mut rng, Sex::Female, 2015)
                    .starts_with("Thị ")
            })
            .count();
        assert!(young_thi < 1_000, "{young_thi}");
    }
}
