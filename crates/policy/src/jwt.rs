//! JSON Web Tokens, verified the way RFC 8725 (JWT Best Current Practices)
//! asks, on `ring`:
//!
//! - algorithms from an allowlist only: EdDSA (Ed25519), ES256, RS256; `none`
//!   is refused with its own message;
//! - the key is chosen by `kid` among keys pinned in the installation or join
//!   config, never from the token (`jwk`, `jku`, `x5u`, `x5c` are refused);
//! - the algorithm must be the pinned key's (no algorithm confusion);
//! - explicit typing (`typ`), issuer, audience, expiry, not-before and
//!   issued-at with a small leeway, a maximum lifetime;
//! - role and tenant claims checked; a candidate token names the one exam it
//!   may start (single purpose, with a `jti` for replay and revocation checks).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use paraakh_keys::NoteSigner;
use ring::signature::{self, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// Largest token accepted.
pub const MAX_TOKEN_BYTES: usize = 8 << 10;
/// Clock leeway for `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: i64 = 60;

/// An allowed signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037).
    EdDsa,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (only if a tenant needs it).
    Rs256,
}

impl Algorithm {
    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Es256 => "ES256",
            Algorithm::Rs256 => "RS256",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "EdDSA" => Some(Algorithm::EdDsa),
            "ES256" => Some(Algorithm::Es256),
            "RS256" => Some(Algorithm::Rs256),
            _ => None,
        }
    }
}

/// A pinned public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// A 32-byte Ed25519 key.
    Ed25519([u8; 32]),
    /// A P-256 key, uncompressed SEC1 (`0x04 ‖ x ‖ y`).
    P256(Vec<u8>),
    /// An RSA key (big-endian modulus and exponent), at least 2048 bits.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
}

impl PublicKey {
    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::EdDsa,
            PublicKey::P256(_) => Algorithm::Es256,
            PublicKey::Rsa { .. } => Algorithm::Rs256,
        }
    }

    /// Reads a public JWK (`OKP`/`Ed25519`, `EC`/`P-256` or `RSA`).
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, JwtError> {
        let bad = |why: &str| JwtError::Malformed(format!("pinned key: {why}"));
        let field = |name: &str| -> Result<Vec<u8>, JwtError> {
            let s = jwk
                .get(name)
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| bad(&format!("the JWK has no {name:?}")))?;
            decode(s).map_err(|_| bad(&format!("the JWK's {name:?} is not base64url")))
        };
        if jwk.get("d").is_some() {
            return Err(bad("the JWK holds a private key; pin the public key only"));
        }
        match (
            jwk.get("kty").and_then(serde_json::Value::as_str),
            jwk.get("crv").and_then(serde_json::Value::as_str),
        ) {
            (Some("OKP"), Some("Ed25519")) => field("x")?
                .try_into()
                .map(PublicKey::Ed25519)
                .map_err(|_| bad("an Ed25519 key is 32 bytes")),
            (Some("EC"), Some("P-256")) => {
                let (x, y) = (field("x")?, field("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(bad("a P-256 coordinate is 32 bytes"));
                }
                let mut sec1 = vec![0x04];
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                Ok(PublicKey::P256(sec1))
            }
            (Some("RSA"), _) => {
                let n = field("n")?;
                let n_bits = (n.len() * 8)
                    .saturating_sub(n.first().map_or(8, |b| b.leading_zeros() as usize));
                if n_bits < 2048 {
                    return Err(bad("RSA keys shorter than 2048 bits are refused"));
                }
                Ok(PublicKey::Rsa { n, e: field("e")? })
            }
            _ => Err(bad(
                "only Ed25519 (OKP), P-256 (EC) and RSA keys are accepted",
            )),
        }
    }

    /// Checks a raw JWS signature over `message` (the JWS signing input).
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::Ed25519(k) => UnparsedPublicKey::new(&signature::ED25519, k)
                .verify(message, sig)
                .is_ok(),
            PublicKey::P256(k) => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, k)
                .verify(message, sig)
                .is_ok(),
            PublicKey::Rsa { n, e } => signature::RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
        }
    }
}

/// A key pinned for verifying tokens: its `kid`, the issuer it signs for, the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtKey {
    /// Key id the token's header must name.
    pub kid: String,
    /// The `iss` this key signs for.
    pub issuer: String,
    /// The public key.
    pub key: PublicKey,
}

/// Who a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes one exam.
    Candidate,
    /// Supervises exams.
    Proctor,
    /// Administers the tenant.
    Admin,
    /// Reviews sessions and decides on their events.
    Reviewer,
    /// Reads sessions, decisions and the access log; decides nothing.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Candidate,
        Role::Proctor,
        Role::Admin,
        Role::Reviewer,
        Role::Auditor,
    ];

    /// The name in tokens (`candidate`, `reviewer`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Candidate => "candidate",
            Role::Proctor => "proctor",
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Auditor => "auditor",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// The claims this client reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Subject (the candidate or staff member), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audience: one string or a list.
    #[serde(with = "audience")]
    pub aud: Vec<String>,
    /// Expiry (POSIX seconds).
    pub exp: i64,
    /// Not before (POSIX seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issued at (POSIX seconds).
    pub iat: i64,
    /// Token id, for replay and revocation checks.
    pub jti: String,
    /// Role.
    pub role: Role,
    /// Tenant.
    pub tenant: String,
    /// The exam a candidate token may start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam: Option<String>,
    /// The one session an upload token is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

mod audience {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub(super) fn serialize<S: Serializer>(aud: &[String], s: S) -> Result<S::Ok, S::Error> {
        match aud {
            [one] => s.serialize_str(one),
            many => s.collect_seq(many),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(a) => vec![a],
            OneOrMany::Many(v) => v,
        })
    }
}

/// What the verifier expects of a token.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The `typ` header required (explicit typing, RFC 8725 §3.11).
    pub typ: &'a str,
    /// This client's audience.
    pub audience: &'a str,
    /// The tenant the token must belong to.
    pub tenant: &'a str,
    /// Roles accepted for this use.
    pub roles: &'a [Role],
    /// For a candidate: the exam being started, if already known.
    pub exam: Option<&'a str>,
    /// The session the token must name (uploads of one session).
    pub session: Option<&'a str>,
    /// Current POSIX time.
    pub now: i64,
    /// Longest lifetime (`exp - iat`) accepted.
    pub max_lifetime_secs: i64,
}

/// The `typ` of tokens issued for Paraakh clients.
pub const TOKEN_TYPE: &str = "paraakh+jwt";

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Larger than a token needs to be.
    #[error("the token is {0} bytes; tokens are limited to 8 KiB")]
    TooLarge(usize),
    /// Not a compact JWS.
    #[error("the token is malformed: {0}")]
    Malformed(String),
    /// `alg: none`.
    #[error("the token is unsigned (alg \"none\") and is refused")]
    Unsigned,
    /// An algorithm outside the allowlist.
    #[error("the token's algorithm {0:?} is not allowed; only EdDSA, ES256 and RS256 are")]
    AlgorithmNotAllowed(String),
    /// A header parameter that could bring its own key or demands unknown processing.
    #[error(
        "the token's header parameter {0:?} is refused: keys come only from this installation's configuration"
    )]
    HeaderParameter(String),
    /// `typ` is not the expected one.
    #[error(
        "the token's type is {found:?}, but {expected:?} is required: it is a token for something else"
    )]
    WrongType {
        /// Found.
        found: String,
        /// Expected.
        expected: String,
    },
    /// No pinned key has this `kid`.
    #[error(
        "the token is signed by key {0:?}, which this installation does not trust; ask your exam centre for a new link"
    )]
    UnknownKey(String),
    /// The algorithm does not match the pinned key.
    #[error(
        "the token claims algorithm {alg} but key {kid:?} is a {expected} key: refused (algorithm confusion)"
    )]
    AlgorithmMismatch {
        /// The token's algorithm.
        alg: String,
        /// The key id.
        kid: String,
        /// The key's algorithm.
        expected: String,
    },
    /// The signature does not verify.
    #[error("the token's signature does not match: it was altered or forged")]
    BadSignature,
    /// A required claim is missing or malformed.
    #[error("the token's claims are invalid: {0}")]
    Claims(String),
    /// Expired.
    #[error("the token expired at {exp} (now {now}); ask your exam centre for a new link")]
    Expired {
        /// Expiry.
        exp: i64,
        /// Now.
        now: i64,
    },
    /// Not valid yet.
    #[error(
        "the token is not valid before {nbf} (now {now}); check the computer's clock or wait for the exam to open"
    )]
    NotYetValid {
        /// Not before.
        nbf: i64,
        /// Now.
        now: i64,
    },
    /// Issued in the future or living too long.
    #[error("the token's lifetime is not acceptable: {0}")]
    Lifetime(String),
    /// Issuer not the pinned key's.
    #[error(
        "the token says it was issued by {found:?}, but key {kid:?} signs only for {expected:?}"
    )]
    WrongIssuer {
        /// Found.
        found: String,
        /// Expected.
        expected: String,
        /// Key id.
        kid: String,
    },
    /// Audience not this client.
    #[error("the token is meant for {found:?}, not for {expected:?}")]
    WrongAudience {
        /// Found.
        found: String,
        /// Expected.
        expected: String,
    },
    /// Tenant not the expected one.
    #[error("the token belongs to tenant {found:?}, not {expected:?}")]
    WrongTenant {
        /// Found.
        found: String,
        /// Expected.
        expected: String,
    },
    /// Role not accepted here.
    #[error("a {found} token cannot be used here (accepted: {accepted})")]
    WrongRole {
        /// Found.
        found: String,
        /// Accepted.
        accepted: String,
    },
    /// A candidate token for another exam, or without one.
    #[error(
        "the token is for exam {found:?}, not {expected:?}: a candidate token starts one exam only"
    )]
    WrongExam {
        /// Found.
        found: String,
        /// Expected.
        expected: String,
    },
    /// The token is for another session.
    #[error(
        "the token is for session {found:?}, not {expected:?}: an upload token covers one session only"
    )]
    WrongSession {
        /// Found ("none" when the token names no session).
        found: String,
        /// Expected.
        expected: String,
    },
}

fn decode(s: &str) -> Result<Vec<u8>, ()> {
    let bytes = B64URL.decode(s).map_err(|_| ())?;
    if B64URL.encode(&bytes) != s {
        return Err(());
    }
    Ok(bytes)
}

/// Checks structure, header, key choice and signature; returns the header's
/// `typ` and the payload bytes. Claims are not looked at.
pub fn verify_signature(
    token: &str,
    keys: &[JwtKey],
) -> Result<(String, Vec<u8>, JwtKey), JwtError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::TooLarge(token.len()));
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed(
            "a token has exactly three dot-separated parts".into(),
        ));
    };
    let header_bytes =
        decode(h64).map_err(|()| JwtError::Malformed("the header is not base64url".into()))?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&header_bytes)
        .map_err(|e| JwtError::Malformed(format!("the header is not a JSON object: {e}")))?;
    for name in header.keys() {
        if !matches!(name.as_str(), "alg" | "typ" | "kid") {
            return Err(JwtError::HeaderParameter(name.clone()));
        }
    }
    let alg_name = header
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| JwtError::Malformed("the header has no \"alg\"".into()))?;
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(JwtError::Unsigned);
    }
    let alg = Algorithm::from_name(alg_name)
        .ok_or_else(|| JwtError::AlgorithmNotAllowed(alg_name.to_owned()))?;
    let typ = header
        .get("typ")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| JwtError::Malformed("the header has no \"typ\"".into()))?
        .to_owned();
    let kid = header
        .get("kid")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| JwtError::Malformed("the header has no \"kid\"".into()))?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| JwtError::UnknownKey(kid.to_owned()))?;
    if key.key.algorithm() != alg {
        return Err(JwtError::AlgorithmMismatch {
            alg: alg.name().to_owned(),
            kid: kid.to_owned(),
            expected: key.key.algorithm().name().to_owned(),
        });
    }
    let sig =
        decode(s64).map_err(|()| JwtError::Malformed("the signature is not base64url".into()))?;
    let signing_input = &token[..h64.len() + 1 + p64.len()];
    if !key.key.verify(signing_input.as_bytes(), &sig) {
        return Err(JwtError::BadSignature);
    }
    let payload =
        decode(p64).map_err(|()| JwtError::Malformed("the payload is not base64url".into()))?;
    Ok((typ, payload, key.clone()))
}

/// Verifies a token completely: signature, type, and every claim.
pub fn verify(token: &str, keys: &[JwtKey], expected: &Expected<'_>) -> Result<Claims, JwtError> {
    let (typ, payload, key) = verify_signature(token, keys)?;
    if typ != expected.typ {
        return Err(JwtError::WrongType {
            found: typ,
            expected: expected.typ.to_owned(),
        });
    }
    let claims: Claims =
        serde_json::from_slice(&payload).map_err(|e| JwtError::Claims(e.to_string()))?;
    check_claims(&claims, &key, expected)?;
    Ok(claims)
}

fn check_claims(c: &Claims, key: &JwtKey, x: &Expected<'_>) -> Result<(), JwtError> {
    if c.iss != key.issuer {
        return Err(JwtError::WrongIssuer {
            found: c.iss.clone(),
            expected: key.issuer.clone(),
            kid: key.kid.clone(),
        });
    }
    if !c.aud.iter().any(|a| a == x.audience) {
        return Err(JwtError::WrongAudience {
            found: c.aud.join(", "),
            expected: x.audience.to_owned(),
        });
    }
    if c.exp.saturating_add(LEEWAY_SECS) <= x.now {
        return Err(JwtError::Expired {
            exp: c.exp,
            now: x.now,
        });
    }
    if let Some(nbf) = c.nbf
        && nbf > x.now + LEEWAY_SECS
    {
        return Err(JwtError::NotYetValid { nbf, now: x.now });
    }
    if c.iat < 0 {
        return Err(JwtError::Lifetime("its issue time is before 1970".into()));
    }
    if c.iat > x.now.saturating_add(LEEWAY_SECS) {
        return Err(JwtError::Lifetime(format!(
            "it was issued in the future ({}; now {})",
            c.iat, x.now
        )));
    }
    if c.exp <= c.iat {
        return Err(JwtError::Lifetime("it expires before it was issued".into()));
    }
    if c.exp.saturating_sub(c.iat) > x.max_lifetime_secs {
        return Err(JwtError::Lifetime(format!(
            "it is valid for {} s; at most {} s is accepted",
            c.exp - c.iat,
            x.max_lifetime_secs
        )));
    }
    if c.jti.is_empty() || c.jti.len() > 128 {
        return Err(JwtError::Claims(
            "\"jti\" must be 1 to 128 characters".into(),
        ));
    }
    if c.tenant != x.tenant {
        return Err(JwtError::WrongTenant {
            found: c.tenant.clone(),
            expected: x.tenant.to_owned(),
        });
    }
    if !x.roles.contains(&c.role) {
        return Err(JwtError::WrongRole {
            found: c.role.as_str().to_owned(),
            accepted: x
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if let Some(want) = x.session
        && c.session.as_deref() != Some(want)
    {
        return Err(JwtError::WrongSession {
            found: c.session.clone().unwrap_or_else(|| "none".to_owned()),
            expected: want.to_owned(),
        });
    }
    if c.role == Role::Candidate {
        let exam = c.exam.as_deref().ok_or_else(|| {
            JwtError::Claims("a candidate token must name its exam (\"exam\")".into())
        })?;
        if let Some(want) = x.exam
            && exam != want
        {
            return Err(JwtError::WrongExam {
                found: exam.to_owned(),
                expected: want.to_owned(),
            });
        }
    }
    Ok(())
}

/// Issues an EdDSA token (for the reference backend, demos and tests).
pub fn sign_eddsa(claims: &Claims, kid: &str, key: &NoteSigner) -> String {
    let header = serde_json::json!({"alg": "EdDSA", "typ": TOKEN_TYPE, "kid": kid});
    let input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        // Claims are strings and integers: serialisation cannot fail.
        B64URL.encode(serde_json::to_vec(claims).unwrap_or_default())
    );
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", B64URL.encode(sig))
}

/// The pinned-key form of an Ed25519 signing key.
pub fn ed25519_key(kid: &str, issuer: &str, key: &NoteSigner) -> JwtKey {
    JwtKey {
        kid: kid.to_owned(),
        issuer: issuer.to_owned(),
        key: PublicKey::Ed25519(key.public_key()),
    }
}
