//! What the app needs to take a candidate back into an interrupted exam:
//! the session, the unlocked questions, the clock and the answers as typed.
//! The evidence log holds the answers too, but encrypted for the organiser
//! only; this copy is encrypted for this installation (AES-256-GCM under a
//! key file only its owner can read, like the device key) and deleted once
//! the exam is submitted or unlocked by the proctor.

use std::path::{Path, PathBuf};

use paraakh_policy::exam::ExamContent;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const MAGIC: &[u8; 4] = b"PDR1";
const AAD: &[u8] = b"paraakh app draft v1";

/// An exam in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Draft {
    pub(crate) session_id: String,
    pub(crate) exam_id: String,
    /// SHA-256 (hex) of the package it came from.
    pub(crate) package_sha256: String,
    pub(crate) title: String,
    pub(crate) content: ExamContent,
    pub(crate) answers: serde_json::Map<String, serde_json::Value>,
    pub(crate) started_at_ms: u64,
    pub(crate) ends_at_ms: u64,
    pub(crate) extra_time_percent: u32,
    /// When the app last wrote it (the interruption was after this).
    pub(crate) saved_at_ms: u64,
}

/// Where one tenant's draft lives, and the key that seals it.
#[derive(Debug, Clone)]
pub(crate) struct DraftStore {
    path: PathBuf,
    key_path: PathBuf,
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> String {
    format!("{what} {}: {e}", path.display())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    paraakh_engine::exam::write_private(path, bytes).map_err(|e| io("cannot write", path, e))
}

impl DraftStore {
    /// The draft of a tenant directory, sealed with the key in `data_dir`.
    pub(crate) fn new(tenant_dir: &Path, data_dir: &Path) -> Self {
        Self {
            path: tenant_dir.join("app-draft"),
            key_path: data_dir.join("draft.key"),
        }
    }

    fn key(&self, create: bool) -> Result<Option<LessSafeKey>, String> {
        let bytes = match std::fs::read(&self.key_path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut k = Zeroizing::new(vec![0u8; 32]);
                paraakh_evidence::keys::random_bytes(&mut k).map_err(|e| e.to_string())?;
                write_private(&self.key_path, &k)?;
                k
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("cannot read", &self.key_path, e)),
        };
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| format!("{} is not a draft key", self.key_path.display()))?;
        Ok(Some(LessSafeKey::new(key)))
    }

    /// Seals and writes the draft (atomically: an interruption leaves the old one).
    pub(crate) fn save(&self, draft: &Draft) -> Result<(), String> {
        let key = self.key(true)?.ok_or("no draft key")?;
        let mut nonce = [0u8; 12];
        paraakh_evidence::keys::random_bytes(&mut nonce).map_err(|e| e.to_string())?;
        let mut sealed = Zeroizing::new(serde_json::to_vec(draft).map_err(|e| e.to_string())?);
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(AAD),
            &mut *sealed,
        )
        .map_err(|_| "cannot seal the draft".to_owned())?;
        let mut file = Vec::with_capacity(16 + sealed.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&sealed);
        write_private(&self.path, &file)
    }

    /// The draft, if there is one this installation can open.
    pub(crate) fn load(&self) -> Result<Option<Draft>, String> {
        let file = match std::fs::read(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("cannot read", &self.path, e)),
        };
        let Some(key) = self.key(false)? else {
            return Err(format!(
                "{} cannot be opened: its key {} is missing",
                self.path.display(),
                self.key_path.display()
            ));
        };
        let damaged = || {
            format!(
                "{} is damaged; the exam's evidence is not",
                self.path.display()
            )
        };
        if file.len() < 16 + 16 || &file[..4] != MAGIC {
            return Err(damaged());
        }
        let nonce: [u8; 12] = file[4..16].try_into().map_err(|_| damaged())?;
        let mut body = Zeroizing::new(file[16..].to_vec());
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut body,
            )
            .map_err(|_| damaged())?;
        serde_json::from_slice(plain)
            .map(Some)
            .map_err(|_| damaged())
    }

    /// Deletes the draft (the exam was submitted or ended).
    pub(crate) fn remove(&self) -> Result<(), String> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("cannot delete", &self.path, e)),
        }
    }

    /// Moves a draft that cannot be opened out of the way (kept next to it
    /// as `app-draft.damaged` for support), so a new start is possible; the
    /// session's evidence does not depend on it.
    pub(crate) fn set_aside(&self) -> Result<PathBuf, String> {
        let aside = self.path.with_extension("damaged");
        std::fs::rename(&self.path, &aside).map_err(|e| io("cannot move", &self.path, e))?;
        Ok(aside)
    }

    /// When the draft file was last written.
    pub(crate) fn modified_ms(&self) -> Option<u64> {
        let t = std::fs::metadata(&self.path).ok()?.modified().ok()?;
        Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    pub(crate) fn draft() -> Draft {
        Draft {
            session_id: "s-1".into(),
            exam_id: "physics".into(),
            package_sha256: "ab".repeat(32),
            title: "Physics".into(),
            content: ExamContent {
                instructions: "Answer.".into(),
                questions: Vec::new(),
                accommodations: Vec::new(),
                online: None,
            },
            answers: serde_json::json!({"q1": 2, "q3": "F = ma"})
                .as_object()
                .unwrap()
                .clone(),
            started_at_ms: 1,
            ends_at_ms: 2,
            extra_time_percent: 0,
            saved_at_ms: 1,
        }
    }

    #[test]
    fn a_draft_round_trips_sealed_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(&dir.path().join("t"), dir.path());
        std::fs::create_dir(dir.path().join("t")).unwrap();
        assert_eq!(store.load().unwrap(), None);
        store.save(&draft()).unwrap();
        let raw = std::fs::read(dir.path().join("t/app-draft")).unwrap();
        assert!(
            !raw.windows(6).any(|w| w == b"F = ma"),
            "answers are sealed"
        );
        assert_eq!(store.load().unwrap(), Some(draft()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            for f in ["t/app-draft", "draft.key"] {
                let mode = std::fs::metadata(dir.path().join(f))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{f}");
            }
        }
        store.remove().unwrap();
        assert_eq!(store.load().unwrap(), None);
        store.remove().unwrap();
    }

    #[test]
    fn a_damaged_or_keyless_draft_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(dir.path(), dir.path());
        store.save(&draft()).unwrap();
        let path = dir.path().join("app-draft");
        let mut raw = std::fs::read(&path).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        std::fs::write(&path, &raw).unwrap();
        assert!(store.load().unwrap_err().contains("is damaged"));
        std::fs::remove_file(dir.path().join("draft.key")).unwrap();
        assert!(store.load().unwrap_err().contains("key"));
        let aside = store.set_aside().unwrap();
        assert!(aside.ends_with("app-draft.damaged") && aside.exists());
        assert_eq!(store.load().unwrap(), None, "a new start is possible");
    }
}
