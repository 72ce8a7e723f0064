//! Space held back for the record of the exam. When the disk fills, media
//! gives way first (the engine stops storing it); the log, checkpoints and
//! receipts then write into the space this file frees, so the record is
//! the last thing to stop. The file is not evidence: it is removed when the
//! session ends, and the verifier ignores it while the session runs.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::layout;

/// 4 MiB: at about 300 bytes a record, some 14,000 records (hours of an
/// exam's log once media has stopped).
pub const RESERVE_BYTES: usize = 4 << 20;

#[derive(Debug)]
pub(super) struct Reserve {
    path: PathBuf,
    held: bool,
    /// Given up at least once in this run.
    released: bool,
}

impl Reserve {
    /// Holds the reserve of `dir` (kept from an earlier run, or written
    /// now). A disk too full to hold it leaves none: said by [`Reserve::held`].
    pub(super) fn hold(dir: &Path) -> Self {
        let mut reserve = Self {
            path: dir.join(layout::RESERVE),
            held: false,
            released: false,
        };
        reserve.take_back();
        reserve
    }

    /// Writes the reserve again if it is not there (space came back).
    pub(super) fn take_back(&mut self) -> bool {
        if fs::metadata(&self.path).is_ok_and(|m| m.len() >= RESERVE_BYTES as u64) {
            self.held = true;
            return true;
        }
        // Real blocks, not a sparse file: zeros written, not a length set.
        let written = crate::keys::private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(&vec![0u8; RESERVE_BYTES]));
        self.held = written.is_ok();
        if !self.held {
            let _ = fs::remove_file(&self.path);
        }
        self.held
    }

    /// Frees the reserve's space; true if there was any to free.
    pub(super) fn release(&mut self) -> bool {
        let had = self.held && fs::remove_file(&self.path).is_ok();
        self.held = false;
        self.released |= had;
        had
    }

    pub(super) fn held(&self) -> bool {
        self.held
    }

    pub(super) fn released(&self) -> bool {
        self.released
    }

    /// The session ended: the space goes back to the computer.
    pub(super) fn remove(&mut self) {
        let _ = fs::remove_file(&self.path);
        self.held = false;
    }
}

/// True for the errors of a full disk or an exhausted quota.
pub fn is_storage_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// Appends `bytes` to `file` (opened for appending, `len` bytes long before
/// it). On a full disk the reserve is given up and the write tried once
/// more. A full-disk error returned means the file is back at `len`, whole:
/// writing may go on once space is freed. Any other error may leave a
/// partial frame (for recovery to cut).
pub(super) fn append_whole(
    file: &mut fs::File,
    len: u64,
    bytes: &[u8],
    reserve: &mut Reserve,
) -> io::Result<()> {
    let mut result = file.write_all(bytes);
    if matches!(&result, Err(e) if is_storage_full(e)) && reserve.release() {
        file.set_len(len)?;
        result = file.write_all(bytes);
    }
    match result {
        Err(e) if is_storage_full(&e) => {
            file.set_len(len)?;
            Err(e)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_real_space_given_up_once_and_taken_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Reserve::hold(dir.path());
        let path = dir.path().join(layout::RESERVE);
        assert!(r.held());
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), RESERVE_BYTES as u64);
        {
            use std::os::unix::fs::MetadataExt;
            assert!(
                meta.blocks() * 512 >= RESERVE_BYTES as u64,
                "allocated, not sparse"
            );
        }
        assert!(r.release());
        assert!(!path.exists() && !r.held() && r.released());
        assert!(!r.release(), "nothing more to give");
        assert!(r.take_back());
        assert!(Reserve::hold(dir.path()).held(), "kept from an earlier run");
        r.remove();
        assert!(!path.exists());
    }

    #[test]
    fn full_disk_errors_are_told_apart_from_others() {
        assert!(is_storage_full(&io::Error::from_raw_os_error(28))); // ENOSPC
        assert!(is_storage_full(&io::Error::from_raw_os_error(122))); // EDQUOT
        assert!(!is_storage_full(&io::Error::from_raw_os_error(5))); // EIO
    }
}
