//! Streaming building blocks shared by Paraakh's capture and detection
//! crates: a bounded queue that drops the oldest item instead of blocking a
//! capture callback, a worker thread fed by it, a watching thread that
//! reports into one, WAV decoding, and audio
//! resampling and mixing that work block by block.

#![forbid(unsafe_code)]

pub mod producer;
pub mod queue;
pub mod resample;
pub mod wav;
pub mod worker;

pub use producer::Producer;
pub use queue::DropOldestQueue;
pub use resample::{Resampler, downmix, resample};
pub use worker::Worker;
