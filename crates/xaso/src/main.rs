//! `xaso`: the command line of Xã số. Each subcommand parses its flags, opens the store and
//! calls into the library crates; no rules live here.

mod calendar_cmd;
mod import;
mod reconcile;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use xaso_domain::role::Role;
use xaso_store::{ApiTokenRecord, AuditRecord, ChangeMeta, LoadItem, Store};

#[derive(Parser)]
#[command(
    name = "xaso",
    version,
    about = "Xã số — population register, ID-card checks and public services for a commune"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives: a directory for the embedded SQLite file, or a PostgreSQL URL.
#[derive(Args, Clone)]
struct StoreArgs {
    /// Directory of the embedded database (SQLite, created if missing).
    #[arg(long, default_value = "xaso-data", env = "XASO_DATA")]
    data: PathBuf,
    /// Use PostgreSQL instead: postgres://user@host:port/db
    #[arg(long, env = "XASO_DATABASE_URL")]
    database_url: Option<String>,
}

impl StoreArgs {
    fn open(&self) -> Result<Box<dyn Store>, String> {
        xaso_store::open(self.database_url.as_deref(), &self.data).map_err(|e| e.to_string())
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages and the JSON API.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "XASO_LISTEN")]
        listen: String,
        /// On first run, fill an empty register with the demo commune and create an admin token.
        #[arg(long)]
        demo: bool,
        /// Serve the pages over plain HTTP to other machines (an office network without TLS):
        /// session cookies lose their Secure flag. Not needed on this machine (localhost).
        #[arg(long, env = "XASO_PLAIN_HTTP")]
        plain_http: bool,
        /// End officers' sessions unused for this long: 30m, 90s, 2h.
        #[arg(long, default_value = "30m", value_parser = parse_duration)]
        session_idle: time::Duration,
        /// Send citizens' one-time codes by POSTing JSON to this SMS gateway webhook
        /// (http://host[:port]/path; its bearer token, if any, in XASO_SMS_WEBHOOK_TOKEN).
        /// Without it the codes go to the server log (demonstrations only).
        #[arg(long, env = "XASO_SMS_WEBHOOK")]
        sms_webhook: Option<String>,
        /// The address citizens and services reach this server at, when it is behind a proxy
        /// (https://xa.example.vn): the OpenID provider's issuer. By default the request's Host.
        #[arg(long, env = "XASO_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Build a deterministic synthetic commune (and sector lists with typing errors).
    Demo {
        #[command(flatten)]
        store: StoreArgs,
        /// Number of residents.
        #[arg(long, default_value_t = 30_000)]
        residents: usize,
        /// Seed: the same seed gives the same commune.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the sector lists (default DATA/lists).
        #[arg(long)]
        lists: Option<PathBuf>,
    },
    /// Import data into the store.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Export data from the store.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Match a sector list (CSV or XLSX) against the register: every row gets an outcome
    /// (matched, matched with corrections, to review, not in the register, deceased, moved
    /// away, duplicate, invalid) in a report that keeps the list's columns.
    Reconcile {
        #[command(flatten)]
        store: StoreArgs,
        /// The sector list (.csv or .xlsx).
        #[arg(long)]
        list: PathBuf,
        /// welfare, civil-status, land, school, health-insurance, sim, cadre or other.
        #[arg(long, default_value = "other")]
        kind: String,
        /// The report: .xlsx (colour-coded, with a summary sheet) or .csv.
        #[arg(long)]
        out: PathBuf,
        /// Name a column when its header is not recognised: FIELD=HEADER with FIELD one of
        /// name, dob, sex, id, phone, village (repeatable).
        #[arg(long = "column")]
        columns: Vec<String>,
    },
    /// The working-day calendar: days off, deadlines.
    Calendar {
        #[command(subcommand)]
        what: CalendarWhat,
    },
    /// Administration: tokens for systems.
    Admin {
        #[command(subcommand)]
        what: AdminWhat,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Load persons from CSV or XLSX (Vietnamese headers are recognised). All or nothing,
    /// unless --skip-invalid.
    Registry {
        #[command(flatten)]
        store: StoreArgs,
        /// The file (.csv or .xlsx).
        file: PathBuf,
        /// Import the valid rows and report the others, instead of importing nothing.
        #[arg(long)]
        skip_invalid: bool,
        /// Where to write the per-row error report (default FILE.errors.csv).
        #[arg(long)]
        errors: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ExportWhat {
    /// Write the register as CSV in the import format.
    Registry {
        #[command(flatten)]
        store: StoreArgs,
        /// Output file ("-" for standard output).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum CalendarWhat {
    /// The year's days off (public holidays and the days given for those on a weekend), as ISO
    /// dates, one a line.
    Holidays {
        #[arg(long)]
        year: i32,
    },
    /// The due date of a dossier received at a local time (Asia/Ho_Chi_Minh) with a deadline
    /// in working days (0 = within the day); received after 15:00 the clock starts the next
    /// working day.
    Due {
        /// YYYY-MM-DDTHH:MM, local time.
        #[arg(long)]
        received: String,
        #[arg(long)]
        working_days: u32,
    },
}

#[derive(Subcommand)]
enum AdminWhat {
    /// Bearer tokens for other systems.
    Token {
        #[command(subcommand)]
        what: TokenWhat,
    },
    /// Officers' accounts for the web pages.
    Officer {
        #[command(subcommand)]
        what: OfficerWhat,
    },
    /// Services (relying parties) that sign citizens in through the OpenID provider.
    OidcClient {
        #[command(subcommand)]
        what: OidcClientWhat,
    },
    /// The OpenID provider's signing keys.
    OidcKey {
        #[command(subcommand)]
        what: OidcKeyWhat,
    },
    /// Citizens' identity accounts.
    Citizen {
        #[command(subcommand)]
        what: CitizenWhat,
    },
}

#[derive(Subcommand)]
enum CitizenWhat {
    /// Create the account of a resident already in the register (for desks without a browser,
    /// and for tests); prints the one-time password alone on standard output (shown only once;
    /// it must be changed at the first sign-in). Level 2 records that the command line raised
    /// it, and when.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// The resident's 12-digit personal ID.
        #[arg(long)]
        personal_id: String,
        /// 1 or 2.
        #[arg(long, default_value_t = 1)]
        level: i32,
        /// The citizen's mobile phone (for recovering the account online).
        #[arg(long)]
        phone: Option<String>,
    },
}

#[derive(Subcommand)]
enum OfficerWhat {
    /// Create an officer; prints the one-time password alone on standard output (shown only
    /// once; it must be changed at the first login).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// 3–32 characters a–z, 0–9, '.', '_' or '-'.
        #[arg(long)]
        login: String,
        /// The officer's full name.
        #[arg(long)]
        name: String,
        /// admin, police, desk, justice, labour, land, leader or read-only.
        #[arg(long)]
        role: String,
    },
    /// List officers (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Give an officer a new one-time password (printed alone on standard output), re-enable
    /// the account, unlock it and end its sessions; the second factor is removed.
    ResetPassword {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        login: String,
    },
}

#[derive(Subcommand)]
enum OidcKeyWhat {
    /// A new signing key signs from now on; the previous one stays published (and accepted)
    /// for a while so that tokens already issued still verify. Prints {"kid": …}.
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum OidcClientWhat {
    /// Register a client; prints {"client_id":…,"client_secret":…} as JSON on standard output
    /// (the secret, for client_secret_basic only, is shown only once).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// The service's name, shown to citizens when they consent.
        #[arg(long)]
        name: String,
        /// A redirect URI, exactly as the service will send it (repeatable).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// client_secret_basic or private_key_jwt.
        #[arg(long, default_value = "client_secret_basic")]
        auth: String,
        /// The service's public keys (a JWKS file), for private_key_jwt.
        #[arg(long)]
        jwks: Option<PathBuf>,
        /// Scopes the service may ask for: openid, profile, personal_id, address, phone
        /// (repeatable or space-separated; openid is always included).
        #[arg(long = "scope", default_value = "openid profile")]
        scopes: Vec<String>,
        /// The lowest level of assurance accepted for this service: 1 or 2.
        #[arg(long, default_value_t = 1)]
        min_level: u8,
        /// Where logout may send the browser back (repeatable).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// Do not issue refresh tokens to this service.
        #[arg(long)]
        no_refresh_tokens: bool,
    },
}

/// "30m", "90s", "2h", "1d" (a bare number is minutes).
fn parse_duration(text: &str) -> Result<time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "m"),
    };
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and a unit, e.g. 30m, 90s, 2h"))?;
    let d = match unit {
        "s" => time::Duration::seconds(n),
        "m" => time::Duration::minutes(n),
        "h" => time::Duration::hours(n),
        "d" => time::Duration::days(n),
        other => return Err(format!("{other:?}: the unit is s, m, h or d")),
    };
    if d < time::Duration::seconds(1) {
        return Err("the duration must be at least 1s".into());
    }
    Ok(d)
}

#[derive(Subcommand)]
enum TokenWhat {
    /// Create a token; prints the token alone on standard output (it is shown only once).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        name: String,
        /// admin, police, desk, justice, labour, land, leader or read-only.
        #[arg(long)]
        role: String,
    },
    /// List tokens (names and roles, never the secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token; a running server refuses it within 30 seconds.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        name: String,
    },
}

/// Memory is allocated on one thread and freed on another all the time (the importer's rows,
/// the audit records handed to the writer thread); mimalloc frees those without the arena
/// locks of the system allocator (an import of 1,000,000 persons: 21.7 s → 15.3 s). It keeps
/// more freed memory for reuse: the server's own memory after the benchmark is higher (README).
/// `--no-default-features` builds with the system allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xaso: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("XASO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve {
            store,
            listen,
            demo,
            plain_http,
            session_idle,
            sms_webhook,
            public_url,
        } => {
            if let Some(url) = sms_webhook {
                let token = std::env::var("XASO_SMS_WEBHOOK_TOKEN").ok();
                let sender = xaso_web::citizen::code::WebhookSender::new(&url, token)
                    .map_err(|e| format!("--sms-webhook: {e}"))?;
                if xaso_web::citizen::code::install_sender(std::sync::Arc::new(sender)).is_err() {
                    return Err("--sms-webhook: a code sender is already installed".into());
                }
            }
            let public_url = public_url
                .map(|u| {
                    xaso_identity::oidc::discovery::Issuer::parse(u.trim_end_matches('/'))
                        .map_err(|e| format!("--public-url {u:?}: {e}"))
                })
                .transpose()?;
            serve(&store, &listen, demo, plain_http, session_idle, public_url)
        }
        Command::Demo {
            store,
            residents,
            seed,
            lists,
        } => {
            let db = store.open()?;
            let lists = lists.unwrap_or_else(|| store.data.join("lists"));
            build_demo(db.as_ref(), residents, seed, &lists)
        }
        Command::Import {
            what:
                ImportWhat::Registry {
                    store,
                    file,
                    skip_invalid,
                    errors,
                },
        } => {
            let db = store.open()?;
            let report = errors.unwrap_or_else(|| {
                let mut p = file.clone().into_os_string();
                p.push(".errors.csv");
                PathBuf::from(p)
            });
            import::import_registry(db.as_ref(), &file, skip_invalid, &report, &cli_actor())
        }
        Command::Export {
            what: ExportWhat::Registry { store, out },
        } => {
            let db = store.open()?;
            export_registry(db.as_ref(), &out)
        }
        Command::Reconcile {
            store,
            list,
            kind,
            out,
            columns,
        } => {
            const KINDS: [&str; 8] = [
                "welfare",
                "civil-status",
                "land",
                "school",
                "health-insurance",
                "sim",
                "cadre",
                "other",
            ];
            if !KINDS.contains(&kind.as_str()) {
                return Err(format!("--kind {kind:?}: use one of {}", KINDS.join(", ")));
            }
            let overrides = columns
                .iter()
                .map(|c| reconcile::parse_override(c))
                .collect::<Result<Vec<_>, _>>()?;
            let db = store.open()?;
            reconcile::reconcile(
                db.as_ref(),
                &reconcile::ReconcileArgs {
                    list: &list,
                    kind: &kind,
                    out: &out,
                    overrides,
                    actor: cli_actor(),
                },
            )
        }
        Command::Calendar { what } => {
            let text = match what {
                CalendarWhat::Holidays { year } => calendar_cmd::holidays(year)?,
                CalendarWhat::Due {
                    received,
                    working_days,
                } => calendar_cmd::due(&received, working_days)?,
            };
            print!("{text}");
            Ok(())
        }
        Command::Admin {
            what: AdminWhat::Officer { what },
        } => officer_command(what),
        Command::Admin {
            what:
                AdminWhat::Citizen {
                    what:
                        CitizenWhat::Create {
                            store,
                            personal_id,
                            level,
                            phone,
                        },
                },
        } => {
            let db = store.open()?;
            let one_time = create_citizen(db.as_ref(), &personal_id, level, phone.as_deref())?;
            println!("{one_time}");
            Ok(())
        }
        Command::Admin {
            what: AdminWhat::OidcClient { what },
        } => oidc_client_command(what),
        Command::Admin {
            what:
                AdminWhat::OidcKey {
                    what: OidcKeyWhat::Rotate { store },
                },
        } => {
            let db = store.open()?;
            let kid = xaso_web::oidc::keys::rotate(db.as_ref(), time::OffsetDateTime::now_utc())?;
            audit_cli(
                db.as_ref(),
                "oidc_key.rotate",
                "admin oidc-key rotate",
                Some(format!("new kid {kid}")),
            )?;
            println!("{}", serde_json::json!({ "kid": kid }));
            Ok(())
        }
        Command::Admin {
            what: AdminWhat::Token { what },
        } => match what {
            TokenWhat::Create { store, name, role } => {
                let db = store.open()?;
                let secret = create_token(db.as_ref(), &name, &role)?;
                println!("{secret}");
                Ok(())
            }
            TokenWhat::Revoke { store, name } => {
                let db = store.open()?;
                db.revoke_token(&name).map_err(|e| format!("--name: {e}"))?;
                audit_cli(
                    db.as_ref(),
                    "token.revoke",
                    "admin token revoke",
                    Some(format!("token {name:?}")),
                )?;
                eprintln!("token {name:?} revoked");
                Ok(())
            }
            TokenWhat::List { store } => {
                let db = store.open()?;
                for t in db.list_tokens().map_err(|e| e.to_string())? {
                    println!(
                        "{}\t{}\t{}{}",
                        t.name,
                        t.role,
                        t.created_at,
                        if t.revoked { "\trevoked" } else { "" }
                    );
                }
                Ok(())
            }
        },
    }
}

/// Who runs a command, for the audit log.
fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

fn audit_cli(
    db: &dyn Store,
    action: &str,
    command: &str,
    reason: Option<String>,
) -> Result<(), String> {
    let mut record = AuditRecord::now(&cli_actor(), "cli", action, command);
    record.reason = reason;
    db.append_audit(&[record])
        .map_err(|e| format!("cannot write the audit log: {e}"))
}

fn create_token(db: &dyn Store, name: &str, role: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err("--name: a token name is 1–100 characters".into());
    }
    let role = Role::parse(role).ok_or_else(|| {
        format!(
            "--role: {role:?} is not a role; use one of {}",
            Role::ALL.map(|r| r.as_str()).join(", ")
        )
    })?;
    let token = xaso_identity::new_token().map_err(|e| e.to_string())?;
    db.insert_token(&ApiTokenRecord {
        name: name.to_string(),
        role: role.as_str().to_string(),
        token_hash: token.hash,
        created_at: xaso_store::now_rfc3339(),
        revoked: false,
    })
    .map_err(|e| e.to_string())?;
    audit_cli(
        db,
        "token.create",
        "admin token create",
        Some(format!("token {name:?} with role {role}")),
    )?;
    Ok(token.secret)
}

fn build_demo(db: &dyn Store, residents: usize, seed: u64, lists: &Path) -> Result<(), String> {
    let existing = db.count_persons().map_err(|e| e.to_string())?;
    if existing > 0 {
        return Err(format!(
            "the register already holds {existing} persons; build the demo into an empty --data directory"
        ));
    }
    let started = std::time::Instant::now();
    let opts = xaso_demo::DemoOptions {
        residents,
        seed,
        ..xaso_demo::DemoOptions::default()
    };
    eprintln!("building the demo commune ({residents} residents, seed {seed})…");
    let commune = xaso_demo::generate(&opts);
    let summary = load_commune(db, &commune)?;
    std::fs::create_dir_all(lists).map_err(|e| format!("{}: {e}", lists.display()))?;
    let written = xaso_demo::write_sector_lists(&commune, lists, seed)
        .map_err(|e| format!("cannot write the sector lists to {}: {e}", lists.display()))?;
    let samples = xaso_demo::write_card_qr_samples(lists, &commune, 10).map_err(|e| {
        format!(
            "cannot write the card QR samples to {}: {e}",
            lists.display()
        )
    })?;
    db.set_meta("commune_code", &commune.commune_code)
        .and_then(|_| db.set_meta("commune_name", &commune.commune_name))
        .and_then(|_| db.set_meta("demo_seed", &seed.to_string()))
        .map_err(|e| e.to_string())?;
    audit_cli(
        db,
        "register.demo",
        "demo",
        Some(format!("{} synthetic persons", summary.persons)),
    )?;
    eprintln!(
        "{}: {} persons, {} households, {} residence events in {:.1}s",
        commune.commune_name,
        summary.persons,
        summary.households,
        summary.events,
        started.elapsed().as_secs_f64()
    );
    for list in written {
        eprintln!(
            "  sector list {:<17} {:>6} rows  {}",
            list.kind,
            list.rows,
            list.path.display()
        );
    }
    eprintln!("  card QR samples (desk)         {}", samples.display());
    Ok(())
}

fn load_commune(
    db: &dyn Store,
    commune: &xaso_demo::DemoCommune,
) -> Result<xaso_store::LoadSummary, String> {
    let persons = commune
        .persons
        .iter()
        .enumerate()
        .map(|(i, p)| LoadItem::person(i + 1, p.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let mut items = persons
        .into_iter()
        .chain(commune.households.iter().cloned().map(LoadItem::Household))
        .chain(commune.events.iter().cloned().map(LoadItem::ResidenceEvent));
    let change = ChangeMeta {
        actor: cli_actor(),
        reason: Some("synthetic demo commune".into()),
    };
    let mut conflicts_seen = Vec::new();
    let summary = db
        .load(&mut items, &change, &mut |c| {
            conflicts_seen = c.to_vec();
            c.is_empty()
        })
        .map_err(|e| e.to_string())?;
    if let Some(c) = conflicts_seen.first() {
        return Err(format!(
            "the demo commune conflicts with the register (person {} : {}); nothing was loaded",
            c.line, c.rule
        ));
    }
    Ok(summary)
}

fn export_registry(db: &dyn Store, out: &Path) -> Result<(), String> {
    let to_stdout = out.as_os_str() == "-";
    let sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(out)
                .map_err(|e| format!("cannot create {}: {e}", out.display()))?,
        )
    };
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(sink));
    w.write_record(import::REGISTER_HEADERS)
        .map_err(|e| e.to_string())?;
    let mut n = 0u64;
    db.for_each_person(&mut |p| {
        w.write_record(xaso_domain::register::file_row(&p.person))
            .map_err(|e| xaso_store::StoreError::Database(format!("write failed: {e}")))?;
        n += 1;
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    w.flush().map_err(|e| e.to_string())?;
    audit_cli(
        db,
        "register.export",
        "export registry",
        Some(format!("exported {n} persons")),
    )?;
    if !to_stdout {
        eprintln!("exported {n} persons to {}", out.display());
    }
    Ok(())
}

fn officer_command(what: OfficerWhat) -> Result<(), String> {
    match what {
        OfficerWhat::Create {
            store,
            login,
            name,
            role,
        } => {
            let db = store.open()?;
            let role = parse_role(&role)?;
            let (record, one_time) = xaso_web::pages::officers::new_officer(&login, &name, role)?;
            db.insert_officer(&record)
                .map_err(|e| format!("--login: {e}"))?;
            audit_cli(
                db.as_ref(),
                "officer.create",
                "admin officer create",
                Some(format!("officer {:?} with role {role}", record.login)),
            )?;
            println!("{one_time}");
            Ok(())
        }
        OfficerWhat::List { store } => {
            let db = store.open()?;
            for o in db.list_officers().map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}{}{}",
                    o.login,
                    o.role,
                    o.display_name,
                    if o.disabled { "\tdisabled" } else { "" },
                    if o.totp_secret.is_some() {
                        "\ttotp"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        OfficerWhat::ResetPassword { store, login } => {
            let db = store.open()?;
            let login = login.trim().to_lowercase();
            let one_time = reset_officer(db.as_ref(), &login)?;
            println!("{one_time}");
            Ok(())
        }
    }
}

fn oidc_client_command(what: OidcClientWhat) -> Result<(), String> {
    use xaso_identity::oidc::{Loa, Scope, ScopeSet};
    use xaso_web::oidc::clients::{register_client, AuthChoice, NewClient};
    let OidcClientWhat::Create {
        store,
        name,
        redirect_uris,
        auth,
        jwks,
        scopes,
        min_level,
        post_logout_redirect_uris,
        no_refresh_tokens,
    } = what;
    let auth = match (auth.as_str(), jwks) {
        ("client_secret_basic", None) => AuthChoice::SecretBasic,
        ("client_secret_basic", Some(_)) => {
            return Err("--jwks: only for --auth private_key_jwt".into())
        }
        ("private_key_jwt", Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("--jwks {}: {e}", path.display()))?;
            let jwks = xaso_identity::oidc::jws::Jwks::parse(&text)
                .map_err(|e| format!("--jwks {}: {e}", path.display()))?;
            AuthChoice::PrivateKeyJwt(jwks)
        }
        ("private_key_jwt", None) => {
            return Err("--jwks: private_key_jwt needs the service's public keys".into())
        }
        (other, _) => {
            return Err(format!(
                "--auth {other:?}: use client_secret_basic or private_key_jwt"
            ))
        }
    };
    let mut scope_set = Vec::new();
    for s in scopes.iter().flat_map(|s| s.split([' ', ','])) {
        if s.is_empty() {
            continue;
        }
        scope_set.push(Scope::parse(s).ok_or_else(|| {
            format!("--scope {s:?}: use openid, profile, personal_id, address or phone")
        })?);
    }
    let minimum_level = match min_level {
        1 => Loa::Level1,
        2 => Loa::Level2,
        n => return Err(format!("--min-level {n}: the level is 1 or 2")),
    };
    let db = store.open()?;
    let registered = register_client(
        db.as_ref(),
        NewClient {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            auth,
            scopes: ScopeSet::new(scope_set),
            minimum_level,
            refresh_tokens: !no_refresh_tokens,
            sector_identifier: None,
        },
        &cli_actor(),
    )?;
    let client_id = registered.client.client.client_id.clone();
    audit_cli(
        db.as_ref(),
        "oidc_client.create",
        "admin oidc-client create",
        Some(format!("client {client_id:?}")),
    )?;
    let mut out = serde_json::json!({ "client_id": client_id });
    if let Some(secret) = registered.secret {
        out["client_secret"] = serde_json::Value::String(secret);
    }
    println!("{out}");
    Ok(())
}

/// A citizen's account with a one-time password (returned, to print); audited.
fn create_citizen(
    db: &dyn Store,
    personal_id: &str,
    level: i32,
    phone: Option<&str>,
) -> Result<String, String> {
    let evidence = (level == 2).then(|| {
        serde_json::json!({
            "by": "cli",
            "actor": cli_actor(),
            "at": xaso_store::now_rfc3339(),
        })
        .to_string()
    });
    let new = xaso_web::citizen::create_account(db, personal_id.trim(), level, phone, evidence)
        .map_err(|e| match e.field {
            "store" => e.message,
            field => format!("--{}: {}", field.replace('_', "-"), e.message),
        })?;
    let mut record = AuditRecord::now(
        &cli_actor(),
        "cli",
        "citizen.create",
        "admin citizen create",
    );
    record.subject = Some(new.account.personal_id.clone());
    record.reason = Some(format!("account at level {level}"));
    db.append_audit(&[record])
        .map_err(|e| format!("cannot write the audit log: {e}"))?;
    Ok(new.one_time_password)
}

fn parse_role(role: &str) -> Result<Role, String> {
    Role::parse(role).ok_or_else(|| {
        format!(
            "--role: {role:?} is not a role; use one of {}",
            Role::ALL.map(|r| r.as_str()).join(", ")
        )
    })
}

/// A new one-time password for an officer, who is re-enabled, unlocked and logged out.
fn reset_officer(db: &dyn Store, login: &str) -> Result<String, String> {
    let mut record = db
        .get_officer(login)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("--login: no officer {login:?}"))?;
    let one_time =
        xaso_identity::password::generate_one_time_password().map_err(|e| e.to_string())?;
    record.password_hash =
        xaso_identity::password::hash_password(&one_time).map_err(|e| e.to_string())?;
    record.must_change_password = true;
    record.disabled = false;
    record.totp_secret = None;
    record.totp_last_step = None;
    record.login_attempts = "{}".into();
    record.updated_at = xaso_store::now_rfc3339();
    db.update_officer(&record).map_err(|e| e.to_string())?;
    db.delete_sessions_of(login).map_err(|e| e.to_string())?;
    audit_cli(
        db,
        "officer.reset",
        "admin officer reset-password",
        Some(format!("officer {login:?}")),
    )?;
    Ok(one_time)
}

/// On first run (no officer yet) creates the administrator `admin` and returns the one-time
/// password to print.
fn first_admin(db: &dyn Store) -> Result<Option<String>, String> {
    if db.count_officers().map_err(|e| e.to_string())? > 0 {
        return Ok(None);
    }
    let (record, one_time) =
        xaso_web::pages::officers::new_officer("admin", "Quản trị viên", Role::Admin)?;
    db.insert_officer(&record).map_err(|e| e.to_string())?;
    audit_cli(
        db,
        "officer.create",
        "serve (first run)",
        Some("officer \"admin\" with role admin".into()),
    )?;
    Ok(Some(one_time))
}

fn serve(
    store: &StoreArgs,
    listen: &str,
    demo: bool,
    plain_http: bool,
    session_idle: time::Duration,
    public_url: Option<xaso_identity::oidc::discovery::Issuer>,
) -> Result<(), String> {
    let db: Arc<dyn Store> = Arc::from(store.open()?);
    let mut admin_login = None;
    if demo {
        if db
            .get_meta("demo_seed")
            .map_err(|e| e.to_string())?
            .is_none()
            && db.count_persons().map_err(|e| e.to_string())? == 0
        {
            build_demo(db.as_ref(), 30_000, 1, &store.data.join("lists"))?;
        }
        admin_login = Some(demo_admin_token(db.as_ref(), &store.data)?);
    }
    let first_password = first_admin(db.as_ref())?;
    let mut config = xaso_web::WebConfig {
        secure_cookies: !plain_http,
        public_url,
        ..xaso_web::WebConfig::default()
    };
    config.session.idle_timeout = session_idle;
    if demo {
        config.demo_cards = demo_cards(&store.data);
    }
    // Store calls are blocking (the PostgreSQL client runs its own runtime), so none may run
    // inside the async block below; handlers use the blocking pool.
    let persons = db.count_persons().map_err(|e| e.to_string())?;
    db.prepare_to_serve().map_err(|e| e.to_string())?;
    let backend = db.backend();
    let state = xaso_web::AppState::with_config(db, config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("Xã số đang chạy tại / is running at http://{addr}/");
        println!("  cơ sở dữ liệu / database: {backend} ({persons} persons)");
        println!("  API: http://{addr}/api/openapi.json");
        match &first_password {
            Some(password) => println!(
                "  đăng nhập / log in: admin, mật khẩu dùng một lần / one-time password: {password}"
            ),
            None => println!(
                "  đăng nhập / log in: http://{addr}/login (quên mật khẩu / forgot: xaso admin officer reset-password --login admin)"
            ),
        }
        if let Some(token) = &admin_login {
            println!("  API bearer token (admin): {token}");
            println!("  thử / try: curl -H 'Authorization: Bearer {token}' 'http://{addr}/api/v1/persons?q=nguyen+van+an'");
        }
        let _ = std::io::stdout().flush();
        xaso_web::serve(listener, state)
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    })
}

/// Sample card payloads the demo wrote, for the desk page.
fn demo_cards(data: &Path) -> Vec<String> {
    std::fs::read_to_string(data.join("lists").join(xaso_demo::CARD_QR_SAMPLES_FILE))
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The demo's admin token is kept in a file beside the demo data so every `serve --demo` can
/// print it; a real deployment creates tokens with `xaso admin token create` and keeps none.
fn demo_admin_token(db: &dyn Store, data: &Path) -> Result<String, String> {
    let path = data.join("demo-admin-token.txt");
    if let Ok(secret) = std::fs::read_to_string(&path) {
        let secret = secret.trim().to_string();
        if db
            .find_token(&xaso_identity::hash_token(&secret))
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Ok(secret);
        }
    }
    let name = format!("demo-admin-{}", xaso_store::now_rfc3339());
    let secret = create_token(db, &name, "admin")?;
    std::fs::create_dir_all(data).map_err(|e| format!("{}: {e}", data.display()))?;
    write_private(&path, &secret).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(secret)
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    writeln!(f, "{content}")
}
