//! What the backend knows of one session's log, rebuilt from storage and
//! extended one checked record at a time. The backend is a witness: it
//! cosigns a checkpoint only when it holds every record the checkpoint
//! covers, the root it computes itself matches, and the signature is the
//! session key in force at that size, certified by the device key.

use std::collections::BTreeMap;

use paraakh_evidence::keys::{NoteVerifier, SIG_TYPE_ED25519, verify_ed25519};
use paraakh_evidence::merkle::{Hash, leaf_hash, root_of};
use paraakh_evidence::note::{CheckpointBody, SignedNote};
use paraakh_evidence::record::{Body, FORMAT_V1, KeyCertificate, Record, certificate_message};
use paraakh_evidence::{NoteSigner, layout};

use crate::IngestError;

/// Who may write this session: from the bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The token's tenant.
    pub tenant: String,
    /// The session in the request path.
    pub session: String,
    /// The exam the token names, if any.
    pub exam: Option<String>,
}

/// A session's log as the backend holds it.
#[derive(Debug)]
pub struct SessionLog {
    scope: Scope,
    origin: String,
    device_key: Option<[u8; 32]>,
    leaves: Vec<Hash>,
    /// Session keys by the first record they sign for.
    keys: Vec<(u64, NoteVerifier)>,
    /// Blobs named by held records: SHA-256 (hex) → size.
    blobs: BTreeMap<String, u64>,
    ended: bool,
    checkpoints: BTreeMap<u64, SignedNote>,
    receipts: BTreeMap<u64, String>,
}

fn rejected(seq: u64, what: impl std::fmt::Display) -> IngestError {
    IngestError::Rejected(format!("record {seq} is refused: {what}"))
}

impl SessionLog {
    /// An empty log for `scope`.
    pub fn new(scope: Scope) -> Self {
        let origin = layout::origin(&scope.tenant, &scope.session);
        Self {
            scope,
            origin,
            device_key: None,
            leaves: Vec::new(),
            keys: Vec::new(),
            blobs: BTreeMap::new(),
            ended: false,
            checkpoints: BTreeMap::new(),
            receipts: BTreeMap::new(),
        }
    }

    /// Records held.
    pub fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// Whether an `end` record is held.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Blobs named by held records (SHA-256 hex → size).
    pub fn blobs(&self) -> &BTreeMap<String, u64> {
        &self.blobs
    }

    /// Sizes of held checkpoints.
    pub fn checkpoint_sizes(&self) -> Vec<u64> {
        self.checkpoints.keys().copied().collect()
    }

    /// The largest cosigned size and its receipt.
    pub fn latest_receipt(&self) -> Option<(u64, &str)> {
        self.receipts
            .iter()
            .next_back()
            .map(|(s, r)| (*s, r.as_str()))
    }

    /// The leaf hash of held record `seq`.
    pub fn leaf(&self, seq: u64) -> Option<&Hash> {
        usize::try_from(seq).ok().and_then(|i| self.leaves.get(i))
    }

    fn certified(&self, seq: u64, cert: &KeyCertificate) -> Result<NoteVerifier, IngestError> {
        let device = self
            .device_key
            .ok_or_else(|| rejected(seq, "no header holds a device key"))?;
        let expected_segment = self.keys.len();
        if usize::try_from(cert.segment).ok() != Some(expected_segment) {
            return Err(rejected(
                seq,
                format!(
                    "it starts segment {} where segment {expected_segment} comes next",
                    cert.segment
                ),
            ));
        }
        let msg = certificate_message(&self.origin, cert.segment, &cert.public_key.0);
        if !verify_ed25519(&device, &msg, &cert.certificate.0) {
            return Err(rejected(
                seq,
                "its session key is not certified by the session's device key",
            ));
        }
        if self
            .keys
            .iter()
            .any(|(_, k)| k.public_key() == &cert.public_key.0)
        {
            return Err(rejected(seq, "it reuses an earlier session key"));
        }
        NoteVerifier::new(&self.origin, SIG_TYPE_ED25519, cert.public_key.0)
            .map_err(|e| rejected(seq, e))
    }

    /// Checks `bytes` as the next record and holds it.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), IngestError> {
        let seq = self.size();
        let record = Record::parse(bytes).map_err(|e| rejected(seq, e))?;
        if record.seq != seq {
            return Err(rejected(
                seq,
                format!("it says it is record {}", record.seq),
            ));
        }
        match (&record.body, seq) {
            (Body::Header(h), 0) => {
                let s = &self.scope;
                if h.format != FORMAT_V1 {
                    return Err(rejected(0, format!("unknown format {:?}", h.format)));
                }
                if h.tenant_id != s.tenant || h.session_id != s.session {
                    return Err(IngestError::Forbidden(format!(
                        "the log is session {:?} of tenant {:?}; the token is for session {:?} of tenant {:?}",
                        h.session_id, h.tenant_id, s.session, s.tenant
                    )));
                }
                if let Some(exam) = &s.exam
                    && exam != &h.exam_id
                {
                    return Err(IngestError::Forbidden(format!(
                        "the log is for exam {:?}; the token is for exam {exam:?}",
                        h.exam_id
                    )));
                }
                if h.origin != self.origin {
                    return Err(rejected(0, format!("its origin is {:?}", h.origin)));
                }
                self.device_key = Some(h.device_key.0);
                let key = self.certified(0, &h.session_key)?;
                self.keys.push((0, key));
            }
            (Body::Header(_), _) => return Err(rejected(seq, "a header after record 0")),
            (_, 0) => return Err(rejected(0, "record 0 must be the session header")),
            (Body::Segment(s), _) => {
                let key = self.certified(seq, &s.session_key)?;
                self.keys.push((seq, key));
            }
            (Body::Blob(b), _) => {
                let hex = b.sha256.to_hex();
                if let Some(size) = self.blobs.get(&hex)
                    && *size != b.size
                {
                    return Err(rejected(
                        seq,
                        "it names a blob already named with another size",
                    ));
                }
                self.blobs.insert(hex, b.size);
            }
            (Body::End(_), _) => self.ended = true,
            _ => {}
        }
        self.leaves.push(leaf_hash(bytes));
        Ok(())
    }

    /// Checks a signed checkpoint against the held records. Returns its size.
    pub fn check_checkpoint(&self, note: &SignedNote) -> Result<u64, IngestError> {
        let body = CheckpointBody::parse(note.text())
            .map_err(|e| IngestError::Rejected(format!("a checkpoint is malformed: {e}")))?;
        if body.origin != self.origin {
            return Err(IngestError::Rejected(format!(
                "a checkpoint is for log {:?}, not {:?}",
                body.origin, self.origin
            )));
        }
        let size = body.size;
        let held = self.size();
        if size == 0 || size > held {
            return Err(IngestError::Conflict {
                message: format!(
                    "a checkpoint covers {size} records; the server holds {held}: send the records first"
                ),
                offset: None,
            });
        }
        let len = usize::try_from(size).unwrap_or(usize::MAX);
        if root_of(&self.leaves[..len]) != body.root {
            return Err(IngestError::Rejected(format!(
                "the checkpoint of size {size} does not match the records held: the log was rewritten"
            )));
        }
        let key = self
            .keys
            .iter()
            .rev()
            .find(|(first, _)| *first < size)
            .map(|(_, k)| k)
            .ok_or_else(|| IngestError::Rejected("no session key is in force".into()))?;
        note.verify(key).map_err(|e| {
            IngestError::Rejected(format!(
                "the checkpoint of size {size} is not signed by the session key in force: {e}"
            ))
        })?;
        if let Some(held) = self.checkpoints.get(&size)
            && held.text() != note.text()
        {
            return Err(IngestError::Rejected(format!(
                "a different checkpoint of size {size} is already held"
            )));
        }
        Ok(size)
    }

    /// Holds a checked checkpoint (the first one of each size is kept).
    pub fn hold_checkpoint(&mut self, size: u64, note: SignedNote) {
        self.checkpoints.entry(size).or_insert(note);
    }

    /// The encoded checkpoint of `size`, if held.
    pub fn checkpoint(&self, size: u64) -> Option<String> {
        self.checkpoints.get(&size).map(SignedNote::encode)
    }

    /// The receipt for the largest held checkpoint, made now if it has none.
    /// Returns the size, the receipt and whether it is new.
    pub fn cosign_latest(
        &self,
        cosigner: &NoteSigner,
        now: u64,
    ) -> Result<Option<(u64, String, bool)>, IngestError> {
        let Some((&size, note)) = self.checkpoints.iter().next_back() else {
            return Ok(None);
        };
        if let Some((cosigned, receipt)) = self.latest_receipt()
            && cosigned >= size
        {
            return Ok(Some((cosigned, receipt.to_owned(), false)));
        }
        let mut receipt = note.clone();
        receipt
            .cosign(cosigner, now)
            .map_err(|e| IngestError::Config(format!("cannot cosign: {e}")))?;
        Ok(Some((size, receipt.encode(), true)))
    }

    /// Holds a receipt made or stored earlier.
    pub fn hold_receipt(&mut self, size: u64, receipt: String) {
        self.receipts.insert(size, receipt);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use paraakh_evidence::TenantSecretKey;
    use paraakh_evidence::frame::{FileKind, parse_all};
    use paraakh_evidence::keys::SIG_TYPE_COSIGNATURE_V1;
    use paraakh_evidence::simulate::{SimulateOptions, simulate};

    pub(super) struct Session {
        pub(super) records: Vec<Vec<u8>>,
        pub(super) checkpoints: Vec<SignedNote>,
        _dir: tempfile::TempDir,
    }

    pub(super) fn session() -> Session {
        let dir = tempfile::tempdir().unwrap();
        let tenant = TenantSecretKey::generate("t").unwrap().public();
        let mut opts = SimulateOptions::new(tenant, 1_790_000_000_000_000_000);
        opts.offline = true;
        opts.tenant_id = "acme".into();
        opts.exam_id = "physics".into();
        opts.session_id = Some("s-1".into());
        opts.events = 60;
        opts.blobs = 3;
        opts.blob_size = (100, 200);
        opts.checkpoint_every = 20;
        simulate(dir.path(), &opts).unwrap();
        let read = |kind: FileKind| {
            let bytes = std::fs::read(dir.path().join(kind.file_name())).unwrap();
            parse_all(&bytes, kind)
                .0
                .into_iter()
                .map(|f| f.payload)
                .collect::<Vec<_>>()
        };
        Session {
            records: read(FileKind::Log),
            checkpoints: read(FileKind::Checkpoints)
                .iter()
                .map(|n| SignedNote::parse(n).unwrap())
                .collect(),
            _dir: dir,
        }
    }

    fn scope(tenant: &str, session: &str) -> Scope {
        Scope {
            tenant: tenant.into(),
            session: session.into(),
            exam: Some("physics".into()),
        }
    }

    fn size_of(note: &SignedNote) -> u64 {
        CheckpointBody::parse(note.text()).unwrap().size
    }

    #[test]
    fn a_whole_session_is_held_and_every_checkpoint_is_accepted_and_cosigned() {
        let s = session();
        let mut log = SessionLog::new(scope("acme", "s-1"));
        for r in &s.records {
            log.push(r).unwrap();
        }
        assert!(log.ended());
        assert_eq!(log.blobs().len(), 3);
        for note in &s.checkpoints {
            let size = log.check_checkpoint(note).unwrap();
            log.hold_checkpoint(size, note.clone());
        }
        let cosigner = NoteSigner::generate("backend", SIG_TYPE_COSIGNATURE_V1).unwrap();
        let (size, receipt, new) = log.cosign_latest(&cosigner, 1).unwrap().unwrap();
        assert!(new);
        assert_eq!(size, log.size());
        let parsed = SignedNote::parse(receipt.as_bytes()).unwrap();
        assert_eq!(parsed.verify_cosignature(&cosigner.verifier()).unwrap(), 1);
        log.hold_receipt(size, receipt.clone());
        // Asking again gives the same receipt, not a new one.
        let again = log.cosign_latest(&cosigner, 2).unwrap().unwrap();
        assert_eq!(again, (size, receipt, false));
    }

    #[test]
    fn a_log_of_another_tenant_session_or_exam_is_refused_at_its_header() {
        let s = session();
        for (tenant, session, exam) in [
            ("other", "s-1", "physics"),
            ("acme", "s-2", "physics"),
            ("acme", "s-1", "chemistry"),
        ] {
            let mut log = SessionLog::new(Scope {
                exam: Some(exam.into()),
                ..scope(tenant, session)
            });
            let err = log.push(&s.records[0]).unwrap_err();
            assert!(matches!(err, IngestError::Forbidden(_)), "{err}");
            assert_eq!(log.size(), 0);
        }
    }

    #[test]
    fn an_altered_record_is_caught_by_the_checkpoint_over_it() {
        let s = session();
        let mut log = SessionLog::new(scope("acme", "s-1"));
        let first = &s.checkpoints[0];
        let size = size_of(first);
        for (i, r) in s.records.iter().enumerate().take(size as usize) {
            let mut r = r.clone();
            if i == 5 {
                // Still a valid record, but not the one that was signed.
                let text = String::from_utf8(r)
                    .unwrap()
                    .replacen("\"seq\":5", "\"seq\":5 ", 1);
                r = text.into_bytes();
            }
            log.push(&r).unwrap();
        }
        let err = log.check_checkpoint(first).unwrap_err();
        assert!(
            err.to_string().contains("does not match the records held"),
            "{err}"
        );
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_or_beyond_the_records_is_refused() {
        let s = session();
        let mut log = SessionLog::new(scope("acme", "s-1"));
        let first = &s.checkpoints[0];
        let size = size_of(first);
        for r in s.records.iter().take(size as usize) {
            log.push(r).unwrap();
        }
        let origin = layout::origin("acme", "s-1");
        let forger = NoteSigner::generate(&origin, SIG_TYPE_ED25519).unwrap();
        let forged = SignedNote::sign(first.text(), &[&forger]).unwrap();
        let err = log.check_checkpoint(&forged).unwrap_err();
        assert!(
            err.to_string().contains("not signed by the session key"),
            "{err}"
        );
        let later = &s.checkpoints[1];
        let err = log.check_checkpoint(later).unwrap_err();
        assert!(matches!(err, IngestError::Conflict { .. }), "{err}");
    }

    #[test]
    fn records_out_of_order_or_without_a_header_are_refused() {
        let s = session();
        let mut log = SessionLog::new(scope("acme", "s-1"));
        assert!(log.push(&s.records[1]).is_err(), "record 1 before record 0");
        log.push(&s.records[0]).unwrap();
        assert!(log.push(&s.records[2]).is_err(), "a gap");
        assert!(log.push(&s.records[0]).is_err(), "a second header");
        assert!(log.push(b"{not json").is_err());
        assert_eq!(log.size(), 1);
    }
}

#[cfg(test)]
mod properties {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Whatever bytes a client sends as records, the backend answers
        /// with an error or holds them; it never panics, and a refused
        /// record changes nothing.
        #[test]
        fn any_bytes_as_a_record_are_refused_or_held_never_a_panic(
            records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..6),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let mut log = SessionLog::new(Scope {
                tenant: "acme".into(),
                session: "s-1".into(),
                exam: None,
            });
            for mut r in records {
                for (at, byte) in &flips {
                    if !r.is_empty() {
                        let i = at.index(r.len());
                        r[i] ^= byte;
                    }
                }
                let before = log.size();
                if log.push(&r).is_err() {
                    prop_assert_eq!(log.size(), before);
                }
            }
        }

        /// One byte changed anywhere in a real session's records: the
        /// record is refused, or the checkpoint over it is.
        #[test]
        fn a_changed_byte_in_a_real_session_never_gets_a_receipt(
            which in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            xor in 1u8..=255,
        ) {
            let (records, checkpoints) = real_session();
            let note = &checkpoints[0];
            let size = CheckpointBody::parse(note.text()).unwrap().size as usize;
            let target = which.index(size);
            let mut log = SessionLog::new(Scope {
                tenant: "acme".into(),
                session: "s-1".into(),
                exam: Some("physics".into()),
            });
            let mut refused = false;
            for (i, r) in records.iter().take(size).enumerate() {
                let mut r = r.clone();
                if i == target {
                    let j = at.index(r.len());
                    r[j] ^= xor;
                }
                if log.push(&r).is_err() {
                    refused = true;
                    break;
                }
            }
            prop_assert!(refused || log.check_checkpoint(note).is_err());
        }
    }

    fn real_session() -> &'static (Vec<Vec<u8>>, Vec<SignedNote>) {
        static SESSION: std::sync::OnceLock<(Vec<Vec<u8>>, Vec<SignedNote>)> =
            std::sync::OnceLock::new();
        SESSION.get_or_init(|| {
            let s = super::tests::session();
            (s.records.clone(), s.checkpoints.clone())
        })
    }
}
