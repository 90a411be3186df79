//! The command line, written for the person who runs the office's server: every command and
//! option says in plain words what it does.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "enamel",
    version,
    about = "Enamel: the practice server for dental offices, with patient records kept encrypted and every access logged.",
    long_about = "Enamel keeps a dental office's patient records encrypted, logs every access in a \
                  tamper-evident audit log, and serves them over HTTPS.\n\n\
                  To try it:     enamel demo\n\
                  To set up:     enamel init --practice-name \"Your Practice\", then enamel serve",
    after_help = "Exit status: 0 when done, 1 when something stopped the command (the message says what), \
                  2 when `enamel audit verify` found a problem in the audit log. \
                  `enamel import patients --help` and `enamel import procedure-codes --help` explain \
                  the imports' own exit status."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Folder where Enamel keeps its database, keys and certificates.
    #[arg(long, global = true, value_name = "DIR", env = "ENAMEL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Settings file (TOML). See config.example.toml for every setting.
    #[arg(long, global = true, value_name = "FILE", env = "ENAMEL_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try Enamel: set up a demo practice with made-up patients and start the server.
    Demo(DemoArgs),
    /// Start the server.
    Serve(ServeArgs),
    /// Set up a new practice: keys, certificate, database, and the practice itself.
    Init(InitArgs),
    /// Bring the database up to date with this version of Enamel.
    Migrate,
    /// Check or sign the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Rotate, inspect or retire encryption keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Bring records over from another system: patients, and the practice's procedure codes
    /// (see `enamel import patients --help` and `enamel import procedure-codes --help`).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Help a staff member back in when no administrator of their practice may.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Print a single-use link for a staff member to choose a new password (valid for one
    /// hour). For the accounts a practice administrator may not reset, such as the compliance
    /// officer's. The link is shown once: hand it to the person, not by e-mail.
    ResetLink {
        /// The practice (its id; `enamel keys status` lists them).
        #[arg(long, value_name = "ID")]
        practice: String,
        /// The person's username.
        #[arg(long, value_name = "USERNAME")]
        username: String,
        /// The phone is lost: their authenticator, recovery codes and password stop working
        /// now, and they set up a new authenticator at their next sign-in.
        #[arg(long)]
        second_factor: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on, e.g. 0.0.0.0:8443 (default 127.0.0.1:8443).
    #[arg(long, value_name = "ADDR", env = "ENAMEL_LISTEN")]
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Args)]
// `enamel demo` alone starts the demo, as it always did; `enamel demo code USERNAME` takes
// none of the server's options.
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub command: Option<DemoCommand>,
    #[command(flatten)]
    pub serve: ServeArgs,
    /// The demo practice's time zone, an IANA name such as America/New_York (default: this
    /// computer's zone, or UTC when it has no such name). Used when the demo practice is
    /// first created.
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DemoCommand {
    /// Print the current 6-digit sign-in code of a demo account.
    ///
    /// Use it in place of an authenticator app, in another terminal while the demo runs (same
    /// --data-dir). Only for the demo practice that `enamel demo` set up: a real practice's
    /// staff use their own authenticator app.
    Code {
        /// The demo account, as `enamel demo` lists them: for example front-desk.
        #[arg(value_name = "USERNAME")]
        username: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The office's name as patients know it (not patient information).
    #[arg(long, value_name = "NAME")]
    pub practice_name: String,
    /// Username of the practice's first administrator.
    #[arg(long, value_name = "USERNAME", default_value = "admin")]
    pub admin_username: String,
    /// The first administrator's name as colleagues know it.
    #[arg(long, value_name = "NAME", default_value = "Practice administrator")]
    pub admin_name: String,
    /// Where the office is, as an IANA time zone name such as America/New_York or
    /// Europe/London. "Today", patients' ages and the times on pages follow it. Default: this
    /// computer's zone, or UTC when it has no such name. An administrator can change it later
    /// in Practice settings.
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every audit log's hash chain and tree with the public key alone (each
    /// practice's log, the server log, and the legacy log of older releases), and check every
    /// signed checkpoint. Names the log and its first bad entry if anything was changed,
    /// removed, reordered or inserted. Exits with 2 on any problem.
    Verify(VerifyArgs),
    /// Sign the current end of every audit log that grew, and store the checkpoints (and copy
    /// them to the witness folder, if one is set). Refuses, and exits with 1 naming the log,
    /// when a log no longer extends what this signer signed before.
    Checkpoint {
        /// Folder that also receives the checkpoint (overrides audit.witness_dir).
        #[arg(long, value_name = "DIR")]
        witness_dir: Option<PathBuf>,
    },
    /// Check a proof printed by `audit verify --inclusion/--consistency`, with the public key
    /// alone (no database needed).
    CheckProof {
        /// The proof file (JSON).
        #[arg(value_name = "PROOF")]
        proof: PathBuf,
        /// The public key file (default: audit.public_key_file).
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("one_log").args(["practice", "log"])))]
pub struct VerifyArgs {
    /// The public key file to check signatures with (default: audit.public_key_file).
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// Verify only this practice's log (`practice:ID`), reading none of the other logs.
    #[arg(long, value_name = "ID", conflicts_with = "log")]
    pub practice: Option<String>,
    /// Verify only this log: `server`, `legacy` or `practice:ID`.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// Print the result as JSON: {"ok", "logs": [{"log", "entries", "checkpoints", "ok",
    /// "first_bad_entry"}]}.
    #[arg(long)]
    pub json: bool,
    /// Also check every checkpoint note in this folder (a witness copy): each must still be in
    /// the database, and the log must still hold the entries it signed.
    #[arg(long, value_name = "DIR")]
    pub witness_dir: Option<PathBuf>,
    /// Also print a proof that entry SEQ is in the log at the smallest checkpoint covering it.
    /// Needs one log: --practice ID or --log NAME.
    #[arg(long, value_name = "SEQ", requires = "one_log")]
    pub inclusion: Option<u64>,
    /// Also print a proof that checkpoint OLD is a prefix of checkpoint NEW (sizes, e.g.
    /// 100:250). Needs one log: --practice ID or --log NAME.
    #[arg(long, value_name = "OLD:NEW", requires = "one_log")]
    pub consistency: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new data-key version and re-encrypt every record with it (reads and writes keep
    /// working meanwhile). With --kek, instead re-wrap the data keys under a new key-encryption key.
    Rotate(RotateArgs),
    /// Show key versions and how many records use each.
    Status {
        /// Only this practice (its id).
        #[arg(long, value_name = "ID")]
        practice: Option<String>,
    },
    /// Make key versions older than VERSION unusable, once no record needs them.
    Retire {
        /// The oldest version that stays usable.
        #[arg(long, value_name = "VERSION")]
        below: i64,
        /// Only this practice (its id).
        #[arg(long, value_name = "ID")]
        practice: Option<String>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct RotateArgs {
    /// Rotate the key-encryption key in the key file and re-wrap every data key under it.
    #[arg(long, conflicts_with = "resume")]
    pub kek: bool,
    /// Do not make a new version; finish re-encrypting to the current one.
    #[arg(long)]
    pub resume: bool,
    /// Only this practice (its id).
    #[arg(long, value_name = "ID")]
    pub practice: Option<String>,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import patients from a CSV file exported by your previous system.
    #[command(
        long_about = "Import patients from a CSV file exported by your previous system.\n\n\
            Every row is checked first. Rows with a problem are not imported and are listed \
            by line number and column, with what is wrong; the patient information in them \
            is never shown or written anywhere. The other rows are saved in batches: a batch \
            is saved whole or not at all (for example, a chart number already used in Enamel \
            refuses its batch), and a batch that fails does not undo the others. \
            Try it first with --dry-run, which checks every row and saves nothing (a chart \
            number already used in Enamel is found only when its batch is saved, so a dry \
            run does not catch it).\n\n\
            The file: UTF-8 text (Excel: \"CSV UTF-8\"), commas between values, and a first \
            line naming the columns. Values with commas, quotes or line breaks go in double \
            quotes. Dates are written YYYY-MM-DD. Columns may come in any order; leave out \
            the ones you do not have. A column not in this list refuses the whole file.\n\n\
            Required: family_name, given_name, birth_date\n\
            Person: middle_name, preferred_name, sex, gender_identity, preferred_language, \
            chart_number, status\n\
            Contact: email, phone_mobile, phone_home, phone_work, address_line1, \
            address_line2, city, region, postal_code, country, emergency_contact_name, \
            emergency_contact_relationship, emergency_contact_phone\n\
            Insurance (primary_… and secondary_…): primary_carrier, primary_plan, \
            primary_group_number, primary_subscriber_id, primary_subscriber_relationship, \
            primary_subscriber_name, primary_subscriber_birth_date, and the same with \
            secondary_\n\
            Family: guarantor_chart_number, the chart number of the person who pays: \
            another row of the file or a patient already in Enamel. Guarantors are imported \
            before the people they pay for.\n\n\
            Every imported patient is recorded in the audit log as created by the import.",
        after_help = "Exit status: 0 when every row was imported; 1 when some rows were \
            rejected (the others were imported, or with --dry-run would be); 2 when the file \
            could not be read or its columns are wrong (nothing was imported), or the import \
            could not run (the message says why).\n\n\
            Example: enamel import patients patients.csv --dry-run --report rejected.csv"
    )]
    Patients(ImportPatientsArgs),
    /// Import the practice's procedure codes and fees (its own licensed code list) from a CSV
    /// file.
    #[command(
        name = "procedure-codes",
        long_about = "Import the practice's procedure codes and fees from a CSV file: the \
            list the practice is licensed to use (Enamel ships no CDT codes), or its own \
            local codes.\n\n\
            Every row is checked first. The list is imported whole or not at all: if any row \
            has a problem, nothing is saved, and every rejected row is listed by line number \
            and column, with what is wrong (never the value). A code already in Enamel is \
            replaced: it gets the file's description, area type and fee (procedures already \
            charted keep the description they were charted with). Codes not in the file are \
            kept. Try it first with --dry-run, which checks everything and saves nothing.\n\n\
            The file: UTF-8 text (Excel: \"CSV UTF-8\"), commas between values, and a first \
            line naming the columns, in any order. Values with commas, quotes or line breaks \
            go in double quotes. A column not in this list refuses the whole file.\n\n\
            Required: code (1 to 15 letters or digits; a dot or hyphen may separate them), \
            description (up to 200 characters), area_type (what the code is done on: mouth, \
            arch, quadrant, sextant, tooth, surface or tooth_range)\n\
            Optional: default_fee (an amount such as 125.00; 0 when left out or blank)\n\n\
            The import is recorded in the audit log as one entry, with how many codes were \
            added and replaced.",
        after_help = "Exit status: 0 when the list was imported (or, with --dry-run, would \
            be); 1 when rows were rejected (nothing was imported); 2 when the file could not \
            be read or its columns are wrong, or the import could not run (the message says \
            why; nothing was imported).\n\n\
            Example: enamel import procedure-codes codes.csv --dry-run --report rejected.csv"
    )]
    ProcedureCodes(ImportCodesArgs),
}

/// The options every import takes.
#[derive(Debug, Clone, Args)]
pub struct ImportOptions {
    /// The practice to import into (its id; `enamel keys status` lists them). Needed only
    /// when this server holds more than one practice.
    #[arg(long, value_name = "ID")]
    pub practice: Option<String>,
    /// Check every row and report the problems, but save nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the rejected rows to this file (CSV: line, column, problem; never the values),
    /// readable by you only. Without it, the first rejected rows are listed on screen.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportPatientsArgs {
    /// The CSV file to import.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    #[command(flatten)]
    pub options: ImportOptions,
    /// How many patients are saved together; each batch is saved whole or not at all.
    #[arg(long, value_name = "N", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch_size: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ImportCodesArgs {
    /// The CSV file to import.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    #[command(flatten)]
    pub options: ImportOptions,
}
