//! ONNX Runtime never starts with its telemetry on: without
//! `ORT_DISABLE_TELEMETRY=1` in the environment, `Runtime::load` refuses
//! before it even looks for the library. A binary of its own: it changes the
//! process environment, which no other test may share.

use paraakh_detect::DetectError;
use paraakh_detect::runtime::{ORT_TELEMETRY_ENV, Runtime, RuntimeConfig};

#[test]
fn onnx_runtime_is_refused_unless_its_telemetry_is_off() {
    // SAFETY: the only test in this binary, and nothing it calls reads the
    // environment from another thread while it is changed.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(ORT_TELEMETRY_ENV, "0");
    }
    let config = RuntimeConfig {
        library: std::env::var_os("PARAAKH_ONNXRUNTIME").map(Into::into),
        models: None,
    };
    let refused = Runtime::load(&config).map(drop);
    assert_eq!(refused, Err(DetectError::TelemetryOn));
    let text = refused.unwrap_err().to_string();
    assert!(text.contains("ORT_DISABLE_TELEMETRY=1"), "{text}");
}
