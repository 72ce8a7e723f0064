//! Exam packages for offline exams: downloaded in advance, verified on
//! download and again at the start, unreadable before the start.
//!
//! A package is a DSSE envelope (type `application/vnd.paraakh.exam+json`)
//! signed by the tenant. Its manifest names the exam, its window and timing,
//! carries the signed policy and the tenant's evidence key, and holds the
//! questions encrypted (AES-256-GCM) under a random content key. The content
//! key comes either from the backend at the start (checked against
//! `key_check`) or from a start code a proctor reads out, stretched with
//! Argon2id (64 MiB, 3 passes) so it cannot be guessed offline in time.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paraakh_keys::{NoteSigner, NoteVerifier, TenantPublicKey, random_bytes};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::envelope::{EXAM_TYPE, Envelope, EnvelopeError, POLICY_TYPE};
use crate::links::valid_tenant;

/// The manifest format.
pub const FORMAT: &str = "paraakh-exam/1";
/// Argon2id memory for start codes, in KiB (64 MiB).
pub const CODE_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes for start codes.
pub const CODE_ITERATIONS: u32 = 3;
/// A package may be unlocked this long before it opens (seating, instructions).
pub const EARLY_UNLOCK_SECS: i64 = 15 * 60;
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why an exam package was refused or could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExamError {
    /// The envelope or its embedded policy was refused.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The manifest or content is not valid.
    #[error("the exam package is invalid:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
    /// The embedded policy is not valid.
    #[error("the exam's policy is invalid: {0}")]
    Policy(#[from] crate::PolicyError),
    /// Opened before its window.
    #[error("the exam opens at {opens} (now {now}); it cannot be opened before {earliest}")]
    NotOpenYet {
        /// Opening time.
        opens: String,
        /// Earliest unlock.
        earliest: String,
        /// Now.
        now: String,
    },
    /// Opened after its window.
    #[error("the exam closed at {closes} (now {now})")]
    Closed {
        /// Closing time.
        closes: String,
        /// Now.
        now: String,
    },
    /// Wrong start code or backend key.
    #[error("the start code is not right for this exam; check it with your proctor")]
    WrongCode,
    /// The backend's key does not match the package.
    #[error(
        "the key from the backend does not unlock this exam package; download the package again"
    )]
    WrongKey,
    /// The package has no such unlock method.
    #[error("this exam package cannot be unlocked {0}")]
    NoUnlock(&'static str),
    /// A cryptographic operation failed.
    #[error("the exam content cannot be decrypted: it was altered")]
    Decrypt,
    /// The random number generator or KDF failed.
    #[error("internal cryptographic failure: {0}")]
    Crypto(String),
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Identifier, unique in the exam.
    pub id: String,
    /// `single_choice`, `multiple_choice`, `short_text` or `essay`.
    pub kind: String,
    /// What is asked.
    pub prompt: String,
    /// Points.
    pub points: f64,
    /// The choices (choice questions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    /// Longest answer in characters (short text only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
    /// Longest answer in words (essays only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_words: Option<u32>,
}

/// Extra time for one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accommodation {
    /// The candidate (the token's `sub`).
    pub candidate: String,
    /// Extra time, percent of the duration.
    pub extra_time_percent: u32,
}

/// An exam taken on the tenant's own web page, in the locked window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineExam {
    /// The page the exam starts on.
    pub start_url: String,
    /// The page the tenant's site shows once the candidate has submitted
    /// there: reaching a URL that starts with it ends the exam (like Safe
    /// Exam Browser's quit URL).
    pub finish_url: String,
}

/// The encrypted part of a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamContent {
    /// Instructions shown before the first question.
    pub instructions: String,
    /// The questions, in order (none for an online exam).
    pub questions: Vec<Question>,
    /// Extra time per candidate.
    #[serde(default)]
    pub accommodations: Vec<Accommodation>,
    /// An online exam: its pages must be on the policy's allowed origins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<OnlineExam>,
}

/// An exam as authored (`exam.toml`), before packaging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamSource {
    /// Exam identifier.
    pub id: String,
    /// Tenant identifier.
    pub tenant: String,
    /// Title.
    pub title: String,
    /// Opening time, RFC 3339.
    pub opens_at: String,
    /// Closing time, RFC 3339.
    pub closes_at: String,
    /// Working time.
    pub duration_minutes: u32,
    /// Path of the signed policy, relative to the exam directory.
    pub policy: String,
    /// Instructions.
    pub instructions: String,
    /// Questions (none for an online exam).
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Extra time per candidate.
    #[serde(default)]
    pub accommodations: Vec<Accommodation>,
    /// An online exam (`[online]`: start_url, finish_url).
    #[serde(default)]
    pub online: Option<OnlineExam>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealed {
    nonce: String,
    ciphertext: String,
    sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeUnlock {
    kdf: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
    nonce: String,
    wrapped_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Unlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_code: Option<CodeUnlock>,
    /// SHA-256("paraakh exam key check v1" ‖ key), hex: lets the client check a key from the backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    backend_key_check: Option<String>,
}

/// The signed, unencrypted part of a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Exam identifier.
    pub exam_id: String,
    /// Tenant identifier.
    pub tenant: String,
    /// Title.
    pub title: String,
    /// Opening time (POSIX seconds).
    pub opens_at: i64,
    /// Closing time (POSIX seconds).
    pub closes_at: i64,
    /// Working time.
    pub duration_minutes: u32,
    /// The signed policy (a DSSE envelope, JSON).
    pub policy: String,
    /// SHA-256 of the effective policy (canonical JSON), hex.
    pub policy_sha256: String,
    /// The tenant's evidence encryption key.
    pub evidence_key: String,
    content: Sealed,
    unlock: Unlock,
}

/// A verified package, still locked.
#[derive(Debug, Clone)]
pub struct ExamPackage {
    /// The manifest.
    pub manifest: Manifest,
    /// The effective policy.
    pub policy: crate::Policy,
    /// The evidence key.
    pub evidence_key: TenantPublicKey,
}

/// What `sign_exam` produced.
#[derive(Debug)]
pub struct Packaged {
    /// The package file's bytes.
    pub package: Vec<u8>,
    /// The content key, for the tenant's backend (keep it secret).
    pub content_key: Zeroizing<[u8; 32]>,
    /// The start code, for the proctor, if one was set.
    pub start_code: Option<String>,
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, data).as_ref());
    out
}

fn key_check(key: &[u8; 32]) -> String {
    let mut data = b"paraakh exam key check v1".to_vec();
    data.extend_from_slice(key);
    to_hex(&sha256(&data))
}

fn aad(label: &str, tenant: &str, exam: &str) -> Vec<u8> {
    format!("paraakh exam {label} v1\n{tenant}\n{exam}\n").into_bytes()
}

fn seal(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<([u8; 12], Vec<u8>), ExamError> {
    let mut nonce = [0u8; 12];
    random_bytes(&mut nonce).map_err(|e| ExamError::Crypto(e.to_string()))?;
    let k = UnboundKey::new(&AES_256_GCM, key).map_err(|_| ExamError::Crypto("AES key".into()))?;
    let mut buf = plain.to_vec();
    LessSafeKey::new(k)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| ExamError::Crypto("seal".into()))?;
    Ok((nonce, buf))
}

fn open(key: &[u8], nonce: &[u8], aad: &[u8], ct: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let k = UnboundKey::new(&AES_256_GCM, key).ok()?;
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let mut buf = Zeroizing::new(ct.to_vec());
    let len = LessSafeKey::new(k)
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .ok()?
        .len();
    buf.truncate(len);
    Some(buf)
}

/// Normalises a start code as typed: case, spaces and dashes do not matter;
/// I/L read as 1 and O as 0 (Crockford base32).
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect()
}

/// A new random start code: 12 Crockford base32 characters (60 bits), grouped by four.
pub fn new_start_code() -> Result<String, ExamError> {
    let mut bytes = [0u8; 12];
    random_bytes(&mut bytes).map_err(|e| ExamError::Crypto(e.to_string()))?;
    let chars: String = bytes
        .iter()
        .map(|b| char::from(CROCKFORD[usize::from(b % 32)]))
        .collect();
    Ok(format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..]))
}

fn stretch(
    code: &str,
    salt: &[u8],
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> Result<Zeroizing<[u8; 32]>, ExamError> {
    let mut out = Zeroizing::new([0u8; 32]);
    stretch_into(
        code,
        salt,
        memory_kib,
        iterations,
        parallelism,
        out.as_mut(),
    )
    .map_err(|e| ExamError::Crypto(e.to_string()))?;
    Ok(out)
}

/// Argon2id of the normalised code into `out` (start codes, proctor codes).
pub(crate) fn stretch_into(
    code: &str,
    salt: &[u8],
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let params = argon2::Params::new(memory_kib, iterations, parallelism, Some(out.len()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    argon.hash_password_into(normalize_code(code).as_bytes(), salt, out)
}

fn parse_time(what: &str, s: &str, problems: &mut Vec<String>) -> i64 {
    match time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        Ok(t) => t.unix_timestamp(),
        Err(_) => {
            problems.push(format!(
                "{what}: {s:?} is not an RFC 3339 time like 2026-12-10T09:00:00Z"
            ));
            0
        }
    }
}

/// An online exam's pages must be on the origins its policy allows, and
/// the policy must keep the network on.
fn check_online(content: &ExamContent, policy: &crate::Policy, problems: &mut Vec<String>) {
    let Some(online) = &content.online else {
        return;
    };
    let allowed = &policy.network.allowed_origins;
    for (what, url) in [
        ("online.start_url", &online.start_url),
        ("online.finish_url", &online.finish_url),
    ] {
        if crate::net::url_origin(url).is_none() {
            problems.push(format!("{what}: {url:?} is not an http(s) URL"));
        } else if !crate::net::url_allowed(url, allowed) {
            problems.push(format!(
                "{what}: {url:?} is not on the policy's network.allowed_origins ({})",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ));
        }
    }
    if !policy.network.enabled {
        problems.push("online: an online exam needs the policy's network layer on".into());
    }
    if !content.questions.is_empty() {
        problems.push(
            "online: an online exam has its questions on its own pages, not in the package".into(),
        );
    }
}

fn check_content(content: &ExamContent, problems: &mut Vec<String>) {
    if content.questions.is_empty() && content.online.is_none() {
        problems
            .push("questions: an exam needs at least one question (or an [online] page)".into());
    }
    let mut ids = std::collections::HashSet::new();
    for (i, q) in content.questions.iter().enumerate() {
        let at = format!("questions[{i}] ({:?})", q.id);
        if !valid_tenant(&q.id) {
            problems.push(format!(
                "{at}: the id must be 1 to 128 of A-Z a-z 0-9 . _ -"
            ));
        }
        if !ids.insert(q.id.as_str()) {
            problems.push(format!("{at}: the id is used twice"));
        }
        if q.prompt.trim().is_empty() {
            problems.push(format!("{at}: the prompt is empty"));
        }
        if !(q.points.is_finite() && q.points >= 0.0 && q.points <= 1000.0) {
            problems.push(format!("{at}: points must be between 0 and 1000"));
        }
        let choices = q.choices.as_ref().map_or(0, Vec::len);
        match q.kind.as_str() {
            "single_choice" | "multiple_choice" => {
                if choices < 2 {
                    problems.push(format!("{at}: a choice question needs at least two choices"));
                }
                if q.max_chars.is_some() || q.max_words.is_some() {
                    problems.push(format!("{at}: max_chars and max_words apply to text questions only"));
                }
            }
            "short_text" => {
                if q.choices.is_some() || q.max_words.is_some() || !q.max_chars.is_some_and(|m| (1..=10_000).contains(&m)) {
                    problems.push(format!("{at}: a short_text question has max_chars (1 to 10,000) and nothing else"));
                }
            }
            "essay" => {
                if q.choices.is_some() || q.max_chars.is_some() || !q.max_words.is_some_and(|m| (1..=20_000).contains(&m)) {
                    problems.push(format!("{at}: an essay has max_words (1 to 20,000) and nothing else"));
                }
            }
            other => problems.push(format!(
                "{at}: kind {other:?} is not one of single_choice, multiple_choice, short_text, essay"
            )),
        }
    }
    for a in &content.accommodations {
        if !(1..=300).contains(&a.extra_time_percent) {
            problems.push(format!(
                "accommodations ({:?}): extra_time_percent must be 1 to 300",
                a.candidate
            ));
        }
    }
}

/// Builds and signs a package from an authored exam and its signed policy.
/// With `start_code = Some(None)` a code is generated; `None` means the
/// content key comes only from the backend.
pub fn sign_exam(
    source: &ExamSource,
    signed_policy: &[u8],
    evidence_key: &TenantPublicKey,
    key: &NoteSigner,
    start_code: Option<Option<String>>,
) -> Result<Packaged, ExamError> {
    let mut problems = Vec::new();
    if !valid_tenant(&source.id) {
        problems.push(format!(
            "id: {:?} must be 1 to 128 of A-Z a-z 0-9 . _ -",
            source.id
        ));
    }
    if !valid_tenant(&source.tenant) {
        problems.push(format!("tenant: {:?} is not a tenant id", source.tenant));
    }
    if source.title.trim().is_empty() || source.title.len() > 200 {
        problems.push("title: must be 1 to 200 characters".into());
    }
    let opens_at = parse_time("opens_at", &source.opens_at, &mut problems);
    let closes_at = parse_time("closes_at", &source.closes_at, &mut problems);
    if !(1..=24 * 60).contains(&source.duration_minutes) {
        problems.push("duration_minutes: must be 1 to 1440".into());
    }
    if closes_at <= opens_at
        || closes_at.saturating_sub(opens_at) < i64::from(source.duration_minutes) * 60
    {
        problems.push(format!(
            "closes_at: the window from opens_at to closes_at must hold the {} minutes of the exam",
            source.duration_minutes
        ));
    }
    let content = ExamContent {
        instructions: source.instructions.clone(),
        questions: source.questions.clone(),
        accommodations: source.accommodations.clone(),
        online: source.online.clone(),
    };
    check_content(&content, &mut problems);
    let policy = Envelope::parse(signed_policy)?;
    let policy_text = policy.verify(POLICY_TYPE, &[key.verifier()])?;
    let policy = crate::parse(
        std::str::from_utf8(policy_text)
            .map_err(|_| ExamError::Invalid(vec!["policy: not UTF-8".into()]))?,
    )?;
    check_online(&content, &policy, &mut problems);
    if !problems.is_empty() {
        return Err(ExamError::Invalid(problems));
    }

    let mut content_key = Zeroizing::new([0u8; 32]);
    random_bytes(content_key.as_mut()).map_err(|e| ExamError::Crypto(e.to_string()))?;
    // Serialising plain structs cannot fail.
    let plain = Zeroizing::new(serde_json::to_vec(&content).unwrap_or_default());
    let (nonce, ciphertext) = seal(
        &content_key,
        &aad("content", &source.tenant, &source.id),
        &plain,
    )?;
    let mut unlock = Unlock {
        start_code: None,
        backend_key_check: Some(key_check(&content_key)),
    };
    let code = match start_code {
        None => None,
        Some(code) => {
            let code = match code {
                Some(c) if normalize_code(&c).len() >= 10 => c,
                Some(_) => {
                    return Err(ExamError::Invalid(vec![
                        "start code: at least 10 characters".into(),
                    ]));
                }
                None => new_start_code()?,
            };
            let mut salt = [0u8; 16];
            random_bytes(&mut salt).map_err(|e| ExamError::Crypto(e.to_string()))?;
            let kek = stretch(&code, &salt, CODE_MEMORY_KIB, CODE_ITERATIONS, 1)?;
            let (knonce, wrapped) = seal(
                &kek,
                &aad("key", &source.tenant, &source.id),
                content_key.as_ref(),
            )?;
            unlock.start_code = Some(CodeUnlock {
                kdf: "argon2id".into(),
                memory_kib: CODE_MEMORY_KIB,
                iterations: CODE_ITERATIONS,
                parallelism: 1,
                salt: B64.encode(salt),
                nonce: B64.encode(knonce),
                wrapped_key: B64.encode(wrapped),
            });
            Some(code)
        }
    };
    let manifest = Manifest {
        format: FORMAT.into(),
        exam_id: source.id.clone(),
        tenant: source.tenant.clone(),
        title: source.title.clone(),
        opens_at,
        closes_at,
        duration_minutes: source.duration_minutes,
        policy: String::from_utf8_lossy(signed_policy).into_owned(),
        policy_sha256: to_hex(&policy.sha256()),
        evidence_key: evidence_key.encode(),
        content: Sealed {
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
            sha256: to_hex(&sha256(&plain)),
        },
        unlock,
    };
    let payload = serde_json::to_vec(&manifest).unwrap_or_default();
    Ok(Packaged {
        package: Envelope::sign(EXAM_TYPE, payload, key)
            .to_json()
            .into_bytes(),
        content_key,
        start_code: code,
    })
}

fn b64(what: &str, s: &str) -> Result<Vec<u8>, ExamError> {
    B64.decode(s)
        .map_err(|_| ExamError::Invalid(vec![format!("{what}: not base64")]))
}

fn utc(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

impl ExamPackage {
    /// Verifies a package (on download, and again at the start): signed by a
    /// trusted key, for this tenant, with a valid signed policy whose hash
    /// matches, and a sane window.
    pub fn verify(bytes: &[u8], trusted: &[NoteVerifier], tenant: &str) -> Result<Self, ExamError> {
        let env = Envelope::parse(bytes)?;
        let payload = env.verify(EXAM_TYPE, trusted)?;
        let manifest: Manifest = serde_json::from_slice(payload)
            .map_err(|e| ExamError::Invalid(vec![format!("manifest: {e}")]))?;
        let mut problems = Vec::new();
        if manifest.format != FORMAT {
            problems.push(format!("format: {:?} is not {FORMAT}", manifest.format));
        }
        if manifest.tenant != tenant {
            problems.push(format!(
                "tenant: the package is for {:?}, not {tenant:?}",
                manifest.tenant
            ));
        }
        if manifest.closes_at.saturating_sub(manifest.opens_at)
            < i64::from(manifest.duration_minutes) * 60
        {
            problems.push("the window is shorter than the exam".into());
        }
        if manifest.unlock.start_code.is_none() && manifest.unlock.backend_key_check.is_none() {
            problems.push("unlock: the package offers no way to unlock it".into());
        }
        let policy_env = Envelope::parse(manifest.policy.as_bytes())?;
        let policy_text = policy_env.verify(POLICY_TYPE, trusted)?;
        let policy = crate::parse(
            std::str::from_utf8(policy_text)
                .map_err(|_| ExamError::Invalid(vec!["policy: not UTF-8".into()]))?,
        )?;
        if to_hex(&policy.sha256()) != manifest.policy_sha256 {
            problems.push("policy_sha256 does not match the embedded policy".into());
        }
        let evidence_key = TenantPublicKey::parse(&manifest.evidence_key)
            .map_err(|e| ExamError::Invalid(vec![format!("evidence_key: {e}")]))?;
        if !problems.is_empty() {
            return Err(ExamError::Invalid(problems));
        }
        Ok(Self {
            manifest,
            policy,
            evidence_key,
        })
    }

    fn check_window(&self, now: i64) -> Result<(), ExamError> {
        let m = &self.manifest;
        let earliest = m.opens_at.saturating_sub(EARLY_UNLOCK_SECS);
        if now < earliest {
            return Err(ExamError::NotOpenYet {
                opens: utc(m.opens_at),
                earliest: utc(earliest),
                now: utc(now),
            });
        }
        if now > m.closes_at {
            return Err(ExamError::Closed {
                closes: utc(m.closes_at),
                now: utc(now),
            });
        }
        Ok(())
    }

    fn decrypt(&self, content_key: &[u8]) -> Result<ExamContent, ExamError> {
        let m = &self.manifest;
        let plain = open(
            content_key,
            &b64("content.nonce", &m.content.nonce)?,
            &aad("content", &m.tenant, &m.exam_id),
            &b64("content.ciphertext", &m.content.ciphertext)?,
        )
        .ok_or(ExamError::Decrypt)?;
        if to_hex(&sha256(&plain)) != m.content.sha256 {
            return Err(ExamError::Decrypt);
        }
        let content: ExamContent = serde_json::from_slice(&plain)
            .map_err(|e| ExamError::Invalid(vec![format!("content: {e}")]))?;
        let mut problems = Vec::new();
        check_content(&content, &mut problems);
        check_online(&content, &self.policy, &mut problems);
        if problems.is_empty() {
            Ok(content)
        } else {
            Err(ExamError::Invalid(problems))
        }
    }

    /// Unlocks with the start code the proctor reads out.
    pub fn unlock_with_code(&self, code: &str, now: i64) -> Result<ExamContent, ExamError> {
        self.check_window(now)?;
        let u = self
            .manifest
            .unlock
            .start_code
            .as_ref()
            .ok_or(ExamError::NoUnlock(
                "with a start code: it is unlocked by the backend",
            ))?;
        if u.kdf != "argon2id"
            || u.memory_kib < 19 * 1024
            || u.iterations < 2
            || u.parallelism == 0
            || u.parallelism > 8
        {
            return Err(ExamError::Invalid(vec![
                "unlock.start_code: weak or unknown key derivation".into(),
            ]));
        }
        let kek = stretch(
            code,
            &b64("salt", &u.salt)?,
            u.memory_kib,
            u.iterations,
            u.parallelism,
        )?;
        let m = &self.manifest;
        let key = open(
            kek.as_ref(),
            &b64("nonce", &u.nonce)?,
            &aad("key", &m.tenant, &m.exam_id),
            &b64("wrapped_key", &u.wrapped_key)?,
        )
        .ok_or(ExamError::WrongCode)?;
        self.decrypt(&key)
    }

    /// Unlocks with the content key the backend released at the start.
    pub fn unlock_with_key(&self, key: &[u8; 32], now: i64) -> Result<ExamContent, ExamError> {
        self.check_window(now)?;
        let check = self
            .manifest
            .unlock
            .backend_key_check
            .as_ref()
            .ok_or(ExamError::NoUnlock("by the backend"))?;
        if &key_check(key) != check {
            return Err(ExamError::WrongKey);
        }
        self.decrypt(key)
    }
}
