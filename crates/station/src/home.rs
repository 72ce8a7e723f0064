//! The station user's home, emptied before every candidate and filled
//! from `/etc/skel`: nothing one candidate left (browser data, files,
//! settings) reaches the next. Evidence is never in the home on a station
//! (it goes to `/var/lib/paraakh/station`), and the reset refuses to run
//! where it would be, or for any user but the station's own.

use std::path::Path;

use serde::Serialize;

use crate::StationError;
use crate::error::io;

/// What a reset did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reset {
    /// Entries removed from the home.
    pub removed: usize,
    /// Entries copied from the skeleton.
    pub copied: usize,
    /// What could not be removed, with why (the reset goes on).
    pub left: Vec<String>,
}

/// How many exam sessions `data_dir` holds (`tenants/*/sessions/*`).
pub fn sessions_in(data_dir: &Path) -> usize {
    let Ok(tenants) = std::fs::read_dir(data_dir.join("tenants")) else {
        return 0;
    };
    tenants
        .flatten()
        .filter_map(|t| std::fs::read_dir(t.path().join("sessions")).ok())
        .map(|s| s.flatten().filter(|e| e.path().is_dir()).count())
        .sum()
}

/// Empties `home` and copies `skel` into it. Refused when `data_dir` (where
/// evidence goes) is the home or inside it.
pub fn reset(home: &Path, skel: &Path, data_dir: &Path) -> Result<Reset, StationError> {
    if data_dir.starts_with(home) {
        return Err(StationError::Refused(format!(
            "evidence is kept in {} inside the home {}: the home is not reset (a station keeps it in /var/lib/paraakh/station)",
            data_dir.display(),
            home.display()
        )));
    }
    let mut done = Reset::default();
    let entries = std::fs::read_dir(home).map_err(io(home))?;
    for e in entries.flatten() {
        let path = e.path();
        // A symlink is removed, never followed.
        let gone = match e.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        match gone {
            Ok(()) => done.removed += 1,
            Err(why) => done.left.push(format!("{}: {why}", path.display())),
        }
    }
    copy_tree(skel, home, &mut done)?;
    Ok(done)
}

fn copy_tree(from: &Path, to: &Path, done: &mut Reset) -> Result<(), StationError> {
    let Ok(entries) = std::fs::read_dir(from) else {
        // No skeleton: an empty home.
        return Ok(());
    };
    for e in entries.flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            std::fs::create_dir_all(&dst).map_err(io(&dst))?;
            copy_tree(&src, &dst, done)?;
        } else if t.is_symlink() {
            let target = std::fs::read_link(&src).map_err(io(&src))?;
            std::os::unix::fs::symlink(target, &dst).map_err(io(&dst))?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(&dst))?;
        }
        done.copied += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_candidates_files_go_and_the_skeleton_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let (home, skel, data) = (
            dir.path().join("home"),
            dir.path().join("skel"),
            dir.path().join("var/lib/paraakh/station"),
        );
        std::fs::create_dir_all(home.join(".cache/webkit")).unwrap();
        std::fs::write(home.join("notes.txt"), "answers").unwrap();
        std::fs::write(home.join(".cache/webkit/db"), "x").unwrap();
        // A link out of the home is removed, not followed.
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "keep me").unwrap();
        std::os::unix::fs::symlink(&outside, home.join("link")).unwrap();
        std::fs::create_dir_all(skel.join(".config")).unwrap();
        std::fs::write(skel.join(".profile"), "# skel").unwrap();
        std::fs::write(skel.join(".config/x"), "y").unwrap();
        // Evidence of the last candidate, not yet sent.
        let session = data.join("tenants/t/sessions/s1");
        std::fs::create_dir_all(&session).unwrap();
        std::fs::write(session.join("log"), "records").unwrap();

        let done = reset(&home, &skel, &data).unwrap();
        assert_eq!(done.removed, 3, "{done:?}");
        assert!(done.left.is_empty(), "{done:?}");
        let mut left: Vec<String> = std::fs::read_dir(&home)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".config", ".profile"]);
        assert_eq!(
            std::fs::read_to_string(home.join(".config/x")).unwrap(),
            "y"
        );
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me");
        assert_eq!(sessions_in(&data), 1);
        assert_eq!(
            std::fs::read_to_string(session.join("log")).unwrap(),
            "records"
        );
    }

    /// A candidate's own computer keeps evidence in the home: never reset.
    #[test]
    fn a_home_that_holds_evidence_is_not_reset() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".local/share/paraakh")).unwrap();
        std::fs::write(home.join("keep.txt"), "x").unwrap();
        let err = reset(
            &home,
            &dir.path().join("skel"),
            &home.join(".local/share/paraakh"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("the home is not reset"), "{err}");
        assert!(home.join("keep.txt").exists());
    }
}
