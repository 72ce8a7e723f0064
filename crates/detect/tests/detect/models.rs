//! A missing model and a model with the wrong hash each give a clear error,
//! never a panic. (A missing or wrong ONNX Runtime library is tested through
//! the `paraakh` command, in its own processes: the library loads once per
//! process.)

use paraakh_detect::{DetectError, Model};

use super::support::{models_dir, runtime};

#[test]
fn a_missing_model_is_a_clear_error() {
    let Some(rt) = runtime() else { return };
    let _ = rt;
    let empty = tempfile::tempdir().unwrap();
    let rt = paraakh_detect::Runtime::load(&paraakh_detect::RuntimeConfig {
        library: None,
        models: Some(empty.path().to_owned()),
    })
    .unwrap();
    let err = rt.session(Model::FaceFront).unwrap_err();
    assert!(matches!(err, DetectError::ModelMissing { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("face_detection_front_128x128_barracuda.onnx is missing"),
        "{err}"
    );
}

#[test]
fn a_model_with_the_wrong_hash_is_refused() {
    let Some(_) = runtime() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(models_dir().join("silero_vad.onnx")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(dir.path().join("silero_vad.onnx"), bytes).unwrap();
    let rt = paraakh_detect::Runtime::load(&paraakh_detect::RuntimeConfig {
        library: None,
        models: Some(dir.path().to_owned()),
    })
    .unwrap();
    let err = rt.session(Model::Voice).unwrap_err();
    assert!(matches!(err, DetectError::ModelNotPinned { .. }), "{err}");
    assert!(
        err.to_string().contains("is not the expected file"),
        "{err}"
    );
}

#[test]
fn the_shipped_models_load() {
    let Some(rt) = runtime() else { return };
    for m in [Model::FaceFront, Model::FaceBack, Model::Voice] {
        rt.session(m).unwrap_or_else(|e| panic!("{m:?}: {e}"));
    }
}
