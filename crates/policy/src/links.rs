//! Guest candidate links: `paraakh://join?tenant=T&token=JWT`, or the same
//! query on `https://HOST/join`. A link is time-bounded (the token's `exp`),
//! single-purpose (one exam, one `jti`, used once on this machine) and
//! revocable: checked against the backend when online, against a signed
//! revocation list when offline.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use paraakh_keys::NoteVerifier;
use serde::{Deserialize, Serialize};

use crate::envelope::{Envelope, EnvelopeError};
use crate::jwt::{self, Claims, Expected, JwtError, JwtKey, Role};

/// Largest link accepted.
pub const MAX_LINK_BYTES: usize = 10 << 10;
/// Payload type of a signed revocation list.
pub const REVOCATIONS_TYPE: &str = "application/vnd.paraakh.revocations+json";
/// The `format` of a revocation list.
pub const REVOCATIONS_FORMAT: &str = "paraakh-revocations/1";

/// Why a link was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Not a join link.
    #[error("this is not a Paraakh join link: {0}")]
    Malformed(String),
    /// The token in it was refused.
    #[error(transparent)]
    Token(#[from] JwtError),
    /// The link was already used on this machine.
    #[error(
        "this link (token {0:?}) was already used on this computer; each link starts one exam once; ask your exam centre for a new one"
    )]
    Replayed(String),
    /// The link was revoked.
    #[error("this link (token {0:?}) was revoked by your exam centre; ask them for a new one")]
    Revoked(String),
    /// The offline revocation list is too old to rely on.
    #[error(
        "the revocation list expired at {next_update} (now {now}); connect to the network, or get a fresh list from your exam centre"
    )]
    StaleRevocations {
        /// When the list said it would be replaced.
        next_update: i64,
        /// Now.
        now: i64,
    },
    /// The revocation list itself is bad.
    #[error("the revocation list was refused: {0}")]
    Revocations(String),
    /// The list's signature or type is bad.
    #[error("the revocation list was refused: {0}")]
    RevocationsEnvelope(#[from] EnvelopeError),
    /// The record of used links cannot be read or written.
    #[error("cannot record the use of this link in {path}: {source}")]
    Store {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A parsed join link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinLink {
    /// The tenant, which selects the pinned keys.
    pub tenant: String,
    /// The candidate token.
    pub token: String,
    /// The host of an https link.
    pub host: Option<String>,
}

fn percent_decode(s: &str) -> Result<String, LinkError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| LinkError::Malformed("a %-escape is incomplete".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| LinkError::Malformed("the link is not UTF-8".into()))
}

/// Parses a join link (either form), strictly: exactly the `tenant` and
/// `token` parameters, once each.
pub fn parse_join_link(text: &str) -> Result<JoinLink, LinkError> {
    let text = text.trim();
    if text.len() > MAX_LINK_BYTES {
        return Err(LinkError::Malformed("it is too long".into()));
    }
    let (query, host) = if let Some(q) = text.strip_prefix("paraakh://join?") {
        (q, None)
    } else if let Some(rest) = text.strip_prefix("https://") {
        let (host, path) = rest
            .split_once('/')
            .ok_or_else(|| LinkError::Malformed("it has no /join path".into()))?;
        let q = path
            .strip_prefix("join?")
            .ok_or_else(|| LinkError::Malformed("its path is not /join".into()))?;
        if !crate::net::valid_host(host) {
            return Err(LinkError::Malformed(format!("{host:?} is not a host name")));
        }
        (q, Some(host.to_owned()))
    } else {
        return Err(LinkError::Malformed(
            "a join link starts with paraakh://join? or https://HOST/join?".into(),
        ));
    };
    let (mut tenant, mut token) = (None, None);
    for pair in query.split('&') {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| LinkError::Malformed(format!("the parameter {pair:?} has no value")))?;
        let slot = match k {
            "tenant" => &mut tenant,
            "token" => &mut token,
            other => {
                return Err(LinkError::Malformed(format!(
                    "unexpected parameter {other:?}"
                )));
            }
        };
        if slot.replace(percent_decode(v)?).is_some() {
            return Err(LinkError::Malformed(format!(
                "the parameter {k:?} appears twice"
            )));
        }
    }
    let tenant = tenant.ok_or_else(|| LinkError::Malformed("it names no tenant".into()))?;
    let token = token.ok_or_else(|| LinkError::Malformed("it carries no token".into()))?;
    if !valid_tenant(&tenant) {
        return Err(LinkError::Malformed(format!(
            "{tenant:?} is not a tenant id"
        )));
    }
    Ok(JoinLink {
        tenant,
        token,
        host,
    })
}

/// A tenant id: 1 to 128 of `A-Z a-z 0-9 . _ -`, not `.` or `..`.
pub fn valid_tenant(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A tenant's signed list of revoked link tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationList {
    /// Always [`REVOCATIONS_FORMAT`].
    pub format: String,
    /// The tenant.
    pub tenant: String,
    /// When it was issued (POSIX seconds).
    pub issued_at: i64,
    /// When a fresh list is due; after it the list is not relied on.
    pub next_update: i64,
    /// Revoked `jti` values.
    pub revoked: Vec<String>,
}

impl RevocationList {
    /// Checks a signed list: trusted signature, format, tenant, freshness.
    pub fn load(
        bytes: &[u8],
        trusted: &[NoteVerifier],
        tenant: &str,
        now: i64,
    ) -> Result<Self, LinkError> {
        let env = Envelope::parse(bytes)?;
        let payload = env.verify(REVOCATIONS_TYPE, trusted)?;
        let list: RevocationList =
            serde_json::from_slice(payload).map_err(|e| LinkError::Revocations(e.to_string()))?;
        if list.format != REVOCATIONS_FORMAT {
            return Err(LinkError::Revocations(format!(
                "unknown format {:?}",
                list.format
            )));
        }
        if list.tenant != tenant {
            return Err(LinkError::Revocations(format!(
                "it is for tenant {:?}, not {tenant:?}",
                list.tenant
            )));
        }
        if list.issued_at > now + jwt::LEEWAY_SECS || list.next_update <= list.issued_at {
            return Err(LinkError::Revocations("its dates are impossible".into()));
        }
        if now > list.next_update {
            return Err(LinkError::StaleRevocations {
                next_update: list.next_update,
                now,
            });
        }
        Ok(list)
    }
}

/// How revocation was checked.
#[derive(Debug, Clone, Copy)]
pub enum RevocationCheck<'a> {
    /// The backend was asked (online); `revoked` is its answer.
    Online {
        /// Whether the backend said the token is revoked.
        revoked: bool,
    },
    /// Offline: a signed, fresh revocation list.
    Offline(&'a RevocationList),
}

/// What a tenant's installation trusts for join links.
#[derive(Debug, Clone)]
pub struct LinkTrust<'a> {
    /// Pinned token keys.
    pub keys: &'a [JwtKey],
    /// This client's audience.
    pub audience: &'a str,
    /// Longest link lifetime accepted.
    pub max_lifetime_secs: i64,
}

/// Records which link tokens were used on this machine (per tenant), so a
/// link starts one exam once. Entries are dropped once their token expired.
#[derive(Debug)]
pub struct UsedTokens {
    path: PathBuf,
}

impl UsedTokens {
    /// The record kept in `path` (created on first use).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    fn store_err(&self) -> impl FnOnce(std::io::Error) -> LinkError + '_ {
        move |source| LinkError::Store {
            path: self.path.clone(),
            source,
        }
    }

    /// Marks `jti` (valid until `exp`) as used; refuses one already used.
    /// A lock file beside the record (never replaced) serialises clients,
    /// and the record itself is replaced atomically, so a crash loses nothing.
    pub fn use_once(&self, jti: &str, exp: i64, now: i64) -> Result<(), LinkError> {
        let lock_path = self.path.with_extension("lock");
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(self.store_err())?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| self.store_err()(e.into()))?;
        let mut text = String::new();
        match File::open(&self.path) {
            Ok(mut f) => {
                f.read_to_string(&mut text).map_err(self.store_err())?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.store_err()(e)),
        }
        let mut kept = Vec::new();
        for line in text.lines() {
            let Some((exp_s, used)) = line.split_once(' ') else {
                continue;
            };
            let Ok(used_exp) = exp_s.parse::<i64>() else {
                continue;
            };
            if used == jti {
                return Err(LinkError::Replayed(jti.to_owned()));
            }
            if used_exp.saturating_add(jwt::LEEWAY_SECS) >= now {
                kept.push(line.to_owned());
            }
        }
        kept.push(format!("{exp} {jti}"));
        let tmp = self.path.with_extension("tmp");
        let mut out = File::create(&tmp).map_err(self.store_err())?;
        out.write_all((kept.join("\n") + "\n").as_bytes())
            .and_then(|()| out.sync_all())
            .map_err(self.store_err())?;
        std::fs::rename(&tmp, &self.path).map_err(self.store_err())?;
        drop(lock);
        Ok(())
    }
}

/// Accepts a join link: parses it, verifies its candidate token, checks
/// revocation, and marks it used. Returns the token's claims.
pub fn accept_join_link(
    link: &JoinLink,
    trust: &LinkTrust<'_>,
    revocation: RevocationCheck<'_>,
    used: &UsedTokens,
    now: i64,
) -> Result<Claims, LinkError> {
    let claims = jwt::verify(
        &link.token,
        trust.keys,
        &Expected {
            typ: jwt::TOKEN_TYPE,
            audience: trust.audience,
            tenant: &link.tenant,
            roles: &[Role::Candidate],
            exam: None,
            session: None,
            now,
            max_lifetime_secs: trust.max_lifetime_secs,
        },
    )?;
    let revoked = match revocation {
        RevocationCheck::Online { revoked } => revoked,
        RevocationCheck::Offline(list) => {
            if list.tenant != link.tenant {
                return Err(LinkError::Revocations(format!(
                    "it is for tenant {:?}, not {:?}",
                    list.tenant, link.tenant
                )));
            }
            list.revoked.iter().any(|j| j == &claims.jti)
        }
    };
    if revoked {
        return Err(LinkError::Revoked(claims.jti));
    }
    used.use_once(&claims.jti, claims.exp, now)?;
    Ok(claims)
}

/// The path of the used-token record inside a tenant's data directory.
pub fn used_tokens_path(tenant_dir: &Path) -> PathBuf {
    tenant_dir.join("used-link-tokens")
}
