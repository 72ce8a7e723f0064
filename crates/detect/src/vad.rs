//! Voice activity detection with Silero VAD, streaming at 16 kHz.
//!
//! The model is recurrent: each call gets 512 new samples (32 ms) preceded
//! by the last 64 samples of the previous call, and its state. Without that
//! context it runs without error and returns about 0 for speech, so the
//! detector keeps both. Per-chunk probabilities go through hysteresis
//! (start and stop thresholds, minimum speech and silence durations) into
//! speech segments.

use ort::session::Session;
use ort::value::{Tensor, TensorRef};
use serde::Serialize;

use crate::error::DetectError;
use crate::runtime::{Model, Runtime};

/// The model's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;
/// Samples per chunk (32 ms).
pub const CHUNK: usize = 512;
const CONTEXT: usize = 64;
const STATE: usize = 2 * 128;

/// The Silero VAD model with its recurrent state.
pub struct VoiceDetector {
    session: Session,
    state: Vec<f32>,
    input: Vec<f32>,
}

impl std::fmt::Debug for VoiceDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceDetector").finish_non_exhaustive()
    }
}

impl VoiceDetector {
    /// Opens the model.
    pub fn new(runtime: &Runtime) -> Result<Self, DetectError> {
        Ok(Self {
            session: runtime.session(Model::Voice)?,
            state: vec![0.0; STATE],
            input: vec![0.0; CONTEXT + CHUNK],
        })
    }

    /// Forgets the stream (a new recording).
    pub fn reset(&mut self) {
        self.state.fill(0.0);
        self.input.fill(0.0);
    }

    /// The speech probability of the next 512 samples (16 kHz, [-1, 1]).
    pub fn process(&mut self, chunk: &[f32]) -> Result<f32, DetectError> {
        if chunk.len() != CHUNK {
            return Err(DetectError::Input(format!(
                "a voice chunk has {CHUNK} samples, not {}",
                chunk.len()
            )));
        }
        // The last 64 samples of the previous chunk become this call's context.
        self.input.copy_within(CHUNK.., 0);
        self.input[CONTEXT..].copy_from_slice(chunk);
        let input = TensorRef::from_array_view(([1usize, CONTEXT + CHUNK], &self.input[..]))
            .map_err(DetectError::inference)?;
        let state = TensorRef::from_array_view(([2usize, 1, 128], &self.state[..]))
            .map_err(DetectError::inference)?;
        let sr = Tensor::from_array((Vec::<usize>::new(), vec![i64::from(SAMPLE_RATE)]))
            .map_err(DetectError::inference)?;
        let outputs = self
            .session
            .run(ort::inputs!["input" => input, "state" => state, "sr" => sr])
            .map_err(DetectError::inference)?;
        let prob = outputs
            .get("output")
            .ok_or_else(|| DetectError::inference("missing output"))?
            .try_extract_tensor::<f32>()
            .map_err(DetectError::inference)?
            .1
            .first()
            .copied()
            .ok_or_else(|| DetectError::inference("empty output"))?;
        let new_state = outputs
            .get("stateN")
            .ok_or_else(|| DetectError::inference("missing state"))?
            .try_extract_tensor::<f32>()
            .map_err(DetectError::inference)?
            .1;
        if new_state.len() != STATE {
            return Err(DetectError::inference("unexpected state size"));
        }
        self.state.copy_from_slice(new_state);
        Ok(prob)
    }
}

/// Hysteresis settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// A chunk at or above this starts (or continues) speech.
    pub start_threshold: f32,
    /// A chunk below this may end speech.
    pub stop_threshold: f32,
    /// Shorter bursts are not speech (coughs, clicks).
    pub min_speech_ms: u32,
    /// Shorter pauses do not end a segment.
    pub min_silence_ms: u32,
    /// Added before and after each segment.
    pub pad_ms: u32,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            start_threshold: 0.5,
            stop_threshold: 0.35,
            min_speech_ms: 250,
            min_silence_ms: 300,
            pad_ms: 30,
        }
    }
}

/// A stretch of speech.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpeechSegment {
    /// Start, seconds from the beginning.
    pub start_s: f64,
    /// End, seconds from the beginning.
    pub end_s: f64,
}

/// Turns per-chunk probabilities into segments as they arrive.
#[derive(Debug, Clone)]
pub struct Segmenter {
    config: VadConfig,
    chunks: u64,
    start: Option<u64>,
    silence_since: Option<u64>,
}

fn ms(chunks: u64) -> u64 {
    chunks * CHUNK as u64 * 1000 / u64::from(SAMPLE_RATE)
}

impl Segmenter {
    /// A segmenter at the start of a stream.
    pub fn new(config: VadConfig) -> Self {
        Self {
            config,
            chunks: 0,
            start: None,
            silence_since: None,
        }
    }

    fn close(&self, start: u64, end: u64) -> Option<SpeechSegment> {
        if ms(end - start) < u64::from(self.config.min_speech_ms) {
            return None;
        }
        let pad = f64::from(self.config.pad_ms) / 1000.0;
        let secs = |c: u64| (c * CHUNK as u64) as f64 / f64::from(SAMPLE_RATE);
        Some(SpeechSegment {
            start_s: (secs(start) - pad).max(0.0),
            end_s: secs(end) + pad,
        })
    }

    /// Feeds the next chunk's probability; returns a segment that just ended.
    pub fn push(&mut self, prob: f32) -> Option<SpeechSegment> {
        let i = self.chunks;
        self.chunks += 1;
        if prob >= self.config.start_threshold {
            self.silence_since = None;
            if self.start.is_none() {
                self.start = Some(i);
            }
            return None;
        }
        let start = self.start?;
        if prob >= self.config.stop_threshold {
            return None;
        }
        let since = *self.silence_since.get_or_insert(i);
        if ms(i + 1 - since) < u64::from(self.config.min_silence_ms) {
            return None;
        }
        self.start = None;
        self.silence_since = None;
        self.close(start, since)
    }

    /// Whether speech is going on now.
    pub fn in_speech(&self) -> bool {
        self.start.is_some() && self.silence_since.is_none()
    }

    /// Ends the stream; returns the segment still open, if any.
    pub fn finish(&mut self) -> Option<SpeechSegment> {
        let start = self.start.take()?;
        let end = self.silence_since.take().unwrap_or(self.chunks);
        self.close(start, end)
    }
}

/// The result of running voice detection over a recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoiceReport {
    /// Length of the recording, seconds.
    pub duration_s: f64,
    /// Fraction of the recording inside speech segments.
    pub speech_ratio: f64,
    /// The speech segments.
    pub segments: Vec<SpeechSegment>,
    /// The probability of each 32 ms chunk.
    #[serde(skip)]
    pub probabilities: Vec<f32>,
}

/// Runs voice detection over a whole 16 kHz mono recording.
pub fn detect_voice(
    det: &mut VoiceDetector,
    samples: &[f32],
    config: VadConfig,
) -> Result<VoiceReport, DetectError> {
    det.reset();
    let mut seg = Segmenter::new(config);
    let mut segments = Vec::new();
    let mut probabilities = Vec::with_capacity(samples.len() / CHUNK + 1);
    let mut chunk = [0f32; CHUNK];
    for part in samples.chunks(CHUNK) {
        chunk[..part.len()].copy_from_slice(part);
        chunk[part.len()..].fill(0.0);
        let p = det.process(&chunk)?;
        probabilities.push(p);
        segments.extend(seg.push(p));
    }
    segments.extend(seg.finish());
    let duration_s = samples.len() as f64 / f64::from(SAMPLE_RATE);
    for s in &mut segments {
        s.end_s = s.end_s.min(duration_s);
    }
    let speech = segments
        .iter()
        .fold(0.0, |acc, s| acc + (s.end_s - s.start_s));
    Ok(VoiceReport {
        duration_s,
        speech_ratio: if duration_s > 0.0 {
            (speech / duration_s).min(1.0)
        } else {
            0.0
        },
        segments,
        probabilities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(probs: &[f32]) -> Vec<SpeechSegment> {
        let mut s = Segmenter::new(VadConfig::default());
        let mut out: Vec<SpeechSegment> = probs.iter().filter_map(|p| s.push(*p)).collect();
        out.extend(s.finish());
        out
    }

    #[test]
    fn hysteresis_joins_short_pauses_and_drops_short_bursts() {
        // 1 s of speech (31 chunks), a 96 ms dip, 1 s more: one segment.
        let mut p = vec![0.9; 31];
        p.extend([0.1; 3]);
        p.extend([0.9; 31]);
        p.extend([0.0; 20]);
        let segs = run(&p);
        assert_eq!(segs.len(), 1, "{segs:?}");
        assert!(
            (segs[0].start_s - 0.0).abs() < 0.05 && (segs[0].end_s - 2.11).abs() < 0.05,
            "{segs:?}"
        );
        // A 64 ms click is not speech.
        assert!(run(&[0.0, 0.9, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]).is_empty());
        // Values between the thresholds keep speech going but do not start it.
        assert!(run(&[0.4; 40]).is_empty());
        let mut p = vec![0.9; 10];
        p.extend([0.4; 20]);
        assert_eq!(run(&p).len(), 1);
    }

    #[test]
    fn a_segment_open_at_the_end_is_closed() {
        let segs = run(&[0.9; 20]);
        assert_eq!(segs.len(), 1);
    }
}
