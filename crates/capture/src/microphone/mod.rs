//! Microphones: the real device (cpal) or a replayed WAV file, both feeding
//! the same [`AudioPipeline`]: 16 kHz mono chunks for the voice detector, a
//! ring buffer with pre-roll for clips, and a level meter.

#[cfg(feature = "native")]
pub mod native;
pub mod pipeline;
pub mod replay;

pub use pipeline::{AudioChunk, AudioPipeline, AudioShared, CHUNK, Level, RATE};
