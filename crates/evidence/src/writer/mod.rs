//! Writing a session: append-only log with group commit, signed checkpoints,
//! receipts, encrypted blobs, and recovery after a crash.
//!
//! Durability: every record is durable within [`GROUP_COMMIT_WINDOW`] plus one
//! `fdatasync` (a background thread batches the syncs); records of severity
//! high or critical, answers and the submission are durable before the call
//! that appends them returns. A checkpoint is only signed over records that
//! are already durable, so recovery never has to cut below a checkpoint.

mod durability;
mod error;
mod late_receipt;
mod reserve;
mod resume;

pub use durability::GROUP_COMMIT_WINDOW;
pub use error::WriterError;
pub(crate) use error::io_err;
pub use late_receipt::store_receipt;
pub use resume::Recovered;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use crate::blob::{BlobSealer, seal_to_vec};
use crate::clock::{CLOCK_JUMP_THRESHOLD_NS, Clock, Timestamp};
use crate::frame::{FileKind, encode_frame, write_magic};
use crate::keys::{NoteSigner, NoteVerifier, SIG_TYPE_ED25519, TenantPublicKey, random_bytes};
use crate::layout::{self, BLOB_TMP_PREFIX};
use crate::merkle::{Hash, MerkleAccumulator, leaf_hash, sha256};
use crate::note::{CheckpointBody, SignedNote};
use crate::record::{
    AnswerSave, B64Bytes, B64Key, B64Sig, BlobRef, Body, CheckpointRef, ClientInfo, ClockJump,
    FORMAT_V1, HexHash, KeyCertificate, ReceiptRef, Record, SessionEnd, SessionHeader, Severity,
    Submission, SubmittedAnswer, TenantKeyRef, certificate_message, to_hex,
};
use crate::statement::SessionStatement;

use durability::{Durability, flusher};
pub use reserve::{RESERVE_BYTES, is_storage_full};
use reserve::{Reserve, append_whole};

/// Who and what a new session is for.
#[derive(Debug, Clone)]
pub struct SessionParams {
    /// Session identifier (`A-Z a-z 0-9 . _ -`, up to 128).
    pub session_id: String,
    /// Exam identifier (same alphabet).
    pub exam_id: String,
    /// Tenant identifier (same alphabet).
    pub tenant_id: String,
    /// SHA-256 of the policy in force.
    pub policy_sha256: Hash,
    /// The client build.
    pub client: ClientInfo,
    /// The tenant's evidence encryption key.
    pub tenant_key: TenantPublicKey,
    /// The backend's cosigning key, when the installation pins one.
    pub backend_key: Option<NoteVerifier>,
    /// The backend's session statement binding this session to the device
    /// key (see `statement`), when the session starts after the backend
    /// made one; kept as the `statement` file and named by record 0.
    pub statement: Option<SignedNote>,
}

/// Media metadata for [`SessionWriter::add_blob`].
#[derive(Debug, Clone)]
pub struct BlobMeta {
    /// MIME type of the plaintext.
    pub media_type: String,
    /// Why it was captured.
    pub purpose: String,
    /// The event it is evidence for.
    pub event_seq: Option<u64>,
}

/// Writes one session directory. Not shared between threads: wrap it in the
/// engine's own task; the background flusher is internal.
pub struct SessionWriter {
    dir: PathBuf,
    origin: String,
    log: File,
    log_len: u64,
    checkpoints: File,
    receipts: File,
    _lock: File,
    durability: Arc<Durability>,
    flusher: Option<JoinHandle<()>>,
    tree: MerkleAccumulator,
    last_time: Option<Timestamp>,
    session_key: NoteSigner,
    tenant_key: TenantPublicKey,
    checkpoint_notes: BTreeMap<u64, SignedNote>,
    last_receipt_size: Option<u64>,
    failed: Option<String>,
    reserve: Reserve,
    /// Resumed after an end record: only the seal may follow.
    sealing_only: bool,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SessionWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionWriter")
            .field("dir", &self.dir)
            .field("records", &self.tree.size())
            .finish_non_exhaustive()
    }
}

fn lock_dir(dir: &Path) -> Result<File, WriterError> {
    let path = dir.join(layout::LOCK);
    let file = private_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err("cannot create the lock file", &path))?;
    // A child process forked by another thread inherits the lock for the
    // moment between its fork and exec (std opens the file close-on-exec,
    // but the fork copies it first); a lock that stays taken for two seconds
    // is another writer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
        if std::time::Instant::now() >= deadline {
            return Err(WriterError::Locked(dir.to_owned()));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(file)
}

fn sync_dir(dir: &Path) -> Result<(), WriterError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("cannot sync the directory", dir))
}

/// Session files are the candidate's personal data: owner-only from the start.
fn private_options() -> OpenOptions {
    crate::keys::private_options()
}

fn create_private_dir(dir: &Path) -> Result<(), WriterError> {
    crate::keys::create_private_dir(dir).map_err(io_err("cannot create the directory", dir))
}

impl SessionParams {
    /// Checks the backend's statement against the session it is to start
    /// with `device`; returns the nonce record 0 names.
    pub fn check_statement(&self, device: &NoteSigner) -> Result<Option<String>, WriterError> {
        let Some(note) = &self.statement else {
            return Ok(None);
        };
        let bad = |why: String| {
            WriterError::InvalidParam(format!("the backend's session statement {why}"))
        };
        let statement =
            SessionStatement::parse(note.text()).map_err(|e| bad(format!("is not valid: {e}")))?;
        if let Some(why) = statement.mismatch(
            &self.tenant_id,
            &self.exam_id,
            &self.session_id,
            &device.public_key(),
        ) {
            return Err(bad(why));
        }
        if let Some(backend) = &self.backend_key {
            SessionStatement::verify(note, backend).map_err(|e| bad(format!("is refused: {e}")))?;
        }
        Ok(Some(statement.nonce))
    }
}

/// Appends a whole frame to `file` (checkpoints, receipts) and syncs it. A
/// full disk leaves the file as it was; any other failure stops the writer
/// (`failed`) until recovery.
fn append_synced(
    file: &mut File,
    frame: &[u8],
    reserve: &mut Reserve,
    failed: &mut Option<String>,
    path: &Path,
) -> Result<(), WriterError> {
    let appended = file
        .metadata()
        .and_then(|m| append_whole(file, m.len(), frame, reserve))
        .map_err(|e| (is_storage_full(&e), e))
        .and_then(|()| file.sync_data().map_err(|e| (false, e)));
    appended.map_err(|(full, e)| {
        if !full {
            *failed = Some(e.to_string());
        }
        io_err("cannot append to", path)(e)
    })
}

fn open_append(path: &Path) -> Result<File, WriterError> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io_err("cannot open for appending", path))
}

fn certify(
    device: &NoteSigner,
    origin: &str,
    segment: u32,
) -> Result<(NoteSigner, KeyCertificate), WriterError> {
    let key = NoteSigner::generate(origin, SIG_TYPE_ED25519)?;
    let public = key.public_key();
    let certificate = device.sign(&certificate_message(origin, segment, &public));
    Ok((
        key,
        KeyCertificate {
            segment,
            public_key: B64Key(public),
            certificate: B64Sig(certificate),
        },
    ))
}

fn check_text(what: &str, value: &str, max: usize) -> Result<(), WriterError> {
    if value.is_empty() || value.len() > max || value.chars().any(char::is_control) {
        return Err(WriterError::InvalidParam(format!(
            "{what} must be 1 to {max} printable characters, got {value:?}"
        )));
    }
    Ok(())
}

impl SessionWriter {
    /// Starts a new session in `dir` (created if missing; must hold no session).
    pub fn create(
        dir: &Path,
        params: SessionParams,
        device: &NoteSigner,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, WriterError> {
        for (what, id) in [
            ("the session id", &params.session_id),
            ("the exam id", &params.exam_id),
            ("the tenant id", &params.tenant_id),
        ] {
            if !layout::valid_id(id) {
                return Err(WriterError::InvalidParam(format!(
                    "{what} {id:?} must be 1 to 128 characters of A-Z a-z 0-9 . _ -"
                )));
            }
        }
        check_text("the client version", &params.client.version, 64)?;
        let server_nonce = params.check_statement(device)?;
        if let Some(backend) = &params.backend_key
            && backend.sig_type() != crate::keys::SIG_TYPE_COSIGNATURE_V1
        {
            return Err(WriterError::InvalidParam(
                "the backend key must be a cosignature key (type 0x04)".into(),
            ));
        }
        create_private_dir(dir)?;
        let lock = lock_dir(dir)?;
        let log_path = dir.join(layout::LOG);
        if log_path.exists() {
            return Err(WriterError::AlreadyExists(dir.to_owned()));
        }
        let blobs = dir.join(layout::BLOBS);
        create_private_dir(&blobs)?;
        if let Some(note) = &params.statement {
            // (Replaces a statement a create that failed before its log left.)
            let path = dir.join(layout::STATEMENT);
            crate::keys::write_private(&path, note.encode().as_bytes())
                .map_err(io_err("cannot write the session statement", &path))?;
        }
        for kind in [FileKind::Log, FileKind::Checkpoints, FileKind::Receipts] {
            let path = dir.join(kind.file_name());
            let mut f = private_options()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(io_err("cannot create", &path))?;
            write_magic(&mut f, kind).map_err(io_err("cannot write", &path))?;
            f.sync_all().map_err(io_err("cannot sync", &path))?;
        }
        sync_dir(dir)?;

        let origin = layout::origin(&params.tenant_id, &params.session_id);
        let (session_key, cert) = certify(device, &origin, 0)?;
        let header = SessionHeader {
            format: FORMAT_V1.to_owned(),
            session_id: params.session_id,
            exam_id: params.exam_id,
            tenant_id: params.tenant_id,
            origin: origin.clone(),
            policy_sha256: HexHash(params.policy_sha256),
            client: params.client,
            device_key: B64Key(device.public_key()),
            session_key: cert,
            tenant_encryption_key: TenantKeyRef {
                name: params.tenant_key.name().to_owned(),
                key: B64Key(*params.tenant_key.key()),
            },
            backend_key: params.backend_key.map(|k| k.encode()),
            server_nonce,
        };
        let mut writer = Self::start(
            dir,
            origin,
            lock,
            session_key,
            params.tenant_key,
            MerkleAccumulator::new(),
            0,
            clock,
        )?;
        writer.append(Severity::Info, Body::Header(Box::new(header)))?;
        writer.sync()?;
        Ok(writer)
    }

    #[allow(clippy::too_many_arguments)] // private constructor shared by create and resume
    fn start(
        dir: &Path,
        origin: String,
        lock: File,
        session_key: NoteSigner,
        tenant_key: TenantPublicKey,
        tree: MerkleAccumulator,
        log_len: u64,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, WriterError> {
        let log_path = dir.join(layout::LOG);
        let log = open_append(&log_path)?;
        let log_len = if log_len == 0 {
            log.metadata()
                .map_err(io_err("cannot stat", &log_path))?
                .len()
        } else {
            log_len
        };
        let flush_handle = log.try_clone().map_err(io_err("cannot share", &log_path))?;
        let durability = Arc::new(Durability::default());
        {
            let mut st = durability.lock();
            st.written = (log_len, tree.size());
            st.synced = (log_len, tree.size());
        }
        let d = Arc::clone(&durability);
        let flusher = std::thread::Builder::new()
            .name("paraakh-evidence-flush".into())
            .spawn(move || flusher(flush_handle, d))
            .map_err(io_err("cannot start the flusher thread for", &log_path))?;
        Ok(Self {
            checkpoints: open_append(&dir.join(layout::CHECKPOINTS))?,
            receipts: open_append(&dir.join(layout::RECEIPTS))?,
            dir: dir.to_owned(),
            origin,
            log,
            log_len,
            _lock: lock,
            durability,
            flusher: Some(flusher),
            tree,
            last_time: None,
            session_key,
            tenant_key,
            checkpoint_notes: BTreeMap::new(),
            last_receipt_size: None,
            failed: None,
            reserve: Reserve::hold(dir),
            sealing_only: false,
            clock,
        })
    }

    /// The session directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The checkpoint origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Records appended so far (the tree size).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The Merkle root over all records appended so far.
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    /// Records known to be on stable storage.
    pub fn durable_records(&self) -> u64 {
        self.durability.lock().synced.1
    }

    /// The public key of the current segment's session key.
    pub fn session_public_key(&self) -> [u8; 32] {
        self.session_key.public_key()
    }

    fn check_ok(&self) -> Result<(), WriterError> {
        if let Some(e) = &self.failed {
            return Err(WriterError::Failed(e.clone()));
        }
        if let Some(e) = &self.durability.lock().error {
            return Err(WriterError::Failed(e.clone()));
        }
        Ok(())
    }

    fn write_record(
        &mut self,
        time: Timestamp,
        severity: Severity,
        body: Body,
    ) -> Result<u64, WriterError> {
        self.check_ok()?;
        let seq = self.tree.size();
        let bytes = Record {
            seq,
            time,
            severity,
            body,
        }
        .to_bytes();
        let max = FileKind::Log.max_payload();
        if bytes.is_empty() || bytes.len() > max as usize {
            return Err(WriterError::RecordTooLarge {
                len: bytes.len(),
                max,
            });
        }
        let frame = encode_frame(&bytes);
        if let Err(e) = append_whole(&mut self.log, self.log_len, &frame, &mut self.reserve) {
            // A full disk left the log whole, and writing can go on once
            // space is freed. Otherwise a partial frame may be on disk:
            // only recovery may continue from here.
            if !is_storage_full(&e) {
                self.failed = Some(e.to_string());
            }
            return Err(io_err("cannot append to", &self.dir.join(layout::LOG))(e));
        }
        self.log_len += frame.len() as u64;
        self.tree.push(leaf_hash(&bytes));
        self.last_time = Some(time);
        let mut st = self.durability.lock();
        st.written = (self.log_len, self.tree.size());
        if st.dirty_since.is_none() {
            st.dirty_since = Some(Instant::now());
            self.durability.wake.notify_all();
        }
        Ok(seq)
    }

    /// Appends a record; returns its sequence number. Records a clock jump
    /// first when the wall clock moved differently from the boot clock.
    pub fn append(&mut self, severity: Severity, body: Body) -> Result<u64, WriterError> {
        if self.sealing_only
            && !matches!(body, Body::Segment(_) | Body::Checkpoint(_) | Body::End(_))
        {
            return Err(WriterError::Ended(self.dir.clone()));
        }
        let now = self.clock.now();
        if let Some(prev) = self.last_time {
            let skew_ns = now.skew_since(&prev);
            if skew_ns.unsigned_abs() > CLOCK_JUMP_THRESHOLD_NS.unsigned_abs()
                || now.boot_ns < prev.boot_ns
            {
                self.write_record(
                    now,
                    Severity::Medium,
                    Body::ClockJump(ClockJump { skew_ns }),
                )?;
            }
        }
        let seq = self.write_record(now, severity, body)?;
        if severity >= Severity::High {
            self.sync()?;
        }
        Ok(seq)
    }

    /// Makes every record appended so far durable now.
    pub fn sync(&mut self) -> Result<(), WriterError> {
        self.check_ok()?;
        let target = (self.log_len, self.tree.size());
        if let Err(e) = self.log.sync_data() {
            self.failed = Some(e.to_string());
            return Err(io_err("cannot sync", &self.dir.join(layout::LOG))(e));
        }
        let mut st = self.durability.lock();
        if target.0 > st.synced.0 {
            st.synced = target;
        }
        if st.synced.0 >= st.written.0 {
            st.dirty_since = None;
        }
        Ok(())
    }

    /// Encrypts `data` to the tenant, stores it in `blobs/` and records it.
    pub fn add_blob(
        &mut self,
        severity: Severity,
        meta: BlobMeta,
        data: &[u8],
    ) -> Result<(u64, BlobRef), WriterError> {
        self.add_blob_from(severity, meta, data)
    }

    /// Like [`SessionWriter::add_blob`], streaming from a reader.
    pub fn add_blob_from(
        &mut self,
        severity: Severity,
        meta: BlobMeta,
        mut data: impl Read,
    ) -> Result<(u64, BlobRef), WriterError> {
        self.check_ok()?;
        if self.sealing_only {
            return Err(WriterError::Ended(self.dir.clone()));
        }
        check_text("the media type", &meta.media_type, 128)?;
        check_text("the blob purpose", &meta.purpose, 64)?;
        let blobs = self.dir.join(layout::BLOBS);
        let mut tmp_name = [0u8; 12];
        random_bytes(&mut tmp_name)?;
        let tmp = blobs.join(format!("{BLOB_TMP_PREFIX}{}", to_hex(&tmp_name)));
        let file = private_options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err("cannot create", &tmp))?;
        // A blob that cannot be stored whole (a full disk) leaves nothing
        // behind: its partial file would hold space the log needs.
        let digest = self.seal_blob(file, &tmp, &mut data).inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })?;
        let name = to_hex(&digest.ciphertext_sha256);
        let dest = blobs.join(&name);
        fs::rename(&tmp, &dest).map_err(io_err("cannot store", &dest))?;
        sync_dir(&blobs)?;
        let blob = BlobRef {
            sha256: HexHash(digest.ciphertext_sha256),
            size: digest.ciphertext_len,
            plaintext_sha256: HexHash(digest.plaintext_sha256),
            plaintext_size: digest.plaintext_len,
            media_type: meta.media_type,
            purpose: meta.purpose,
            event_seq: meta.event_seq,
        };
        let seq = self.append(severity, Body::Blob(blob.clone()))?;
        Ok((seq, blob))
    }

    /// Encrypts `data` into `file` (at `tmp`) and makes it durable.
    fn seal_blob(
        &self,
        file: File,
        tmp: &Path,
        data: &mut impl Read,
    ) -> Result<crate::blob::SealedDigest, WriterError> {
        let mut sealer =
            BlobSealer::new(&self.tenant_key, BufWriter::with_capacity(256 << 10, file))?;
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err("cannot read the media for", tmp)(e)),
            };
            sealer.write_plaintext(&buf[..n])?;
        }
        let (out, digest) = sealer.finish()?;
        let file = out
            .into_inner()
            .map_err(|e| io_err("cannot write", tmp)(e.into_error()))?;
        file.sync_all().map_err(io_err("cannot sync", tmp))?;
        Ok(digest)
    }

    /// Records an autosave of an answer, encrypted to the tenant; durable on return.
    pub fn save_answer(&mut self, question: &str, answer: &[u8]) -> Result<u64, WriterError> {
        check_text("the question id", question, 128)?;
        let (sealed, digest) = seal_to_vec(&self.tenant_key, answer)?;
        let seq = self.append(
            Severity::Info,
            Body::Answer(AnswerSave {
                question: question.to_owned(),
                sealed: B64Bytes(sealed),
                plaintext_sha256: HexHash(digest.plaintext_sha256),
                plaintext_size: digest.plaintext_len,
            }),
        )?;
        self.sync()?;
        Ok(seq)
    }

    /// Records the submission (the final answer record of each question); durable on return.
    pub fn submit(&mut self, answers: Vec<SubmittedAnswer>) -> Result<u64, WriterError> {
        let seq = self.append(Severity::Info, Body::Submission(Submission { answers }))?;
        self.sync()?;
        Ok(seq)
    }

    fn sign_checkpoint(&mut self) -> Result<SignedNote, WriterError> {
        self.sync()?;
        let body = CheckpointBody {
            origin: self.origin.clone(),
            size: self.tree.size(),
            root: self.tree.root(),
        };
        let text = body.to_text();
        let note = SignedNote::sign(&text, &[&self.session_key])?;
        let path = self.dir.join(layout::CHECKPOINTS);
        let frame = encode_frame(note.encode().as_bytes());
        append_synced(
            &mut self.checkpoints,
            &frame,
            &mut self.reserve,
            &mut self.failed,
            &path,
        )?;
        self.checkpoint_notes.insert(body.size, note.clone());
        Ok(note)
    }

    /// Signs a checkpoint over every record so far, stores it, and records a
    /// reference to it in the log. Returns the signed note (what the uploader sends).
    pub fn checkpoint(&mut self) -> Result<SignedNote, WriterError> {
        let note = self.sign_checkpoint()?;
        let size = self.tree.size();
        self.append(
            Severity::Info,
            Body::Checkpoint(CheckpointRef {
                size,
                note_sha256: HexHash(sha256(note.encode().as_bytes())),
            }),
        )?;
        Ok(note)
    }

    /// Stores the backend's receipt (our checkpoint with its cosignature) and
    /// records it in the log. Returns false for a receipt no newer than the last one.
    pub fn add_receipt(
        &mut self,
        receipt: &SignedNote,
        backend: &NoteVerifier,
    ) -> Result<bool, WriterError> {
        let body = CheckpointBody::parse(receipt.text())
            .map_err(|e| WriterError::BadReceipt(e.to_string()))?;
        let stored = receipt_to_store(self.checkpoint_notes.get(&body.size), receipt, backend)?;
        if self.last_receipt_size.is_some_and(|s| s >= body.size) {
            return Ok(false);
        }
        let encoded = stored.encode();
        let path = self.dir.join(layout::RECEIPTS);
        let frame = encode_frame(encoded.as_bytes());
        append_synced(
            &mut self.receipts,
            &frame,
            &mut self.reserve,
            &mut self.failed,
            &path,
        )?;
        self.last_receipt_size = Some(body.size);
        self.append(
            Severity::Info,
            Body::Receipt(ReceiptRef {
                size: body.size,
                receipt_sha256: HexHash(sha256(encoded.as_bytes())),
            }),
        )?;
        Ok(true)
    }

    /// Ends the session: an end record, then a final checkpoint over everything.
    /// Returns the final signed checkpoint.
    pub fn finish(mut self, reason: &str) -> Result<SignedNote, WriterError> {
        check_text("the end reason", reason, 64)?;
        self.append(
            Severity::Info,
            Body::End(SessionEnd {
                reason: reason.to_owned(),
            }),
        )?;
        let note = self.sign_checkpoint()?;
        self.reserve.remove();
        Ok(note)
    }

    /// The space held back for the log was given up in this run (the disk
    /// was full): the record went on in it.
    pub fn reserve_released(&self) -> bool {
        self.reserve.released()
    }

    /// Holds back space for the log again, if the disk has it now; true
    /// when the reserve is in place.
    pub fn hold_reserve(&mut self) -> bool {
        self.reserve.held() || self.reserve.take_back()
    }
}

/// Checks that `receipt` is `ours` (the checkpoint this session signed at
/// that size) plus a valid cosignature of `backend`, and returns what is
/// kept: exactly our checkpoint plus the backend's cosignature (other
/// witnesses' lines may come and go; the receipt we keep does not).
pub(crate) fn receipt_to_store(
    ours: Option<&SignedNote>,
    receipt: &SignedNote,
    backend: &NoteVerifier,
) -> Result<SignedNote, WriterError> {
    let body = CheckpointBody::parse(receipt.text())
        .map_err(|e| WriterError::BadReceipt(e.to_string()))?;
    let ours = ours.ok_or_else(|| {
        WriterError::BadReceipt(format!(
            "it cosigns a checkpoint of size {} that this session did not sign",
            body.size
        ))
    })?;
    if ours.text() != receipt.text()
        || !ours
            .signatures()
            .iter()
            .all(|s| receipt.signatures().contains(s))
    {
        return Err(WriterError::BadReceipt(format!(
            "it does not carry this session's signed checkpoint of size {}",
            body.size
        )));
    }
    receipt
        .verify_cosignature(backend)
        .map_err(|e| WriterError::BadReceipt(e.to_string()))?;
    let mut stored = ours.clone();
    if let Some(sig) = receipt
        .signatures()
        .iter()
        .find(|sig| sig.name == backend.name() && sig.key_id == backend.key_id())
    {
        stored.push_signature(sig.clone());
    }
    Ok(stored)
}

impl Drop for SessionWriter {
    fn drop(&mut self) {
        {
            let mut st = self.durability.lock();
            st.stop = true;
            self.durability.wake.notify_all();
        }
        if let Some(handle) = self.flusher.take() {
            let _ = handle.join();
        }
        if self.failed.is_none() {
            let _ = self.log.sync_data();
        }
    }
}
