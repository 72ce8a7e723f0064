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
//! proctor_code_sha256 = "…"                # SHA-256 of the normalised proctor code (emergency unlock)
//! kiosk = true                             # fullscreen, on top, keyboard grabbed
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    /// SHA-256 (hex) of the normalised proctor code.
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
}

impl Launch {
    /// Reads a launch file; relative paths in it are relative to the file.
    pub(crate) fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read the launch file {}: {e}; check the path in {LAUNCH_ENV} or --launch",
                path.display()
            )
        })?;
        let mut launch: Launch = toml::from_str(&text)
            .map_err(|e| format!("the launch file {} is not valid: {e}", path.display()))?;
        launch.path = Some(path.to_owned());
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
        for source in [
            &mut launch.camera,
            &mut launch.microphone,
            &mut launch.screen,
        ]
        .into_iter()
        .flatten()
        {
            let is_path =
                source.contains('/') || source.ends_with(".wav") || source.ends_with(".y4m");
            if is_path && Path::new(source.as_str()).is_relative() {
                *source = base.join(source.as_str()).to_string_lossy().into_owned();
            }
        }
        if let Some(h) = &launch.proctor_code_sha256
            && (h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(format!(
                "the launch file {}: proctor_code_sha256 must be 64 hex digits (sha256 of the code)",
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
                s if s.starts_with("paraakh://") || s.starts_with("https://") => {
                    link = Some(s.to_owned());
                }
                other => {
                    return Err(format!(
                        "unexpected argument {other:?}: paraakh-app [--launch FILE] [paraakh://join?...]"
                    ));
                }
            }
        }
        let mut launch = match file {
            Some(f) => Self::read(&f)?,
            None => Self::default(),
        };
        launch.join_link = link;
        Ok(launch)
    }

    /// Kiosk mode is on unless the launch file turns it off.
    pub(crate) fn kiosk(&self) -> bool {
        self.kiosk.unwrap_or(true)
    }
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
        let l = Launch::read(&file).unwrap();
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
        let e = Launch::read(&file).unwrap_err();
        assert!(e.contains("unknown field `pakage`"), "{e}");
        std::fs::write(&file, "proctor_code_sha256 = \"abc\"\n").unwrap();
        assert!(Launch::read(&file).unwrap_err().contains("64 hex digits"));
        std::fs::write(&file, "tokens = \"t.json\"\n").unwrap();
        assert!(Launch::read(&file).unwrap_err().contains("go together"));
        std::fs::write(&file, "tokens = \"t.json\"\nsession_id = \"a/b\"\n").unwrap();
        assert!(
            Launch::read(&file)
                .unwrap_err()
                .contains("is not a session id")
        );
        let e = Launch::read(&dir.path().join("missing.toml")).unwrap_err();
        assert!(e.contains("cannot read the launch file"), "{e}");
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
