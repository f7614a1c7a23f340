//! The crate's errors. Each message names the rule that was broken; none contains a secret.

use crate::RandomnessUnavailable;

/// Anything that can go wrong in this crate.
///
/// Messages are for officers' logs and the operator; they never include a password, a TOTP
/// secret, a session id or a token.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The operating system's random source failed; nothing secret can be made without it.
    #[error("the operating system's random source failed: {0}")]
    Randomness(String),

    /// A stored password hash could not be parsed, or is not an argon2 PHC string with a salt,
    /// a hash and parameters the argon2 crate accepts.
    #[error(
        "the stored password hash is malformed or unsupported \
         (expected an argon2 PHC string `$argon2id$v=19$m=..,t=..,p=..$salt$hash`): {0}"
    )]
    MalformedPasswordHash(String),

    /// Hashing a password failed (bad parameters: should not happen with the built-in ones).
    #[error("hashing the password failed: {0}")]
    PasswordHashing(String),

    /// Text given as base32 uses characters outside RFC 4648's alphabet or has an impossible
    /// length.
    #[error(
        "not valid base32 (RFC 4648: letters A-Z and digits 2-7, any case, spaces ignored): {0}"
    )]
    InvalidBase32(String),

    /// A TOTP secret shorter than RFC 4226 allows.
    #[error(
        "a TOTP secret must have at least {min} bytes (RFC 4226: 128 bits), this one has {bytes}"
    )]
    TotpSecretTooShort { bytes: usize, min: usize },

    /// A password that the policy refuses.
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

impl From<RandomnessUnavailable> for IdentityError {
    fn from(e: RandomnessUnavailable) -> Self {
        IdentityError::Randomness(e.0)
    }
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], IdentityError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| IdentityError::Randomness(e.to_string()))?;
    Ok(bytes)
}

/// Why a new password was refused (NIST SP 800-63B-like rules: length, not the login, not a
/// common or trivially predictable password; no composition rules).
///
/// `Display` gives Vietnamese first, then English: "Mật khẩu ... / Password ...". The web layer
/// can instead use [`PolicyError::code`] with its own message catalogue, or [`PolicyError::vi`]
/// and [`PolicyError::en`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// Fewer than `min` Unicode characters.
    TooShort { min: usize, actual: usize },
    /// More than `max` Unicode characters.
    TooLong { max: usize, actual: usize },
    /// Equal to the login, or contains it (ignoring case and Vietnamese tone marks).
    ContainsLogin,
    /// In the embedded list of the most common passwords, possibly with digits or symbols
    /// added before or after ("matkhau2024!", "Admin@123").
    Common,
    /// One character repeated, only two different characters, or a straight run such as
    /// "abcdefghij" or "9876543210".
    Repetitive,
}

impl PolicyError {
    /// A stable key for a message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::TooShort { .. } => "password.too_short",
            PolicyError::TooLong { .. } => "password.too_long",
            PolicyError::ContainsLogin => "password.contains_login",
            PolicyError::Common => "password.common",
            PolicyError::Repetitive => "password.repetitive",
        }
    }

    /// The message in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            PolicyError::TooShort { min, .. } => format!("Mật khẩu phải có ít nhất {min} ký tự"),
            PolicyError::TooLong { max, .. } => format!("Mật khẩu không được dài quá {max} ký tự"),
            PolicyError::ContainsLogin => {
                "Mật khẩu không được trùng hoặc chứa tên đăng nhập".to_string()
            }
            PolicyError::Common => "Mật khẩu này quá phổ biến, dễ bị đoán".to_string(),
            PolicyError::Repetitive => {
                "Mật khẩu không được là một ký tự lặp lại hay một dãy liên tiếp".to_string()
            }
        }
    }

    /// The message in English.
    pub fn en(&self) -> String {
        match self {
            PolicyError::TooShort { min, .. } => format!("at least {min} characters"),
            PolicyError::TooLong { max, .. } => format!("at most {max} characters"),
            PolicyError::ContainsLogin => "must not be or contain the login".to_string(),
            PolicyError::Common => "this password is too common and easy to guess".to_string(),
            PolicyError::Repetitive => {
                "must not be one repeated character or a straight sequence".to_string()
            }
        }
    }
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.vi(), self.en())
    }
}

impl std::error::Error for PolicyError {}
