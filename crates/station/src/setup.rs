//! Making a computer an exam station, and undoing it.
//!
//! A station is: a dedicated unprivileged user (made if missing, no
//! password) that greetd logs straight into the exam session, again after
//! every candidate (`/usr/lib/paraakh/station-session` empties the home
//! first); the tenants' trust as the locked managed configuration, with
//! evidence in `/var/lib/paraakh/station` (outside the home, so a reset
//! never touches it; the sync agent deletes it once a receipt covers it
//! and the tenant's keep period is over); the centre's launch file;
//! Yama's ptrace restriction, so no process of the user can reach into
//! another; and no login prompt on any other virtual terminal. Every file replaced is kept, and what was done is recorded in
//! `/var/lib/paraakh/centre-setup.json`: `undo` puts the computer back
//! from that record. Setting up twice changes nothing more.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::StationError;
use crate::centre::Centre;
use crate::error::io;

/// Where a station keeps evidence (absolute, on the station).
pub const STATION_DATA: &str = "/var/lib/paraakh/station";
const STATE: &str = "var/lib/paraakh/centre-setup.json";
const BACKUPS: &str = "var/lib/paraakh/centre-backup";
const CONFIG: &str = "etc/paraakh/config.toml";
const GREETD_CONFIG: &str = "etc/greetd/config.toml";
const DISPLAY_MANAGER: &str = "etc/systemd/system/display-manager.service";
const SYSCTL: &str = "etc/sysctl.d/60-paraakh-station.conf";
const LOGIND: &str = "etc/systemd/logind.conf.d/60-paraakh-station.conf";
const STATION_SESSION: &str = "/usr/lib/paraakh/station-session";
const GREETD: &str = "greetd.service";

/// Runs a system command (`useradd`, `systemctl`, ...): the real one on a
/// station, a recorder in tests.
pub trait Run {
    /// Runs `program` with `args`; the error is what it said.
    fn run(&mut self, program: &str, args: &[&str]) -> Result<(), String>;
}

/// The real commands.
#[derive(Debug, Default)]
pub struct System;

impl Run for System {
    fn run(&mut self, program: &str, args: &[&str]) -> Result<(), String> {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

fn run(r: &mut dyn Run, program: &str, args: &[&str]) -> Result<(), StationError> {
    r.run(program, args)
        .map_err(|reason| StationError::Command {
            command: format!("{program} {}", args.join(" ")),
            reason,
        })
}

/// What setting up did, for `undo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The station's user.
    pub user: String,
    /// Setup made the user (undo removes it).
    pub user_created: bool,
    /// Files that were there before, kept under the backup directory.
    pub replaced: Vec<String>,
    /// The display manager's unit before (`gdm3.service`, ...).
    pub display_manager_before: Option<String>,
}

/// What was done, in words.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// One line per step.
    pub done: Vec<String>,
}

/// The locked managed configuration for `trust`: its text and the number of
/// tenants, or every problem as the app would find it.
pub fn managed_config(trust: &toml::Table) -> Result<(String, usize), Vec<String>> {
    let mut table = toml::Table::new();
    table.insert("lock".into(), toml::Value::Boolean(true));
    table.insert("data_dir".into(), toml::Value::String(STATION_DATA.into()));
    for (k, v) in trust {
        table.insert(k.clone(), v.clone());
    }
    let body = toml::to_string(&table).map_err(|e| vec![e.to_string()])?;
    let text = format!(
        "# Written by `paraakh centre setup` from /etc/paraakh/centre.toml: this\n# computer is an exam station. `paraakh centre undo` restores the one before.\n{body}"
    );
    let tenants = paraakh_policy::config::check_managed(&text)?;
    Ok((text, tenants))
}

fn greetd_config(user: &str, launch: Option<&Path>) -> String {
    let command = match launch {
        Some(l) => format!("{STATION_SESSION} --launch {}", l.display()),
        None => STATION_SESSION.to_owned(),
    };
    let command = toml::Value::String(command);
    format!(
        "# Written by `paraakh centre setup`: this station logs {user} into the\n# Paraakh exam session at start-up and again after every candidate.\n\n[terminal]\nvt = 7\n\n[initial_session]\ncommand = {command}\nuser = \"{user}\"\n\n[default_session]\ncommand = {command}\nuser = \"{user}\"\n"
    )
}

/// The user's entry in the root's `/etc/passwd`: (uid, home).
pub fn passwd_entry(root: &Path, user: &str) -> Option<(u32, PathBuf)> {
    let text = std::fs::read_to_string(root.join("etc/passwd")).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&user) && f.len() >= 7)
            .then(|| Some((f[2].parse().ok()?, PathBuf::from(f[5]))))
            .flatten()
    })
}

fn read_state(root: &Path) -> Result<Option<State>, StationError> {
    let path = root.join(STATE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            StationError::Refused(format!(
                "{} is damaged ({e}): undo what it recorded by hand, then remove it",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path)(e)),
    }
}

fn write(root: &Path, rel: &str, text: &str, mode: u32) -> Result<(), StationError> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    // Written whole, then moved into place: a power cut leaves the old or the new.
    let tmp = path.with_extension("paraakh-new");
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))
}

/// Keeps `rel` (if there and not kept already) under the backup directory.
fn keep(root: &Path, state: &mut State, rel: &str) -> Result<(), StationError> {
    let from = root.join(rel);
    if state.replaced.iter().any(|r| r == rel) || !from.exists() {
        return Ok(());
    }
    let to = root.join(BACKUPS).join(rel);
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::copy(&from, &to).map_err(io(&to))?;
    state.replaced.push(rel.to_owned());
    Ok(())
}

/// Makes the computer under `root` the station `centre` describes.
pub fn setup(centre: &Centre, root: &Path, r: &mut dyn Run) -> Result<Report, StationError> {
    let (config, tenants) =
        managed_config(&centre.trust).map_err(|problems| StationError::Invalid {
            path: centre.path.clone(),
            problems,
        })?;
    for (what, path, fix) in [
        ("greetd", "usr/sbin/greetd", "apt-get install greetd"),
        ("cage", "usr/bin/cage", "apt-get install cage"),
        (
            "the exam session",
            "usr/lib/paraakh/exam-session",
            "reinstall the paraakh package",
        ),
    ] {
        if !root.join(path).exists() {
            return Err(StationError::Missing {
                what: what.into(),
                fix: format!("{fix}, then run `paraakh centre setup` again"),
            });
        }
    }
    let mut state = read_state(root)?.unwrap_or_default();
    if !state.user.is_empty() && state.user != centre.user {
        return Err(StationError::Refused(format!(
            "this computer is a station for the user {} already: run `paraakh centre undo` first to change it",
            state.user
        )));
    }
    let mut report = Report::default();
    match passwd_entry(root, &centre.user) {
        Some((0, _)) => {
            return Err(StationError::Refused(format!(
                "{} is an administrator (uid 0): name another user in {}",
                centre.user,
                centre.path.display()
            )));
        }
        Some(_) => report
            .done
            .push(format!("the user {} is there already", centre.user)),
        None => {
            run(
                r,
                "useradd",
                &[
                    "--create-home",
                    "--user-group",
                    "--shell",
                    "/bin/sh",
                    "--comment",
                    "Paraakh exam station",
                    &centre.user,
                ],
            )?;
            state.user_created = true;
            report
                .done
                .push(format!("made the user {} (no password)", centre.user));
        }
    }
    state.user.clone_from(&centre.user);
    let data = root.join(STATION_DATA.trim_start_matches('/'));
    std::fs::create_dir_all(&data).map_err(io(&data))?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700))
            .map_err(io(&data))?;
    }
    run(
        r,
        "chown",
        &[&format!("{0}:{0}", centre.user), STATION_DATA],
    )?;
    report.done.push(format!(
        "evidence goes to {STATION_DATA} (outside the home; kept until a receipt covers it)"
    ));

    keep(root, &mut state, CONFIG)?;
    write(root, CONFIG, &config, 0o644)?;
    report.done.push(format!(
        "/etc/paraakh/config.toml: locked, {tenants} tenant{} trusted",
        if tenants == 1 { "" } else { "s" }
    ));
    keep(root, &mut state, GREETD_CONFIG)?;
    write(
        root,
        GREETD_CONFIG,
        &greetd_config(&centre.user, centre.launch.as_deref()),
        0o644,
    )?;
    report.done.push(format!(
        "greetd logs {} into the exam session{}",
        centre.user,
        centre
            .launch
            .as_ref()
            .map(|l| format!(" with the launch file {}", l.display()))
            .unwrap_or_default()
    ));
    if state.display_manager_before.is_none() {
        state.display_manager_before = std::fs::read_link(root.join(DISPLAY_MANAGER))
            .ok()
            .and_then(|t| t.file_name().map(|f| f.to_string_lossy().into_owned()));
    }
    run(r, "systemctl", &["enable", "--force", GREETD])?;
    report
        .done
        .push(match state.display_manager_before.as_deref() {
            Some(before) if before != GREETD => {
                format!("greetd is the login manager (instead of {before})")
            }
            _ => "greetd is the login manager".into(),
        });
    write(
        root,
        SYSCTL,
        "# Written by `paraakh centre setup`: no process may attach to another of\n# the same user (the exam session's compositor and app).\nkernel.yama.ptrace_scope = 1\n",
        0o644,
    )?;
    report
        .done
        .push("processes cannot attach to each other (Yama ptrace_scope 1)".into());
    write(
        root,
        LOGIND,
        "# Written by `paraakh centre setup`: no login prompts on other virtual\n# terminals of an exam station (from the next start).\n[Login]\nNAutoVTs=0\nReserveVT=0\n",
        0o644,
    )?;
    report
        .done
        .push("no login prompts on other virtual terminals (from the next start)".into());
    let json = serde_json::to_string_pretty(&state).unwrap_or_default();
    write(root, STATE, &json, 0o600)?;
    Ok(report)
}

/// Puts the computer under `root` back as it was before `setup`, from the
/// record it left. Evidence not yet sent is kept.
pub fn undo(root: &Path, r: &mut dyn Run) -> Result<Report, StationError> {
    let Some(state) = read_state(root)? else {
        return Err(StationError::Refused(format!(
            "this computer is not an exam station (no {})",
            Path::new("/").join(STATE).display()
        )));
    };
    let mut report = Report::default();
    for rel in [CONFIG, GREETD_CONFIG] {
        let path = root.join(rel);
        if state.replaced.iter().any(|r| r == rel) {
            let kept = root.join(BACKUPS).join(rel);
            std::fs::copy(&kept, &path).map_err(io(&path))?;
            report.done.push(format!("/{rel} restored"));
        } else if path.exists() {
            std::fs::remove_file(&path).map_err(io(&path))?;
            report.done.push(format!("/{rel} removed"));
        }
    }
    match state.display_manager_before.as_deref() {
        // greetd was the login manager before (with its own greeter again now).
        Some(GREETD) => report
            .done
            .push("greetd stays the login manager, with its own greeter".into()),
        Some(before) => {
            run(r, "systemctl", &["disable", GREETD])?;
            run(r, "systemctl", &["enable", "--force", before])?;
            report
                .done
                .push(format!("{before} is the login manager again"));
        }
        None => {
            run(r, "systemctl", &["disable", GREETD])?;
            report.done.push("greetd no longer starts".into());
        }
    }
    for rel in [SYSCTL, LOGIND] {
        let path = root.join(rel);
        if path.exists() {
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    if state.user_created {
        run(r, "userdel", &["--remove", &state.user])?;
        report.done.push(format!("the user {} removed", state.user));
    }
    let data = root.join(STATION_DATA.trim_start_matches('/'));
    let sessions = crate::home::sessions_in(&data);
    if sessions == 0 {
        let _ = std::fs::remove_dir_all(&data);
    } else {
        report.done.push(format!(
            "{sessions} exam session{} kept in {STATION_DATA}: send {} with `paraakh sync --all --data-dir {STATION_DATA}`",
            if sessions == 1 { "" } else { "s" },
            if sessions == 1 { "it" } else { "them" }
        ));
    }
    let _ = std::fs::remove_dir_all(root.join(BACKUPS));
    let state_path = root.join(STATE);
    std::fs::remove_file(&state_path).map_err(io(&state_path))?;
    Ok(report)
}

#[cfg(test)]
mod tests;
