//! The databases' own bulk loads of the same file, into a table of the file's 25 columns with
//! indexes equivalent to those of the register (`persons` in xaso-store's migrations).

use std::path::Path;

use crate::procs::Cmd;

/// The register file's columns, in file order, as SQL names.
pub const COLUMNS: [&str; 25] = [
    "personal_id",
    "old_cmnd",
    "full_name",
    "other_name",
    "date_of_birth",
    "sex",
    "birth_registration_place",
    "home_town",
    "ethnicity",
    "religion",
    "nationality",
    "blood_type",
    "permanent_address",
    "permanent_commune",
    "temporary_address",
    "current_address",
    "father_id",
    "father_name",
    "mother_id",
    "mother_name",
    "spouse_id",
    "spouse_name",
    "death_date",
    "household_id",
    "relation_to_head",
];

/// The indexes, as (xaso's index on `persons`, the baseline's equivalent), for the report.
pub const INDEX_MAP: [(&str, &str); 6] = [
    ("`personal_id` UNIQUE", "`personal_id` UNIQUE"),
    (
        "`persons_name_stripped (name_stripped, birth_year)`",
        "`(full_name, <year of date_of_birth>)`",
    ),
    (
        "`persons_name_key (name_key, birth_year)`",
        "`(lower(full_name), <year of date_of_birth>)`",
    ),
    (
        "`persons_given (given_stripped, birth_year)`",
        "`(<last word of full_name>, <year of date_of_birth>)` (expression index)",
    ),
    ("`persons_household (household_id)`", "`(household_id)`"),
    (
        "`persons_cmnd (old_cmnd)` partial, non-null",
        "`(old_cmnd)` partial, non-empty",
    ),
];

/// SQLite: the table, the indexes, and the PRAGMAs xaso-store uses.
pub fn sqlite_schema() -> String {
    let cols: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            if *c == "personal_id" {
                "personal_id TEXT NOT NULL UNIQUE".to_string()
            } else {
                format!("{c} TEXT")
            }
        })
        .collect();
    // The year is the last 4 characters of "dd/mm/yyyy"; the given name is what follows the last
    // space (rtrim strips the non-space characters from the right, up to the last space).
    let year = "substr(date_of_birth, -4)";
    let given = "substr(full_name, length(rtrim(full_name, replace(full_name, ' ', ''))) + 1)";
    format!(
        "PRAGMA journal_mode=WAL;\n\
         CREATE TABLE persons (\n  {cols}\n);\n\
         CREATE INDEX persons_name ON persons (full_name, {year});\n\
         CREATE INDEX persons_name_lower ON persons (lower(full_name), {year});\n\
         CREATE INDEX persons_given ON persons ({given}, {year});\n\
         CREATE INDEX persons_household ON persons (household_id);\n\
         CREATE INDEX persons_cmnd ON persons (old_cmnd) WHERE old_cmnd <> '';\n",
        cols = cols.join(",\n  ")
    )
}

/// The same PRAGMAs as xaso-store's connections (journal mode is persistent in the file).
pub const SQLITE_PRAGMAS: &str =
    "PRAGMA synchronous=NORMAL;\nPRAGMA cache_size=-262144;\nPRAGMA temp_store=MEMORY;\n";

/// The timed `sqlite3` run: PRAGMAs, then `.import`.
pub fn sqlite_import(db: &Path, csv: &Path) -> Result<Cmd, String> {
    let csv = csv
        .to_str()
        .filter(|s| !s.contains('"'))
        .ok_or_else(|| format!("{} cannot be quoted for sqlite3", csv.display()))?;
    Ok(Cmd::new("sqlite3").arg(db).stdin(format!(
        "{SQLITE_PRAGMAS}.bail on\n.import --csv --skip 1 \"{csv}\" persons\n"
    )))
}

/// PostgreSQL: the table with `id BIGSERIAL PRIMARY KEY` like xaso's, key columns in the "C"
/// collation like xaso's, and the same indexes.
pub fn postgres_schema() -> String {
    let cols: Vec<String> = COLUMNS
        .iter()
        .map(|c| match *c {
            "personal_id" => "personal_id TEXT COLLATE \"C\" NOT NULL UNIQUE".to_string(),
            "old_cmnd" | "full_name" | "household_id" => format!("{c} TEXT COLLATE \"C\""),
            _ => format!("{c} TEXT"),
        })
        .collect();
    let year = "right(date_of_birth, 4)";
    let given = "(regexp_replace(full_name, '^.* ', '') COLLATE \"C\")";
    format!(
        "CREATE TABLE persons (\n  id BIGSERIAL PRIMARY KEY,\n  {cols}\n);\n\
         CREATE INDEX persons_name ON persons (full_name, {year});\n\
         CREATE INDEX persons_name_lower ON persons ((lower(full_name) COLLATE \"C\"), {year});\n\
         CREATE INDEX persons_given ON persons ({given}, {year});\n\
         CREATE INDEX persons_household ON persons (household_id);\n\
         CREATE INDEX persons_cmnd ON persons (old_cmnd) WHERE old_cmnd IS NOT NULL;\n",
        cols = cols.join(",\n  ")
    )
}

/// The timed `psql \copy` run.
pub fn postgres_copy(url: &str, csv: &Path) -> Result<Cmd, String> {
    let csv = csv
        .to_str()
        .ok_or_else(|| format!("{} is not UTF-8", csv.display()))?
        .replace('\'', "''");
    Ok(Cmd::new("psql")
        .arg("-X")
        .arg("-q")
        .arg("-v")
        .arg("ON_ERROR_STOP=1")
        .arg("-d")
        .arg(url)
        .arg("-c")
        .arg(format!(
            "\\copy persons ({}) FROM '{csv}' WITH (FORMAT csv, HEADER true)",
            COLUMNS.join(", ")
        )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn schemas_name_every_column() {
        for c in super::COLUMNS {
            assert!(super::sqlite_schema().contains(c));
            assert!(super::postgres_schema().contains(c));
        }
        if let Ok(dir) = std::env::var("XASO_BENCH_DUMP_SCHEMAS") {
            let _ = std::fs::write(format!("{dir}/sqlite.sql"), super::sqlite_schema());
            let _ = std::fs::write(format!("{dir}/pg.sql"), super::postgres_schema());
        }
    }
}
