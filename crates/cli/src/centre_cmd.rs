//! `paraakh centre`: a proctoring centre's exam station, set up from
//! `/etc/paraakh/centre.toml` and undone in one command (docs/install.md).

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use paraakh_station::{StationError, centre, home, setup};
use serde_json::json;

use crate::render;

#[derive(Debug, Subcommand)]
pub(crate) enum CentreCommand {
    /// Make this computer an exam station as the centre file says: a user of its own logged straight into the exam session, the tenants' trust locked, evidence kept outside the home; as root (exit 0 done, 1 refused: nothing changed, 2 a step failed).
    Setup(SetupArgs),
    /// Make this exam station an ordinary computer again: what setup changed is put back, unsent evidence is kept; as root (exit 0 done, 1 not a station).
    Undo(JsonArgs),
    /// Empty the station user's home and refill it from /etc/skel; run by the station's session before every candidate, refused for any other user (exit 0 done, 1 refused).
    ResetHome(JsonArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SetupArgs {
    /// The centre file.
    #[arg(long, value_name = "FILE", default_value = "/etc/paraakh/centre.toml")]
    centre: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct JsonArgs {
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: CentreCommand) -> anyhow::Result<ExitCode> {
    let json = match &cmd {
        CentreCommand::Setup(a) => a.json,
        CentreCommand::Undo(a) | CentreCommand::ResetHome(a) => a.json,
    };
    let result = match cmd {
        CentreCommand::Setup(args) => as_root("setup").and_then(|()| {
            let centre = centre::read(&args.centre)?;
            setup::setup(&centre, Path::new("/"), &mut setup::System).map(|r| json!(r))
        }),
        CentreCommand::Undo(_) => as_root("undo")
            .and_then(|()| setup::undo(Path::new("/"), &mut setup::System).map(|r| json!(r))),
        CentreCommand::ResetHome(_) => reset_home().map(|r| json!(r)),
    };
    match result {
        Ok(done) => {
            if json {
                let mut done = done;
                done["status"] = json!("done");
                render::print_json(&done)?;
            } else if let Some(lines) = done["done"].as_array() {
                let text: String = lines
                    .iter()
                    .filter_map(|l| l.as_str())
                    .map(|l| format!("{l}\n"))
                    .collect();
                render::out(&text)?;
            } else {
                render::out(&format!(
                    "home reset: {} removed, {} copied from /etc/skel\n",
                    done["removed"], done["copied"]
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        // A step that failed half-way is an error (2): the record says what
        // was done, and running the command again finishes it.
        Err(e @ (StationError::Io { .. } | StationError::Command { .. })) => Err(e.into()),
        Err(refused) => {
            let reason = refused.to_string();
            render::refusal(&reason);
            if json {
                render::print_json(&json!({"status": "refused", "reason": reason}))?;
            }
            Ok(ExitCode::from(1))
        }
    }
}

fn euid() -> u32 {
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

fn as_root(what: &str) -> Result<(), StationError> {
    if euid() == 0 {
        Ok(())
    } else {
        Err(StationError::Refused(format!(
            "changing the computer needs root: sudo paraakh centre {what}"
        )))
    }
}

/// Only the station's own user resets its own home.
fn reset_home() -> Result<home::Reset, StationError> {
    let centre = centre::read(Path::new("/").join(centre::CENTRE_FILE).as_path())?;
    let uid = euid();
    let Some((station_uid, home_dir)) = setup::passwd_entry(Path::new("/"), &centre.user) else {
        return Err(StationError::Refused(format!(
            "the station's user {} does not exist: run `paraakh centre setup` as root",
            centre.user
        )));
    };
    if uid != station_uid {
        return Err(StationError::Refused(format!(
            "only the station's user {} resets its home; this is user {uid}",
            centre.user
        )));
    }
    let data_dir = paraakh_policy::config::InstallConfig::load(
        Path::new(paraakh_policy::config::MANAGED_CONFIG),
        None,
        &paraakh_policy::config::default_data_home(),
    )
    .map(|c| c.data_dir)
    .map_err(|e| StationError::Refused(format!("{e}; the home is not reset")))?;
    home::reset(&home_dir, Path::new("/etc/skel"), &data_dir)
}
