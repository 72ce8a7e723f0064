//! `paraakh`: the command-line face of Paraakh Secure Exam.
//!
//! Exit codes (a public contract): 0 ok, 1 the thing checked is bad
//! (tampered, violation found) or a refusal about the input, 2 usage or I/O
//! error. `--json` prints one JSON document on stdout; messages go to
//! stderr. The grammar (one meaning per flag, one duration syntax, old
//! spellings kept as hidden aliases) is written down in docs/cli.md.

#[cfg(feature = "capture")]
mod capture_cmd;
mod centre_cmd;
#[cfg(feature = "check")]
mod check_cmd;
#[cfg(feature = "detect")]
mod detect_cmd;
mod exam_cmd;
mod grammar;
#[cfg(feature = "ingest")]
mod ingest_cmd;
mod keys_cmd;
mod manual;
mod policy_cmd;
mod render;
mod review_cmd;
#[cfg(feature = "check")]
mod session_cmd;
mod simulate_cmd;
#[cfg(feature = "sync")]
mod sync_cmd;
mod verify_cmd;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

/// Paraakh Secure Exam: verify evidence, simulate sessions, manage tenant keys.
#[derive(Debug, Parser)]
#[command(name = "paraakh", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a session directory completely and say who vouches for it (exit 0 intact and witnessed, 1 altered, incomplete or not witnessed, 2 error).
    Verify(VerifyArgs),
    /// The reviewer's report of a verified session (one self-contained HTML page, or JSON), signed decisions and reviewer keys (exit 0 report made from intact evidence, 1 made but the evidence is not intact, 2 error).
    Review(review_cmd::ReviewCommand),
    /// Sessions without the desktop app.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Tenant key sets.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Exam policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Sign tenant artefacts with the tenant's signing key.
    #[command(subcommand)]
    Sign(SignCommand),
    /// Exam packages.
    #[command(subcommand)]
    Exam(ExamCommand),
    /// Cameras, microphones and screens: list them, and check them with a one-off capture.
    #[cfg(feature = "capture")]
    #[command(subcommand)]
    Capture(capture_cmd::CaptureCommand),
    /// The system check before an exam: devices, displays, virtual machine, remote access, programs to close (exit 0 ready, 1 something blocks the start).
    #[cfg(feature = "check")]
    Check(check_cmd::CheckArgs),
    /// Upload session directories to the tenant's backend, or with --all every session in the data directory, then apply retention (exit 0 when all is acknowledged, 1 when something waits).
    #[cfg(feature = "sync")]
    Sync(sync_cmd::SyncArgs),
    /// The reference backend: serve the upload protocol, issue tokens, export sessions.
    #[cfg(feature = "ingest")]
    #[command(subcommand)]
    Ingest(ingest_cmd::IngestCommand),
    /// On-device face and voice detection.
    #[cfg(feature = "detect")]
    #[command(subcommand)]
    Detect(detect_cmd::DetectCommand),
    /// A proctoring centre's exam station: set up from /etc/paraakh/centre.toml, undone in one command.
    #[command(subcommand)]
    Centre(centre_cmd::CentreCommand),
    /// The command line's own grammar: the command tree, and how a command line parses.
    #[command(subcommand, hide = true)]
    Grammar(grammar::GrammarCommand),
}

impl Command {
    /// Old spellings that are flags of their own (not aliases) folded into
    /// the new ones, so both mean the same from here on.
    fn resolve(&mut self) {
        match self {
            #[cfg(feature = "check")]
            Command::Check(args) => args.resolve(),
            #[cfg(feature = "ingest")]
            Command::Ingest(cmd) => cmd.resolve(),
            _ => {}
        }
    }
}

#[derive(Debug, Subcommand)]
enum ExamCommand {
    /// Verify an exam package (exit 1 if it is not signed by a trusted key or is altered) and, with a start code, unlock it.
    Show(exam_cmd::ShowArgs),
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Print the effective policy (preset + overrides) in plain words; exit 1 if it is invalid.
    Show(policy_cmd::ShowArgs),
    /// Make a proctor code (or hash your own from stdin) and print the `[proctor]` lines for the policy.
    ProctorCode(policy_cmd::ProctorCodeArgs),
}

#[derive(Debug, Subcommand)]
enum SignCommand {
    /// Validate a policy file and sign it (a DSSE envelope) with signing.key (exit 1 if it is invalid: nothing is signed).
    Policy(policy_cmd::SignArgs),
    /// Package and sign an exam directory (exam.toml + signed policy), its questions encrypted until the start (exit 1 if the exam is refused: nothing is packaged).
    Exam(exam_cmd::SignArgs),
    /// Sign a proctoring centre's launch file with the centre's key, trusted through centre_keys in the managed configuration (exit 1 if it is not TOML).
    Launch(policy_cmd::SignArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The session directory (as recorded, or as exported to an auditor).
    dir: PathBuf,
    /// The tenant's encryption secret key (encryption.key): decrypt every blob and answer and compare.
    #[arg(long, value_name = "FILE")]
    tenant_key: Option<PathBuf>,
    /// The backend's cosigning key you trust (a vkey file): receipts and the session statement are checked against it, and only it makes evidence witnessed.
    #[arg(long, value_name = "FILE")]
    backend_key: Option<PathBuf>,
    /// Accept evidence only the candidate's machine vouches for (exit 0 if nothing else is wrong; the report still says which records it is).
    #[arg(long)]
    accept_machine_attested: bool,
    /// A reviewer key you trust (a .pub file; repeat for each): review decisions signed by other keys are findings.
    #[arg(long, value_name = "FILE")]
    reviewer_key: Vec<PathBuf>,
    /// Another copy of the same session (the backend's export, or the candidate's copy): a different history is reported as a fork.
    #[arg(long, value_name = "DIR")]
    against: Option<PathBuf>,
    /// How long a record may wait for the backend's receipt and still count as witnessed (longer: witnessed late, the machine was offline).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = grammar::duration)]
    max_receipt_delay: Duration,
    /// Print one JSON document instead of the report.
    #[arg(long)]
    json: bool,
    /// Threads for blob checks (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0, hide = true)]
    threads: usize,
}

#[derive(Debug, Subcommand)]
enum SessionCommand {
    /// Record a synthetic but fully real session (real keys, signatures, encryption, receipts).
    Simulate(Box<simulate_cmd::SimulateArgs>),
    /// Run a proctoring session headless, with real devices or replay sources (an unfinished one in --out is resumed).
    #[cfg(feature = "check")]
    Run(Box<session_cmd::RunArgs>),
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Make a tenant key set: signing.key/.pub (policies, exam packages) and encryption.key/.pub (evidence).
    Generate(keys_cmd::GenerateArgs),
    /// Print this installation's device key as a backend binds it (for `paraakh ingest token --device-public-key`).
    Device(keys_cmd::DeviceArgs),
}

/// Parses a command line (the program's name first): the command, and a
/// note for each old spelling it used.
fn parse(raw: &[OsString]) -> Result<(Cli, Vec<String>), clap::Error> {
    let mut cmd = Cli::command();
    let matches = cmd.try_get_matches_from_mut(raw)?;
    let notes = grammar::deprecations(&cmd, &matches, raw);
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))?;
    cli.command.resolve();
    Ok((cli, notes))
}

/// ONNX Runtime reads this once when it loads (`detect`, `check`, `session
/// run`): its telemetry to Microsoft stays off, and detection refuses to
/// load it otherwise.
#[cfg(feature = "detect")]
#[allow(unsafe_code)]
fn switch_off_ort_telemetry() {
    // SAFETY: the first thing `main` does, before any thread exists: nothing
    // else reads or writes the environment meanwhile.
    unsafe { std::env::set_var(paraakh_detect::runtime::ORT_TELEMETRY_ENV, "1") };
}

fn main() -> ExitCode {
    #[cfg(feature = "detect")]
    switch_off_ort_telemetry();
    let raw: Vec<OsString> = std::env::args_os().collect();
    let cli = match parse(&raw) {
        Ok((cli, notes)) => {
            for note in notes {
                render::note(&note);
            }
            cli
        }
        // Help and version on stdout with 0; usage errors on stderr with 2.
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Verify(args) => verify_cmd::run(args),
        Command::Review(cmd) => review_cmd::run(cmd),
        Command::Session(SessionCommand::Simulate(args)) => simulate_cmd::run(*args),
        #[cfg(feature = "check")]
        Command::Session(SessionCommand::Run(args)) => session_cmd::run(*args),
        Command::Keys(KeysCommand::Generate(args)) => keys_cmd::run(args),
        Command::Keys(KeysCommand::Device(args)) => keys_cmd::device(args),
        Command::Policy(PolicyCommand::Show(args)) => policy_cmd::show(args),
        Command::Policy(PolicyCommand::ProctorCode(args)) => policy_cmd::proctor_code(args),
        Command::Sign(SignCommand::Policy(args)) => policy_cmd::sign(args),
        Command::Sign(SignCommand::Exam(args)) => exam_cmd::sign(args),
        Command::Sign(SignCommand::Launch(args)) => policy_cmd::sign_launch(args),
        Command::Exam(ExamCommand::Show(args)) => exam_cmd::show(args),
        #[cfg(feature = "capture")]
        Command::Capture(cmd) => capture_cmd::run(cmd),
        #[cfg(feature = "detect")]
        Command::Detect(cmd) => detect_cmd::run(cmd),
        #[cfg(feature = "check")]
        Command::Check(args) => check_cmd::run(args),
        #[cfg(feature = "sync")]
        Command::Sync(args) => sync_cmd::run(args),
        #[cfg(feature = "ingest")]
        Command::Ingest(cmd) => ingest_cmd::run(cmd),
        Command::Centre(cmd) => centre_cmd::run(cmd),
        Command::Grammar(cmd) => grammar::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            #[allow(clippy::print_stderr)] // the binary's one place to report a fatal error
            {
                eprintln!("paraakh: error: {err:#}");
            }
            ExitCode::from(2)
        }
    }
}
