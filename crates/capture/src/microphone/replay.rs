//! A replayed microphone: a WAV file fed through the same pipeline as a
//! device, in 10 ms blocks, at real-time pace or as fast as it goes.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use paraakh_evidence::clock::Clock;

use super::pipeline::{AudioPipeline, AudioShared};
use crate::consent::Consent;
use crate::error::{CaptureError, Device};

/// A WAV file playing into an [`AudioPipeline`].
#[derive(Debug)]
pub struct WavReplay {
    shared: Arc<AudioShared>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// Reads a whole WAV file: interleaved samples, rate and channels.
pub fn read_wav(path: &Path) -> Result<paraakh_signal::wav::Wav, CaptureError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CaptureError::replay(path, format!("cannot open: {e}")))?;
    paraakh_signal::wav::decode(std::io::BufReader::new(file))
        .map_err(|e| CaptureError::replay(path, format!("is not a readable WAV file: {e}")))
}

impl WavReplay {
    /// Starts playing `path` (real time when `realtime`, else as fast as the
    /// pipeline takes it). Needs consent to the microphone, like a device.
    pub fn start(
        path: &Path,
        realtime: bool,
        ring_seconds: f64,
        queue_chunks: usize,
        consent: &Consent,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CaptureError> {
        consent.require(Device::Microphone)?;
        // Streamed a block at a time: an hour of replayed audio costs no
        // more memory than a second of it.
        let file = std::fs::File::open(path)
            .map_err(|e| CaptureError::replay(path, format!("cannot open: {e}")))?;
        let mut wav = paraakh_signal::wav::WavStream::open(std::io::BufReader::new(file))
            .map_err(|e| CaptureError::replay(path, format!("is not a readable WAV file: {e}")))?;
        let (rate, channels) = (wav.sample_rate(), wav.channels());
        let (mut pipeline, shared) =
            AudioPipeline::new(rate, channels, ring_seconds, queue_chunks, clock);
        let stop = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let block = (rate as usize / 100).max(1) * usize::from(channels);
        let handle = std::thread::Builder::new()
            .name("paraakh-wav-replay".into())
            .spawn(move || {
                let start = Instant::now();
                let mut buf = Vec::with_capacity(block);
                for i in 0u64.. {
                    if s.load(Ordering::Relaxed) {
                        break;
                    }
                    buf.clear();
                    // A damaged tail ends the replay, as a device unplugged would.
                    if !matches!(wav.read_block(&mut buf, block), Ok(n) if n > 0) {
                        break;
                    }
                    if realtime {
                        let due = start + Duration::from_millis(10 * i);
                        let now = Instant::now();
                        if due > now {
                            std::thread::sleep(due - now);
                        }
                    }
                    pipeline.push(&buf);
                }
                pipeline.finish();
            })
            .map_err(|e| CaptureError::replay(path, e))?;
        Ok(Self {
            shared,
            stop,
            handle: Some(handle),
        })
    }

    /// Chunks, level and clips.
    pub fn audio(&self) -> &Arc<AudioShared> {
        &self.shared
    }
}

impl Drop for WavReplay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
