//! Client versions: the tenant's `min_client_version` and this build's own.
//! A tenant that needs a fix or a new check raises the minimum; an older
//! client refuses the exam with the command that updates it, instead of
//! running an exam its organiser no longer trusts it with.

use std::fmt;

/// A client version, `MAJOR.MINOR.PATCH` (no pre-release part: a tenant's
/// minimum names a released client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientVersion {
    /// Incompatible changes.
    pub major: u32,
    /// New features.
    pub minor: u32,
    /// Fixes.
    pub patch: u32,
}

/// Why a version could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a client version: write three numbers, like \"0.2.0\"")]
pub struct VersionError(pub String);

/// What a candidate runs to update the client (the package's repository).
pub const UPGRADE_COMMAND: &str =
    "sudo apt-get update && sudo apt-get install --only-upgrade paraakh";

impl ClientVersion {
    /// Reads `MAJOR.MINOR.PATCH`.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let bad = || VersionError(text.to_owned());
        let mut parts = text.trim().split('.');
        let mut next = || -> Result<u32, VersionError> {
            let part = parts.next().ok_or_else(bad)?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) || part.len() > 9 {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let version = Self {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(version)
    }

    /// This build's version (the workspace's: the app and `paraakh` alike).
    pub fn running() -> Self {
        // The workspace version is three numbers (Cargo.toml); a test holds it.
        Self::parse(env!("CARGO_PKG_VERSION")).unwrap_or(Self {
            major: 0,
            minor: 0,
            patch: 0,
        })
    }
}

impl fmt::Display for ClientVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl serde::Serialize for ClientVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_and_order_as_numbers() {
        let v = |s| ClientVersion::parse(s).unwrap();
        assert!(v("0.10.0") > v("0.9.9"));
        assert!(v("1.0.0") > v("0.99.99"));
        assert_eq!(v(" 0.2.0 ").to_string(), "0.2.0");
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "1.2.x",
            "v1.2.3",
            "1.-2.3",
            "1..3",
            "1.2.3-rc1",
        ] {
            assert!(ClientVersion::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn this_build_has_a_version_of_three_numbers() {
        assert_eq!(
            ClientVersion::running().to_string(),
            env!("CARGO_PKG_VERSION")
        );
    }
}
