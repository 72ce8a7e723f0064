//! The microphone path, the same for a real device and a replayed file:
//! native samples (any rate, any channel count) → mono → 16 kHz → 512-sample
//! chunks for the voice detector (a bounded queue), a ring buffer of recent
//! audio for clips with pre-roll, and a level meter for the system check.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use paraakh_evidence::clock::{Clock, Timestamp};
use paraakh_signal::{DropOldestQueue, Resampler, downmix};

/// The rate everything downstream works at.
pub const RATE: u32 = 16_000;
/// Samples per chunk: 32 ms, the voice detector's step.
pub const CHUNK: usize = 512;

/// 32 ms of 16 kHz mono audio.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioChunk {
    /// The samples, in [-1, 1].
    pub samples: Vec<f32>,
    /// Index of the first sample in the stream (at 16 kHz, from 0).
    pub first_sample: u64,
    /// When the block that completed it arrived.
    pub at: Timestamp,
}

/// Loudness over the last ~100 ms.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Level {
    /// RMS level in dBFS (−∞ for digital silence, shown as −120).
    pub rms_dbfs: f32,
    /// Peak level in dBFS.
    pub peak_dbfs: f32,
}

fn dbfs(x: f32) -> f32 {
    if x <= 1e-6 { -120.0 } else { 20.0 * x.log10() }
}

/// The parts shared between the capture side and its readers.
#[derive(Debug)]
pub struct AudioShared {
    chunks: DropOldestQueue<AudioChunk>,
    ring: Mutex<Ring>,
    rms_bits: AtomicU32,
    peak_bits: AtomicU32,
    samples: AtomicU64,
}

#[derive(Debug)]
struct Ring {
    samples: VecDeque<f32>,
    capacity: usize,
    /// Stream index of `samples[0]`.
    first: u64,
}

impl AudioShared {
    /// Chunks for the voice detector, waiting at most `timeout`.
    pub fn next_chunk(&self, timeout: std::time::Duration) -> Option<AudioChunk> {
        self.chunks.pop_timeout(timeout)
    }

    /// Chunks dropped because the reader was behind.
    pub fn dropped_chunks(&self) -> u64 {
        self.chunks.dropped()
    }

    /// The current level.
    pub fn level(&self) -> Level {
        Level {
            rms_dbfs: f32::from_bits(self.rms_bits.load(Ordering::Relaxed)),
            peak_dbfs: f32::from_bits(self.peak_bits.load(Ordering::Relaxed)),
        }
    }

    /// 16 kHz samples delivered so far.
    pub fn samples(&self) -> u64 {
        self.samples.load(Ordering::Relaxed)
    }

    /// Seconds of audio delivered so far.
    pub fn seconds(&self) -> f64 {
        self.samples() as f64 / f64::from(RATE)
    }

    /// The audio from stream sample `from` up to `to` (exclusive), as much of
    /// it as the ring still holds: a clip that starts before speech was
    /// detected (pre-roll).
    pub fn clip(&self, from: u64, to: u64) -> Vec<f32> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let start = from.max(ring.first);
        let end = to.min(ring.first + ring.samples.len() as u64);
        if start >= end {
            return Vec::new();
        }
        ring.samples
            .range((start - ring.first) as usize..(end - ring.first) as usize)
            .copied()
            .collect()
    }

    /// No more audio will come (the device stopped, or the stream ended).
    pub fn close(&self) {
        self.chunks.close();
    }

    /// Whether the audio ended.
    pub fn is_closed(&self) -> bool {
        self.chunks.is_closed()
    }
}

/// The converting side, owned by whoever delivers native samples (a device
/// callback, a replay thread).
pub struct AudioPipeline {
    shared: Arc<AudioShared>,
    channels: usize,
    resampler: Resampler,
    mono: Vec<f32>,
    resampled: Vec<f32>,
    pending: Vec<f32>,
    next_first: u64,
    clock: Arc<dyn Clock>,
    meter: Vec<f32>,
}

impl std::fmt::Debug for AudioPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioPipeline")
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

/// Samples the level meter looks at: 100 ms.
const METER: usize = RATE as usize / 10;

impl AudioPipeline {
    /// A pipeline for `channels` interleaved channels at `rate` Hz, keeping
    /// `ring_seconds` of recent audio for clips and up to `queue_chunks`
    /// chunks waiting for the detector.
    pub fn new(
        rate: u32,
        channels: u16,
        ring_seconds: f64,
        queue_chunks: usize,
        clock: Arc<dyn Clock>,
    ) -> (Self, Arc<AudioShared>) {
        let capacity = (ring_seconds.max(0.0) * f64::from(RATE)) as usize;
        let shared = Arc::new(AudioShared {
            chunks: DropOldestQueue::new(queue_chunks),
            ring: Mutex::new(Ring {
                samples: VecDeque::with_capacity(capacity),
                capacity,
                first: 0,
            }),
            rms_bits: AtomicU32::new((-120f32).to_bits()),
            peak_bits: AtomicU32::new((-120f32).to_bits()),
            samples: AtomicU64::new(0),
        });
        let pipeline = Self {
            shared: Arc::clone(&shared),
            channels: usize::from(channels.max(1)),
            resampler: Resampler::new(rate, RATE),
            mono: Vec::new(),
            resampled: Vec::new(),
            pending: Vec::with_capacity(CHUNK),
            next_first: 0,
            clock,
            meter: Vec::with_capacity(METER),
        };
        (pipeline, shared)
    }

    /// Takes the next block of interleaved native samples in [-1, 1].
    pub fn push(&mut self, interleaved: &[f32]) {
        self.mono.clear();
        downmix(interleaved, self.channels, &mut self.mono);
        self.resampled.clear();
        self.resampler.process(&self.mono, &mut self.resampled);
        let out = std::mem::take(&mut self.resampled);
        self.deliver(&out);
        self.resampled = out;
    }

    /// The stream ended: flush what the resampler holds, close the queue.
    pub fn finish(&mut self) {
        let mut tail = Vec::new();
        self.resampler.finish(&mut tail);
        self.deliver(&tail);
        self.shared.close();
    }

    fn deliver(&mut self, samples: &[f32]) {
        if samples.is_empty() {
            return;
        }
        {
            let mut ring = self.shared.ring.lock().unwrap_or_else(|p| p.into_inner());
            if ring.capacity > 0 {
                ring.samples.extend(samples.iter().copied());
                let excess = ring.samples.len().saturating_sub(ring.capacity);
                ring.samples.drain(..excess);
                ring.first += excess as u64;
            } else {
                ring.first += samples.len() as u64;
            }
        }
        self.shared
            .samples
            .fetch_add(samples.len() as u64, Ordering::Relaxed);
        let now = self.clock.now();
        for s in samples {
            self.pending.push(*s);
            if self.pending.len() == CHUNK {
                let chunk = AudioChunk {
                    samples: std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK)),
                    first_sample: self.next_first,
                    at: now,
                };
                self.next_first += CHUNK as u64;
                self.shared.chunks.push(chunk);
            }
            self.meter.push(*s);
            if self.meter.len() == METER {
                let rms = (self.meter.iter().map(|v| v * v).sum::<f32>() / METER as f32).sqrt();
                let peak = self.meter.iter().fold(0f32, |m, v| m.max(v.abs()));
                self.shared
                    .rms_bits
                    .store(dbfs(rms).to_bits(), Ordering::Relaxed);
                self.shared
                    .peak_bits
                    .store(dbfs(peak).to_bits(), Ordering::Relaxed);
                self.meter.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paraakh_evidence::clock::SystemClock;
    use std::time::Duration;

    fn tone(rate: u32, channels: usize, secs: f32, amp: f32) -> Vec<f32> {
        (0..(rate as f32 * secs) as usize)
            .flat_map(|i| {
                let v = (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin() * amp;
                std::iter::repeat_n(v, channels)
            })
            .collect()
    }

    #[test]
    fn stereo_48k_becomes_16k_chunks_with_level_and_pre_roll() {
        let (mut p, shared) = AudioPipeline::new(48_000, 2, 3.0, 1000, Arc::new(SystemClock));
        for block in tone(48_000, 2, 2.0, 0.5).chunks(960) {
            p.push(block);
        }
        p.finish();
        assert_eq!(shared.samples(), 32_000);
        let mut n = 0;
        let mut expect_first = 0;
        while let Some(c) = shared.next_chunk(Duration::from_millis(1)) {
            assert_eq!(c.samples.len(), CHUNK);
            assert_eq!(c.first_sample, expect_first);
            expect_first += CHUNK as u64;
            n += 1;
        }
        assert_eq!(n, 32_000 / CHUNK);
        // A sine of amplitude 0.5: RMS −9 dBFS, peak −6 dBFS.
        let level = shared.level();
        assert!((level.rms_dbfs + 9.03).abs() < 0.3, "{level:?}");
        assert!((level.peak_dbfs + 6.02).abs() < 0.3, "{level:?}");
        // The ring holds the last 3 s, so all of it here.
        assert_eq!(shared.clip(16_000, 20_000).len(), 4_000);
    }

    #[test]
    fn the_ring_keeps_only_its_capacity() {
        let (mut p, shared) = AudioPipeline::new(16_000, 1, 1.0, 10, Arc::new(SystemClock));
        for block in tone(16_000, 1, 5.0, 0.1).chunks(160) {
            p.push(block);
        }
        assert!(shared.clip(0, 60_000).len() <= 16_000);
        assert_eq!(shared.clip(64_000, 80_000).len(), 16_000);
        assert!(shared.clip(0, 10_000).is_empty(), "older audio is gone");
        // 156 chunks produced, 10 kept: the rest dropped and counted.
        assert_eq!(shared.dropped_chunks(), 156 - 10);
    }

    #[test]
    fn silence_reads_as_minus_120_dbfs() {
        let (mut p, shared) = AudioPipeline::new(16_000, 1, 0.0, 10, Arc::new(SystemClock));
        p.push(&[0.0; 3200]);
        assert_eq!(shared.level().rms_dbfs, -120.0);
    }
}
