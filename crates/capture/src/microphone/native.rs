//! The real microphone through cpal (ALSA, and through it PulseAudio or
//! PipeWire, on Linux; WASAPI and CoreAudio on Windows and macOS, built
//! there but not tested here).
//!
//! A cpal stream is not `Send` everywhere, so it lives on a thread of its
//! own; the device callback converts each block into the shared
//! [`AudioPipeline`] without waiting on anyone.

use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use paraakh_evidence::clock::Clock;
use paraakh_signal::DropOldestQueue;

use super::pipeline::{AudioPipeline, AudioShared};
use crate::consent::Consent;
use crate::error::{CaptureError, Device};

/// How long opening may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// An input device as the system lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MicrophoneInfo {
    /// The host's id for it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The system's default input.
    pub default: bool,
    /// Native format: sample rate (Hz).
    pub sample_rate: u32,
    /// Native format: channels.
    pub channels: u16,
    /// Native format: sample type.
    pub sample_format: String,
}

fn device_name(d: &cpal::Device) -> String {
    d.description()
        .map(|desc| desc.name().to_owned())
        .unwrap_or_else(|_| d.to_string())
}

fn describe(d: &cpal::Device, default_id: Option<&str>) -> Option<MicrophoneInfo> {
    let config = d.default_input_config().ok()?;
    let id = d.id().map(|i| i.to_string()).unwrap_or_default();
    Some(MicrophoneInfo {
        default: default_id == Some(id.as_str()),
        id,
        name: device_name(d),
        sample_rate: config.sample_rate(),
        channels: config.channels(),
        sample_format: config.sample_format().to_string(),
    })
}

fn not_found(name: &str, hint: String) -> CaptureError {
    CaptureError::NotFound {
        device: Device::Microphone,
        name: name.to_owned(),
        hint,
    }
}

/// The input devices, the default first.
pub fn list() -> Result<Vec<MicrophoneInfo>, CaptureError> {
    let host = cpal::default_host();
    let default_id = host
        .default_input_device()
        .and_then(|d| d.id().ok())
        .map(|i| i.to_string());
    let devices = host.input_devices().map_err(|e| {
        not_found(
            "",
            format!("the system's audio devices cannot be listed ({e})"),
        )
    })?;
    let mut out: Vec<MicrophoneInfo> = devices
        .filter_map(|d| describe(&d, default_id.as_deref()))
        .collect();
    out.sort_by_key(|m| !m.default);
    Ok(out)
}

/// A microphone delivering into an [`AudioPipeline`] on its own thread.
pub struct Microphone {
    info: MicrophoneInfo,
    shared: Arc<AudioShared>,
    events: Arc<DropOldestQueue<String>>,
    stop: Option<Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Microphone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Microphone")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// What cpal calls the system's default device.
const DEFAULT_DEVICE: &str = "Default Audio Device";

fn classify(name: &str, e: &cpal::Error) -> CaptureError {
    use cpal::ErrorKind as K;
    match e.kind() {
        K::DeviceBusy => CaptureError::Busy {
            device: Device::Microphone,
            name: name.to_owned(),
        },
        // The system's default device is not "named" by anyone.
        K::DeviceNotAvailable | K::HostUnavailable => not_found(
            if name == DEFAULT_DEVICE { "" } else { name },
            format!("connect a microphone, or check the system's sound settings ({e})"),
        ),
        K::PermissionDenied => CaptureError::Open {
            device: Device::Microphone,
            name: name.to_owned(),
            reason: format!(
                "permission denied: allow microphone access in the system's privacy settings ({e})"
            ),
        },
        _ => CaptureError::Open {
            device: Device::Microphone,
            name: name.to_owned(),
            reason: e.to_string(),
        },
    }
}

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut pipeline: AudioPipeline,
    events: Arc<DropOldestQueue<String>>,
    shared: Arc<AudioShared>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let mut block: Vec<f32> = Vec::new();
    device.build_input_stream::<T, _, _>(
        config,
        move |data: &[T], _| {
            block.clear();
            block.extend(data.iter().map(|s| s.to_sample::<f32>()));
            pipeline.push(&block);
        },
        move |err: cpal::Error| {
            let fatal = matches!(
                err.kind(),
                cpal::ErrorKind::DeviceNotAvailable | cpal::ErrorKind::HostUnavailable
            );
            events.push(if fatal {
                format!("the microphone stopped: {err}")
            } else {
                format!("microphone: {err}")
            });
            if fatal {
                shared.close();
            }
        },
        Some(OPEN_TIMEOUT),
    )
}

impl Microphone {
    /// Opens the default input (`name` `None`) or the one whose name or id
    /// contains `name`, keeping `ring_seconds` of audio for clips and up to
    /// `queue_chunks` 32 ms chunks for the detector. Needs consent to the
    /// microphone.
    pub fn open(
        name: Option<&str>,
        ring_seconds: f64,
        queue_chunks: usize,
        consent: &Consent,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CaptureError> {
        consent.require(Device::Microphone)?;
        let wanted = name.map(str::to_owned);
        let events = Arc::new(DropOldestQueue::new(64));
        let (ready_tx, ready_rx) =
            sync_channel::<Result<(MicrophoneInfo, Arc<AudioShared>), CaptureError>>(1);
        let (stop_tx, stop_rx) = channel::<()>();
        let ev = Arc::clone(&events);
        let handle = std::thread::Builder::new()
            .name("paraakh-microphone".into())
            .spawn(move || {
                let opened = (|| {
                    let host = cpal::default_host();
                    let label = wanted.clone().unwrap_or_default();
                    let device = match &wanted {
                        None => host.default_input_device().ok_or_else(|| {
                            not_found("", "the system has no default input: connect a microphone or choose one in the sound settings".into())
                        })?,
                        Some(w) => host
                            .input_devices()
                            .map_err(|e| classify(w, &e))?
                            .find(|d| {
                                device_name(d).contains(w.as_str())
                                    || d.id().is_ok_and(|i| i.to_string().contains(w.as_str()))
                            })
                            .ok_or_else(|| not_found(w, "see `paraakh capture devices` for the names".into()))?,
                    };
                    let label = if label.is_empty() { device_name(&device) } else { label };
                    let supported = device.default_input_config().map_err(|e| classify(&label, &e))?;
                    let default_id = wanted.is_none().then(|| device.id().map(|i| i.to_string()).unwrap_or_default());
                    let info = describe(&device, default_id.as_deref())
                        .ok_or_else(|| not_found(&label, "it has no input configuration".into()))?;
                    let (pipeline, shared) = AudioPipeline::new(
                        supported.sample_rate(),
                        supported.channels(),
                        ring_seconds,
                        queue_chunks,
                        clock,
                    );
                    let config = supported.config();
                    let s = Arc::clone(&shared);
                    let stream = match supported.sample_format() {
                        SampleFormat::F32 => build::<f32>(&device, config, pipeline, ev, s),
                        SampleFormat::I16 => build::<i16>(&device, config, pipeline, ev, s),
                        SampleFormat::U16 => build::<u16>(&device, config, pipeline, ev, s),
                        SampleFormat::I32 => build::<i32>(&device, config, pipeline, ev, s),
                        SampleFormat::U32 => build::<u32>(&device, config, pipeline, ev, s),
                        SampleFormat::I8 => build::<i8>(&device, config, pipeline, ev, s),
                        SampleFormat::U8 => build::<u8>(&device, config, pipeline, ev, s),
                        SampleFormat::F64 => build::<f64>(&device, config, pipeline, ev, s),
                        other => {
                            return Err(CaptureError::Open {
                                device: Device::Microphone,
                                name: label,
                                reason: format!("its sample format {other} is not supported"),
                            });
                        }
                    }
                    .map_err(|e| classify(&label, &e))?;
                    stream.play().map_err(|e| classify(&label, &e))?;
                    Ok((stream, info, shared))
                })();
                match opened {
                    Ok((stream, info, shared)) => {
                        let closer = Arc::clone(&shared);
                        if ready_tx.send(Ok((info, shared))).is_err() {
                            return;
                        }
                        // Keep the stream alive until asked to stop.
                        let _ = stop_rx.recv();
                        drop(stream);
                        closer.close();
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| CaptureError::Open {
                device: Device::Microphone,
                name: name.unwrap_or_default().to_owned(),
                reason: e.to_string(),
            })?;
        let (info, shared) = match ready_rx.recv_timeout(OPEN_TIMEOUT) {
            Ok(r) => r?,
            Err(RecvTimeoutError::Timeout) => {
                return Err(CaptureError::Timeout {
                    device: Device::Microphone,
                    seconds: OPEN_TIMEOUT.as_secs_f64(),
                });
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(CaptureError::Open {
                    device: Device::Microphone,
                    name: name.unwrap_or_default().to_owned(),
                    reason: "the audio thread stopped while opening".into(),
                });
            }
        };
        Ok(Self {
            info,
            shared,
            events,
            stop: Some(stop_tx),
            handle: Some(handle),
        })
    }

    /// The device.
    pub fn info(&self) -> &MicrophoneInfo {
        &self.info
    }

    /// Chunks, level and clips.
    pub fn audio(&self) -> &Arc<AudioShared> {
        &self.shared
    }

    /// A device message (errors, reroutes), if one is waiting.
    pub fn next_event(&self) -> Option<String> {
        self.events.try_pop()
    }
}

impl Drop for Microphone {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
