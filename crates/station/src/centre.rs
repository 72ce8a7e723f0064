//! The centre file, `/etc/paraakh/centre.toml`: what a proctoring centre
//! writes to make a computer one of its exam stations. Read and checked in
//! full before anything on the computer changes.
//!
//! ```toml
//! # The station's user: made if missing, no password, logged in by the
//! # login manager straight into the exam session.
//! user = "paraakh-exam"
//! # The tenants this station serves and the centre's keys, as
//! # `paraakh ingest trust` prints them (relative to this file).
//! trust = "centre/trust.toml"
//! # The centre's signed launch file (optional).
//! launch = "centre/launch.toml"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::StationError;
use crate::error::io;

/// Where the centre file is, under the root.
pub const CENTRE_FILE: &str = "etc/paraakh/centre.toml";
/// The station's user when the file names none.
pub const DEFAULT_USER: &str = "paraakh-exam";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    user: Option<String>,
    trust: PathBuf,
    launch: Option<PathBuf>,
}

/// A checked centre file.
#[derive(Debug, Clone)]
pub struct Centre {
    /// The file itself.
    pub path: PathBuf,
    /// The station's user.
    pub user: String,
    /// The trust file's settings (tenants, centre keys), checked.
    pub trust: toml::Table,
    /// How many tenants it trusts.
    pub tenants: usize,
    /// The launch file, absolute.
    pub launch: Option<PathBuf>,
}

/// A login name `useradd` takes and that is not an administrator's.
fn valid_user(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name.len() <= 32
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && !matches!(name, "root" | "paraakh")
}

/// Reads and checks the centre file at `path`: the user's name, the trust
/// file (as the app will read it, locked), the launch file's presence.
pub fn read(path: &Path) -> Result<Centre, StationError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let invalid = |problems: Vec<String>| StationError::Invalid {
        path: path.to_owned(),
        problems,
    };
    let file: File = toml::from_str(&text).map_err(|e| invalid(vec![e.to_string()]))?;
    let here = path.parent().unwrap_or(Path::new("/"));
    let mut problems = Vec::new();
    let user = file.user.unwrap_or_else(|| DEFAULT_USER.to_owned());
    if !valid_user(&user) {
        problems.push(format!(
            "user: {user:?} is not a name for the station's own user (lower-case letters, digits, - and _, at most 32; not root or paraakh)"
        ));
    }
    let trust_path = here.join(&file.trust);
    let mut trust = toml::Table::new();
    let mut tenants = 0;
    match std::fs::read_to_string(&trust_path) {
        Err(e) => problems.push(format!(
            "trust: cannot read {}: {e} (write the tenants there, as `paraakh ingest trust` prints them)",
            trust_path.display()
        )),
        Ok(text) => match text.parse::<toml::Table>() {
            Err(e) => problems.push(format!("trust: {}: {e}", trust_path.display())),
            Ok(table) => {
                for owned in ["lock", "data_dir"] {
                    if table.contains_key(owned) {
                        problems.push(format!(
                            "trust: {}: remove `{owned}`; a station sets it itself",
                            trust_path.display()
                        ));
                    }
                }
                match crate::setup::managed_config(&table).map(|(_, n)| n) {
                    Ok(0) => problems.push(format!(
                        "trust: {} trusts no tenant: a station serves at least one",
                        trust_path.display()
                    )),
                    Ok(n) => tenants = n,
                    Err(p) => problems.extend(
                        p.into_iter()
                            .map(|p| format!("trust: {}: {p}", trust_path.display())),
                    ),
                }
                trust = table;
            }
        },
    }
    let launch = file.launch.map(|l| here.join(l));
    if let Some(l) = &launch
        && !l.is_file()
    {
        problems.push(format!(
            "launch: {} is not there (the centre's signed launch file)",
            l.display()
        ));
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(Centre {
        path: path.to_owned(),
        user,
        trust,
        tenants,
        launch,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_station_user_is_an_ordinary_login_name() {
        for ok in ["paraakh-exam", "exam1", "_station"] {
            assert!(valid_user(ok), "{ok}");
        }
        for bad in [
            "",
            "root",
            "paraakh",
            "Exam",
            "1exam",
            "a b",
            "x/../y",
            &"a".repeat(33),
        ] {
            assert!(!valid_user(bad), "{bad}");
        }
    }

    #[test]
    fn every_problem_is_named_before_anything_changes() {
        let dir = tempfile::tempdir().unwrap();
        let centre = dir.path().join("centre.toml");
        std::fs::write(
            &centre,
            "user = \"root\"\ntrust = \"trust.toml\"\nlaunch = \"launch.toml\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("trust.toml"), "lock = true\n").unwrap();
        let err = read(&centre).unwrap_err().to_string();
        for said in [
            "user: \"root\"",
            "remove `lock`",
            "trusts no tenant",
            "launch.toml is not there",
        ] {
            assert!(err.contains(said), "{said} in {err}");
        }
        // An unknown setting is named too.
        std::fs::write(&centre, "trust = \"trust.toml\"\nusers = \"x\"\n").unwrap();
        let err = read(&centre).unwrap_err().to_string();
        assert!(err.contains("users"), "{err}");
        // A missing trust file says what to write there.
        std::fs::write(&centre, "trust = \"nowhere.toml\"\n").unwrap();
        let err = read(&centre).unwrap_err().to_string();
        assert!(err.contains("paraakh ingest trust"), "{err}");
    }
}
