//! What the backend knows of one session's log, rebuilt from storage and
//! extended one checked batch at a time. The backend is a witness: it
//! keeps records only when a checkpoint in the same batch (or one it holds)
//! covers them, cosigns a checkpoint only when it holds every record the
//! checkpoint covers, the root it computes itself matches, and the
//! signature is the session key in force at that size, certified by the
//! device key the session is bound to. Each checkpoint costs O(log n): the
//! tree keeps every subtree's hash.

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paraakh_evidence::conflict::Conflict;
use paraakh_evidence::frame::{FileKind, encode_frame};
use paraakh_evidence::keys::{NoteVerifier, SIG_TYPE_ED25519, verify_ed25519};
use paraakh_evidence::merkle::{MerkleTree, leaf_hash, verify_consistency};
use paraakh_evidence::note::{CheckpointBody, SignedNote};
use paraakh_evidence::record::{
    B64Key, B64Sig, Body, FORMAT_V1, KeyCertificate, Record, certificate_message, fingerprint,
};
use paraakh_evidence::{NoteSigner, Severity, layout};
use paraakh_protocol as protocol;

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

/// What the session must be, from outside its records.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// The tenant's evidence key: a session encrypted to another is refused.
    pub tenant_key: Option<[u8; 32]>,
    /// The device key the session is bound to, if it is bound yet.
    pub device: Option<[u8; 32]>,
    /// Nonces of the statements the backend made for this session.
    pub nonces: HashSet<String>,
    /// Largest blob a record may name.
    pub max_blob_bytes: u64,
    /// Largest total of records and named blobs.
    pub quota_bytes: u64,
    /// Most checkpoints in one request.
    pub max_checkpoints: usize,
}

/// One checkpoint request, decoded.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The position of the first record.
    pub first_seq: u64,
    /// Records, verbatim.
    pub records: Vec<Vec<u8>>,
    /// Signed checkpoints, by increasing size.
    pub checkpoints: Vec<SignedNote>,
    /// Certificates of the keys that signed them.
    pub certificates: Vec<KeyCertificate>,
}

impl Batch {
    /// Decodes a request; malformed parts are a 400.
    pub fn decode(request: &protocol::CheckpointRequest) -> Result<Self, IngestError> {
        let bad = |what: String| IngestError::BadRequest(what);
        let mut records = Vec::with_capacity(request.records.len());
        for (i, r) in request.records.iter().enumerate() {
            records.push(
                B64.decode(r)
                    .map_err(|e| bad(format!("record {i} of the request is not base64: {e}")))?,
            );
        }
        let mut checkpoints = Vec::with_capacity(request.checkpoints.len());
        for text in &request.checkpoints {
            checkpoints.push(
                SignedNote::parse(text.as_bytes())
                    .map_err(|e| bad(format!("a checkpoint is not a signed note: {e}")))?,
            );
        }
        let mut certificates = Vec::with_capacity(request.key_certificates.len());
        for c in &request.key_certificates {
            let key = B64
                .decode(&c.public_key)
                .ok()
                .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok());
            let sig = B64
                .decode(&c.certificate)
                .ok()
                .and_then(|k| <[u8; 64]>::try_from(k.as_slice()).ok());
            let (Some(key), Some(sig)) = (key, sig) else {
                return Err(bad(
                    "a key certificate is not base64 of the right length".into()
                ));
            };
            certificates.push(KeyCertificate {
                segment: c.segment,
                public_key: B64Key(key),
                certificate: B64Sig(sig),
            });
        }
        Ok(Self {
            first_seq: request.first_seq,
            records,
            checkpoints,
            certificates,
        })
    }
}

/// What a batch added.
#[derive(Debug, Default)]
pub struct Applied {
    /// The first new record.
    pub first_new: u64,
    /// The new records, framed as a small log file (empty: none).
    pub framed: Vec<u8>,
    /// New checkpoints to keep.
    pub checkpoints: Vec<(u64, SignedNote)>,
    /// The header arrived from a session bound to no device yet: bind this one.
    pub bind_device: Option<[u8; 32]>,
}

/// Why a batch was refused, with the evidence of a fork when it is one.
#[derive(Debug)]
pub struct Refusal {
    /// The answer to the client.
    pub error: IngestError,
    /// A refused checkpoint this device's key provably signed.
    pub conflict: Option<Box<Conflict>>,
    /// The batch was half applied: this state must be rebuilt from storage.
    pub touched: bool,
}

impl From<IngestError> for Refusal {
    fn from(error: IngestError) -> Self {
        Self {
            error,
            conflict: None,
            touched: false,
        }
    }
}

impl Refusal {
    fn touched(mut self) -> Self {
        self.touched = true;
        self
    }
}

/// A session's log as the backend holds it.
#[derive(Debug)]
pub struct SessionLog {
    scope: Scope,
    origin: String,
    expect: Expect,
    device_key: Option<[u8; 32]>,
    tree: MerkleTree,
    /// Session keys by the first record they sign for.
    keys: Vec<(u64, NoteVerifier)>,
    /// Blobs named by held records: SHA-256 (hex) → size.
    blobs: BTreeMap<String, u64>,
    ended: bool,
    /// High or critical event records held (for the index).
    serious_events: u64,
    /// The most serious event record held.
    max_severity: Option<Severity>,
    checkpoints: BTreeMap<u64, SignedNote>,
    receipts: BTreeMap<u64, String>,
    /// Bytes of held records plus the sizes of the blobs they name.
    bytes: u64,
    /// Rebuilding from storage: what was accepted once is not judged again
    /// by today's settings (a rotated tenant key, a raised quota).
    replaying: bool,
}

fn rejected(seq: u64, what: impl std::fmt::Display) -> IngestError {
    IngestError::Rejected(format!("record {seq} is refused: {what}"))
}

impl SessionLog {
    /// An empty log for `scope`.
    pub fn new(scope: Scope, expect: Expect) -> Self {
        let origin = layout::origin(&scope.tenant, &scope.session);
        Self {
            scope,
            origin,
            expect,
            device_key: None,
            tree: MerkleTree::new(),
            keys: Vec::new(),
            blobs: BTreeMap::new(),
            ended: false,
            serious_events: 0,
            max_severity: None,
            checkpoints: BTreeMap::new(),
            receipts: BTreeMap::new(),
            bytes: 0,
            replaying: false,
        }
    }

    /// Holds a stored record again (rebuilding from storage): checked as a
    /// record of this session, not against what is expected of new ones.
    pub fn replay(&mut self, bytes: &[u8]) -> Result<(), IngestError> {
        self.replaying = true;
        let result = self.push(bytes);
        self.replaying = false;
        result
    }

    /// Records held.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// High or critical event records held.
    pub fn serious_events(&self) -> u64 {
        self.serious_events
    }

    /// The most serious event record held.
    pub fn max_severity(&self) -> Option<Severity> {
        self.max_severity
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
    pub fn leaf(&self, seq: u64) -> Option<&[u8; 32]> {
        self.tree.leaf(seq)
    }

    /// The device key the held header names.
    pub fn device_key(&self) -> Option<[u8; 32]> {
        self.device_key
    }

    /// Updates what the session must be (a binding or statement made since it was loaded).
    pub fn expect_mut(&mut self) -> &mut Expect {
        &mut self.expect
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

    fn header(&mut self, h: &paraakh_evidence::record::SessionHeader) -> Result<(), IngestError> {
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
        if self.replaying {
            self.device_key = Some(h.device_key.0);
            return Ok(());
        }
        match self.expect.tenant_key {
            None => {
                return Err(IngestError::Config(format!(
                    "this backend does not know tenant {:?}'s evidence key, so it cannot check what sessions are encrypted to; the operator runs `paraakh ingest init --tenant {} --encryption-key encryption.pub`",
                    s.tenant, s.tenant
                )));
            }
            Some(key) if key != h.tenant_encryption_key.key.0 => {
                return Err(rejected(
                    0,
                    format!(
                        "the session is encrypted to key {:?}, not to the tenant's evidence key: the tenant could not read it",
                        h.tenant_encryption_key.name
                    ),
                ));
            }
            Some(_) => {}
        }
        if let Some(bound) = self.expect.device
            && bound != h.device_key.0
        {
            return Err(IngestError::Forbidden(format!(
                "the session is recorded by device key {}, but it is bound to device key {}: only the computer it is bound to (the one that joined, or the one the exam centre registered) may send its evidence",
                fingerprint(&h.device_key.0),
                fingerprint(&bound)
            )));
        }
        if let Some(nonce) = &h.server_nonce
            && !self.expect.nonces.contains(nonce)
        {
            return Err(rejected(
                0,
                "it names a session statement this backend never made",
            ));
        }
        self.device_key = Some(h.device_key.0);
        Ok(())
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
        let mut added = bytes.len() as u64;
        match (&record.body, seq) {
            (Body::Header(h), 0) => {
                self.header(h)?;
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
                if b.size > self.expect.max_blob_bytes && !self.replaying {
                    return Err(IngestError::TooLarge(format!(
                        "record {seq} names a blob of {} bytes; this backend takes blobs of at most {} bytes",
                        b.size, self.expect.max_blob_bytes
                    )));
                }
                match self.blobs.get(&hex) {
                    Some(size) if *size != b.size => {
                        return Err(rejected(
                            seq,
                            "it names a blob already named with another size",
                        ));
                    }
                    Some(_) => {}
                    None => added += b.size,
                }
                self.blobs.insert(hex, b.size);
            }
            (Body::End(_), _) => self.ended = true,
            (Body::Event(_), _) => {
                self.max_severity = self.max_severity.max(Some(record.severity));
                if record.severity >= Severity::High {
                    self.serious_events += 1;
                }
            }
            _ => {}
        }
        if self.bytes.saturating_add(added) > self.expect.quota_bytes && !self.replaying {
            return Err(IngestError::QuotaExceeded(format!(
                "session {} would hold more than its quota of {} bytes of evidence; the exam centre can raise it",
                self.scope.session, self.expect.quota_bytes
            )));
        }
        self.bytes += added;
        self.tree.push(leaf_hash(bytes));
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
        if self.tree.root_at(size) != Some(body.root) {
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

    /// Checks and holds a batch: records up to a checkpoint in it, then its
    /// checkpoints. On a refusal the caller drops this state (it may be
    /// half-applied) and rebuilds it from storage.
    pub fn apply(&mut self, batch: &Batch, now: u64) -> Result<Applied, Refusal> {
        let held = self.size();
        let sizes: Vec<u64> = batch
            .checkpoints
            .iter()
            .map(|n| CheckpointBody::parse(n.text()).map(|b| b.size))
            .collect::<Result<_, _>>()
            .map_err(|e| IngestError::Rejected(format!("a checkpoint is malformed: {e}")))?;
        if sizes.len() > self.expect.max_checkpoints {
            return Err(IngestError::BadRequest(format!(
                "a request carries at most {} checkpoints",
                self.expect.max_checkpoints
            ))
            .into());
        }
        if sizes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(IngestError::BadRequest(
                "the checkpoints of a request must have increasing sizes (each one once)".into(),
            )
            .into());
        }
        if batch.first_seq > held {
            return Err(IngestError::Conflict {
                message: format!(
                    "the server holds {held} records of this session; send records from {held}"
                ),
                offset: None,
            }
            .into());
        }
        let end = batch.first_seq + batch.records.len() as u64;
        let covered = sizes.last().copied().unwrap_or(0).max(held);
        if end > covered {
            return Err(IngestError::BadRequest(format!(
                "records {}–{} are covered by no checkpoint in the request: the server keeps signed records only; send them with the checkpoint that covers them",
                covered.max(batch.first_seq),
                end - 1
            ))
            .into());
        }
        for (i, bytes) in batch.records.iter().enumerate() {
            let seq = batch.first_seq + i as u64;
            if seq < held && self.tree.leaf(seq) != Some(&leaf_hash(bytes)) {
                let reason = format!(
                    "record {seq} differs from the one the server holds: this computer rewrote evidence the server had already received"
                );
                return Err(self.fork(batch, seq, &reason, now));
            }
        }
        let mut applied = Applied {
            first_new: held,
            ..Applied::default()
        };
        let had_header = held > 0;
        let mut framed = FileKind::Log.magic().to_vec();
        let skip = usize::try_from(held - batch.first_seq).unwrap_or(usize::MAX);
        // From here on a refusal leaves this state half applied.
        for bytes in batch.records.iter().skip(skip) {
            self.push(bytes).map_err(|e| Refusal::from(e).touched())?;
            framed.extend_from_slice(&encode_frame(bytes));
        }
        if self.size() > held {
            applied.framed = framed;
        }
        if !had_header && self.expect.device.is_none() {
            applied.bind_device = self.device_key;
        }
        for (note, &size) in batch.checkpoints.iter().zip(&sizes) {
            if self
                .checkpoints
                .get(&size)
                .is_some_and(|h| h.text() == note.text())
            {
                continue;
            }
            let checked = self
                .check_checkpoint(note)
                .and_then(|_| self.extends_newest_held(note));
            match checked {
                Ok(()) => {}
                Err(IngestError::Rejected(why)) => {
                    return Err(self
                        .fork(batch, size.saturating_sub(1), &why, now)
                        .touched());
                }
                Err(e) => return Err(Refusal::from(e).touched()),
            }
            applied.checkpoints.push((size, note.clone()));
            self.hold_checkpoint(size, note.clone());
        }
        Ok(applied)
    }

    /// Checks that `note` extends the newest checkpoint held before it with
    /// an RFC 6962 consistency proof made from the held tree. The server
    /// holds every leaf, so the recomputed root already implies this; the
    /// proof states it in the terms a witness uses, and keeps it true should
    /// the server ever hold checkpoints ahead of their records.
    fn extends_newest_held(&self, note: &SignedNote) -> Result<(), IngestError> {
        let body = CheckpointBody::parse(note.text())
            .map_err(|e| IngestError::Rejected(format!("a checkpoint is malformed: {e}")))?;
        let Some(held) = self
            .checkpoints
            .range(..body.size)
            .next_back()
            .and_then(|(_, n)| CheckpointBody::parse(n.text()).ok())
        else {
            return Ok(());
        };
        let proof = self
            .tree
            .consistency_proof(held.size, body.size)
            .map_err(|e| IngestError::Rejected(e.to_string()))?;
        verify_consistency(held.size, body.size, &proof, &held.root, &body.root).map_err(|e| {
            IngestError::Rejected(format!(
                "the checkpoint of size {} is not consistent with the checkpoint of size {} already held ({e}): the log was rewritten",
                body.size, held.size
            ))
        })
    }

    /// A refusal, with the refused checkpoint kept as evidence when this
    /// session's device key provably certified the key that signed it.
    fn fork(&self, batch: &Batch, seq: u64, reason: &str, now: u64) -> Refusal {
        let mut refusal = Refusal::from(IngestError::Rejected(format!(
            "{reason}; the attempt is recorded"
        )));
        let Some(device) = self.device_key else {
            return refusal;
        };
        for note in &batch.checkpoints {
            let Ok(body) = CheckpointBody::parse(note.text()) else {
                continue;
            };
            if body.size <= seq || body.origin != self.origin {
                continue;
            }
            let signer = batch.certificates.iter().find(|c| {
                verify_ed25519(
                    &device,
                    &certificate_message(&self.origin, c.segment, &c.public_key.0),
                    &c.certificate.0,
                ) && NoteVerifier::new(&self.origin, SIG_TYPE_ED25519, c.public_key.0)
                    .is_ok_and(|v| note.verify(&v).is_ok())
            });
            if let Some(cert) = signer {
                refusal.conflict = Some(Box::new(Conflict {
                    received: now,
                    held_records: self.size(),
                    reason: reason.to_owned(),
                    checkpoint: note.encode(),
                    key: cert.clone(),
                }));
                break;
            }
        }
        refusal
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
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use paraakh_evidence::TenantSecretKey;
    use paraakh_evidence::frame::{FileKind, parse_all};
    use paraakh_evidence::keys::SIG_TYPE_COSIGNATURE_V1;
    use paraakh_evidence::simulate::{SimulateOptions, simulate};

    pub(crate) struct Session {
        pub(crate) records: Vec<Vec<u8>>,
        pub(crate) checkpoints: Vec<SignedNote>,
        pub(crate) device: std::sync::Arc<NoteSigner>,
        _dir: tempfile::TempDir,
    }

    pub(crate) fn tenant() -> TenantSecretKey {
        TenantSecretKey::from_bytes("t", [9; 32]).unwrap()
    }

    /// What a backend that knows the tenant's key expects of a fresh session.
    pub(super) fn expect() -> Expect {
        Expect {
            tenant_key: Some(*tenant().public().key()),
            max_blob_bytes: 1 << 30,
            quota_bytes: u64::MAX,
            max_checkpoints: 64,
            ..Expect::default()
        }
    }

    pub(crate) fn session() -> Session {
        session_named("s-1")
    }

    /// A simulated session of tenant acme, exam physics, with this id.
    pub(crate) fn session_named(id: &str) -> Session {
        let dir = tempfile::tempdir().unwrap();
        let device =
            std::sync::Arc::new(NoteSigner::generate("paraakh-device", SIG_TYPE_ED25519).unwrap());
        let mut opts = SimulateOptions::new(tenant().public(), 1_790_000_000_000_000_000);
        opts.device = Some(std::sync::Arc::clone(&device));
        opts.offline = true;
        opts.tenant_id = "acme".into();
        opts.exam_id = "physics".into();
        opts.session_id = Some(id.into());
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
            device,
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
        let mut log = SessionLog::new(scope("acme", "s-1"), expect());
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
            let mut log = SessionLog::new(
                Scope {
                    exam: Some(exam.into()),
                    ..scope(tenant, session)
                },
                expect(),
            );
            let err = log.push(&s.records[0]).unwrap_err();
            assert!(matches!(err, IngestError::Forbidden(_)), "{err}");
            assert_eq!(log.size(), 0);
        }
    }

    #[test]
    fn an_altered_record_is_caught_by_the_checkpoint_over_it() {
        let s = session();
        let mut log = SessionLog::new(scope("acme", "s-1"), expect());
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
        let mut log = SessionLog::new(scope("acme", "s-1"), expect());
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
        let mut log = SessionLog::new(scope("acme", "s-1"), expect());
        assert!(log.push(&s.records[1]).is_err(), "record 1 before record 0");
        log.push(&s.records[0]).unwrap();
        assert!(log.push(&s.records[2]).is_err(), "a gap");
        assert!(log.push(&s.records[0]).is_err(), "a second header");
        assert!(log.push(b"{not json").is_err());
        assert_eq!(log.size(), 1);
    }
}

#[cfg(test)]
pub(crate) mod batches {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::tests::{expect, session};
    use super::*;

    fn scope() -> Scope {
        Scope {
            tenant: "acme".into(),
            session: "s-1".into(),
            exam: Some("physics".into()),
        }
    }

    fn size_of(note: &SignedNote) -> u64 {
        CheckpointBody::parse(note.text()).unwrap().size
    }

    fn cert_of(s: &super::tests::Session) -> KeyCertificate {
        match Record::parse(&s.records[0]).unwrap().body {
            Body::Header(h) => h.session_key,
            _ => unreachable!("record 0 is the header"),
        }
    }

    pub(crate) fn batch(s: &super::tests::Session, first: u64, upto: usize) -> Batch {
        let end = size_of(&s.checkpoints[upto]);
        Batch {
            first_seq: first,
            records: s.records[first as usize..end as usize].to_vec(),
            checkpoints: s
                .checkpoints
                .iter()
                .filter(|n| size_of(n) > first && size_of(n) <= end)
                .cloned()
                .collect(),
            certificates: vec![cert_of(s)],
        }
    }

    #[test]
    fn batches_up_to_a_checkpoint_are_held_and_a_resend_changes_nothing() {
        let s = session();
        let mut log = SessionLog::new(scope(), expect());
        let first = log.apply(&batch(&s, 0, 1), 1).unwrap();
        assert_eq!(first.first_new, 0);
        assert_eq!(log.size(), size_of(&s.checkpoints[1]));
        assert_eq!(first.checkpoints.len(), 2);
        assert_eq!(first.bind_device, Some(s.device.public_key()));
        let again = log.apply(&batch(&s, 0, 1), 2).unwrap();
        assert!(again.framed.is_empty() && again.checkpoints.is_empty());
        let next = log.apply(&batch(&s, log.size(), 2), 3).unwrap();
        assert_eq!(next.checkpoints.len(), 1);
        assert_eq!(next.bind_device, None);
    }

    #[test]
    fn records_no_checkpoint_covers_are_refused_and_nothing_is_held() {
        let s = session();
        let mut log = SessionLog::new(scope(), expect());
        let mut b = batch(&s, 0, 1);
        b.records.push(s.records[b.records.len()].clone());
        let err = log.apply(&b, 1).unwrap_err().error;
        assert!(
            err.to_string().contains("covered by no checkpoint"),
            "{err}"
        );
        let mut none = batch(&s, 0, 0);
        none.checkpoints.clear();
        assert!(log.apply(&none, 1).is_err());
    }

    #[test]
    fn duplicated_or_too_many_checkpoints_are_refused_before_any_work() {
        let s = session();
        let mut log = SessionLog::new(scope(), expect());
        let mut b = batch(&s, 0, 0);
        b.checkpoints = vec![s.checkpoints[0].clone(); 500];
        let err = log.apply(&b, 1).unwrap_err().error;
        assert!(matches!(err, IngestError::BadRequest(_)), "{err}");
        let mut b = batch(&s, 0, 0);
        b.checkpoints = vec![s.checkpoints[0].clone(); 2];
        let err = log.apply(&b, 1).unwrap_err().error;
        assert!(err.to_string().contains("increasing sizes"), "{err}");
        assert_eq!(log.size(), 0);
    }

    #[test]
    fn a_session_of_another_device_key_or_tenant_key_or_an_unknown_nonce_is_refused() {
        let s = session();
        let other = NoteSigner::generate("d", SIG_TYPE_ED25519).unwrap();
        let mut bound_elsewhere = expect();
        bound_elsewhere.device = Some(other.public_key());
        let err = SessionLog::new(scope(), bound_elsewhere)
            .apply(&batch(&s, 0, 0), 1)
            .unwrap_err()
            .error;
        assert!(matches!(err, IngestError::Forbidden(_)), "{err}");
        let mut foreign = expect();
        foreign.tenant_key = Some([1; 32]);
        let err = SessionLog::new(scope(), foreign)
            .apply(&batch(&s, 0, 0), 1)
            .unwrap_err()
            .error;
        assert!(
            err.to_string().contains("not to the tenant's evidence key"),
            "{err}"
        );
        let mut unknown = expect();
        unknown.tenant_key = None;
        let err = SessionLog::new(scope(), unknown)
            .apply(&batch(&s, 0, 0), 1)
            .unwrap_err()
            .error;
        assert!(err.to_string().contains("--encryption-key"), "{err}");
        let mut bound_here = expect();
        bound_here.device = Some(s.device.public_key());
        assert!(
            SessionLog::new(scope(), bound_here)
                .apply(&batch(&s, 0, 0), 1)
                .is_ok()
        );
    }

    #[test]
    fn a_rewritten_history_after_an_upload_is_refused_and_its_signed_checkpoint_kept() {
        let s = session();
        let mut log = SessionLog::new(scope(), expect());
        log.apply(&batch(&s, 0, 1), 1).unwrap();
        let held = log.size();
        // The machine goes back to record 5 and signs another history with
        // a new segment key its device key certifies.
        let origin = layout::origin("acme", "s-1");
        let key = NoteSigner::generate(&origin, SIG_TYPE_ED25519).unwrap();
        let cert = KeyCertificate {
            segment: 1,
            public_key: B64Key(key.public_key()),
            certificate: B64Sig(
                s.device
                    .sign(&certificate_message(&origin, 1, &key.public_key())),
            ),
        };
        let mut forged: Vec<Vec<u8>> = s.records[..held as usize].to_vec();
        forged[5] = String::from_utf8(forged[5].clone())
            .unwrap()
            .replacen("\"seq\":5", "\"seq\":5 ", 1)
            .into_bytes();
        let mut tree = MerkleTree::new();
        for r in &forged {
            tree.push(leaf_hash(r));
        }
        let body = CheckpointBody {
            origin: origin.clone(),
            size: held,
            root: tree.root_at(held).unwrap(),
        };
        let note = SignedNote::sign(&body.to_text(), &[&key]).unwrap();
        let refusal = log
            .apply(
                &Batch {
                    first_seq: 0,
                    records: forged,
                    checkpoints: vec![note.clone()],
                    certificates: vec![cert.clone()],
                },
                77,
            )
            .unwrap_err();
        assert!(
            matches!(refusal.error, IngestError::Rejected(_)),
            "{}",
            refusal.error
        );
        let conflict = refusal.conflict.expect("the fork is kept as evidence");
        assert_eq!(conflict.received, 77);
        assert_eq!(conflict.checkpoint, note.encode());
        assert_eq!(conflict.key, cert);
        // Without a certificate of this device nothing proves who signed it.
        let fresh = session();
        let mut log = SessionLog::new(scope(), expect());
        log.apply(&batch(&fresh, 0, 1), 1).unwrap();
        let refusal = log
            .apply(
                &Batch {
                    first_seq: 0,
                    records: s.records[..held as usize].to_vec(),
                    checkpoints: vec![note],
                    certificates: vec![cert],
                },
                1,
            )
            .unwrap_err();
        assert!(refusal.conflict.is_none());
    }

    #[test]
    fn a_blob_above_the_limit_or_a_session_above_its_quota_is_refused() {
        let s = session();
        let mut small = expect();
        small.max_blob_bytes = 10;
        let err = SessionLog::new(scope(), small)
            .apply(&batch(&s, 0, 2), 1)
            .unwrap_err()
            .error;
        assert!(matches!(err, IngestError::TooLarge(_)), "{err}");
        let mut tight = expect();
        tight.quota_bytes = 2_000;
        let err = SessionLog::new(scope(), tight)
            .apply(&batch(&s, 0, 2), 1)
            .unwrap_err()
            .error;
        assert!(matches!(err, IngestError::QuotaExceeded(_)), "{err}");
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
            let mut log = SessionLog::new(
                Scope {
                    tenant: "acme".into(),
                    session: "s-1".into(),
                    exam: None,
                },
                super::tests::expect(),
            );
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
            let mut log = SessionLog::new(
                Scope {
                    tenant: "acme".into(),
                    session: "s-1".into(),
                    exam: Some("physics".into()),
                },
                super::tests::expect(),
            );
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
