//! The tenant's proctor code, kept in the signed policy as an Argon2id hash
//! in the PHC string format (`$argon2id$v=19$m=65536,t=3,p=1$SALT$HASH`,
//! what `argon2` tools print): the candidate's computer can check a code a
//! proctor types without holding the code, and guessing it offline costs
//! 64 MiB and three passes per try. Codes are compared normalised, like
//! start codes (case, spaces, dashes and look-alike letters ignored).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use paraakh_keys::random_bytes;
use zeroize::Zeroizing;

use crate::exam::{CODE_ITERATIONS, CODE_MEMORY_KIB, normalize_code, stretch_into};

/// Shortest code accepted when hashing a new one (normalised characters).
pub const MIN_CODE_CHARS: usize = 8;
/// Memory bounds accepted in a hash, in KiB: no weaker than OWASP's
/// minimum, no heavier than a candidate's computer should spend on a check.
const MEMORY_KIB: std::ops::RangeInclusive<u32> = 19 * 1024..=256 * 1024;
const PASSES: std::ops::RangeInclusive<u32> = 2..=10;
const LANES: std::ops::RangeInclusive<u32> = 1..=4;

/// Why a proctor code could not be hashed, or a hash could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProctorCodeError {
    /// The code to hash is too short.
    #[error(
        "a proctor code needs at least {MIN_CODE_CHARS} letters or digits (spaces and dashes do not count)"
    )]
    TooShort,
    /// The text is not an Argon2id PHC string at all.
    #[error(
        "must be an Argon2id hash like $argon2id$v=19$m=65536,t=3,p=1$SALT$HASH (make one with `paraakh policy proctor-code`)"
    )]
    NotArgon2id,
    /// The parameters are not `m=…,t=…,p=…` in canonical form.
    #[error("the parameters must be m=…,t=…,p=… in that order (whole numbers)")]
    Parameters,
    /// A parameter is outside what a candidate's computer accepts.
    #[error("{name} is {value}; it must be from {min} to {max}")]
    OutOfRange {
        /// The parameter, as people read it (`m (memory in KiB)`).
        name: &'static str,
        /// Its value in the hash.
        value: u32,
        /// Smallest accepted.
        min: u32,
        /// Largest accepted.
        max: u32,
    },
    /// The salt is not base64 without padding.
    #[error("the salt is not base64 (without padding)")]
    SaltNotBase64,
    /// The hash is not base64 without padding.
    #[error("the hash is not base64 (without padding)")]
    HashNotBase64,
    /// The salt is too short or too long.
    #[error("the salt must be 8 to 64 bytes")]
    SaltLength,
    /// The hash is too short or too long.
    #[error("the hash must be 16 to 64 bytes")]
    HashLength,
    /// No randomness for the salt.
    #[error("cannot make a salt for the proctor code: {0}")]
    Random(#[from] paraakh_keys::KeyError),
    /// Argon2id refused to hash (what it said).
    #[error("cannot hash the proctor code: {reason}")]
    Hash {
        /// What Argon2 said.
        reason: String,
    },
}

/// A proctor code's hash, as read from a policy.
#[derive(Clone, PartialEq, Eq)]
pub struct ProctorCodeHash {
    memory_kib: u32,
    passes: u32,
    lanes: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl std::fmt::Debug for ProctorCodeHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProctorCodeHash")
            .field("memory_kib", &self.memory_kib)
            .field("passes", &self.passes)
            .finish_non_exhaustive()
    }
}

impl ProctorCodeHash {
    /// Hashes a new code with a random salt (64 MiB, 3 passes, one lane).
    pub fn new(code: &str) -> Result<Self, ProctorCodeError> {
        if normalize_code(code).chars().count() < MIN_CODE_CHARS {
            return Err(ProctorCodeError::TooShort);
        }
        let mut salt = vec![0u8; 16];
        random_bytes(&mut salt)?;
        let hash = stretch(code, &salt, CODE_MEMORY_KIB, CODE_ITERATIONS, 1, 32).map_err(|e| {
            ProctorCodeError::Hash {
                reason: e.to_string(),
            }
        })?;
        Ok(Self {
            memory_kib: CODE_MEMORY_KIB,
            passes: CODE_ITERATIONS,
            lanes: 1,
            salt,
            hash: hash.to_vec(),
        })
    }

    /// Reads a PHC string; says what is wrong with it otherwise.
    pub fn parse(text: &str) -> Result<Self, ProctorCodeError> {
        let parts: Vec<&str> = text.split('$').collect();
        let ["", "argon2id", "v=19", params, salt, hash] = parts.as_slice() else {
            return Err(ProctorCodeError::NotArgon2id);
        };
        // PHC strings are canonical: these three, in this order, in decimal
        // without leading zeros.
        let items: Vec<&str> = params.split(',').collect();
        let mut values = [0u32; 3];
        if items.len() != values.len() {
            return Err(ProctorCodeError::Parameters);
        }
        for ((item, name), slot) in items.iter().zip(["m=", "t=", "p="]).zip(&mut values) {
            let digits = item
                .strip_prefix(name)
                .ok_or(ProctorCodeError::Parameters)?;
            if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ProctorCodeError::Parameters);
            }
            *slot = digits.parse().map_err(|_| ProctorCodeError::Parameters)?;
        }
        let [memory_kib, passes, lanes] = values;
        for (name, value, range) in [
            ("m (memory in KiB)", memory_kib, &MEMORY_KIB),
            ("t (passes)", passes, &PASSES),
            ("p (lanes)", lanes, &LANES),
        ] {
            if !range.contains(&value) {
                return Err(ProctorCodeError::OutOfRange {
                    name,
                    value,
                    min: *range.start(),
                    max: *range.end(),
                });
            }
        }
        let salt = B64
            .decode(salt)
            .map_err(|_| ProctorCodeError::SaltNotBase64)?;
        let hash = B64
            .decode(hash)
            .map_err(|_| ProctorCodeError::HashNotBase64)?;
        if !(8..=64).contains(&salt.len()) {
            return Err(ProctorCodeError::SaltLength);
        }
        if !(16..=64).contains(&hash.len()) {
            return Err(ProctorCodeError::HashLength);
        }
        Ok(Self {
            memory_kib,
            passes,
            lanes,
            salt,
            hash,
        })
    }

    /// Whether `code` is the proctor's code (about a quarter of a second).
    pub fn matches(&self, code: &str) -> bool {
        let Ok(typed) = stretch(
            code,
            &self.salt,
            self.memory_kib,
            self.passes,
            self.lanes,
            self.hash.len(),
        ) else {
            return false;
        };
        // Compared without an early exit.
        typed.len() == self.hash.len()
            && typed
                .iter()
                .zip(&self.hash)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl std::fmt::Display for ProctorCodeHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$argon2id$v=19$m={},t={},p={}${}${}",
            self.memory_kib,
            self.passes,
            self.lanes,
            B64.encode(&self.salt),
            B64.encode(&self.hash)
        )
    }
}

fn stretch(
    code: &str,
    salt: &[u8],
    memory_kib: u32,
    passes: u32,
    lanes: u32,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, argon2::Error> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    stretch_into(code, salt, memory_kib, passes, lanes, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_hash_matches_its_code_in_any_spelling_and_nothing_else() {
        let hash = ProctorCodeHash::new("Proc-tor1-code").unwrap();
        let text = hash.to_string();
        assert!(
            text.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"),
            "{text}"
        );
        let read = ProctorCodeHash::parse(&text).unwrap();
        assert_eq!(read, hash);
        assert!(read.matches("PROC TOR1 C0DE"));
        assert!(!read.matches("PROC-TOR1-CODF"));
        assert!(!read.matches(""));
    }

    #[test]
    fn hashes_made_by_the_reference_argon2_tool_are_read_and_checked() {
        // The reference implementation's CLI (Debian `argon2`, 20190702):
        // `echo -n PASSW0RD1 | argon2 somesaltsomesalt -id -m 16 -t 3 -p 1 -e`
        // (and -m 15); PASSW0RD1 is the normalised form of "password1".
        let vectors = [
            "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$FxpfPW9cXUKGYE+/5SYf9Gpvp4KL3z8Q10yFw9dvvoY",
            "$argon2id$v=19$m=32768,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$Qv0leLPvj21/WTu0gWh0pVjevh7FSE+71VcATKUR9pE",
        ];
        for text in vectors {
            let hash = ProctorCodeHash::parse(text).unwrap();
            assert_eq!(hash.to_string(), text, "written back as read");
            assert!(hash.matches("password1"), "{text}");
            assert!(hash.matches("PASS-W0RD-1"), "{text}");
            assert!(!hash.matches("password2"), "{text}");
        }
    }

    #[test]
    fn short_codes_and_malformed_or_weak_hashes_are_refused_with_the_reason() {
        assert!(matches!(
            ProctorCodeHash::new("12-34"),
            Err(ProctorCodeError::TooShort)
        ));
        assert!(
            ProctorCodeHash::new("12-34")
                .unwrap_err()
                .to_string()
                .contains("at least 8")
        );
        let cases = [
            ("", "Argon2id hash like"),
            (
                "$argon2i$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "Argon2id hash like",
            ),
            (
                "$argon2id$v=19$m=1024,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "m (memory in KiB) is 1024",
            ),
            (
                "$argon2id$v=19$m=65536,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "t (passes) is 1",
            ),
            (
                "$argon2id$v=19$m=65536,t=3$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "in that order",
            ),
            (
                "$argon2id$v=19$t=3,m=65536,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "in that order",
            ),
            (
                "$argon2id$v=19$m=065536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "in that order",
            ),
            (
                "$argon2id$v=19$m=99999999999,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "in that order",
            ),
            (
                "$argon2id$v=19$m=65536,t=3,p=1,x=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "in that order",
            ),
            (
                "$argon2id$v=19$m=65536,t=3,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
                "salt is not base64",
            ),
            (
                "$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaA",
                "hash must be 16 to 64",
            ),
        ];
        for (text, why) in cases {
            let err = ProctorCodeHash::parse(text).unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
