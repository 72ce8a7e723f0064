//! What a backend sends a client and a client sends a backend: the JSON
//! messages of the upload protocol, `Content-Range`, and the backend's
//! session statement. Nothing may panic; a statement that parses is
//! written back unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_evidence::statement::SessionStatement;
use paraakh_protocol::{
    CheckpointRequest, CheckpointResponse, ErrorBody, ExamKeyResponse, JoinRequest, JoinResponse,
    SessionStatus, StatementRequest, StatementResponse, Tokens, parse_content_range,
};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<CheckpointRequest>(data);
    let _ = serde_json::from_slice::<CheckpointResponse>(data);
    let _ = serde_json::from_slice::<SessionStatus>(data);
    let _ = serde_json::from_slice::<Tokens>(data);
    let _ = serde_json::from_slice::<ErrorBody>(data);
    let _ = serde_json::from_slice::<JoinRequest>(data);
    let _ = serde_json::from_slice::<JoinResponse>(data);
    let _ = serde_json::from_slice::<ExamKeyResponse>(data);
    let _ = serde_json::from_slice::<StatementRequest>(data);
    let _ = serde_json::from_slice::<StatementResponse>(data);
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(statement) = SessionStatement::parse(text)
    {
        assert_eq!(statement.to_text(), text);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Some((start, end, total)) = parse_content_range(text)
    {
        assert!(start < end && end <= total);
    }
});
