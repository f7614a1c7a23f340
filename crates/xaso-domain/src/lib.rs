//! Pure rules and types of Xã số. No I/O, no HTTP, no database: everything here is a function of
//! its inputs, so every rule can be tested with a table.

pub mod admin_units;
pub mod calendar;
pub mod date;
pub mod dossier;
pub mod ethnic;
pub mod name;
pub mod personal_id;
pub mod register;
pub mod role;

pub use date::PartialDate;
pub use personal_id::{Cmnd, PersonalId, Sex};
