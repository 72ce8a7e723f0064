//! Checks of the record log: framing, syntax, sequence, header and segment
//! certificates, time, and the per-record rules. Collects what the checks of
//! checkpoints, receipts, blobs and answers need.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::clock::{CLOCK_JUMP_THRESHOLD_NS, Timestamp, format_utc};
use crate::frame::{FileKind, FrameError, FrameReader};
use crate::keys::{
    NoteVerifier, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519, TenantSecretKey, verify_ed25519,
};
use crate::layout;
use crate::merkle::{Hash, MerkleAccumulator, leaf_hash, sha256};
use crate::record::{
    AnswerSave, BlobRef, Body, CheckpointRef, FORMAT_V1, KeyCertificate, ReceiptRef, Record,
    SessionHeader, Severity, Submission, certificate_message, fingerprint,
};

use super::{
    AnswerSummary, ClockJumpEntry, ClockSummary, EndSummary, FindingKind as K, Findings,
    SegmentSummary, SessionSummary,
};

/// A session key and the records it may sign checkpoints for.
#[derive(Debug, Clone)]
pub(crate) struct SegmentKey {
    pub(crate) first_seq: u64,
    pub(crate) verifier: NoteVerifier,
}

/// What the log pass learned.
#[derive(Debug, Default)]
pub(crate) struct LogState {
    pub(crate) records: u64,
    pub(crate) header: Option<SessionHeader>,
    pub(crate) summary: Option<SessionSummary>,
    pub(crate) keys: Vec<SegmentKey>,
    pub(crate) segments: Vec<SegmentSummary>,
    pub(crate) roots: HashMap<u64, Hash>,
    pub(crate) checkpoint_refs: Vec<(u64, CheckpointRef)>,
    pub(crate) receipt_refs: Vec<(u64, ReceiptRef)>,
    pub(crate) blobs: BTreeMap<String, (u64, BlobRef)>,
    pub(crate) answers: Vec<(u64, AnswerSave)>,
    pub(crate) submission: Option<(u64, Submission)>,
    /// Event records: (seq, severity), in order.
    pub(crate) events: Vec<(u64, Severity)>,
    /// The records that say how the machine was set up and watched (a bounded number).
    pub(crate) setup: Vec<(u64, crate::record::Event)>,
    /// More setup records than `setup` keeps.
    pub(crate) setup_truncated: bool,
    /// Each record's wall-clock time with the recorded clock jumps taken
    /// out (what the clock would have read had nobody moved it), Unix ns;
    /// `None` for a record that does not parse.
    pub(crate) steady_utc: Vec<Option<i64>>,
    /// Segments that name the checkpoint before them: (seq, reference).
    pub(crate) segment_predecessors: Vec<(u64, Option<CheckpointRef>)>,
    pub(crate) clock: ClockSummary,
    pub(crate) ended: Option<EndSummary>,
    /// The log could not be read to its end (damage, not a torn tail).
    pub(crate) damaged: bool,
    /// The first record that differs from the other copy's (`--against`).
    pub(crate) other_divergence: Option<u64>,
    /// The first record after the machine restarted (a segment whose boot
    /// clock starts again): from there its wall clock is not known.
    pub(crate) restarted_from: Option<u64>,
    /// The leaf hashes of the event records the review log names.
    pub(crate) event_leaves: HashMap<u64, Hash>,
}

fn valid_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        })
}

fn printable(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && !s.chars().any(char::is_control)
}

struct Pass<'a> {
    st: LogState,
    f: &'a mut Findings,
    /// The other copy's record hashes (`--against`).
    other: Option<&'a [Hash]>,
    /// Sizes of the checkpoints in `checkpoints`.
    checkpoint_sizes: &'a HashSet<u64>,
    /// After an end record, resumed only to seal the session.
    sealing: bool,
    tree: MerkleAccumulator,
    wanted: HashSet<u64>,
    prev_time: Option<Timestamp>,
    end_seq: Option<u64>,
    last_utc: Option<i64>,
    event_seqs: HashSet<u64>,
    /// Event records whose leaf hash the review log needs.
    reviewed: &'a HashSet<u64>,
    last_ckpt_ref: u64,
    /// Wall-clock movement beyond the boot clock so far (clock jumps), ns.
    jumped_ns: i128,
}

/// Reads and checks the whole log.
pub(crate) fn check_log(
    dir: &Path,
    wanted_roots: &[u64],
    checkpoint_sizes: &HashSet<u64>,
    other: Option<&[Hash]>,
    reviewed: &HashSet<u64>,
    f: &mut Findings,
) -> LogState {
    let path = dir.join(layout::LOG);
    let file_len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut pass = Pass {
        st: LogState::default(),
        f,
        other,
        tree: MerkleAccumulator::new(),
        wanted: wanted_roots.iter().copied().collect(),
        checkpoint_sizes,
        sealing: false,
        prev_time: None,
        end_seq: None,
        last_utc: None,
        event_seqs: HashSet::new(),
        reviewed,
        last_ckpt_ref: 0,
        jumped_ns: 0,
    };
    let mut reader = match FrameReader::open(&path, FileKind::Log) {
        Ok(r) => r,
        Err(_) => {
            // check_entries already reported the missing file.
            return pass.st;
        }
    };
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => pass.record(&frame.payload),
            Ok(None) => break,
            Err(e) => {
                pass.frame_error(e, &path, file_len);
                break;
            }
        }
    }
    pass.finish()
}

impl Pass<'_> {
    fn frame_error(&mut self, e: FrameError, path: &Path, file_len: u64) {
        let seq = Some(self.tree.size());
        // What a crash leaves: a frame cut by the end of the file, a complete
        // frame of garbage that ends the file, or a zero-filled tail (power loss
        // after the size was extended). Damage with intact data after it is not.
        let at_tail = e.is_crash_tail(path, FileKind::Log, file_len);
        if at_tail && self.end_seq.is_none() {
            self.f.add(
                K::TornTail,
                seq,
                format!("the log ends with a torn record that was never committed ({e})"),
            );
        } else {
            let kind = if matches!(e, FrameError::BadMagic { .. }) {
                K::DamagedFile
            } else {
                K::DamagedRecord
            };
            self.st.damaged = true;
            self.f.add(
                kind,
                seq,
                format!(
                    "log record {}: {e}; the records after it cannot be read",
                    self.tree.size()
                ),
            );
        }
    }

    fn record(&mut self, bytes: &[u8]) {
        let index = self.tree.size();
        let leaf = leaf_hash(bytes);
        if self.st.other_divergence.is_none()
            && let Some(theirs) = self.other.and_then(|o| o.get(index as usize))
            && *theirs != leaf
        {
            self.st.other_divergence = Some(index);
        }
        self.tree.push(leaf);
        if self.wanted.contains(&self.tree.size()) {
            self.st.roots.insert(self.tree.size(), self.tree.root());
        }
        let record = match Record::parse(bytes) {
            Ok(r) => r,
            Err(e) => {
                self.f.add(
                    K::BadRecord,
                    Some(index),
                    format!("record {index} is not a valid record: {e}"),
                );
                self.prev_time = None;
                self.last_utc = None;
                self.st.steady_utc.push(None);
                return;
            }
        };
        if record.seq != index {
            self.f.add(
                K::SequenceGap,
                Some(index),
                format!("the record at position {index} says it is record {}: records were removed, duplicated or reordered", record.seq),
            );
        }
        if let Some(end) = self.end_seq.take() {
            if !matches!(record.body, Body::Segment(_)) {
                self.f.add(
                    K::RecordAfterEnd,
                    Some(index),
                    format!("record {index} follows the end record {end}"),
                );
            } else if self.checkpoint_sizes.contains(&(end + 1)) {
                self.f.add(
                    K::RecordAfterEnd,
                    Some(index),
                    format!("the session was sealed by a checkpoint after its end record {end}; record {index} reopens it"),
                );
            } else {
                // Resumed to seal a session whose final checkpoint was lost in a crash.
                self.st.ended = None;
                self.sealing = true;
            }
        } else if self.sealing
            && !matches!(
                record.body,
                Body::Segment(_) | Body::Checkpoint(_) | Body::End(_)
            )
        {
            self.f.add(
                K::RecordAfterEnd,
                Some(index),
                format!("the session ended and was resumed only to be sealed, yet record {index} adds a {}", record.body.type_name()),
            );
        }
        if matches!(record.body, Body::End(_)) {
            self.sealing = false;
        }
        self.check_time(index, &record);
        let steady = i128::from(record.time.utc_ns) - self.jumped_ns;
        self.st.steady_utc.push(i64::try_from(steady).ok());
        if index == 0 && !matches!(record.body, Body::Header(_)) {
            self.f
                .add(K::BadHeader, Some(0), "record 0 is not a session header");
        }
        match &record.body {
            Body::Header(h) => self.header(index, &record, h),
            Body::Segment(s) => {
                self.st
                    .segment_predecessors
                    .push((index, s.previous_checkpoint.clone()));
                self.segment(index, &record, &s.session_key, &s.recovery)
            }
            Body::Event(e) => {
                if !valid_token(&e.kind, 64)
                    || e.message.as_deref().is_some_and(|m| !printable(m, 4096))
                {
                    self.f.add(
                        K::BadRecord,
                        Some(index),
                        format!("event {index} has an invalid kind or message"),
                    );
                }
                self.event_seqs.insert(index);
                self.st.events.push((index, record.severity));
                if self.reviewed.contains(&index) {
                    self.st.event_leaves.insert(index, leaf);
                }
                if super::environment::is_setup(&e.kind) {
                    if self.st.setup.len() < super::environment::MAX_SETUP_EVENTS {
                        self.st.setup.push((index, e.clone()));
                    } else {
                        self.st.setup_truncated = true;
                    }
                }
            }
            Body::Blob(b) => self.blob(index, b),
            Body::Answer(a) => {
                if !printable(&a.question, 128) {
                    self.f.add(
                        K::BadAnswer,
                        Some(index),
                        format!("answer {index} has an invalid question id"),
                    );
                }
                self.st.answers.push((index, a.clone()));
            }
            Body::Submission(s) => {
                if let Some((earlier, _)) = &self.st.submission {
                    self.f.add(
                        K::BadAnswer,
                        Some(index),
                        format!("a second submission (the first is record {earlier})"),
                    );
                }
                self.st.submission = Some((index, s.clone()));
            }
            Body::ClockJump(j) => self.st.clock.jumps.push(ClockJumpEntry {
                seq: index,
                skew_s: j.skew_ns as f64 / 1e9,
                utc: format_utc(record.time.utc_ns),
            }),
            Body::Checkpoint(c) => {
                if c.size > index || c.size <= self.last_ckpt_ref {
                    self.f.add(
                        K::BadRecord,
                        Some(index),
                        format!(
                            "record {index} references a checkpoint of size {} out of order",
                            c.size
                        ),
                    );
                }
                self.last_ckpt_ref = self.last_ckpt_ref.max(c.size);
                self.st.checkpoint_refs.push((index, c.clone()));
            }
            Body::Receipt(r) => {
                if r.size > index {
                    self.f.add(
                        K::BadRecord,
                        Some(index),
                        format!("record {index} references a receipt for later records"),
                    );
                }
                self.st.receipt_refs.push((index, r.clone()));
            }
            Body::Heartbeat {} => {}
            Body::End(end) => {
                if !valid_token(&end.reason, 64) {
                    self.f.add(
                        K::BadRecord,
                        Some(index),
                        "the end record has an invalid reason",
                    );
                }
                self.end_seq = Some(index);
                self.st.ended = Some(EndSummary {
                    seq: index,
                    reason: end.reason.clone(),
                    utc: format_utc(record.time.utc_ns),
                });
            }
        }
        if let Some(summary) = &mut self.st.summary {
            summary.last_record_utc = format_utc(record.time.utc_ns);
        }
        self.last_utc = Some(record.time.utc_ns);
    }

    fn check_time(&mut self, index: u64, record: &Record) {
        let now = record.time;
        // A new segment may follow a reboot: the boot clock starts again.
        let prev = if matches!(record.body, Body::Segment(_)) {
            if let Some(before) = self.prev_time {
                if now.boot_ns >= before.boot_ns {
                    // The same boot (the client alone stopped): the wall
                    // clock's moves meanwhile are known, as with a jump.
                    let skew = now.skew_since(&before);
                    if skew.unsigned_abs() > CLOCK_JUMP_THRESHOLD_NS.unsigned_abs() {
                        self.jumped_ns += i128::from(skew);
                    }
                } else if self.st.restarted_from.is_none() {
                    // The machine restarted: what its clock did meanwhile is unknown.
                    self.st.restarted_from = Some(index);
                }
            }
            None
        } else {
            self.prev_time
        };
        self.prev_time = Some(now);
        let Some(prev) = prev else {
            if let Body::ClockJump(_) = record.body {
                self.f.add(
                    K::BadTime,
                    Some(index),
                    format!("clock jump {index} has no previous record to compare with"),
                );
            }
            return;
        };
        let skew = now.skew_since(&prev);
        if now.boot_ns < prev.boot_ns {
            // The boot clock never runs backwards within a segment; a clock-jump
            // record does not explain it.
            self.f.add(
                K::BadTime,
                Some(index),
                format!(
                    "the boot clock runs backwards between records {} and {index}: the log was altered, or another machine wrote it without a new segment",
                    index.saturating_sub(1)
                ),
            );
        }
        let jumped = skew.unsigned_abs() > CLOCK_JUMP_THRESHOLD_NS.unsigned_abs()
            || now.boot_ns < prev.boot_ns;
        if jumped && now.boot_ns >= prev.boot_ns {
            // The wall clock was moved: later records are compared with the
            // backend's times as if it had not been.
            self.jumped_ns += i128::from(skew);
        }
        if now.boot_ns >= prev.boot_ns {
            let gap = (now.boot_ns - prev.boot_ns) as f64 / 1e9;
            if gap > self.st.clock.largest_gap_s {
                self.st.clock.largest_gap_s = gap;
            }
        }
        match (&record.body, jumped) {
            (Body::ClockJump(j), true) if j.skew_ns == skew => {}
            (Body::ClockJump(j), _) => self.f.add(
                K::BadTime,
                Some(index),
                format!("clock jump {index} records {} ns but the clocks moved apart by {skew} ns", j.skew_ns),
            ),
            (_, true) => self.f.add(
                K::BadTime,
                Some(index),
                format!(
                    "between records {} and {index} the wall clock moved {:.3} s apart from the boot clock with no clock-jump record",
                    index.saturating_sub(1),
                    skew as f64 / 1e9
                ),
            ),
            (_, false) => {}
        }
    }

    fn certified_key(
        &mut self,
        index: u64,
        origin: &str,
        device: &[u8; 32],
        cert: &KeyCertificate,
        expected_segment: u32,
    ) -> bool {
        let mut ok = true;
        if cert.segment != expected_segment {
            self.f.add(
                K::BadSegment,
                Some(index),
                format!("record {index} starts segment {} where segment {expected_segment} was expected", cert.segment),
            );
            ok = false;
        }
        let msg = certificate_message(origin, cert.segment, &cert.public_key.0);
        if !verify_ed25519(device, &msg, &cert.certificate.0) {
            self.f.add(
                K::BadSegment,
                Some(index),
                format!(
                    "the session key in record {index} is not certified by the session's device key"
                ),
            );
            ok = false;
        }
        if self
            .st
            .keys
            .iter()
            .any(|k| k.verifier.public_key() == &cert.public_key.0)
        {
            self.f.add(
                K::BadSegment,
                Some(index),
                format!("record {index} reuses an earlier session key"),
            );
            ok = false;
        }
        match NoteVerifier::new(origin, SIG_TYPE_ED25519, cert.public_key.0) {
            Ok(verifier) if ok => {
                self.st.keys.push(SegmentKey {
                    first_seq: index,
                    verifier,
                });
                self.st.segments.push(SegmentSummary {
                    segment: cert.segment,
                    first_seq: index,
                    session_key_fingerprint: fingerprint(&cert.public_key.0),
                    recovery: None,
                    gap_s: None,
                });
                true
            }
            _ => false,
        }
    }

    fn header(&mut self, index: u64, record: &Record, h: &SessionHeader) {
        if index != 0 {
            self.f.add(
                K::BadHeader,
                Some(index),
                format!("record {index} is a second session header"),
            );
            return;
        }
        let mut problems = Vec::new();
        if h.format != FORMAT_V1 {
            problems.push(format!(
                "unknown format {:?} (this verifier reads {FORMAT_V1})",
                h.format
            ));
        }
        for (what, id) in [
            ("session id", &h.session_id),
            ("exam id", &h.exam_id),
            ("tenant id", &h.tenant_id),
        ] {
            if !layout::valid_id(id) {
                problems.push(format!("invalid {what} {id:?}"));
            }
        }
        if h.origin != layout::origin(&h.tenant_id, &h.session_id) {
            problems.push(format!(
                "the origin {:?} does not match the tenant and session",
                h.origin
            ));
        }
        if !printable(&h.client.version, 64)
            || h.server_nonce
                .as_deref()
                .is_some_and(|n| !printable(n, 256))
        {
            problems.push("invalid client version or server nonce".to_owned());
        }
        if !crate::keys::valid_key_name(&h.tenant_encryption_key.name) {
            problems.push("invalid tenant key name".to_owned());
        }
        if let Some(b) = &h.backend_key
            && NoteVerifier::parse(b)
                .and_then(|v| v.require_type(SIG_TYPE_COSIGNATURE_V1))
                .is_err()
        {
            problems.push("the backend key is not a valid cosignature verifier key".to_owned());
        }
        for p in problems {
            self.f
                .add(K::BadHeader, Some(0), format!("session header: {p}"));
        }
        self.st.header = Some(h.clone());
        self.st.summary = Some(SessionSummary {
            session_id: h.session_id.clone(),
            exam_id: h.exam_id.clone(),
            tenant_id: h.tenant_id.clone(),
            origin: h.origin.clone(),
            policy_sha256: h.policy_sha256.to_hex(),
            client_version: h.client.version.clone(),
            client_build_sha256: h.client.build_sha256.to_hex(),
            device_key_fingerprint: fingerprint(&h.device_key.0),
            tenant_key: h.tenant_encryption_key.name.clone(),
            backend_key: h.backend_key.clone(),
            started_utc: format_utc(record.time.utc_ns),
            last_record_utc: format_utc(record.time.utc_ns),
        });
        let (origin, device) = (h.origin.clone(), h.device_key.0);
        if !self.certified_key(0, &origin, &device, &h.session_key, 0) {
            self.f.add(
                K::BadHeader,
                Some(0),
                "the first session key is not validly certified",
            );
        }
    }

    fn segment(
        &mut self,
        index: u64,
        record: &Record,
        cert: &KeyCertificate,
        recovery: &crate::record::RecoveryNote,
    ) {
        let Some(h) = self.st.header.clone() else {
            self.f.add(
                K::BadSegment,
                Some(index),
                "a segment record without a valid session header",
            );
            return;
        };
        let expected = self.st.segments.last().map_or(0, |s| s.segment + 1);
        let last_utc = self.last_utc;
        if self.certified_key(index, &h.origin, &h.device_key.0, cert, expected)
            && let Some(seg) = self.st.segments.last_mut()
        {
            seg.recovery = Some(recovery.clone());
            seg.gap_s =
                last_utc.map(|t| (i128::from(record.time.utc_ns) - i128::from(t)) as f64 / 1e9);
        }
    }

    fn blob(&mut self, index: u64, b: &BlobRef) {
        if !printable(&b.media_type, 128) || !valid_token(&b.purpose, 64) {
            self.f.add(
                K::BadRecord,
                Some(index),
                format!("blob record {index} has an invalid media type or purpose"),
            );
        }
        if let Some(ev) = b.event_seq
            && !self.event_seqs.contains(&ev)
        {
            self.f.add(
                K::BadRecord,
                Some(index),
                format!("blob record {index} names record {ev}, which is not an earlier event"),
            );
        }
        let name = b.sha256.to_hex();
        if let Some((first, _)) = self.st.blobs.get(&name) {
            self.f.add(
                K::BadRecord,
                Some(index),
                format!("blob {name} is recorded twice (records {first} and {index})"),
            );
        } else {
            self.st.blobs.insert(name, (index, b.clone()));
        }
    }

    fn finish(mut self) -> LogState {
        self.st.records = self.tree.size();
        if self.tree.size() == 0 {
            self.f.add(K::BadHeader, None, "the log holds no records");
        }
        self.st
    }
}

/// Checks answers and the submission; decrypts answers with the tenant key.
pub(crate) fn check_answers(
    log: &LogState,
    tenant: Option<&TenantSecretKey>,
    f: &mut Findings,
) -> AnswerSummary {
    let mut summary = AnswerSummary {
        saves: log.answers.len() as u64,
        ..AnswerSummary::default()
    };
    let mut questions: HashMap<u64, &str> = HashMap::new();
    let mut decrypted = 0u64;
    for (seq, a) in &log.answers {
        questions.insert(*seq, &a.question);
        if let Err(e) = crate::blob::BlobHeader::parse(&a.sealed.0) {
            f.add(
                K::BadAnswer,
                Some(*seq),
                format!("answer {seq} is not a sealed answer: {e}"),
            );
            continue;
        }
        if let Some(key) = tenant {
            match crate::blob::open_to_vec(key, &a.sealed.0) {
                Ok(plain)
                    if sha256(&plain) == a.plaintext_sha256.0
                        && plain.len() as u64 == a.plaintext_size =>
                {
                    decrypted += 1;
                }
                Ok(_) => f.add(
                    K::BadAnswer,
                    Some(*seq),
                    format!("answer {seq} decrypts to content other than its recorded hash"),
                ),
                Err(e) => f.add(
                    K::BadAnswer,
                    Some(*seq),
                    format!("answer {seq} cannot be decrypted: {e}"),
                ),
            }
        }
    }
    summary.questions = questions.values().collect::<HashSet<_>>().len() as u64;
    if tenant.is_some() {
        summary.decrypted = Some(decrypted);
    }
    if let Some((seq, sub)) = &log.submission {
        let mut seen = HashSet::new();
        for item in &sub.answers {
            if !seen.insert(item.question.as_str()) {
                f.add(
                    K::BadAnswer,
                    Some(*seq),
                    format!("the submission names question {:?} twice", item.question),
                );
            }
            match questions.get(&item.answer_seq) {
                Some(q) if *q == item.question && item.answer_seq < *seq => {}
                _ => f.add(
                    K::BadAnswer,
                    Some(*seq),
                    format!(
                        "the submission names record {} as the answer to {:?}, but it is not an earlier answer to that question",
                        item.answer_seq, item.question
                    ),
                ),
            }
        }
        summary.submitted = Some(sub.answers.len() as u64);
    }
    summary
}
