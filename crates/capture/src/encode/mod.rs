//! Evidence encoders: pictures as JPEG, audio clips as Ogg Opus, and the
//! downscaling in front of them. The bytes they return go to the evidence
//! crate's encrypted blobs unchanged.

pub mod jpeg;
pub mod opus;
pub mod scale;
