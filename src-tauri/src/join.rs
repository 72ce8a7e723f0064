//! Joining by link. The link's token goes to the tenant's backend as this
//! computer's configuration pins it (never to an address in the link), which
//! answers with the signed package, a session for this computer and its
//! upload tokens. The package is verified here like any other, the link
//! against the tenant's pinned token keys, and the link is marked used. What
//! the join gave is kept, so a relaunch after a crash finds the exam again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paraakh_engine::exam::{self, ExamOffer};
use paraakh_evidence::note::SignedNote;
use paraakh_policy::config::InstallConfig;
use paraakh_policy::links::{
    LinkTrust, RevocationCheck, UsedTokens, accept_join_link, parse_join_link, used_tokens_path,
};
use paraakh_policy::tenants::DataRoot;
use paraakh_sync::join::KeyRelease;
use paraakh_sync::{Api, Credentials, RetryPolicy, SyncError};
use serde::{Deserialize, Serialize};

/// An exam joined by link, as kept between launches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Joined {
    pub(crate) tenant: String,
    pub(crate) exam_id: String,
    pub(crate) session_id: String,
    pub(crate) server: String,
    /// Who the link was for (the exam's accommodations are looked up by it).
    pub(crate) candidate: Option<String>,
    /// From when the backend releases the questions (POSIX seconds).
    pub(crate) questions_from: i64,
    pub(crate) package: PathBuf,
    pub(crate) tokens: PathBuf,
    /// Where the backend's newest statement binding the session to this
    /// computer is kept (from the join, then from the questions' release).
    #[serde(default)]
    pub(crate) statement: Option<PathBuf>,
}

impl Joined {
    /// The newest statement the backend gave for this session, if any.
    pub(crate) fn statement(&self) -> Option<SignedNote> {
        let bytes = std::fs::read(self.statement.as_ref()?).ok()?;
        SignedNote::parse(&bytes).ok()
    }
}

/// The one exam joined on this installation and not yet finished.
#[derive(Debug, Clone)]
pub(crate) struct JoinedStore {
    path: PathBuf,
}

impl JoinedStore {
    pub(crate) fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join("joined-exam.json"),
        }
    }

    pub(crate) fn load(&self) -> Result<Option<Joined>, String> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                format!(
                    "the record of the joined exam {} is damaged ({e}); open your join link again",
                    self.path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", self.path.display())),
        }
    }

    fn save(&self, joined: &Joined) -> Result<(), String> {
        let json = serde_json::to_vec_pretty(joined).map_err(|e| e.to_string())?;
        exam::write_private(&self.path, &json)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }

    /// Forgets the joined exam (after submission or the proctor's unlock).
    pub(crate) fn remove(&self) -> Result<(), String> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot remove {}: {e}", self.path.display())),
        }
    }
}

/// The candidate's words for a backend's refusal or absence.
fn plain(server: &str, e: SyncError) -> String {
    match e {
        SyncError::Refused { message, .. } => message,
        SyncError::Unreachable { .. } => format!(
            "The exam server ({server}) cannot be reached. Check the internet connection and try again; nothing was lost."
        ),
        other => other.to_string(),
    }
}

/// How long a join or key request keeps retrying a flaky network.
const PATIENCE: RetryPolicy = RetryPolicy {
    base: Duration::from_millis(250),
    max_delay: Duration::from_secs(4),
    give_up_after: Duration::from_secs(20),
};

/// Joins the exam a link names; returns the join and its verified package.
pub(crate) fn join(install: &InstallConfig, text: &str) -> Result<(Joined, ExamOffer), String> {
    let link = parse_join_link(text).map_err(|e| format!("{e}."))?;
    let trust = install.tenant(&link.tenant).ok_or_else(|| {
        format!(
            "This computer is not set up for exams of {:?}. Ask your exam centre to set it up.",
            link.tenant
        )
    })?;
    let server = trust.backend_url.clone().ok_or(
        "This computer does not know the exam centre's server. Ask your exam centre to set it up.",
    )?;
    let (device, _) =
        exam::device_key(&install.data_dir.join("device.key")).map_err(|e| e.to_string())?;
    let answer =
        paraakh_sync::join::join(&server, &link.token, &device.verifier().encode(), PATIENCE)
            .map_err(|e| plain(&server, e))?;
    let package = B64
        .decode(&answer.package)
        .map_err(|_| "the exam server sent a damaged exam package; try again".to_owned())?;
    let offer = ExamOffer::verify(&package, install).map_err(|e| e.to_string())?;
    if offer.tenant.id != link.tenant || offer.package.manifest.exam_id != answer.exam_id {
        return Err(format!(
            "the exam server sent a package for another exam ({} of {}); contact your exam centre",
            offer.package.manifest.exam_id, offer.tenant.id
        ));
    }
    let tenant_dir = DataRoot::new(&install.data_dir)
        .tenant(&link.tenant)
        .map_err(|e| e.to_string())?;
    // The server's session id must be a valid directory name here too.
    tenant_dir
        .session_dir(&answer.session_id)
        .map_err(|e| e.to_string())?;
    let store = JoinedStore::new(&install.data_dir);
    if let Ok(Some(known)) = store.load()
        && known.tenant == link.tenant
        && known.session_id == answer.session_id
    {
        // The same link again on this computer (clicked twice, or the app
        // restarted): the same exam, not a second one.
        return Ok((known, offer));
    }
    let claims = accept_join_link(
        &link,
        &LinkTrust {
            keys: &trust.jwt_keys,
            audience: &trust.audience,
            max_lifetime_secs: trust.max_link_lifetime_secs,
        },
        RevocationCheck::Online { revoked: false },
        &UsedTokens::new(used_tokens_path(tenant_dir.path())),
        (crate::app::now_ms() / 1000) as i64,
    )
    .map_err(|e| format!("{e}."))?;
    if claims.exam.as_deref() != Some(answer.exam_id.as_str()) {
        return Err("the exam server answered for another exam than the link names; contact your exam centre".into());
    }
    let keep = tenant_dir.path().join("joined").join(&answer.session_id);
    std::fs::create_dir_all(&keep).map_err(|e| format!("cannot create {}: {e}", keep.display()))?;
    let write = |name: &str, bytes: &[u8]| {
        let path = keep.join(name);
        exam::write_private(&path, bytes)
            .map(|()| path.clone())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let tokens = serde_json::to_vec_pretty(&answer.tokens).map_err(|e| e.to_string())?;
    let statement = match &answer.statement {
        Some(text) => Some(write("statement", text.as_bytes())?),
        None => None,
    };
    let joined = Joined {
        tenant: link.tenant.clone(),
        exam_id: answer.exam_id.clone(),
        session_id: answer.session_id.clone(),
        server,
        candidate: claims.sub,
        questions_from: answer.key_from,
        package: write("package.paraakh-exam", &package)?,
        tokens: write("tokens.json", &tokens)?,
        statement,
    };
    store.save(&joined)?;
    Ok((joined, offer))
}

/// The exam's content key, once the backend releases it (`None`: not yet).
pub(crate) fn content_key(joined: &Joined) -> Result<Option<[u8; 32]>, String> {
    let credentials = Credentials::from_file(&joined.tokens).map_err(|e| e.to_string())?;
    let api = Api::new(&joined.server, credentials, PATIENCE).map_err(|e| e.to_string())?;
    match paraakh_sync::join::exam_key(&api, &joined.session_id) {
        Ok(KeyRelease::Released(key, statement)) => {
            // The fresher statement replaces the join's (best effort: the
            // join's still binds the session).
            if let (Some(statement), Some(path)) = (statement, &joined.statement) {
                let _ = exam::write_private(path, statement.encode().as_bytes());
            }
            Ok(Some(key))
        }
        Ok(KeyRelease::NotYet(_)) => Ok(None),
        Err(e) => Err(plain(&joined.server, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(dir: &Path) -> Joined {
        Joined {
            tenant: "acme".into(),
            exam_id: "e1".into(),
            session_id: "s-1".into(),
            server: "http://127.0.0.1:1".into(),
            candidate: Some("c-7".into()),
            questions_from: 1_700_000_000,
            package: dir.join("p"),
            tokens: dir.join("t"),
            statement: None,
        }
    }

    #[test]
    fn the_joined_exam_is_kept_privately_and_forgotten_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let store = JoinedStore::new(dir.path());
        assert_eq!(store.load().unwrap(), None);
        store.save(&joined(dir.path())).unwrap();
        assert_eq!(store.load().unwrap(), Some(joined(dir.path())));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join("joined-exam.json"))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        store.remove().unwrap();
        store.remove().unwrap();
        assert_eq!(store.load().unwrap(), None);
    }

    #[test]
    fn a_damaged_record_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("joined-exam.json"), b"{not json").unwrap();
        let err = JoinedStore::new(dir.path()).load().unwrap_err();
        assert!(err.contains("open your join link again"), "{err}");
    }

    #[test]
    fn bad_links_and_unknown_tenants_are_refused_before_any_network() {
        let dir = tempfile::tempdir().unwrap();
        let install = InstallConfig::load(
            &dir.path().join("none.toml"),
            None,
            &dir.path().join("data"),
        )
        .unwrap();
        let err = join(&install, "https://example.org/other").unwrap_err();
        assert!(err.contains("not a Paraakh join link"), "{err}");
        let err = join(&install, "paraakh://join?tenant=nobody&token=x.y.z").unwrap_err();
        assert!(err.contains("not set up for exams of \"nobody\""), "{err}");
    }

    #[test]
    fn an_unreachable_server_is_said_plainly() {
        let msg = plain(
            "https://exams.example",
            SyncError::Unreachable {
                message: "connection refused".into(),
            },
        );
        assert!(msg.contains("cannot be reached") && msg.contains("nothing was lost"));
    }
}
