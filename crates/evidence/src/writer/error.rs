//! Errors of writing and recovering a session.

use std::io;
use std::path::{Path, PathBuf};

use crate::blob::BlobError;
use crate::keys::KeyError;
use crate::note::NoteError;

/// Why writing or recovering a session failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriterError {
    /// A file operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The directory already holds a session.
    #[error("a session already exists in {0}; resume it, or record into an empty directory")]
    AlreadyExists(PathBuf),
    /// The directory holds no session.
    #[error("no session in {0}: the directory has no evidence log")]
    NotASession(PathBuf),
    /// Another process holds the session's lock.
    #[error("another process is writing the session in {0}; close it first")]
    Locked(PathBuf),
    /// A session parameter is invalid.
    #[error("invalid session parameter: {0}")]
    InvalidParam(String),
    /// A record is larger than the log accepts.
    #[error("the record is {len} bytes; records are limited to {max} bytes (store media as blobs)")]
    RecordTooLarge {
        /// Encoded length.
        len: usize,
        /// The limit.
        max: u32,
    },
    /// An earlier write failed; the writer refuses to continue.
    #[error(
        "the writer stopped after an earlier write failure ({0}); reopen the session to recover it"
    )]
    Failed(String),
    /// The directory is damaged in a way recovery must not paper over.
    #[error(
        "the session directory is damaged beyond automatic recovery: {0}. Keep the directory as it is and hand it to your exam centre"
    )]
    Corrupt(String),
    /// The device key given is not the one that started the session.
    #[error(
        "this device key did not start the session (it was started by device key {0}); use the same installation to resume it"
    )]
    WrongDeviceKey(String),
    /// The session ended and its final checkpoint is signed: nothing may be added.
    #[error("the session in {0} has ended and is sealed; nothing more can be recorded in it")]
    AlreadyEnded(PathBuf),
    /// The session ended before a crash and was resumed only to be sealed.
    #[error("the session in {0} has ended; it can only be sealed (finish), not recorded into")]
    Ended(PathBuf),
    /// A receipt does not match this session.
    #[error("the receipt was refused: {0}")]
    BadReceipt(String),
    /// Sealing a blob failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// A key operation failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A note operation failed.
    #[error(transparent)]
    Note(#[from] NoteError),
}

impl WriterError {
    /// The disk (or the user's quota) is full: the write can succeed again
    /// once space is freed, and nothing already recorded was lost.
    pub fn is_storage_full(&self) -> bool {
        match self {
            Self::Io { source, .. } | Self::Blob(BlobError::Io(source)) => {
                super::is_storage_full(source)
            }
            _ => false,
        }
    }
}

pub(crate) fn io_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> WriterError + 'a {
    move |source| WriterError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}
