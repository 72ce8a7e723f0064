//! An exam as the app offers it: a signed package checked against the
//! tenants this installation trusts, what the candidate is told before they
//! agree to anything (the consent terms, from the exam's own policy), and
//! the pieces every session needs (the device key, a session id, the build
//! hash).

use std::path::Path;

use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_evidence::merkle::{Hash, sha256};
use paraakh_policy::Policy;
use paraakh_policy::config::{InstallConfig, TenantTrust};
use paraakh_policy::exam::{ExamContent, ExamError, ExamPackage};
use paraakh_policy::version::{ClientVersion, UPGRADE_COMMAND};
use serde::Serialize;

/// Why an exam package cannot be offered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfferError {
    /// No trusted tenant signed it.
    #[error(
        "this exam package is not signed by an exam organiser this computer trusts ({0}); ask the organiser for the right package or configuration"
    )]
    Untrusted(String),
    /// The package itself is wrong.
    #[error(transparent)]
    Package(#[from] ExamError),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A key could not be made or read.
    #[error("{0}")]
    Key(String),
    /// The tenant requires a newer client for this exam.
    #[error(
        "this exam needs Paraakh Secure Exam {required} or newer, and this computer has {running}: update it ({command}), or ask your exam centre"
    )]
    ClientTooOld {
        /// The policy's `min_client_version`.
        required: ClientVersion,
        /// This build's.
        running: ClientVersion,
        /// What updates it.
        command: &'static str,
    },
}

/// A verified exam package and the tenant that signed it.
#[derive(Debug, Clone)]
pub struct ExamOffer {
    /// The package (content still locked).
    pub package: ExamPackage,
    /// The tenant, as this installation trusts it.
    pub tenant: TenantTrust,
    /// SHA-256 of the package file.
    pub package_sha256: Hash,
}

/// What the join screen shows about an exam.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExamSummary {
    /// Tenant id.
    pub tenant: String,
    /// The organiser's name.
    pub tenant_name: String,
    /// Exam id.
    pub exam_id: String,
    /// Title.
    pub title: String,
    /// Working time without extra time.
    pub duration_minutes: u32,
    /// Extra time for this candidate, percent.
    pub extra_time_percent: u32,
    /// Opening time (POSIX seconds).
    pub opens_at: i64,
    /// Closing time (POSIX seconds).
    pub closes_at: i64,
    /// The questions can be read.
    pub unlocked: bool,
    /// How many (once unlocked).
    pub question_count: Option<usize>,
}

impl ExamOffer {
    /// Verifies a package against every tenant this installation trusts.
    pub fn verify(bytes: &[u8], config: &InstallConfig) -> Result<Self, OfferError> {
        let mut why = Vec::new();
        for trust in config.tenants.values() {
            match ExamPackage::verify(bytes, &trust.signing_keys, &trust.id) {
                Ok(package) => {
                    // Checked once the package is known to be the tenant's:
                    // nobody else can make a client refuse an exam.
                    let running = ClientVersion::running();
                    if let Some(required) = package.policy.min_client_version
                        && running < required
                    {
                        return Err(OfferError::ClientTooOld {
                            required,
                            running,
                            command: UPGRADE_COMMAND,
                        });
                    }
                    return Ok(Self {
                        package,
                        tenant: trust.clone(),
                        package_sha256: sha256(bytes),
                    });
                }
                Err(e) => why.push(format!("{}: {e}", trust.id)),
            }
        }
        Err(OfferError::Untrusted(if why.is_empty() {
            "no organiser is configured".to_owned()
        } else {
            why.join("; ")
        }))
    }

    /// The exam's policy.
    pub fn policy(&self) -> &Policy {
        &self.package.policy
    }

    /// The join screen's view; `content` once unlocked, `candidate` for extra time.
    pub fn summary(&self, content: Option<&ExamContent>, candidate: Option<&str>) -> ExamSummary {
        let m = &self.package.manifest;
        ExamSummary {
            tenant: self.tenant.id.clone(),
            tenant_name: self.tenant.name.clone(),
            exam_id: m.exam_id.clone(),
            title: m.title.clone(),
            duration_minutes: m.duration_minutes,
            extra_time_percent: content.map_or(0, |c| extra_time_percent(c, candidate)),
            opens_at: m.opens_at,
            closes_at: m.closes_at,
            unlocked: content.is_some(),
            question_count: content.map(|c| c.questions.len()),
        }
    }

    /// What the candidate agrees to, from this exam's policy.
    pub fn consent_terms(&self) -> ConsentTerms {
        consent_terms(
            self.policy(),
            &self.package.manifest.title,
            &self.tenant.name,
            self.tenant.backend_url.as_deref(),
        )
    }
}

/// The candidate's extra time, percent (0 without an accommodation).
pub fn extra_time_percent(content: &ExamContent, candidate: Option<&str>) -> u32 {
    candidate
        .and_then(|c| content.accommodations.iter().find(|a| a.candidate == c))
        .map_or(0, |a| a.extra_time_percent)
}

/// Working time with extra time, seconds.
pub fn working_seconds(duration_minutes: u32, extra_time_percent: u32) -> u64 {
    u64::from(duration_minutes) * 60 * (100 + u64::from(extra_time_percent)) / 100
}

/// One thing that is captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentItem {
    /// The device or the information.
    pub what: String,
    /// Exactly what is kept.
    pub captured: String,
    /// Why.
    pub why: String,
}

/// What the consent screen says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentTerms {
    /// The exam.
    pub exam_title: String,
    /// The organiser.
    pub tenant_name: String,
    /// What is captured.
    pub items: Vec<ConsentItem>,
    /// Where it goes.
    pub destination: String,
    /// How long it is kept.
    pub retention: String,
    /// Where the detectors run.
    pub on_device: String,
}

/// The consent terms a policy implies: only what its layers turn on.
pub fn consent_terms(
    policy: &Policy,
    exam_title: &str,
    tenant_name: &str,
    backend_url: Option<&str>,
) -> ConsentTerms {
    let item = |what: &str, captured: String, why: &str| ConsentItem {
        what: what.to_owned(),
        captured,
        why: why.to_owned(),
    };
    let mut items = Vec::new();
    if policy.face.enabled {
        items.push(item(
            "Webcam",
            "Your camera picture is analysed on this computer about twice a second; a still picture is kept only when something needs a person's review (for example nobody, or a second person, in front of the camera).".to_owned(),
            "To confirm that you are the one taking the exam, alone.",
        ));
    }
    if policy.voice.enabled {
        items.push(item(
            "Microphone",
            format!(
                "Sound is analysed on this computer for speech; when someone speaks for a while, an audio clip of at most {} seconds is kept.",
                policy.voice.clip_seconds.round()
            ),
            "To notice talking during the exam.",
        ));
    }
    if policy.screen.enabled {
        items.push(item(
            "Screen",
            format!(
                "Pictures of your screen: when it changes (checked every {} seconds), at least every {} minutes, and when something needs review.",
                policy.screen.interval_seconds.round(),
                (policy.screen.keyframe_seconds / 60.0).round()
            ),
            "To show what was on screen during the exam.",
        ));
    }
    if policy.processes.enabled || policy.remote_session.enabled {
        items.push(item(
            "Running programs",
            "The names of programs that are not allowed during the exam (for example screen sharing or remote access), when they run.".to_owned(),
            "To keep the exam fair for everyone.",
        ));
    }
    items.push(item(
        "Exam window",
        "When the exam window loses focus or leaves full screen, and keyboard shortcuts that are blocked.".to_owned(),
        "To show whether the exam stayed on screen.",
    ));
    items.push(item(
        "Your answers",
        "Every answer as you save it, encrypted so that only the organiser can read it.".to_owned(),
        "So no answer is lost, even if the computer stops.",
    ));
    let destination = match backend_url {
        Some(url) => format!(
            "Everything is encrypted on this computer for {tenant_name} and sent to their server ({url}); nobody else can read it. If you are offline it is sent later."
        ),
        None => format!(
            "Everything is encrypted on this computer for {tenant_name}; nobody else can read it. It is sent to them when you sync the exam."
        ),
    };
    let retention = format!(
        "This computer deletes its copy {} days after {tenant_name} has confirmed receiving everything. {tenant_name} keeps the record under their own retention rules.",
        policy.retention.keep_after_receipt_days
    );
    ConsentTerms {
        exam_title: exam_title.to_owned(),
        tenant_name: tenant_name.to_owned(),
        items,
        destination,
        retention,
        on_device: "Face and voice detection run on this computer: no picture or sound is sent anywhere to be analysed. The software only records and classifies; a person decides about any result.".to_owned(),
    }
}

/// This installation's device key: read, or made (0600) the first time.
pub fn device_key(path: &Path) -> Result<(NoteSigner, bool), OfferError> {
    paraakh_evidence::keys::load_or_create_signer(path, "paraakh-device", SIG_TYPE_ED25519).map_err(
        |source| match source.kind() {
            std::io::ErrorKind::InvalidData => OfferError::Key(format!(
                "{} is not a device key ({source}); move it aside and a new one is made",
                path.display()
            )),
            _ => OfferError::Io {
                what: format!("cannot use the device key {}", path.display()),
                source,
            },
        },
    )
}

/// Writes a file only its owner can read, atomically (a crash leaves the old one).
pub use paraakh_evidence::keys::write_private;

/// A new random session id (`s-` and 16 hex digits).
pub fn new_session_id() -> Result<String, OfferError> {
    let mut r = [0u8; 8];
    paraakh_evidence::keys::random_bytes(&mut r).map_err(|e| OfferError::Key(e.to_string()))?;
    Ok(format!("s-{}", paraakh_evidence::record::to_hex(&r)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn policy(name: &str) -> Policy {
        paraakh_policy::parse(paraakh_policy::presets::text(name).unwrap()).unwrap()
    }

    #[test]
    fn consent_names_only_what_the_policy_captures() {
        let standard = consent_terms(
            &policy("standard"),
            "Physics",
            "ACME",
            Some("https://x.example"),
        );
        let what: Vec<&str> = standard.items.iter().map(|i| i.what.as_str()).collect();
        assert!(
            what.contains(&"Webcam") && what.contains(&"Microphone") && what.contains(&"Screen")
        );
        assert!(standard.destination.contains("https://x.example"));
        assert!(standard.retention.contains("30 days"));
        let mut quiet = policy("standard");
        quiet.face.enabled = false;
        quiet.voice.enabled = false;
        quiet.screen.enabled = false;
        let terms = consent_terms(&quiet, "Physics", "ACME", None);
        assert!(
            terms
                .items
                .iter()
                .all(|i| !["Webcam", "Microphone", "Screen"].contains(&i.what.as_str()))
        );
        assert!(terms.destination.contains("when you sync"));
    }

    #[test]
    fn extra_time_is_added_to_the_working_time() {
        assert_eq!(working_seconds(30, 0), 1800);
        assert_eq!(working_seconds(30, 50), 2700);
        assert_eq!(working_seconds(90, 25), 6750);
    }

    #[test]
    fn a_device_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/device.key");
        let (a, made) = device_key(&path).unwrap();
        assert!(made);
        let (b, made_again) = device_key(&path).unwrap();
        assert!(!made_again);
        assert_eq!(a.verifier().encode(), b.verifier().encode());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage").unwrap();
        let e = device_key(&path).unwrap_err().to_string();
        assert!(e.contains("is not a device key"), "{e}");
    }

    /// A package whose policy asks for `min_client_version`, signed by a
    /// tenant this installation trusts.
    fn offer_needing(min: &str) -> Result<ExamOffer, OfferError> {
        use paraakh_policy::envelope::{Envelope, POLICY_TYPE};
        let key = NoteSigner::generate("acme.example", SIG_TYPE_ED25519).unwrap();
        let evidence = paraakh_evidence::keys::TenantSecretKey::generate("acme.example").unwrap();
        let policy = Envelope::sign(
            POLICY_TYPE,
            format!("preset = \"standard\"\nname = \"Physics\"\nmin_client_version = \"{min}\"\n")
                .into_bytes(),
            &key,
        )
        .to_json()
        .into_bytes();
        let source: paraakh_policy::exam::ExamSource = serde_json::from_value(serde_json::json!({
            "id": "physics",
            "tenant": "acme",
            "title": "Physics",
            "opens_at": "2026-12-10T09:00:00Z",
            "closes_at": "2026-12-10T12:00:00Z",
            "duration_minutes": 90,
            "policy": "policy.toml.signed",
            "instructions": "Answer.",
            "questions": [{"id": "q1", "kind": "short_text", "prompt": "Why?", "points": 1, "max_chars": 100}],
        }))
        .unwrap();
        let packaged =
            paraakh_policy::exam::sign_exam(&source, &policy, &evidence.public(), &key, None)
                .unwrap();
        let trust = paraakh_policy::config::TenantTrust {
            id: "acme".into(),
            name: "ACME".into(),
            signing_keys: vec![key.verifier()],
            jwt_keys: Vec::new(),
            audience: "paraakh-client".into(),
            backend_url: None,
            backend_key: None,
            encryption_key: None,
            max_link_lifetime_secs: 86_400,
            source: paraakh_policy::config::Source::Managed,
        };
        let config = InstallConfig {
            data_dir: std::env::temp_dir(),
            tenants: [("acme".to_owned(), trust)].into(),
            locked: true,
            centre_keys: Vec::new(),
            ignored: Vec::new(),
        };
        ExamOffer::verify(&packaged.package, &config)
    }

    /// A tenant raises the minimum: an older client refuses the exam and
    /// says how to update; the running version and older minimums pass.
    #[test]
    fn an_exam_needing_a_newer_client_is_refused_with_the_update_command() {
        let running = ClientVersion::running();
        let newer = ClientVersion {
            minor: running.minor + 1,
            ..running
        };
        let err = offer_needing(&newer.to_string()).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, OfferError::ClientTooOld { required, .. } if required == newer),
            "{text}"
        );
        assert!(
            text.contains(&format!("needs Paraakh Secure Exam {newer} or newer"))
                && text.contains(&format!("this computer has {running}"))
                && text.contains("apt-get install --only-upgrade paraakh"),
            "{text}"
        );
        assert!(offer_needing(&running.to_string()).is_ok());
        assert!(offer_needing("0.0.1").is_ok());
    }

    #[test]
    fn session_ids_are_fresh_and_valid() {
        let a = new_session_id().unwrap();
        assert_ne!(a, new_session_id().unwrap());
        assert!(paraakh_evidence::layout::valid_id(&a));
    }
}
