//! Voice accuracy harness: speech made with espeak-ng in several voices and
//! languages, placed between silences and mixed with white and pink noise at
//! 20, 10 and 0 dB SNR; and sounds that are not speech: silence, faint
//! noise, white and pink noise, keyboard-like clicks, music, mains hum.
//!
//! Measured: frame accuracy (per 32 ms chunk, against labels from the clean
//! speech's energy) by condition, and the share of non-speech sound reported
//! as speech.

use std::fmt::Write as _;
use std::process::Command;

use paraakh_detect::vad::{CHUNK, SAMPLE_RATE};
use paraakh_detect::{VadConfig, VoiceDetector, audio, detect_voice};

use super::support::{Rng, report_path, runtime, skip};

const VOICES: &[(&str, &str)] = &[
    (
        "en-us",
        "The exam has started. Please keep your eyes on the screen and answer every question.",
    ),
    (
        "en-gb+f3",
        "Could you tell me the answer to question seven? I think it is the second option.",
    ),
    (
        "de",
        "Die Prüfung beginnt jetzt. Bitte lesen Sie jede Frage sorgfältig durch.",
    ),
    (
        "fr-fr+m4",
        "Est-ce que tu as trouvé la réponse à la troisième question de physique?",
    ),
    (
        "es",
        "Necesito ayuda con este problema de matemáticas, no entiendo la fórmula.",
    ),
    (
        "hi",
        "मुझे इस प्रश्न का उत्तर बताओ, परीक्षा का समय लगभग खत्म हो गया है।",
    ),
    (
        "it+f2",
        "Scrivi la risposta sul foglio e poi passamelo sotto il banco.",
    ),
    (
        "en-us+m7",
        "Newton's second law says that force equals mass times acceleration.",
    ),
];

fn espeak(voice: &str, text: &str, dir: &std::path::Path, i: usize) -> Option<Vec<f32>> {
    let path = dir.join(format!("speech-{i}.wav"));
    let ok = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "155", "-w"])
        .arg(&path)
        .arg(text)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return None;
    }
    let (samples, rate) = audio::read_wav(&path).unwrap();
    Some(audio::resample(&samples, rate, SAMPLE_RATE))
}

fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
}

fn white(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.unit() * 2.0 - 1.0).collect()
}

/// Pink noise (Paul Kellet's economy filter over white noise).
fn pink(rng: &mut Rng, n: usize) -> Vec<f32> {
    let (mut b0, mut b1, mut b2) = (0f32, 0f32, 0f32);
    (0..n)
        .map(|_| {
            let w = rng.unit() * 2.0 - 1.0;
            b0 = 0.99765 * b0 + w * 0.0990460;
            b1 = 0.96300 * b1 + w * 0.2965164;
            b2 = 0.57000 * b2 + w * 1.0526913;
            (b0 + b1 + b2 + w * 0.1848) * 0.25
        })
        .collect()
}

fn scaled(x: Vec<f32>, target_rms: f32) -> Vec<f32> {
    let r = rms(&x).max(1e-9);
    x.into_iter().map(|v| v * target_rms / r).collect()
}

/// Keyboard-like clicks: short decaying noise bursts at irregular intervals.
fn clicks(rng: &mut Rng, n: usize) -> Vec<f32> {
    let mut out = vec![0f32; n];
    let mut at = 0usize;
    while at < n {
        at += 1_600 + rng.below(4_000) as usize;
        let len = 80 + rng.below(160) as usize;
        for k in 0..len.min(n.saturating_sub(at)) {
            out[at + k] = (rng.unit() * 2.0 - 1.0) * 0.4 * (-(k as f32) / 40.0).exp();
        }
    }
    out
}

/// Music: a melody of harmonic notes with chords.
fn music(n: usize) -> Vec<f32> {
    let notes = [
        261.6, 329.6, 392.0, 523.3, 392.0, 329.6, 293.7, 349.2, 440.0, 349.2,
    ];
    let note_len = SAMPLE_RATE as usize / 3;
    (0..n)
        .map(|i| {
            let f = notes[(i / note_len) % notes.len()];
            let t = i as f32 / SAMPLE_RATE as f32;
            let env = 1.0 - ((i % note_len) as f32 / note_len as f32) * 0.6;
            let mut v = 0.0;
            for (h, amp) in [(1.0, 0.5), (2.0, 0.25), (3.0, 0.12), (1.5, 0.2)] {
                v += amp * (2.0 * std::f32::consts::PI * f * h * t).sin();
            }
            v * env * 0.4
        })
        .collect()
}

fn hum(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / SAMPLE_RATE as f32;
            0.1 * (2.0 * std::f32::consts::PI * 50.0 * t).sin()
                + 0.05 * (2.0 * std::f32::consts::PI * 150.0 * t).sin()
        })
        .collect()
}

/// Speech labels per chunk from the clean signal: chunks above −40 dB of the
/// speech peak, with pauses shorter than 300 ms between words filled in.
fn labels(clean: &[f32]) -> Vec<bool> {
    let energies: Vec<f32> = clean.chunks(CHUNK).map(rms).collect();
    let peak = energies.iter().copied().fold(0.0, f32::max);
    let mut l: Vec<bool> = energies.iter().map(|e| *e > peak * 0.01).collect();
    let max_gap = 300 * SAMPLE_RATE as usize / 1000 / CHUNK;
    let mut last: Option<usize> = None;
    for i in 0..l.len() {
        if l[i] {
            if let Some(j) = last
                && i - j - 1 <= max_gap
            {
                l[j..i].iter_mut().for_each(|v| *v = true);
            }
            last = Some(i);
        }
    }
    l
}

struct Score {
    frames: u32,
    correct: u32,
    speech: u32,
    speech_found: u32,
}

#[test]
fn voice_accuracy_on_synthetic_speech_and_noise() {
    let Some(rt) = runtime() else { return };
    if Command::new("espeak-ng").arg("--version").output().is_err() {
        skip("espeak-ng is not installed (scripts/test installs it)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut det = VoiceDetector::new(&rt).unwrap();
    let mut rng = Rng(0x0059_eec4);
    let sr = SAMPLE_RATE as usize;

    // Speech streams: 1 s silence, speech, 1.5 s silence, per voice.
    let mut streams = Vec::new();
    for (i, (voice, text)) in VOICES.iter().enumerate() {
        let speech = espeak(voice, text, tmp.path(), i)
            .unwrap_or_else(|| panic!("espeak-ng failed for voice {voice}"));
        let mut clean = vec![0f32; sr];
        clean.extend(scaled(speech, 0.1));
        clean.extend(vec![0f32; sr * 3 / 2]);
        streams.push((voice.to_string(), clean));
    }
    let conditions: [(&str, Option<(bool, f32)>); 6] = [
        ("clean", None),
        ("white noise, 20 dB SNR", Some((false, 20.0))),
        ("white noise, 10 dB SNR", Some((false, 10.0))),
        ("white noise, 0 dB SNR", Some((false, 0.0))),
        ("pink noise, 10 dB SNR", Some((true, 10.0))),
        ("pink noise, 0 dB SNR", Some((true, 0.0))),
    ];
    let mut report = format!(
        "# Voice detection accuracy\n\n{} speech streams ({} voices and languages from espeak-ng), each with silence before and after.\n\n\
         | condition | frame accuracy | speech frames found |\n|---|---|---|\n",
        streams.len(),
        VOICES.len()
    );
    let mut by_condition = Vec::new();
    for (name, noise) in conditions {
        let mut s = Score {
            frames: 0,
            correct: 0,
            speech: 0,
            speech_found: 0,
        };
        for (_, clean) in &streams {
            let truth = labels(clean);
            let speech_rms = {
                let voiced: Vec<f32> = clean
                    .chunks(CHUNK)
                    .zip(&truth)
                    .filter(|(_, t)| **t)
                    .flat_map(|(c, _)| c.iter().copied())
                    .collect();
                rms(&voiced)
            };
            let mixed: Vec<f32> = match noise {
                None => clean.clone(),
                Some((is_pink, snr)) => {
                    let n = if is_pink {
                        pink(&mut rng, clean.len())
                    } else {
                        white(&mut rng, clean.len())
                    };
                    let n = scaled(n, speech_rms / 10f32.powf(snr / 20.0));
                    clean.iter().zip(n).map(|(a, b)| a + b).collect()
                }
            };
            let r = detect_voice(&mut det, &mixed, VadConfig::default()).unwrap();
            for (k, t) in truth.iter().enumerate() {
                let mid = (k * CHUNK + CHUNK / 2) as f64 / SAMPLE_RATE as f64;
                let said = r
                    .segments
                    .iter()
                    .any(|seg| seg.start_s <= mid && mid < seg.end_s);
                s.frames += 1;
                s.correct += u32::from(said == *t);
                if *t {
                    s.speech += 1;
                    s.speech_found += u32::from(said);
                }
            }
        }
        let acc = f64::from(s.correct) / f64::from(s.frames) * 100.0;
        let found = f64::from(s.speech_found) / f64::from(s.speech) * 100.0;
        let _ = writeln!(report, "| {name} | {acc:.1} % | {found:.1} % |");
        by_condition.push(acc);
    }

    // Not speech: 10 s of each.
    let n = sr * 10;
    let others: Vec<(&str, Vec<f32>)> = vec![
        ("digital silence", vec![0.0; n]),
        ("faint noise (−60 dBFS)", scaled(white(&mut rng, n), 0.001)),
        ("white noise (−20 dBFS)", scaled(white(&mut rng, n), 0.1)),
        ("pink noise (−20 dBFS)", scaled(pink(&mut rng, n), 0.1)),
        ("keyboard-like clicks", clicks(&mut rng, n)),
        ("music (synthesised chords)", music(n)),
        ("mains hum (50 Hz)", hum(n)),
    ];
    let _ = writeln!(
        report,
        "\n| sound that is not speech (10 s) | reported as speech |\n|---|---|"
    );
    let mut total = 0.0;
    let mut worst = 0.0f64;
    for (name, samples) in &others {
        let r = detect_voice(&mut det, samples, VadConfig::default()).unwrap();
        let _ = writeln!(report, "| {name} | {:.1} % |", r.speech_ratio * 100.0);
        total += r.speech_ratio;
        worst = worst.max(r.speech_ratio);
    }
    let false_speech = total / others.len() as f64 * 100.0;
    let _ = writeln!(report, "| all of the above | {false_speech:.1} % |");
    std::fs::write(report_path("voice-accuracy.md"), &report).unwrap();
    println!("{report}");

    assert!(
        by_condition[0] >= 90.0,
        "clean speech accuracy fell:\n{report}"
    );
    assert!(
        by_condition[2] >= 85.0 && by_condition[4] >= 85.0,
        "accuracy at 10 dB SNR fell:\n{report}"
    );
    assert!(
        false_speech <= 3.0 && worst <= 0.1,
        "non-speech reported as speech rose:\n{report}"
    );
}
