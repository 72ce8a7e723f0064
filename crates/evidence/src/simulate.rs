//! A synthetic but fully real session: real keys, signatures, encryption and
//! receipts from a simulated backend, with deterministic structure from a
//! seed. For testing verifiers and backends, demos and benchmarks.
//!
//! The seed fixes what is recorded (event kinds, times, sizes, blob and answer
//! content); keys and encryption randomness always come from the system, so two
//! runs with one seed differ in bytes but not in shape.

use std::path::Path;
use std::sync::Arc;

use crate::clock::{ManualClock, Timestamp};
use crate::keys::{
    NoteSigner, NoteVerifier, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519, TenantPublicKey,
};
use crate::merkle::{Hash, sha256};
use crate::note::SignedNote;
use crate::record::{Body, ClientInfo, Event, HexHash, Severity, SubmittedAnswer};
use crate::statement::{SessionStatement, StatementEvent};
use crate::writer::{BlobMeta, SessionParams, SessionWriter, WriterError};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// Event records.
    pub events: u64,
    /// Encrypted media blobs.
    pub blobs: u64,
    /// Smallest and largest blob plaintext, in bytes.
    pub blob_size: (u64, u64),
    /// Questions answered (each with one to three autosaves), then submitted.
    pub questions: u64,
    /// Seed for everything but key material.
    pub seed: u64,
    /// The tenant key blobs and answers are encrypted to.
    pub tenant_key: TenantPublicKey,
    /// Records between checkpoints.
    pub checkpoint_every: u64,
    /// Receipts arrive this many checkpoints late; the last ones stay
    /// machine-attested. With 0, the final checkpoint after the end is
    /// cosigned too (as the client's last upload does): every record is witnessed.
    pub receipt_lag: u64,
    /// Move the wall clock once, 40 % into the session.
    pub clock_jump: bool,
    /// Wall-clock start (Unix nanoseconds).
    pub start_utc_ns: i64,
    /// Simulated time between two records, nanoseconds.
    pub step_ns: i64,
    /// Identity of the client build recorded in the header.
    pub client: ClientInfo,
    /// Recorded with no network: no simulated backend, so no statement of
    /// its own and no receipts (a later sync brings them).
    pub offline: bool,
    /// A real backend's statement binding the session to `device` (fetched
    /// before the start); its key is `backend_key`. Without one, the
    /// simulated backend makes its own unless offline.
    pub statement: Option<SignedNote>,
    /// The real backend's cosigning key, pinned in the header.
    pub backend_key: Option<NoteVerifier>,
    /// The device key (a fresh one when not given).
    pub device: Option<Arc<NoteSigner>>,
    /// SHA-256 of the policy recorded in the header.
    pub policy_sha256: Hash,
    /// Tenant, exam and session ids (the session id defaults to one from the seed).
    pub tenant_id: String,
    /// The exam.
    pub exam_id: String,
    /// The session; `sim-<seed>` when not given.
    pub session_id: Option<String>,
}

impl SimulateOptions {
    /// Defaults for a small session encrypted to `tenant_key`.
    pub fn new(tenant_key: TenantPublicKey, start_utc_ns: i64) -> Self {
        Self {
            events: 200,
            blobs: 10,
            blob_size: (20_000, 120_000),
            questions: 5,
            seed: 1,
            tenant_key,
            checkpoint_every: 256,
            receipt_lag: 1,
            clock_jump: true,
            start_utc_ns,
            step_ns: 200_000_000,
            client: ClientInfo {
                version: concat!("paraakh-evidence ", env!("CARGO_PKG_VERSION")).to_owned(),
                build_sha256: HexHash([0; 32]),
            },
            offline: false,
            statement: None,
            backend_key: None,
            device: None,
            policy_sha256: sha256(b"paraakh demo policy: standard"),
            tenant_id: "demo-tenant".into(),
            exam_id: "demo-exam".into(),
            session_id: None,
        }
    }
}

/// What was simulated.
#[derive(Debug, Clone)]
pub struct SimulateSummary {
    /// Session identifier.
    pub session_id: String,
    /// Records written.
    pub records: u64,
    /// Blobs written.
    pub blobs: u64,
    /// Ciphertext bytes of all blobs.
    pub blob_bytes: u64,
    /// Checkpoints signed.
    pub checkpoints: u64,
    /// Receipts stored.
    pub receipts: u64,
    /// The backend's cosigning key (vkey): the simulated backend's, or the
    /// real one whose statement the session carries.
    pub backend_key: String,
    /// The device key's public key.
    pub device_key: [u8; 32],
}

/// SplitMix64: small, fast and good enough to shape a simulation.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

// The kinds the engine writes (`paraakh_engine::session::kind::EventKind`).
const EVENT_KINDS: &[(&str, Severity, &str)] = &[
    ("focus_lost", Severity::Medium, "The exam window lost focus"),
    ("no_face", Severity::High, "No face visible for 10 s"),
    (
        "multiple_faces",
        Severity::High,
        "Two faces visible for 5 s",
    ),
    ("speech", Severity::Medium, "Speech for 4 s"),
    (
        "fullscreen_exit",
        Severity::Medium,
        "The exam left fullscreen",
    ),
    (
        "prohibited_program",
        Severity::Critical,
        "A screen recorder started",
    ),
    (
        "displays_changed",
        Severity::High,
        "A second display was connected",
    ),
    (
        "camera_blocked",
        Severity::High,
        "The camera image is black",
    ),
    ("looking_away", Severity::Low, "Head turned away for 3 s"),
    (
        "upload_interrupted",
        Severity::Info,
        "The network went offline",
    ),
    ("upload_resumed", Severity::Info, "The network came back"),
    (
        "monitor_trouble",
        Severity::Info,
        "camera: a frame was late",
    ),
];

const MEDIA: &[(&str, &str)] = &[
    ("image/jpeg", "webcam_snapshot"),
    ("image/jpeg", "screen_capture"),
    ("audio/ogg", "speech_clip"),
];

/// The backend the simulation plays: it signs the statement and cosigns
/// checkpoints `receipt_lag` checkpoints late (when it acts at all).
struct Backend {
    key: NoteSigner,
    acts: bool,
    pending: std::collections::VecDeque<SignedNote>,
}

/// Records a simulated session into `dir` (which must hold no session).
pub fn simulate(dir: &Path, opts: &SimulateOptions) -> Result<SimulateSummary, WriterError> {
    let mut rng = SplitMix64::new(opts.seed);
    let session_id = opts
        .session_id
        .clone()
        .unwrap_or_else(|| format!("sim-{:016x}", opts.seed));
    let tenant_id = opts.tenant_id.clone();
    let device = match &opts.device {
        Some(d) => Arc::clone(d),
        None => Arc::new(NoteSigner::generate("paraakh-device", SIG_TYPE_ED25519)?),
    };
    let mut backend = Backend {
        key: NoteSigner::generate(
            "ingest.demo-tenant.paraakh.example",
            SIG_TYPE_COSIGNATURE_V1,
        )?,
        acts: !opts.offline && opts.statement.is_none(),
        pending: Default::default(),
    };
    let clock = Arc::new(ManualClock::new(
        Timestamp {
            utc_ns: opts.start_utc_ns,
            boot_ns: 3_600_000_000_000 + rng.range(0, 1 << 40),
        },
        opts.step_ns.max(1),
    ));
    let statement = match &opts.statement {
        Some(s) => Some(s.clone()),
        None if backend.acts => Some(
            SessionStatement::new(
                &tenant_id,
                &opts.exam_id,
                &session_id,
                device.public_key(),
                StatementEvent::Start,
                Some(opts.start_utc_ns),
            )?
            .sign(&backend.key, posix_secs(opts.start_utc_ns))?,
        ),
        None => None,
    };
    let backend_key = if backend.acts {
        Some(backend.key.verifier())
    } else {
        opts.backend_key.clone()
    };
    let params = SessionParams {
        session_id: session_id.clone(),
        exam_id: opts.exam_id.clone(),
        tenant_id,
        policy_sha256: opts.policy_sha256,
        client: opts.client.clone(),
        tenant_key: opts.tenant_key.clone(),
        backend_key: backend_key.clone(),
        statement,
    };
    let mut w = SessionWriter::create(dir, params, &device, clock.clone())?;
    let mut summary = SimulateSummary {
        session_id,
        records: 0,
        blobs: 0,
        blob_bytes: 0,
        checkpoints: 0,
        receipts: 0,
        backend_key: backend_key
            .as_ref()
            .map(NoteVerifier::encode)
            .unwrap_or_else(|| backend.key.verifier().encode()),
        device_key: device.public_key(),
    };

    // Answers are spread over the session: (event index, question) pairs.
    let mut answer_at: Vec<(u64, u64)> = Vec::new();
    for q in 0..opts.questions {
        for _ in 0..rng.range(1, 3) {
            answer_at.push((rng.range(0, opts.events.max(1) - 1), q));
        }
    }
    answer_at.sort_unstable();
    let mut answer_iter = answer_at.into_iter().peekable();
    let mut last_answer: Vec<Option<u64>> = vec![None; opts.questions as usize];
    let jump_at = opts.clock_jump.then_some(opts.events * 2 / 5);
    let mut blobs_left = opts.blobs;
    let mut last_checkpoint = 0u64;
    let mut blob_buf = Vec::new();

    for i in 0..opts.events {
        if Some(i) == jump_at {
            // The candidate sets the system clock back by one hour.
            clock.jump_wall(-3_600_000_000_000);
        }
        let (kind, severity, message) =
            EVENT_KINDS[(rng.next_u64() % EVENT_KINDS.len() as u64) as usize];
        // Most records are quiet; serious ones are rare, as in real sessions.
        let severity = if rng.next_u64().is_multiple_of(20) {
            severity
        } else {
            Severity::Info.max(severity.min(Severity::Low))
        };
        let mut detail = serde_json::Map::new();
        detail.insert("duration_ms".into(), (rng.range(200, 15_000)).into());
        detail.insert("source".into(), "simulation".into());
        let seq = w.append(
            severity,
            Body::Event(Event {
                kind: kind.to_owned(),
                message: Some(message.to_owned()),
                detail,
            }),
        )?;
        let events_left = opts.events - i;
        let attach = blobs_left.div_ceil(events_left);
        for _ in 0..attach {
            let (media_type, purpose) = MEDIA[(rng.next_u64() % MEDIA.len() as u64) as usize];
            let size = rng.range(opts.blob_size.0, opts.blob_size.1) as usize;
            blob_buf.resize(size, 0);
            rng.fill(&mut blob_buf);
            // Random bytes behind the format's signature: what a report or
            // an upload sees of a real file's first bytes.
            let magic: &[u8] = if media_type == "audio/ogg" {
                b"OggS"
            } else {
                &[0xff, 0xd8, 0xff, 0xe0]
            };
            let n = magic.len().min(blob_buf.len());
            blob_buf[..n].copy_from_slice(&magic[..n]);
            let (_, blob) = w.add_blob(
                Severity::Info,
                BlobMeta {
                    media_type: media_type.into(),
                    purpose: purpose.into(),
                    event_seq: Some(seq),
                },
                &blob_buf,
            )?;
            summary.blobs += 1;
            summary.blob_bytes += blob.size;
            blobs_left -= 1;
        }
        while answer_iter.peek().is_some_and(|(at, _)| *at == i) {
            let Some((_, q)) = answer_iter.next() else {
                break;
            };
            let text = format!(
                "{{\"question\":\"q{}\",\"answer\":\"choice {}\"}}",
                q + 1,
                rng.range(1, 4)
            );
            let seq = w.save_answer(&format!("q{}", q + 1), text.as_bytes())?;
            last_answer[q as usize] = Some(seq);
        }
        if i % 150 == 149 {
            w.append(Severity::Info, Body::Heartbeat {})?;
        }
        if w.size() - last_checkpoint >= opts.checkpoint_every {
            checkpoint(&mut w, &mut backend, opts, &clock, &mut summary)?;
            last_checkpoint = w.size();
        }
    }
    let submitted: Vec<SubmittedAnswer> = last_answer
        .iter()
        .enumerate()
        .filter_map(|(q, seq)| {
            seq.map(|answer_seq| SubmittedAnswer {
                question: format!("q{}", q + 1),
                answer_seq,
            })
        })
        .collect();
    if !submitted.is_empty() {
        w.submit(submitted)?;
    }
    checkpoint(&mut w, &mut backend, opts, &clock, &mut summary)?;
    let last = w.finish("simulated")?;
    if backend.acts && opts.receipt_lag == 0 {
        let mut last = last;
        let ts = backend_time(opts, &clock) + 1;
        last.cosign(&backend.key, ts)?;
        if crate::writer::store_receipt(dir, &last, &backend.key.verifier())? {
            summary.receipts += 1;
        }
    }
    summary.records = count_records(dir)?;
    summary.checkpoints += 1;
    Ok(summary)
}

/// The simulated backend's clock (POSIX seconds): the true time, which is
/// the start plus what the boot clock says has passed (the candidate may
/// move the wall clock, not this one).
fn backend_time(opts: &SimulateOptions, clock: &ManualClock) -> u64 {
    let elapsed = clock.peek().boot_ns.saturating_sub(clock.start().boot_ns);
    posix_secs(
        opts.start_utc_ns
            .saturating_add(i64::try_from(elapsed).unwrap_or(i64::MAX)),
    )
}

/// Whole POSIX seconds of a Unix-nanosecond time (0 before 1970).
fn posix_secs(utc_ns: i64) -> u64 {
    u64::try_from(utc_ns / 1_000_000_000).unwrap_or(0)
}

fn checkpoint(
    w: &mut SessionWriter,
    backend: &mut Backend,
    opts: &SimulateOptions,
    clock: &ManualClock,
    summary: &mut SimulateSummary,
) -> Result<(), WriterError> {
    let note = w.checkpoint()?;
    summary.checkpoints += 1;
    if !backend.acts {
        return Ok(());
    }
    backend.pending.push_back(note);
    while backend.pending.len() as u64 > opts.receipt_lag {
        let Some(mut note) = backend.pending.pop_front() else {
            break;
        };
        let ts = backend_time(opts, clock) + 1;
        note.cosign(&backend.key, ts)?;
        if w.add_receipt(&note, &backend.key.verifier())? {
            summary.receipts += 1;
        }
    }
    Ok(())
}

fn count_records(dir: &Path) -> Result<u64, WriterError> {
    let (frames, _, _) =
        crate::recovery::read_frames(&dir.join(crate::layout::LOG), crate::frame::FileKind::Log)?;
    Ok(frames.len() as u64)
}
