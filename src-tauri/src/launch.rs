//! How the app was started: a launch file (a proctoring centre's managed
//! deployment, or the bundled demo) and the command line. Everything about
//! trust comes from the installation's configuration (`/etc/paraakh`, then
//! the user's file); the launch file only says which exam and which devices.
//!
//! ```toml
//! config = "/etc/paraakh/user.toml"        # the user configuration file (trusted tenants)
//! package = "/srv/exams/physics.paraakh"   # the exam package offered on the join screen
//! camera = "0"                             # or a directory of images / a .y4m to replay
//! microphone = "default"                   # or device:NAME, or a WAV file to replay
//! screen = "desktop"                       # or a directory of images to replay
//! server = "https://exams.acme.example"    # upload while online (default: the tenant's backend_url)
//! tokens = "/var/lib/paraakh/tokens.json"  # the upload token file
//! session_id = "s-0123456789abcdef"        # the session those tokens upload
//! proctor_unlock_code = "$argon2id$…"     # the centre's proctor code, hashed: `paraakh policy proctor-code`
//! kiosk = true                             # fullscreen, on top, keyboard grabbed
//! ```
//!
//! The signed policy is the floor. A launch file that sets what the policy
//! does not allow — `kiosk = false`, `lockdown = false`, a replayed source,
//! its own proctor code — must be signed by a centre key the managed
//! configuration trusts (`paraakh sign launch`, `centre_keys`); a release
//! build refuses it unsigned, a development build accepts it and the
//! evidence says so. Under `lock = true` an unsigned launch file is refused
//! whatever it sets. Every setting that differs from the policy goes into
//! the evidence's environment record with who set it.

use std::path::{Path, PathBuf};

use paraakh_evidence::keys::NoteVerifier;
use paraakh_policy::config::{InstallConfig, MANAGED_CONFIG};
use paraakh_policy::envelope::{Envelope, LAUNCH_TYPE, keyid};
use serde::Deserialize;

/// Seconds between checkpoints unless a launch file says otherwise.
pub(crate) const DEFAULT_CHECKPOINT_SECONDS: f64 = 30.0;

/// The environment variable naming the launch file (tauri-driver passes environment, not arguments).
pub(crate) const LAUNCH_ENV: &str = "PARAAKH_APP_LAUNCH";

/// The launch settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Launch {
    /// The user configuration file (trusted tenants); the managed one is always read.
    pub(crate) config: Option<PathBuf>,
    /// The exam package offered on the join screen.
    pub(crate) package: Option<PathBuf>,
    /// Webcam source.
    pub(crate) camera: Option<String>,
    /// Microphone source.
    pub(crate) microphone: Option<String>,
    /// Screen source.
    pub(crate) screen: Option<String>,
    /// The backend to upload to while online.
    pub(crate) server: Option<String>,
    /// The upload token file.
    pub(crate) tokens: Option<PathBuf>,
    /// The session the tokens are for (a centre assigns it with the tokens).
    pub(crate) session_id: Option<String>,
    /// The ONNX Runtime library.
    pub(crate) onnxruntime: Option<PathBuf>,
    /// The models directory.
    pub(crate) models: Option<PathBuf>,
    /// The candidate (for extra time), when known without a join link.
    pub(crate) candidate: Option<String>,
    /// The centre's proctor code, hashed with Argon2id (a PHC string, as
    /// `paraakh policy proctor-code` prints it for `unlock_code`).
    pub(crate) proctor_unlock_code: Option<String>,
    /// The old unsalted SHA-256 form: read only to be refused with the fix.
    #[serde(default)]
    pub(crate) proctor_code_sha256: Option<String>,
    /// Lock the machine (default true; false only for developing the UI).
    pub(crate) kiosk: Option<bool>,
    /// Watch processes and displays (default true).
    pub(crate) lockdown: Option<bool>,
    /// Seconds between checkpoints (default 30).
    pub(crate) checkpoint_seconds: Option<f64>,
    /// A join link handed over at start.
    #[serde(skip)]
    pub(crate) join_link: Option<String>,
    /// The launch file these settings came from.
    #[serde(skip)]
    pub(crate) path: Option<PathBuf>,
    /// `--check-launch`: say whether the launch file is accepted, and stop.
    #[serde(skip)]
    pub(crate) check_only: bool,
    /// The centre key that signed it (`None`: unsigned).
    #[serde(skip)]
    pub(crate) signed_by: Option<String>,
}

/// Who may change what a launch file sets: the managed configuration's.
#[derive(Debug, Clone, Default)]
pub(crate) struct LaunchAuthority {
    /// The managed configuration file.
    pub(crate) managed: PathBuf,
    /// It locks the installation.
    pub(crate) locked: bool,
    /// The centre keys it trusts.
    pub(crate) centre_keys: Vec<NoteVerifier>,
}

/// The managed configuration's path. A development build can be pointed at
/// another (`PARAAKH_MANAGED_CONFIG`, for tests); a release build reads only
/// the real one, whatever the environment says.
pub(crate) fn managed_config_path() -> PathBuf {
    #[cfg(debug_assertions)]
    if let Some(p) = std::env::var_os("PARAAKH_MANAGED_CONFIG") {
        return PathBuf::from(p);
    }
    PathBuf::from(MANAGED_CONFIG)
}

impl LaunchAuthority {
    /// As this computer's managed configuration says.
    pub(crate) fn managed() -> Result<Self, String> {
        let managed = managed_config_path();
        let install = InstallConfig::load(&managed, None, Path::new("/nonexistent"))
            .map_err(|e| format!("this computer's exam configuration cannot be used: {e}"))?;
        Ok(Self {
            managed,
            locked: install.locked,
            centre_keys: install.centre_keys,
        })
    }
}

impl Launch {
    /// Reads a launch file (TOML, or TOML signed by a centre key); relative
    /// paths in it are relative to the file.
    pub(crate) fn read(path: &Path, authority: &LaunchAuthority) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| {
            format!(
                "cannot read the launch file {}: {e}; check the path in {LAUNCH_ENV} or --launch",
                path.display()
            )
        })?;
        let (payload, signed_by) = open_signed(path, bytes, authority)?;
        let text = std::str::from_utf8(&payload)
            .map_err(|_| format!("the launch file {} is not UTF-8 text", path.display()))?;
        let mut launch: Launch = toml::from_str(text)
            .map_err(|e| format!("the launch file {} is not valid: {e}", path.display()))?;
        launch.path = Some(path.to_owned());
        launch.signed_by = signed_by;
        launch.judge(authority, cfg!(debug_assertions))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut launch.config,
            &mut launch.package,
            &mut launch.tokens,
            &mut launch.onnxruntime,
            &mut launch.models,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        // A replayed source is a path, relative to the launch file (what is
        // a replay is the engine's `Sources::parse` word, not guessed here).
        let replays = launch.replays();
        for (source, replay) in [
            (&mut launch.camera, replays[0]),
            (&mut launch.microphone, replays[1]),
            (&mut launch.screen, replays[2]),
        ] {
            if let Some(source) = source
                .as_mut()
                .filter(|s| replay && Path::new(s.as_str()).is_relative())
            {
                *source = base.join(source.as_str()).to_string_lossy().into_owned();
            }
        }
        if launch.proctor_code_sha256.is_some() {
            // A SHA-256 of a short code is undone by trying every code.
            return Err(format!(
                "the launch file {}: proctor_code_sha256 is no longer accepted (an unsalted SHA-256 of a proctor code is found by trying every code); make a hashed code with `paraakh policy proctor-code` and write its unlock_code as proctor_unlock_code",
                path.display()
            ));
        }
        if let Some(h) = &launch.proctor_unlock_code
            && let Err(e) = paraakh_policy::proctor::ProctorCodeHash::parse(h)
        {
            return Err(format!(
                "the launch file {}: proctor_unlock_code: {e} (make one with `paraakh policy proctor-code`)",
                path.display()
            ));
        }
        if launch.tokens.is_some() != launch.session_id.is_some() {
            return Err(format!(
                "the launch file {}: tokens and session_id go together (the upload tokens are for one session)",
                path.display()
            ));
        }
        if let Some(id) = &launch.session_id
            && !paraakh_evidence::layout::valid_id(id)
        {
            return Err(format!(
                "the launch file {}: {id:?} is not a session id (letters, digits, '.', '_', '-')",
                path.display()
            ));
        }
        Ok(launch)
    }

    /// From the command line (`--launch FILE`, a `paraakh://` link) and the environment.
    pub(crate) fn from_args(args: &[String]) -> Result<Self, String> {
        let mut file = std::env::var_os(LAUNCH_ENV).map(PathBuf::from);
        let mut link = None;
        let mut check_only = false;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--launch" => {
                    file = Some(
                        it.next()
                            .ok_or("--launch needs the path of a launch file")?
                            .into(),
                    );
                }
                "--check-launch" => check_only = true,
                s if s.starts_with("paraakh://") || s.starts_with("https://") => {
                    link = Some(s.to_owned());
                }
                other => {
                    return Err(format!(
                        "unexpected argument {other:?}: paraakh-app [--launch FILE [--check-launch]] [paraakh://join?...]"
                    ));
                }
            }
        }
        let mut launch = match file {
            Some(f) => Self::read(&f, &LaunchAuthority::managed()?)?,
            None => Self::default(),
        };
        launch.join_link = link;
        launch.check_only = check_only;
        Ok(launch)
    }

    /// Whether these settings may be used: signed ones always; unsigned
    /// ones never on a locked installation, and when they loosen the
    /// policy only in a development build.
    fn judge(&self, authority: &LaunchAuthority, development: bool) -> Result<(), String> {
        if self.signed_by.is_some() {
            return Ok(());
        }
        let path = self
            .path
            .as_deref()
            .map_or_else(String::new, |p| p.display().to_string());
        if authority.locked {
            return Err(format!(
                "this computer is managed ({} has lock = true): the launch file {path} is not signed by a centre key it trusts, so it is refused. The centre signs it with `paraakh sign launch FILE --key centre.key` and lists the key in centre_keys",
                authority.managed.display(),
            ));
        }
        let loosened = self.loosened();
        if !loosened.is_empty() && !development {
            return Err(format!(
                "the launch file {path} sets {}, which the exam's policy does not allow; only a launch file signed by a centre key this computer's managed configuration trusts may (`paraakh sign launch`, centre_keys in {})",
                loosened.join(", "),
                authority.managed.display()
            ));
        }
        Ok(())
    }

    /// The settings that loosen what the policy asks for.
    pub(crate) fn loosened(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.kiosk == Some(false) {
            out.push("kiosk = false");
        }
        if self.lockdown == Some(false) {
            out.push("lockdown = false");
        }
        for (replay, what) in self.replays().into_iter().zip([
            "a replayed camera",
            "a replayed microphone",
            "a replayed screen",
        ]) {
            if replay {
                out.push(what);
            }
        }
        if self.proctor_unlock_code.is_some() {
            out.push("its own proctor code");
        }
        if self.candidate.is_some() {
            // Whose extra time applies.
            out.push("the candidate");
        }
        if self.server.is_some() {
            // Where the evidence goes while online.
            out.push("its own server");
        }
        if self
            .checkpoint_seconds
            .is_some_and(|s| s > DEFAULT_CHECKPOINT_SECONDS)
        {
            out.push("checkpoints further apart");
        }
        out
    }

    /// Which of camera, microphone and screen are replayed from files.
    fn replays(&self) -> [bool; 3] {
        use paraakh_engine::session::{CameraSpec, MicrophoneSpec, ScreenSpec};
        let s = paraakh_engine::session::Sources::parse(
            self.camera.as_deref(),
            self.microphone.as_deref(),
            self.screen.as_deref(),
        );
        [
            matches!(s.camera, Some(CameraSpec::Replay(_))),
            matches!(s.microphone, Some(MicrophoneSpec::Replay(_))),
            matches!(s.screen, Some(ScreenSpec::Replay(_))),
        ]
    }

    /// What `--check-launch` says of an accepted launch file.
    pub(crate) fn verdict(&self) -> String {
        let Some(path) = &self.path else {
            return "no launch file given (--launch FILE or PARAAKH_APP_LAUNCH)".into();
        };
        let by = match &self.signed_by {
            Some(key) => format!("signed by the centre key {key}"),
            None => "unsigned".into(),
        };
        let loosened = self.loosened();
        let sets = if loosened.is_empty() {
            "it loosens nothing the exam's policy asks for".to_owned()
        } else {
            format!(
                "it sets {}, recorded in each session's evidence",
                loosened.join(", ")
            )
        };
        format!(
            "the launch file {} is accepted ({by}); {sets}",
            path.display()
        )
    }

    /// Kiosk mode is on unless the launch file turns it off.
    pub(crate) fn kiosk(&self) -> bool {
        self.kiosk.unwrap_or(true)
    }
}

/// The launch file's TOML: the file itself, or the payload of a centre's
/// signed envelope (then the key's name).
fn open_signed(
    path: &Path,
    bytes: Vec<u8>,
    authority: &LaunchAuthority,
) -> Result<(Vec<u8>, Option<String>), String> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Ok((bytes, None));
    }
    let refused = |why: String| {
        format!(
            "the signed launch file {} is refused: {why}",
            path.display()
        )
    };
    let envelope = Envelope::parse(&bytes).map_err(|e| refused(e.to_string()))?;
    let payload = envelope
        .verify(LAUNCH_TYPE, &authority.centre_keys)
        .map_err(|e| {
            refused(format!(
                "{e} (the centre keys are listed in centre_keys in {})",
                authority.managed.display()
            ))
        })?
        .to_vec();
    // The key whose signature verified (not merely one that is named).
    let message = paraakh_policy::envelope::pae(&envelope.payload_type, &envelope.payload);
    let signer = authority
        .centre_keys
        .iter()
        .find(|k| {
            envelope
                .signatures
                .iter()
                .any(|s| s.keyid == keyid(k) && k.verify(&message, &s.sig))
        })
        .map(|k| format!("{} ({})", k.name(), keyid(k)));
    Ok((payload, signer))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn paths_are_relative_to_the_launch_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("launch.toml");
        std::fs::write(
            &file,
            "package = \"exam.paraakh\"\ncamera = \"replay/camera\"\nmicrophone = \"default\"\nscreen = \"desktop\"\n",
        )
        .unwrap();
        let l = Launch::read(&file, &LaunchAuthority::default()).unwrap();
        assert_eq!(l.package.unwrap(), dir.path().join("exam.paraakh"));
        assert_eq!(
            l.camera.unwrap(),
            dir.path().join("replay/camera").to_string_lossy()
        );
        assert_eq!(l.microphone.as_deref(), Some("default"));
        assert!(l.kiosk.is_none());
    }

    #[test]
    fn bad_launch_files_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("launch.toml");
        std::fs::write(&file, "pakage = \"x\"\n").unwrap();
        let e = Launch::read(&file, &LaunchAuthority::default()).unwrap_err();
        assert!(e.contains("unknown field `pakage`"), "{e}");
        // The old unsalted form is refused with the way to the new one.
        std::fs::write(
            &file,
            format!("proctor_code_sha256 = \"{}\"\n", "0".repeat(64)),
        )
        .unwrap();
        let e = Launch::read(&file, &LaunchAuthority::default()).unwrap_err();
        assert!(
            e.contains("no longer accepted") && e.contains("paraakh policy proctor-code"),
            "{e}"
        );
        std::fs::write(&file, "proctor_unlock_code = \"abc\"\n").unwrap();
        let e = Launch::read(&file, &LaunchAuthority::default()).unwrap_err();
        assert!(e.contains("proctor_unlock_code"), "{e}");
        std::fs::write(&file, "tokens = \"t.json\"\n").unwrap();
        assert!(
            Launch::read(&file, &LaunchAuthority::default())
                .unwrap_err()
                .contains("go together")
        );
        std::fs::write(&file, "tokens = \"t.json\"\nsession_id = \"a/b\"\n").unwrap();
        assert!(
            Launch::read(&file, &LaunchAuthority::default())
                .unwrap_err()
                .contains("is not a session id")
        );
        let e = Launch::read(
            &dir.path().join("missing.toml"),
            &LaunchAuthority::default(),
        )
        .unwrap_err();
        assert!(e.contains("cannot read the launch file"), "{e}");
    }

    fn centre() -> (paraakh_evidence::keys::NoteSigner, LaunchAuthority) {
        let key = paraakh_evidence::keys::NoteSigner::generate(
            "centre.example",
            paraakh_evidence::keys::SIG_TYPE_ED25519,
        )
        .unwrap();
        let authority = LaunchAuthority {
            managed: "/etc/paraakh/config.toml".into(),
            locked: true,
            centre_keys: vec![key.verifier()],
        };
        (key, authority)
    }

    const LOOSE: &str = "kiosk = false\ncamera = \"replay/faces\"\nproctor_unlock_code = \"$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$FxpfPW9cXUKGYE+/5SYf9Gpvp4KL3z8Q10yFw9dvvoY\"\n";

    /// A candidate on a managed machine writes a launch file of their own.
    #[test]
    fn a_managed_computer_refuses_an_unsigned_launch_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("launch.toml");
        std::fs::write(&file, "package = \"exam.paraakh\"\n").unwrap();
        let (_, authority) = centre();
        let e = Launch::read(&file, &authority).unwrap_err();
        assert!(
            e.contains("lock = true") && e.contains("paraakh sign launch"),
            "{e}"
        );
        // Unmanaged, it is read (it loosens nothing).
        assert!(Launch::read(&file, &LaunchAuthority::default()).is_ok());
    }

    /// The centre's signed file may loosen; altered, or signed by another
    /// key, it is refused.
    #[test]
    fn a_launch_file_signed_by_a_trusted_centre_key_may_set_what_the_policy_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("launch.signed");
        let (key, authority) = centre();
        let envelope = Envelope::sign(LAUNCH_TYPE, LOOSE.as_bytes().to_vec(), &key);
        std::fs::write(&file, envelope.to_json()).unwrap();
        let l = Launch::read(&file, &authority).unwrap();
        assert!(
            l.signed_by
                .as_deref()
                .unwrap()
                .starts_with("centre.example (")
        );
        assert_eq!(l.kiosk, Some(false));
        assert_eq!(
            l.loosened(),
            ["kiosk = false", "a replayed camera", "its own proctor code"]
        );

        let (other, _) = centre();
        let forged = Envelope::sign(LAUNCH_TYPE, LOOSE.as_bytes().to_vec(), &other);
        std::fs::write(&file, forged.to_json()).unwrap();
        let e = Launch::read(&file, &authority).unwrap_err();
        assert!(e.contains("refused") && e.contains("centre_keys"), "{e}");

        let mut altered = envelope.clone();
        altered.payload = b"kiosk = false\nlockdown = false\n".to_vec();
        std::fs::write(&file, altered.to_json()).unwrap();
        assert!(Launch::read(&file, &authority).is_err());

        // A policy signed by the same key is not a launch file.
        let policy = Envelope::sign(
            paraakh_policy::envelope::POLICY_TYPE,
            LOOSE.as_bytes().to_vec(),
            &key,
        );
        std::fs::write(&file, policy.to_json()).unwrap();
        assert!(Launch::read(&file, &authority).is_err());
    }

    /// Unsigned and unmanaged: only a development build may loosen (and
    /// the evidence says so); a release build refuses with what loosens.
    #[test]
    fn an_unsigned_launch_file_that_loosens_the_policy_needs_a_development_build() {
        let launch: Launch = toml::from_str(LOOSE).unwrap();
        let authority = LaunchAuthority::default();
        assert!(launch.judge(&authority, true).is_ok());
        let e = launch.judge(&authority, false).unwrap_err();
        assert!(
            e.contains("kiosk = false, a replayed camera, its own proctor code"),
            "{e}"
        );
        let tight: Launch =
            toml::from_str("kiosk = true\ncamera = \"0\"\nscreen = \"desktop\"\n").unwrap();
        assert!(tight.loosened().is_empty());
        assert!(tight.judge(&authority, false).is_ok());
    }

    #[test]
    fn the_command_line_takes_a_link_and_a_launch_file() {
        let l = Launch::from_args(&["paraakh://join?tenant=t&token=x".into()]).unwrap();
        assert_eq!(
            l.join_link.as_deref(),
            Some("paraakh://join?tenant=t&token=x")
        );
        assert!(Launch::from_args(&["--launch".into()]).is_err());
        assert!(
            Launch::from_args(&["--bogus".into()])
                .unwrap_err()
                .contains("unexpected")
        );
    }
}
