//! Blobs: the header and streaming decryption with a tenant key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_evidence::TenantSecretKey;
use paraakh_evidence::blob::{BlobHeader, open_stream};

fuzz_target!(|data: &[u8]| {
    let _ = BlobHeader::parse(data);
    let key = TenantSecretKey::from_bytes("fuzz", [3; 32]).expect("fixed key");
    let _ = open_stream(&key, data, |_| {});
});
