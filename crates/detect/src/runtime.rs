//! Finding, checking and loading ONNX Runtime, and the models.
//!
//! ONNX Runtime is a shared library loaded at run time (`ort` with
//! `load-dynamic`), never downloaded by the build. It is looked for, in
//! order: a path given by the caller, `PARAAKH_ONNXRUNTIME`, next to the
//! executable, and where the package installs it (`../lib/paraakh/` from the
//! executable's directory: `/usr/lib/paraakh` for `/usr/bin`). Its SHA-256 must be a pinned one: a wrong library is refused
//! with a clear error, never loaded. The library can be loaded once per
//! process; later calls reuse it (or report the same failure).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;

use crate::error::DetectError;

/// The ONNX Runtime version this build expects.
pub const ORT_VERSION: &str = "1.32.0";
/// The library's file name on Linux.
pub const ORT_FILE_NAME: &str = "libonnxruntime.so.1.32.0";
/// The environment variable naming the library.
pub const ORT_ENV: &str = "PARAAKH_ONNXRUNTIME";
/// The environment variable naming the models directory.
pub const MODELS_ENV: &str = "PARAAKH_MODELS";

/// ONNX Runtime's switch for its own telemetry. Its official Linux builds
/// (the pinned 1.32.0 among them) send usage events to Microsoft and keep a
/// device id in the user's home unless this is `1` when the library
/// initialises. Detection here never lets that happen: [`Runtime::load`]
/// refuses to start the library otherwise, and each program sets it first
/// thing in `main` (tests get it from `.cargo/config.toml`).
pub const ORT_TELEMETRY_ENV: &str = "ORT_DISABLE_TELEMETRY";

/// Whether ONNX Runtime's telemetry is switched off for this process.
pub fn telemetry_off() -> bool {
    std::env::var_os(ORT_TELEMETRY_ENV).is_some_and(|v| v == "1")
}

/// Where the package installs the library and the models, from the
/// executable's directory (`/usr/bin` → `/usr/lib/paraakh`,
/// `/usr/share/paraakh/models`): an installed client needs no environment
/// variable, and a package installed under another prefix still works.
pub const INSTALLED_LIBRARY_DIR: &str = "../lib/paraakh";
/// See [`INSTALLED_LIBRARY_DIR`].
pub const INSTALLED_MODELS_DIR: &str = "../share/paraakh/models";

/// SHA-256 of the ONNX Runtime builds this client accepts (file, platform).
const PINNED_ORT: &[(&str, &str)] = &[(
    "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f",
    "libonnxruntime.so.1.32.0 from the PyPI wheel onnxruntime 1.32.0 (manylinux_2_28 x86_64)",
)];

/// A model this client ships, and its pinned SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// BlazeFace short range, 128×128.
    FaceFront,
    /// BlazeFace full range, 256×256.
    FaceBack,
    /// Silero VAD.
    Voice,
}

impl Model {
    /// File name in the models directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Model::FaceFront => "face_detection_front_128x128_barracuda.onnx",
            Model::FaceBack => "face_detection_back_256x256_barracuda.onnx",
            Model::Voice => "silero_vad.onnx",
        }
    }

    fn sha256(self) -> &'static str {
        match self {
            Model::FaceFront => "d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51",
            Model::FaceBack => "427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2",
            Model::Voice => "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
        }
    }
}

/// Where to find ONNX Runtime and the models.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// The ONNX Runtime library (else `PARAAKH_ONNXRUNTIME`, else next to
    /// the executable, else where the package installs it).
    pub library: Option<PathBuf>,
    /// The models directory (else `PARAAKH_MODELS`, else `models/` next to
    /// the executable, else where the package installs them).
    pub models: Option<PathBuf>,
}

/// A loaded ONNX Runtime with access to the models.
#[derive(Debug)]
pub struct Runtime {
    env: Environment,
    models: PathBuf,
}

fn hex_sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn exe_dir() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()?
        .parent()
        .map(Path::to_path_buf)
}

fn locate_library(config: &RuntimeConfig) -> Result<PathBuf, DetectError> {
    let mut looked = Vec::new();
    let candidates = config
        .library
        .clone()
        .into_iter()
        .chain(
            std::env::var_os(ORT_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        )
        .chain(exe_dir().map(|d| d.join(ORT_FILE_NAME)))
        .chain(exe_dir().map(|d| d.join(INSTALLED_LIBRARY_DIR).join(ORT_FILE_NAME)));
    for path in candidates {
        if path.is_file() {
            return Ok(path);
        }
        looked.push(path.display().to_string());
    }
    Err(DetectError::RuntimeMissing {
        looked: if looked.is_empty() {
            "nowhere: no path given".to_owned()
        } else {
            looked.join(", ")
        },
    })
}

fn check_library(path: &Path) -> Result<(), DetectError> {
    let bytes = std::fs::read(path).map_err(|e| DetectError::RuntimeUnreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let sha = hex_sha256(&bytes);
    if PINNED_ORT.iter().any(|(pinned, _)| *pinned == sha) {
        Ok(())
    } else {
        Err(DetectError::RuntimeNotPinned {
            path: path.to_owned(),
            sha256: sha,
            expected: PINNED_ORT
                .iter()
                .map(|(_, what)| *what)
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

/// `models/` next to the executable, else the package's models directory
/// when it exists (else `models/`, which the error then names).
fn installed_models() -> Option<PathBuf> {
    let dir = exe_dir()?;
    let installed = dir.join(INSTALLED_MODELS_DIR);
    let beside = dir.join("models");
    Some(if !beside.is_dir() && installed.is_dir() {
        // `/usr/share/paraakh/models`, not `/usr/bin/../share/…`, in reports.
        installed.canonicalize().unwrap_or(installed)
    } else {
        beside
    })
}

/// The process-wide ONNX Runtime: loaded once; a failure is remembered.
static ENVIRONMENT: OnceLock<Result<Environment, DetectError>> = OnceLock::new();

impl Runtime {
    /// Finds and checks ONNX Runtime and the models directory, and loads the
    /// library (once per process).
    pub fn load(config: &RuntimeConfig) -> Result<Self, DetectError> {
        let env = ENVIRONMENT
            .get_or_init(|| {
                if !telemetry_off() {
                    return Err(DetectError::TelemetryOn);
                }
                let path = locate_library(config)?;
                check_library(&path)?;
                let builder =
                    ort::init_from(&path).map_err(|e| DetectError::RuntimeUnreadable {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                builder
                    .with_name("paraakh-detect")
                    .with_telemetry(false)
                    .build()
                    .map_err(|e| DetectError::RuntimeUnreadable {
                        path,
                        reason: e.to_string(),
                    })
            })
            .clone()?;
        let models = config
            .models
            .clone()
            .or_else(|| {
                std::env::var_os(MODELS_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(installed_models)
            .ok_or_else(|| DetectError::ModelMissing {
                path: PathBuf::from("models"),
            })?;
        Ok(Self { env, models })
    }

    /// The models directory in use.
    pub fn models_dir(&self) -> &Path {
        &self.models
    }

    /// Reads a model, checks its pinned SHA-256, and opens a single-threaded session.
    pub fn session(&self, model: Model) -> Result<Session, DetectError> {
        let path = self.models.join(model.file_name());
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                DetectError::ModelMissing { path: path.clone() }
            } else {
                DetectError::ModelUnreadable {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            }
        })?;
        let sha = hex_sha256(&bytes);
        if sha != model.sha256() {
            return Err(DetectError::ModelNotPinned {
                path,
                sha256: sha,
                expected: model.sha256(),
            });
        }
        let bad = |e: String| DetectError::ModelUnreadable {
            path: path.clone(),
            reason: e,
        };
        // One thread per session: detection runs on its own worker thread,
        // off the capture path, and a second thread measured no gain here.
        // Denormals flushed to zero took the near-face path from 3.0 to 2.2 ms
        // without changing a single result of the accuracy harness.
        Session::builder(&self.env)
            .map_err(|e| bad(e.to_string()))?
            .with_optimization_level(ort::session::builder::GraphOptimizationLevel::All)
            .map_err(|e| bad(e.to_string()))?
            .with_intra_threads(1)
            .map_err(|e| bad(e.to_string()))?
            .with_flush_to_zero()
            .map_err(|e| bad(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| bad(e.to_string()))?
            .commit_from_memory(&bytes)
            .map_err(|e| bad(e.to_string()))
    }
}
