//! Officers' passwords: argon2id hashing in PHC strings, verification, rehash detection, the
//! password policy, and the one-time password printed for the first-run admin.
//!
//! Passwords are normalised to Unicode NFKC before hashing, counting and comparing (NIST SP
//! 800-63B asks for NFKC or NFKD), so "mật khẩu" typed with precomposed letters (Unikey's
//! "Unicode dựng sẵn") and with combining marks ("Unicode tổ hợp") is the same password. This
//! normalisation is part of the stored hashes' meaning: never change it without a migration.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use unicode_normalization::UnicodeNormalization;

use crate::error::{random_bytes, IdentityError, PolicyError};

/// OWASP Password Storage Cheat Sheet, argon2id minimum: m = 19 MiB (19456 KiB).
pub const ARGON2_M_COST_KIB: u32 = 19 * 1024;
/// OWASP minimum: t = 2 iterations.
pub const ARGON2_T_COST: u32 = 2;
/// OWASP minimum: p = 1 lane.
pub const ARGON2_P_COST: u32 = 1;
/// Bytes of random salt (RFC 9106 recommends 16).
pub const SALT_LEN: usize = 16;
/// Bytes of hash output.
pub const HASH_LEN: usize = 32;

/// Fewest Unicode characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Most Unicode characters a password may have (long passphrases are welcome; this only stops
/// abuse).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Length of [`generate_one_time_password`]'s output.
pub const ONE_TIME_PASSWORD_LEN: usize = 16;
/// Letters and digits that cannot be misread on paper or screen: no 0/O/o, 1/l/I.
pub const UNAMBIGUOUS_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz";

fn normalise(plain: &str) -> String {
    plain.nfkc().collect()
}

fn hasher() -> Result<Argon2<'static>, IdentityError> {
    let params = Params::new(
        ARGON2_M_COST_KIB,
        ARGON2_T_COST,
        ARGON2_P_COST,
        Some(HASH_LEN),
    )
    .map_err(|e| IdentityError::PasswordHashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with argon2id (OWASP minimum parameters) and a fresh random 16-byte salt.
/// Returns the PHC string to store, e.g. `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
///
/// The policy is not checked here: call [`check_password_policy`] when a password is chosen.
pub fn hash_password(plain: &str) -> Result<String, IdentityError> {
    let salt_bytes: [u8; SALT_LEN] = random_bytes()?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| IdentityError::PasswordHashing(e.to_string()))?;
    let hash = hasher()?
        .hash_password(normalise(plain).as_bytes(), &salt)
        .map_err(|e| IdentityError::PasswordHashing(e.to_string()))?;
    Ok(hash.to_string())
}

fn parse_phc(phc: &str) -> Result<PasswordHash<'_>, IdentityError> {
    let hash = PasswordHash::new(phc.trim())
        .map_err(|e| IdentityError::MalformedPasswordHash(e.to_string()))?;
    if Algorithm::try_from(hash.algorithm).is_err() {
        return Err(IdentityError::MalformedPasswordHash(format!(
            "algorithm `{}` is not argon2",
            hash.algorithm
        )));
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err(IdentityError::MalformedPasswordHash(
            "salt or hash output missing".to_string(),
        ));
    }
    Ok(hash)
}

/// Checks a password against a stored PHC string, using the parameters stored in it. The
/// comparison is the argon2 crate's constant-time one.
///
/// `Ok(false)` means the password is wrong; a stored hash that cannot be used at all is an
/// `Err`, so that a corrupt account row is noticed instead of looking like a typo.
pub fn verify_password(plain: &str, phc: &str) -> Result<bool, IdentityError> {
    let hash = parse_phc(phc)?;
    match Argon2::default().verify_password(normalise(plain).as_bytes(), &hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(IdentityError::MalformedPasswordHash(e.to_string())),
    }
}

/// True when a stored hash should be replaced by [`hash_password`]'s after the next successful
/// login: not argon2id v19, memory or iterations below the current ones, a shorter salt or
/// output, or not parseable at all.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(hash) = parse_phc(phc) else {
        return true;
    };
    if hash.algorithm != Algorithm::Argon2id.ident() || hash.version != Some(0x13) {
        return true;
    }
    let Ok(params) = Params::try_from(&hash) else {
        return true;
    };
    let salt_bytes = hash.salt.map_or(0, |s| s.as_str().len() * 3 / 4);
    let out_len = hash.hash.map_or(0, |h| h.len());
    params.m_cost() < ARGON2_M_COST_KIB
        || params.t_cost() < ARGON2_T_COST
        || params.p_cost() < ARGON2_P_COST
        || salt_bytes < SALT_LEN
        || out_len < HASH_LEN
}

/// The most common passwords (worldwide and Vietnamese), folded: lower case, no tone marks,
/// no spaces. A password is refused when it is one of these, or one of these with digits or
/// symbols before or after ("matkhau2024!", "Admin@123"), or with common look-alike symbols
/// (`p@ssw0rd`).
const COMMON_PASSWORDS: &[&str] = &[
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "0123456789",
    "987654321",
    "111111",
    "000000",
    "123123",
    "123321",
    "654321",
    "666666",
    "888888",
    "password",
    "pass",
    "admin",
    "administrator",
    "root",
    "user",
    "guest",
    "test",
    "demo",
    "abc",
    "abc123",
    "abcd1234",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1qaz2wsx",
    "qazwsx",
    "iloveyou",
    "welcome",
    "letmein",
    "changeme",
    "secret",
    "login",
    "monkey",
    "dragon",
    "master",
    "shadow",
    "sunshine",
    "princess",
    "football",
    "superman",
    "trustno",
    "matkhau",
    "matkhaumoi",
    "doimatkhau",
    "matma",
    "anhyeuem",
    "emyeuanh",
    "yeuem",
    "yeuanh",
    "iloveu",
    "vietnam",
    "hanoi",
    "saigon",
    "hochiminh",
    "danang",
    "xaso",
    "xa",
    "phuong",
    "ubnd",
    "ubndxa",
    "uybannhandan",
    "congan",
    "canbo",
    "khongbiet",
    "khongco",
    "batkhuat",
    "thanhcong",
];

/// Lower case, no Vietnamese tone or vowel marks (đ → d), no whitespace.
fn fold(s: &str) -> String {
    s.nfkd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c) && !c.is_whitespace())
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn unleet(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '3' => 'e',
            '1' | '!' => 'i',
            '$' | '5' => 's',
            '7' => 't',
            c => c,
        })
        .collect()
}

fn is_common(folded: &str) -> bool {
    let stripped = folded.trim_matches(|c: char| !c.is_alphabetic());
    let candidates = [folded.to_string(), stripped.to_string(), unleet(stripped)];
    candidates
        .iter()
        .any(|c| !c.is_empty() && COMMON_PASSWORDS.contains(&c.as_str()))
}

fn is_repetitive(folded: &str) -> bool {
    let chars: Vec<u32> = folded.chars().map(u32::from).collect();
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 3 {
        return true;
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| i64::from(w[1]) - i64::from(w[0]))
        .collect();
    steps.iter().all(|&d| d == 1) || steps.iter().all(|&d| d == -1)
}

/// Checks a new password (NIST SP 800-63B-like: no rules on character classes):
/// 1. at least [`MIN_PASSWORD_CHARS`] and at most [`MAX_PASSWORD_CHARS`] Unicode characters
///    (after NFKC normalisation);
/// 2. not the login, and not containing a login of 4 or more characters (nor an e-mail login's
///    local part), ignoring case, tone marks and spaces;
/// 3. not one of the most common passwords, even with digits/symbols around it;
/// 4. not one repeated character, two alternating ones, or a straight run ("abcdefghij").
///
/// The first rule broken is returned.
pub fn check_password_policy(plain: &str, login: &str) -> Result<(), PolicyError> {
    let normalised = normalise(plain);
    let chars = normalised.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PolicyError::TooShort {
            min: MIN_PASSWORD_CHARS,
            actual: chars,
        });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PolicyError::TooLong {
            max: MAX_PASSWORD_CHARS,
            actual: chars,
        });
    }
    let folded = fold(&normalised);
    let login = fold(login);
    let mut logins = vec![login.as_str()];
    if let Some((local, _)) = login.split_once('@') {
        logins.push(local);
    }
    for l in logins {
        if !l.is_empty() && (folded == l || (l.chars().count() >= 4 && folded.contains(l))) {
            return Err(PolicyError::ContainsLogin);
        }
    }
    if is_common(&folded) {
        return Err(PolicyError::Common);
    }
    if is_repetitive(&folded) {
        return Err(PolicyError::Repetitive);
    }
    Ok(())
}

/// A random password of [`ONE_TIME_PASSWORD_LEN`] characters from [`UNAMBIGUOUS_ALPHABET`]
/// (about 93 bits), for the first-run admin, who must change it at first login. It is printed
/// once and only its hash is stored.
pub fn generate_one_time_password() -> Result<String, IdentityError> {
    let n = UNAMBIGUOUS_ALPHABET.len();
    // Rejection sampling: only bytes below the largest multiple of n, so every character is
    // equally likely.
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(ONE_TIME_PASSWORD_LEN);
    while out.len() < ONE_TIME_PASSWORD_LEN {
        let bytes: [u8; 32] = random_bytes()?;
        for b in bytes {
            let b = usize::from(b);
            if b < limit && out.len() < ONE_TIME_PASSWORD_LEN {
                out.push(char::from(UNAMBIGUOUS_ALPHABET[b % n]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let phc = hash_password("một mật khẩu dài").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("một mật khẩu dài", &phc).unwrap());
        assert!(!verify_password("một mật khẩu dai", &phc).unwrap());
        assert!(!verify_password("", &phc).unwrap());
        assert!(!needs_rehash(&phc));
    }

    #[test]
    fn salts_differ() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn composed_and_decomposed_vietnamese_are_the_same_password() {
        let composed = "mật khẩu của tôi";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        let phc = hash_password(composed).unwrap();
        assert!(verify_password(&decomposed, &phc).unwrap());
        assert_eq!(
            check_password_policy(&"ệ".nfd().collect::<String>().repeat(9), "x"),
            Err(PolicyError::TooShort { min: 10, actual: 9 })
        );
    }

    #[test]
    fn verifies_hashes_made_by_the_reference_implementation() {
        // Made with the reference C implementation (Debian package `argon2`):
        // echo -n password | argon2 somesalt -id -t 2 -m 6 -p 1 -e
        let weak =
            "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI";
        assert!(verify_password("password", weak).unwrap());
        assert!(!verify_password("Password", weak).unwrap());
        assert!(needs_rehash(weak));
        // echo -n "một mật khẩu" | argon2 saltsaltsaltsalt -id -t 2 -k 19456 -p 1 -e
        let current = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$GbLzkNDoetqd0NMdANE240fR0zW4kOhs+RIsAPOIvUc";
        assert!(verify_password("một mật khẩu", current).unwrap());
        assert!(!verify_password("mot mat khau", current).unwrap());
        assert!(!needs_rehash(current));
    }

    #[test]
    fn malformed_hash_is_an_error_not_false() {
        for bad in [
            "",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ",
            "$bcrypt$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA",
            "$argon2id$v=19$m=1,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$tlodzwxqIcOXhNCaBSVoVRlGLfpXHE5Ga+ypA5jaaOU",
        ] {
            let r = verify_password("password", bad);
            assert!(
                matches!(r, Err(IdentityError::MalformedPasswordHash(_))),
                "{bad}: {r:?}"
            );
            assert!(needs_rehash(bad));
        }
    }

    #[test]
    fn rehash_when_weaker() {
        let salt = "c29tZXNhbHRzb21lc2FsdA"; // 16 bytes
        let out = "tlodzwxqIcOXhNCaBSVoVRlGLfpXHE5Ga+ypA5jaaOU"; // 32 bytes
        let phc = |alg: &str, m: u32, t: u32| format!("${alg}$v=19$m={m},t={t},p=1${salt}${out}");
        assert!(!needs_rehash(&phc("argon2id", 19456, 2)));
        assert!(!needs_rehash(&phc("argon2id", 65536, 3)));
        assert!(needs_rehash(&phc("argon2id", 19455, 2)));
        assert!(needs_rehash(&phc("argon2id", 19456, 1)));
        assert!(needs_rehash(&phc("argon2i", 19456, 2)));
        assert!(needs_rehash(&format!(
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ${out}"
        )));
    }

    #[test]
    fn policy_rules() {
        use PolicyError::*;
        let check = |p: &str| check_password_policy(p, "nguyen.van.an");
        assert_eq!(check("ngắn"), Err(TooShort { min: 10, actual: 4 }));
        assert_eq!(check("123456"), Err(TooShort { min: 10, actual: 6 }));
        assert_eq!(check("Admin@123"), Err(TooShort { min: 10, actual: 9 }));
        assert_eq!(
            check(&"a".repeat(129)).unwrap_err().code(),
            "password.too_long"
        );
        assert!(check(
            &"bàn phím ".repeat(14)[..]
                .chars()
                .take(128)
                .collect::<String>()
        )
        .is_ok());
        // Ten Vietnamese letters are ten characters, though more bytes.
        assert_eq!(check("đường phố ở").map_err(|e| e.code()), Ok(()));

        assert_eq!(check("Nguyen.Van.An"), Err(ContainsLogin));
        assert_eq!(check("nguyễn.văn.ân-2024"), Err(ContainsLogin));
        assert_eq!(
            check_password_policy("an.nguyen1990", "an.nguyen@xa.gov.vn"),
            Err(ContainsLogin)
        );
        assert_eq!(
            check_password_policy("bob", "bob"),
            Err(TooShort { min: 10, actual: 3 })
        );
        assert!(check_password_policy("anh trai tôi", "an").is_ok());

        for common in [
            "1234567890",
            "Admin@12345",
            "matkhau2024!",
            "Mật Khẩu 123",
            "p@ssw0rd123",
            "anhyeuem123",
            "qwertyuiop",
            "123456789abc",
            "Xã Số 20252025",
        ] {
            assert_eq!(check(common), Err(Common), "{common}");
        }
        for predictable in ["aaaaaaaaaa", "ababababab", "abcdefghij", "9876543210"] {
            let r = check(predictable);
            assert!(
                matches!(r, Err(Repetitive) | Err(Common)),
                "{predictable}: {r:?}"
            );
        }
        assert_eq!(check("abcdefghij"), Err(Repetitive));
        assert!(check("lúa chín vàng đồng").is_ok());
        assert!(check("tr0ub4dor&3x").is_ok());
    }

    #[test]
    fn policy_messages_are_vietnamese_then_english() {
        let e = check_password_policy("ngắn", "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Mật khẩu phải có ít nhất 10 ký tự / at least 10 characters"
        );
        let e: IdentityError = e.into();
        assert!(e.to_string().starts_with("Mật khẩu"));
    }

    #[test]
    fn one_time_passwords() {
        let a = generate_one_time_password().unwrap();
        let b = generate_one_time_password().unwrap();
        assert_ne!(a, b);
        for p in [&a, &b] {
            assert_eq!(p.chars().count(), ONE_TIME_PASSWORD_LEN);
            assert!(p.bytes().all(|c| UNAMBIGUOUS_ALPHABET.contains(&c)));
            assert!(!p.contains(['0', 'O', 'o', '1', 'l', 'I']));
        }
        for _ in 0..200 {
            let p = generate_one_time_password().unwrap();
            assert_eq!(check_password_policy(&p, "admin"), Ok(()), "{p}");
        }
    }
}
