//! Audio clips as Ogg Opus (RFC 7845): speech at 24 kbit/s is about 3 kB
//! per second — a 15-second clip is ~45 kB where FLAC would be ~400 kB —
//! and every browser and media player a reviewer uses plays it. Encoded by
//! libopus (the reference codec, built from source by the `opus` crate's
//! build, so nothing depends on a system library at run time).

use std::io::Cursor;

use ogg::{PacketReader, PacketWriteEndInfo, PacketWriter};
use opus::{Application, Bitrate, Channels, Decoder, Encoder};

use crate::error::CaptureError;

/// The rate clips are encoded at: the voice pipeline's rate.
pub const CLIP_RATE: u32 = 16_000;
/// Bit rate: clear speech, ~3 kB/s.
pub const BITRATE: i32 = 24_000;
/// Samples per Opus frame at [`CLIP_RATE`] (20 ms).
const FRAME: usize = 320;
/// Ogg granule positions always count 48 kHz samples.
const GRANULE_PER_SAMPLE: u64 = 48_000 / CLIP_RATE as u64;

fn err(e: impl std::fmt::Display) -> CaptureError {
    CaptureError::encode("audio clip", e)
}

/// Encodes 16 kHz mono samples in [-1, 1] as an Ogg Opus file. `serial`
/// names the Ogg stream (any number; a clip's sequence number is fine).
pub fn encode_ogg_opus(samples: &[f32], serial: u32) -> Result<Vec<u8>, CaptureError> {
    let mut enc = Encoder::new(CLIP_RATE, Channels::Mono, Application::Voip).map_err(err)?;
    enc.set_bitrate(Bitrate::Bits(BITRATE)).map_err(err)?;
    let lookahead = usize::try_from(enc.get_lookahead().map_err(err)?).unwrap_or(0);
    let pre_skip = u16::try_from(lookahead as u64 * GRANULE_PER_SAMPLE).map_err(err)?;

    let mut w = PacketWriter::new(Cursor::new(Vec::with_capacity(samples.len() / 4)));
    let mut head = Vec::with_capacity(19);
    head.extend_from_slice(b"OpusHead");
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&CLIP_RATE.to_le_bytes()); // original input rate
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // channel mapping family: mono/stereo
    w.write_packet(head, serial, PacketWriteEndInfo::EndPage, 0)
        .map_err(err)?;
    let vendor = format!(
        "paraakh {} (libopus {})",
        env!("CARGO_PKG_VERSION"),
        opus::version()
    );
    let mut tags = Vec::new();
    tags.extend_from_slice(b"OpusTags");
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor.as_bytes());
    tags.extend_from_slice(&0u32.to_le_bytes()); // no user comments
    w.write_packet(tags, serial, PacketWriteEndInfo::EndPage, 0)
        .map_err(err)?;

    // The encoder lags by `lookahead` samples: feed that much silence after
    // the clip so its end is in the stream, then trim it with the granule.
    let total = samples.len() + lookahead;
    let frames = total.div_ceil(FRAME).max(1);
    let end_granule = u64::from(pre_skip) + samples.len() as u64 * GRANULE_PER_SAMPLE;
    let mut frame = [0f32; FRAME];
    for n in 0..frames {
        frame.fill(0.0);
        let start = n * FRAME;
        if start < samples.len() {
            let part = &samples[start..(start + FRAME).min(samples.len())];
            for (f, s) in frame.iter_mut().zip(part) {
                *f = if s.is_finite() {
                    s.clamp(-1.0, 1.0)
                } else {
                    0.0
                };
            }
        }
        let packet = enc.encode_vec_float(&frame, 1500).map_err(err)?;
        let last = n + 1 == frames;
        let granule = if last {
            end_granule
        } else {
            (n as u64 + 1) * FRAME as u64 * GRANULE_PER_SAMPLE
        };
        // A page a second keeps seeking cheap and pages small.
        let end = if last {
            PacketWriteEndInfo::EndStream
        } else if (n + 1) % 50 == 0 {
            PacketWriteEndInfo::EndPage
        } else {
            PacketWriteEndInfo::NormalPacket
        };
        w.write_packet(packet, serial, end, granule).map_err(err)?;
    }
    Ok(w.into_inner().into_inner())
}

/// Decodes an Ogg Opus clip made by [`encode_ogg_opus`] (or any mono Ogg
/// Opus stream) back to 16 kHz mono samples, pre-skip and end trimming applied.
pub fn decode_ogg_opus(bytes: &[u8]) -> Result<Vec<f32>, CaptureError> {
    let derr =
        |e: &dyn std::fmt::Display| CaptureError::encode("audio clip (decoding)", e.to_string());
    let mut r = PacketReader::new(Cursor::new(bytes));
    let head = r
        .read_packet()
        .map_err(|e| derr(&e))?
        .ok_or_else(|| derr(&"empty stream"))?;
    if head.data.len() < 19 || &head.data[..8] != b"OpusHead" || head.data[9] != 1 {
        return Err(derr(&"not a mono Ogg Opus stream"));
    }
    let pre_skip = u64::from(u16::from_le_bytes([head.data[10], head.data[11]]));
    let tags = r.read_packet().map_err(|e| derr(&e))?;
    if !tags.is_some_and(|t| t.data.starts_with(b"OpusTags")) {
        return Err(derr(&"the OpusTags header is missing"));
    }
    let mut dec = Decoder::new(CLIP_RATE, Channels::Mono).map_err(|e| derr(&e))?;
    let mut out = Vec::new();
    let mut buf = vec![0f32; 5760];
    let mut last_granule = 0u64;
    while let Some(p) = r.read_packet().map_err(|e| derr(&e))? {
        let n = dec
            .decode_float(&p.data, &mut buf, false)
            .map_err(|e| derr(&e))?;
        out.extend_from_slice(&buf[..n]);
        last_granule = p.absgp_page();
    }
    let skip = (pre_skip / GRANULE_PER_SAMPLE) as usize;
    let keep = (last_granule.saturating_sub(pre_skip) / GRANULE_PER_SAMPLE) as usize;
    Ok(out.into_iter().skip(skip).take(keep).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / CLIP_RATE as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn a_clip_round_trips_with_its_length_and_level() {
        let input = tone(440.0, 16_000 * 2 + 123);
        let ogg = encode_ogg_opus(&input, 7).unwrap();
        assert_eq!(&ogg[..4], b"OggS");
        // ~24 kbit/s: 2 s is about 6 kB.
        assert!(ogg.len() < 9_000, "{} bytes", ogg.len());
        let back = decode_ogg_opus(&ogg).unwrap();
        assert_eq!(back.len(), input.len());
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let (a, b) = (rms(&input[1000..30_000]), rms(&back[1000..30_000]));
        assert!((a - b).abs() / a < 0.1, "rms {a} vs {b}");
        // Aligned: the decoded tone correlates with the original, sample for sample.
        let dot: f32 = input[1000..30_000]
            .iter()
            .zip(&back[1000..30_000])
            .map(|(x, y)| x * y)
            .sum();
        let corr = dot / (a * b * 29_000.0);
        assert!(corr > 0.9, "correlation {corr}");
    }

    #[test]
    fn an_empty_clip_is_still_a_valid_stream() {
        let ogg = encode_ogg_opus(&[], 1).unwrap();
        assert!(decode_ogg_opus(&ogg).unwrap().is_empty());
    }

    #[test]
    fn garbage_does_not_decode() {
        assert!(decode_ogg_opus(b"definitely not ogg").is_err());
        assert!(decode_ogg_opus(&[]).is_err());
    }
}
