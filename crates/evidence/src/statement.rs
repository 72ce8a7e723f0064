//! The backend's session statement: which computer a session belongs to, and
//! from when. At join (and when an exam's questions are released, or a
//! session starts online) the tenant's backend signs, under its cosigning
//! key, a note that binds the session to the device key of the computer that
//! joined, with a fresh nonce and the backend's time. The client keeps it in
//! the session directory (`statement`) and names the nonce in record 0, so
//! the session provably started after the statement; the backend refuses
//! records certified by any other device key; `verify` checks it against the
//! backend key the auditor pins.
//!
//! The note is a C2SP signed note whose only signature is a
//! tlog-cosignature/v1 by the backend key (its timestamp is the backend's
//! time). Its text can never be read as a checkpoint: it has more lines and
//! a first line no log uses as its origin.
//!
//! ```text
//! paraakh.app/session-statement/v1
//! tenant <tenant id>
//! exam <exam id>
//! session <session id>
//! device <base64 Ed25519 device public key>
//! nonce <32 lowercase hex digits>
//! event join | exam-key | start
//! client-time <the client's wall clock when it asked, Unix ns>   (optional)
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::keys::{NoteSigner, NoteVerifier, random_bytes};
use crate::layout;
use crate::note::{NoteError, SignedNote};
use crate::record::{fingerprint, to_hex};

/// The first line of every statement.
pub const STATEMENT_HEADER: &str = "paraakh.app/session-statement/v1";

/// Why the backend made the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementEvent {
    /// A join link bound the session to this computer.
    Join,
    /// The exam's questions were released to the session.
    ExamKey,
    /// The session started online.
    Start,
}

impl StatementEvent {
    /// The word in the statement.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::ExamKey => "exam-key",
            Self::Start => "start",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "join" => Some(Self::Join),
            "exam-key" => Some(Self::ExamKey),
            "start" => Some(Self::Start),
            _ => None,
        }
    }
}

/// Why a statement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// The text is not a statement of this version.
    #[error("malformed session statement: {0}")]
    Malformed(&'static str),
    /// The signature is missing or does not verify under the key given.
    #[error("the session statement is not signed by the backend key given: {0}")]
    Signature(NoteError),
    /// A signature other than the backend's is on it.
    #[error("the session statement carries signatures other than the backend's")]
    ExtraSignatures,
}

/// What the backend states about a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStatement {
    /// The tenant.
    pub tenant_id: String,
    /// The exam.
    pub exam_id: String,
    /// The session.
    pub session_id: String,
    /// The device key the session is bound to (Ed25519 public key).
    pub device_key: [u8; 32],
    /// A fresh nonce (32 lowercase hex digits) the session names in record 0.
    pub nonce: String,
    /// Why the statement was made.
    pub event: StatementEvent,
    /// The client's wall clock when it asked (Unix ns), as it said: with the
    /// backend's time this measures how far the client's clock was off.
    pub client_time_ns: Option<i64>,
}

impl SessionStatement {
    /// A statement with a fresh random nonce.
    pub fn new(
        tenant_id: &str,
        exam_id: &str,
        session_id: &str,
        device_key: [u8; 32],
        event: StatementEvent,
        client_time_ns: Option<i64>,
    ) -> Result<Self, crate::keys::KeyError> {
        let mut nonce = [0u8; 16];
        random_bytes(&mut nonce)?;
        Ok(Self {
            tenant_id: tenant_id.to_owned(),
            exam_id: exam_id.to_owned(),
            session_id: session_id.to_owned(),
            device_key,
            nonce: to_hex(&nonce),
            event,
            client_time_ns,
        })
    }

    /// The note text.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{STATEMENT_HEADER}\ntenant {}\nexam {}\nsession {}\ndevice {}\nnonce {}\nevent {}\n",
            self.tenant_id,
            self.exam_id,
            self.session_id,
            B64.encode(self.device_key),
            self.nonce,
            self.event.as_str()
        );
        if let Some(t) = self.client_time_ns {
            text.push_str(&format!("client-time {t}\n"));
        }
        text
    }

    /// Parses a statement's text strictly (the canonical form only).
    pub fn parse(text: &str) -> Result<Self, StatementError> {
        let bad = StatementError::Malformed;
        let body = text
            .strip_suffix('\n')
            .ok_or(bad("the text must end with a newline"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(STATEMENT_HEADER) {
            return Err(bad("the first line is not the statement header"));
        }
        let mut field = |name: &str| -> Result<&str, StatementError> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .ok_or(bad("a field is missing or out of order"))
        };
        let tenant_id = field("tenant")?.to_owned();
        let exam_id = field("exam")?.to_owned();
        let session_id = field("session")?.to_owned();
        let device = B64
            .decode(field("device")?)
            .map_err(|_| bad("the device key is not base64"))?;
        let device_key: [u8; 32] = device
            .as_slice()
            .try_into()
            .map_err(|_| bad("the device key is not 32 bytes"))?;
        let nonce = field("nonce")?.to_owned();
        let event = StatementEvent::parse(field("event")?).ok_or(bad("unknown event"))?;
        let client_time_ns = match lines.next() {
            None => None,
            Some(line) => Some(
                line.strip_prefix("client-time ")
                    .and_then(|t| t.parse::<i64>().ok())
                    .ok_or(bad("the client time is not a number of nanoseconds"))?,
            ),
        };
        if lines.next().is_some() {
            return Err(bad("unexpected lines"));
        }
        for id in [&tenant_id, &exam_id, &session_id] {
            if !layout::valid_id(id) {
                return Err(bad("an id is not valid"));
            }
        }
        if nonce.len() != 32
            || !nonce
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad("the nonce is not 32 lowercase hex digits"));
        }
        let parsed = Self {
            tenant_id,
            exam_id,
            session_id,
            device_key,
            nonce,
            event,
            client_time_ns,
        };
        if parsed.to_text() != text {
            return Err(bad("non-canonical encoding"));
        }
        Ok(parsed)
    }

    /// Why this statement is not about session `session` of exam `exam`
    /// (tenant `tenant`) recorded by device key `device`, if it is not.
    pub fn mismatch(
        &self,
        tenant: &str,
        exam: &str,
        session: &str,
        device: &[u8; 32],
    ) -> Option<String> {
        if (
            self.tenant_id.as_str(),
            self.exam_id.as_str(),
            self.session_id.as_str(),
        ) != (tenant, exam, session)
        {
            return Some(format!(
                "is for session {} of exam {} (tenant {}), not session {session} of exam {exam} (tenant {tenant})",
                self.session_id, self.exam_id, self.tenant_id
            ));
        }
        if &self.device_key != device {
            return Some(format!(
                "binds device key {}, but the session is recorded by device key {}: it was made for another computer, or the session was re-signed",
                fingerprint(&self.device_key),
                fingerprint(device)
            ));
        }
        None
    }

    /// The statement signed by the backend's cosigning key at POSIX time `time`.
    pub fn sign(&self, backend: &NoteSigner, time: u64) -> Result<SignedNote, NoteError> {
        let mut note = SignedNote::sign(&self.to_text(), &[])?;
        note.cosign(backend, time)?;
        Ok(note)
    }

    /// Reads a signed statement and checks it against `backend`; returns the
    /// statement and the backend's time (POSIX seconds).
    pub fn verify(
        note: &SignedNote,
        backend: &NoteVerifier,
    ) -> Result<(Self, u64), StatementError> {
        let statement = Self::parse(note.text())?;
        let time = note
            .verify_cosignature(backend)
            .map_err(StatementError::Signature)?;
        if note.signatures().len() != 1 {
            return Err(StatementError::ExtraSignatures);
        }
        Ok((statement, time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519};

    fn statement() -> SessionStatement {
        SessionStatement::new(
            "acme",
            "physics",
            "s-1",
            [7; 32],
            StatementEvent::Join,
            Some(1_790_000_000_123_000_000),
        )
        .unwrap()
    }

    #[test]
    fn a_signed_statement_verifies_and_reads_back() {
        let backend = NoteSigner::generate("ingest.example", SIG_TYPE_COSIGNATURE_V1).unwrap();
        let s = statement();
        let note = s.sign(&backend, 1_790_000_000).unwrap();
        let reparsed = SignedNote::parse(note.encode().as_bytes()).unwrap();
        let (back, time) = SessionStatement::verify(&reparsed, &backend.verifier()).unwrap();
        assert_eq!(back, s);
        assert_eq!(time, 1_790_000_000);
        // Without a client time the field is left out.
        let mut s2 = s.clone();
        s2.client_time_ns = None;
        assert!(!s2.to_text().contains("client-time"));
        assert_eq!(SessionStatement::parse(&s2.to_text()).unwrap(), s2);
    }

    #[test]
    fn another_key_an_altered_text_or_an_extra_signature_is_refused() {
        let backend = NoteSigner::generate("ingest.example", SIG_TYPE_COSIGNATURE_V1).unwrap();
        let other = NoteSigner::generate("ingest.example", SIG_TYPE_COSIGNATURE_V1).unwrap();
        let note = statement().sign(&backend, 5).unwrap();
        assert!(SessionStatement::verify(&note, &other.verifier()).is_err());
        let altered = note.encode().replace("session s-1", "session s-2");
        let altered = SignedNote::parse(altered.as_bytes()).unwrap();
        assert!(matches!(
            SessionStatement::verify(&altered, &backend.verifier()),
            Err(StatementError::Signature(_))
        ));
        let mut extra = note.clone();
        extra.cosign(&other, 5).unwrap();
        assert_eq!(
            SessionStatement::verify(&extra, &backend.verifier()),
            Err(StatementError::ExtraSignatures)
        );
        // A device key's plain signature is not a cosignature.
        let device = NoteSigner::generate("ingest.example", SIG_TYPE_ED25519).unwrap();
        let plain = SignedNote::sign(&statement().to_text(), &[&device]).unwrap();
        assert!(SessionStatement::verify(&plain, &backend.verifier()).is_err());
    }

    #[test]
    fn only_the_canonical_text_parses() {
        let text = statement().to_text();
        assert!(SessionStatement::parse(&text).is_ok());
        for bad in [
            text.replace("tenant acme", "tenant  acme"),
            text.replace("event join", "event leave"),
            text.replace("nonce ", "nonce X"),
            text.replace("session s-1\n", "session ../x\n"),
            text.replace("client-time 1790000000123000000", "client-time 01"),
            text.replace("client-time 1790000000123000000", "client-time x"),
            format!("{text}extra line\n"),
            text.trim_end().to_owned(),
            text.replacen(
                "paraakh.app/session-statement/v1",
                "paraakh.app/evidence/acme/s-1",
                1,
            ),
        ] {
            assert!(SessionStatement::parse(&bad).is_err(), "{bad}");
        }
        // Never a checkpoint.
        assert!(crate::note::CheckpointBody::parse(&text).is_err());
    }
}
