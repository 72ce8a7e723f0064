//! What the detector tests need: ONNX Runtime, the models, the test data.
//! Missing prerequisites skip a test with a message, unless
//! `PARAAKH_TEST_STRICT=1` (set by scripts/test and CI) makes them a failure.

use std::path::PathBuf;

use paraakh_detect::{Runtime, RuntimeConfig};

pub(crate) fn skip(why: &str) {
    paraakh_test_rig::skip(why);
}

pub(crate) fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// The runtime, or `None` (after `skip`) when ONNX Runtime is not installed.
pub(crate) fn runtime() -> Option<Runtime> {
    if std::env::var_os("PARAAKH_ONNXRUNTIME").is_none() {
        skip(
            "PARAAKH_ONNXRUNTIME is not set: run scripts/fetch-onnxruntime and point it at the library",
        );
        return None;
    }
    match Runtime::load(&RuntimeConfig {
        library: None,
        models: Some(models_dir()),
    }) {
        Ok(rt) => Some(rt),
        Err(e) => panic!("ONNX Runtime is configured but does not load: {e}"),
    }
}

/// The scikit-image sample data, or `None` (after `skip`).
pub(crate) fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("PARAAKH_DETECT_DATA") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            skip(
                "PARAAKH_DETECT_DATA is not set: run scripts/fetch-detect-data and point it at its output",
            );
            None
        }
    }
}

/// A small deterministic generator for test data.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(crate) fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Where reports go: the target directory's scratch space.
pub(crate) fn report_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}
