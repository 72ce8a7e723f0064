//! A tenant's access log as an auditor checks it offline: the pages the
//! backend gave (`GET /v1/access-log`, saved as JSON), the chain of entry
//! hashes recomputed from the first, and each page's checkpoint — the
//! chain's head at the page's last entry, cosigned by the backend — checked
//! against the backend key the auditor pins. A log rewritten after a
//! checkpoint was kept no longer matches it.
//!
//! The chain and checkpoint formats are defined here; the backend uses the
//! same functions to write them.

use std::collections::BTreeMap;

use paraakh_evidence::NoteVerifier;
use paraakh_evidence::merkle::sha256;
use paraakh_evidence::note::SignedNote;
use paraakh_evidence::record::to_hex;
use serde::{Deserialize, Serialize};

/// The first line of a checkpoint of an access log.
pub const CHECKPOINT_ORIGIN: &str = "paraakh access log v1";

/// One entry as the backend lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedAccess {
    /// Its position, from 0.
    pub seq: u64,
    /// When (POSIX seconds).
    pub at: i64,
    /// Who (a staff token's subject).
    pub actor: String,
    /// With which role.
    pub role: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// Whether the role allowed it.
    pub allowed: bool,
    /// The chain hash.
    pub hash: String,
}

/// One page of a tenant's log (`GET /v1/access-log`).
#[derive(Debug, Clone, Deserialize)]
pub struct AccessLogPage {
    /// The tenant.
    pub tenant: String,
    /// Its entries, in order.
    pub entries: Vec<LoggedAccess>,
    /// The head at the page's last entry, cosigned by the backend.
    #[serde(default)]
    pub checkpoint: Option<String>,
}

/// The chain hash of entry `seq` after the entry whose hash is `previous`
/// (64 zeros for the first): SHA-256 of the JSON array
/// `[previous, seq, at, actor, role, action, target, allowed]`.
#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    previous: &str,
    seq: u64,
    at: i64,
    actor: &str,
    role: &str,
    action: &str,
    target: &str,
    allowed: bool,
) -> String {
    let line =
        serde_json::json!([previous, seq, at, actor, role, action, target, allowed]).to_string();
    to_hex(&sha256(line.as_bytes()))
}

/// The text of a checkpoint: the chain of `tenant`'s log at `size` entries
/// has head `head`.
pub fn checkpoint_text(tenant: &str, size: u64, head: &str) -> String {
    format!("{CHECKPOINT_ORIGIN}\ntenant {tenant}\nsize {size}\nhead {head}\n")
}

/// What checking the pages found.
#[derive(Debug, Clone, Serialize)]
pub struct AccessLogCheck {
    /// The tenant.
    pub tenant: String,
    /// Entries checked (from 0, without a gap).
    pub entries: u64,
    /// Of those, refused attempts.
    pub refused: u64,
    /// Entries per action.
    pub by_action: BTreeMap<String, u64>,
    /// The chain's head after the last entry.
    pub head: String,
    /// Checkpoints whose cosignature verifies under the pinned key and whose
    /// head is the chain's at their size.
    pub checkpoints_verified: u64,
    /// The largest size a verified checkpoint vouches for.
    pub vouched_size: u64,
    /// The earliest and latest entry (POSIX seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_at: Option<i64>,
    /// See `first_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_at: Option<i64>,
    /// What is wrong; empty when the log is intact.
    pub problems: Vec<String>,
}

impl AccessLogCheck {
    /// Whether nothing is wrong and a checkpoint vouches for every entry.
    pub fn intact(&self) -> bool {
        self.problems.is_empty() && self.vouched_size == self.entries && self.entries > 0
    }
}

/// Checks `pages` (in any order; overlapping pages must agree) under the
/// backend key `backend`.
pub fn check(pages: &[AccessLogPage], backend: &NoteVerifier) -> AccessLogCheck {
    let tenant = pages.first().map(|p| p.tenant.clone()).unwrap_or_default();
    let mut problems = Vec::new();
    let mut by_seq: BTreeMap<u64, &LoggedAccess> = BTreeMap::new();
    for page in pages {
        if page.tenant != tenant {
            problems.push(format!(
                "a page is of tenant {:?}, another of {tenant:?}: check one tenant's log at a time",
                page.tenant
            ));
        }
        for e in &page.entries {
            if let Some(seen) = by_seq.insert(e.seq, e)
                && seen != e
            {
                problems.push(format!("entry {} differs between two pages", e.seq));
            }
        }
    }
    let mut check = AccessLogCheck {
        tenant: tenant.clone(),
        entries: 0,
        refused: 0,
        by_action: BTreeMap::new(),
        head: "0".repeat(64),
        checkpoints_verified: 0,
        vouched_size: 0,
        first_at: None,
        last_at: None,
        problems,
    };
    // The chain from entry 0; heads[n] is the head after n entries.
    let mut heads = vec![check.head.clone()];
    for (expected, (seq, e)) in by_seq.iter().enumerate() {
        if *seq != expected as u64 {
            check.problems.push(format!(
                "entry {expected} is missing (the pages jump to {seq}): fetch every page from=0"
            ));
            break;
        }
        let hash = chain_hash(
            &check.head,
            *seq,
            e.at,
            &e.actor,
            &e.role,
            &e.action,
            &e.target,
            e.allowed,
        );
        if hash != e.hash {
            check.problems.push(format!(
                "entry {seq} ({} by {}) does not chain: its hash is {}, the chain gives {hash}; the log was changed",
                e.action, e.actor, e.hash
            ));
            break;
        }
        check.head = hash;
        heads.push(check.head.clone());
        check.entries += 1;
        check.refused += u64::from(!e.allowed);
        *check.by_action.entry(e.action.clone()).or_default() += 1;
        check.first_at = Some(check.first_at.map_or(e.at, |f| f.min(e.at)));
        check.last_at = Some(check.last_at.map_or(e.at, |l| l.max(e.at)));
    }
    for page in pages {
        let Some(text) = &page.checkpoint else {
            continue;
        };
        match checkpoint_of(text, backend) {
            Err(why) => check.problems.push(why),
            Ok((t, size, head)) => {
                let ours = usize::try_from(size).ok().and_then(|s| heads.get(s));
                if t != tenant {
                    check
                        .problems
                        .push(format!("a checkpoint is of tenant {t:?}, not {tenant:?}"));
                } else if ours != Some(&head) {
                    check.problems.push(match ours {
                        None => format!(
                            "a checkpoint vouches for {size} entries; the pages hold {}: fetch the rest",
                            check.entries
                        ),
                        Some(h) => format!(
                            "the backend cosigned head {head} at {size} entries; these entries give {h}: the log was changed"
                        ),
                    });
                } else {
                    check.checkpoints_verified += 1;
                    check.vouched_size = check.vouched_size.max(size);
                }
            }
        }
    }
    if check.entries > 0 && check.vouched_size < check.entries && check.problems.is_empty() {
        check.problems.push(format!(
            "no checkpoint of the pinned backend vouches for entries {} to {}",
            check.vouched_size,
            check.entries - 1
        ));
    }
    check
}

/// (tenant, size, head) of a checkpoint cosigned by `backend`.
fn checkpoint_of(text: &str, backend: &NoteVerifier) -> Result<(String, u64, String), String> {
    let note = SignedNote::parse(text.as_bytes())
        .map_err(|e| format!("a checkpoint is not a signed note: {e}"))?;
    note.verify_cosignature(backend).map_err(|e| {
        format!(
            "a checkpoint is not cosigned by the pinned backend key {}: {e}",
            backend.name()
        )
    })?;
    let mut lines = note.text().lines();
    let bad = || format!("a checkpoint is not an access log's: {:?}", note.text());
    if lines.next() != Some(CHECKPOINT_ORIGIN) {
        return Err(bad());
    }
    let mut field = |name: &str| {
        lines
            .next()
            .and_then(|l| l.strip_prefix(name))
            .and_then(|v| v.strip_prefix(' '))
            .map(str::to_owned)
            .ok_or_else(bad)
    };
    let tenant = field("tenant")?;
    let size = field("size")?.parse::<u64>().map_err(|_| bad())?;
    let head = field("head")?;
    Ok((tenant, size, head))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_COSIGNATURE_V1};

    use super::*;

    fn log(n: u64) -> Vec<LoggedAccess> {
        let mut previous = "0".repeat(64);
        (0..n)
            .map(|seq| {
                let action = if seq % 3 == 0 {
                    "decide"
                } else {
                    "view_session"
                };
                let hash = chain_hash(
                    &previous,
                    seq,
                    100 + seq as i64,
                    "alice",
                    "reviewer",
                    action,
                    "s-1",
                    seq != 4,
                );
                previous = hash.clone();
                LoggedAccess {
                    seq,
                    at: 100 + seq as i64,
                    actor: "alice".into(),
                    role: "reviewer".into(),
                    action: action.into(),
                    target: "s-1".into(),
                    allowed: seq != 4,
                    hash,
                }
            })
            .collect()
    }

    fn page(entries: &[LoggedAccess], backend: &NoteSigner) -> AccessLogPage {
        let last = entries.last().unwrap();
        let mut note =
            SignedNote::sign(&checkpoint_text("acme", last.seq + 1, &last.hash), &[]).unwrap();
        note.cosign(backend, 1).unwrap();
        AccessLogPage {
            tenant: "acme".into(),
            entries: entries.to_vec(),
            checkpoint: Some(note.encode()),
        }
    }

    #[test]
    fn an_intact_log_in_two_pages_is_vouched_for_entirely() {
        let backend = NoteSigner::generate("backend", SIG_TYPE_COSIGNATURE_V1).unwrap();
        let entries = log(10);
        let pages = [page(&entries[6..], &backend), page(&entries[..6], &backend)];
        let c = check(&pages, &backend.verifier());
        assert!(c.intact(), "{:?}", c.problems);
        assert_eq!((c.entries, c.refused, c.vouched_size), (10, 1, 10));
        assert_eq!(c.by_action["decide"], 4);
    }

    #[test]
    fn a_changed_entry_a_gap_and_another_key_are_each_found() {
        let backend = NoteSigner::generate("backend", SIG_TYPE_COSIGNATURE_V1).unwrap();
        let entries = log(6);
        let good = page(&entries, &backend);
        // An entry changed after the checkpoint was kept (refused → allowed).
        let mut changed = good.clone();
        changed.entries[4].allowed = true;
        let c = check(&[changed], &backend.verifier());
        assert!(!c.intact());
        assert!(c.problems[0].contains("entry 4"), "{:?}", c.problems);
        // An entry removed and the chain rebuilt: the checkpoint no longer matches.
        let mut rebuilt = log(5);
        rebuilt.truncate(5);
        let mut cut = good.clone();
        cut.entries = rebuilt;
        let c = check(&[cut], &backend.verifier());
        assert!(
            c.problems.iter().any(|p| p.contains("fetch the rest")),
            "{:?}",
            c.problems
        );
        // A gap.
        let mut gap = good.clone();
        gap.entries.remove(2);
        let c = check(&[gap], &backend.verifier());
        assert!(
            c.problems[0].contains("entry 2 is missing"),
            "{:?}",
            c.problems
        );
        // Cosigned by a key the auditor does not pin.
        let other = NoteSigner::generate("backend", SIG_TYPE_COSIGNATURE_V1).unwrap();
        let c = check(&[good], &other.verifier());
        assert!(!c.intact());
        assert!(
            c.problems[0].contains("not cosigned by the pinned backend"),
            "{:?}",
            c.problems
        );
    }
}
