//! What a backend sends a client and a client sends a backend: the JSON
//! messages of the upload protocol and `Content-Range`. Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_protocol::{
    CheckpointRequest, CheckpointResponse, ErrorBody, SessionStatus, Tokens, parse_content_range,
};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<CheckpointRequest>(data);
    let _ = serde_json::from_slice::<CheckpointResponse>(data);
    let _ = serde_json::from_slice::<SessionStatus>(data);
    let _ = serde_json::from_slice::<Tokens>(data);
    let _ = serde_json::from_slice::<ErrorBody>(data);
    if let Ok(text) = std::str::from_utf8(data)
        && let Some((start, end, total)) = parse_content_range(text)
    {
        assert!(start < end && end <= total);
    }
});
