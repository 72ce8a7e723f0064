//! The framing shared by the session's append-only files (`log`, `checkpoints`,
//! `receipts`): a fixed text magic line, then frames of
//! `u32 length (big-endian) ‖ payload ‖ u32 CRC32C(payload) (big-endian)`.
//!
//! The CRC is not a security measure (the Merkle tree and signatures are); it
//! lets recovery tell a torn or half-written tail after a crash from a
//! committed frame, and lets `verify` name the exact offset that was damaged.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

/// Which append-only file a framed file is; each has its own magic line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The record log.
    Log,
    /// Signed checkpoints.
    Checkpoints,
    /// Cosigned checkpoints (receipts).
    Receipts,
    /// Histories the backend refused (backend exports only).
    Conflicts,
    /// Reviewers' signed decisions (see `review`).
    Review,
}

impl FileKind {
    /// The magic line at the start of the file.
    pub fn magic(self) -> &'static [u8] {
        match self {
            FileKind::Log => b"paraakh evidence log v1\n",
            FileKind::Checkpoints => b"paraakh evidence checkpoints v1\n",
            FileKind::Receipts => b"paraakh evidence receipts v1\n",
            FileKind::Conflicts => b"paraakh evidence conflicts v1\n",
            FileKind::Review => b"paraakh evidence review v1\n",
        }
    }

    /// Largest payload accepted in one frame.
    pub fn max_payload(self) -> u32 {
        match self {
            FileKind::Log => MAX_RECORD_LEN,
            FileKind::Checkpoints | FileKind::Receipts | FileKind::Review => MAX_NOTE_LEN,
            FileKind::Conflicts => 2 * MAX_NOTE_LEN,
        }
    }

    /// The file's name inside a session directory.
    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::Log => "log",
            FileKind::Checkpoints => "checkpoints",
            FileKind::Receipts => "receipts",
            FileKind::Conflicts => "conflicts",
            FileKind::Review => "review",
        }
    }
}

/// Largest record accepted in the log (1 MiB): records are metadata; media goes to blobs.
pub const MAX_RECORD_LEN: u32 = 1 << 20;
/// Largest signed note accepted (16 KiB is far above a checkpoint with 16 signatures).
pub const MAX_NOTE_LEN: u32 = 16 << 10;

/// Bytes a frame adds around its payload.
pub const FRAME_OVERHEAD: u64 = 8;

/// What is wrong with a framed file at a given offset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The file does not start with the expected magic line.
    #[error(
        "the file does not start with the {expected:?} header; it is not a {kind:?} file of this format"
    )]
    BadMagic {
        /// The file kind that was expected.
        kind: FileKind,
        /// The expected magic line.
        expected: String,
    },
    /// The file ends in the middle of a frame (a torn write, or a truncated copy).
    #[error(
        "incomplete frame at byte {offset}: {missing} more bytes were expected before the end of the file"
    )]
    Torn {
        /// Offset of the frame start.
        offset: u64,
        /// Bytes missing.
        missing: u64,
    },
    /// A frame declares a length of zero or above the limit.
    #[error("frame at byte {offset} declares {len} bytes (allowed 1..={max})")]
    BadLength {
        /// Offset of the frame start.
        offset: u64,
        /// Declared length.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// A frame's checksum does not match its payload.
    #[error("frame at byte {offset} is damaged: its checksum does not match its content")]
    Checksum {
        /// Offset of the frame start.
        offset: u64,
        /// Offset just past the frame, by its (unverified) length.
        end: u64,
    },
    /// Reading failed.
    #[error("could not read the file: {0}")]
    Io(#[from] io::Error),
}

impl FrameError {
    /// True when this damage is what a crash can leave at the end of a
    /// `kind` file of `file_len` bytes: a frame cut by the end of the file,
    /// or garbage or zeros after the last good frame with no valid frame
    /// anywhere after it. Damage followed by intact frames is never a crash:
    /// recovery must not cut there, and verify reports it as damage.
    pub fn is_crash_tail(&self, path: &Path, kind: FileKind, file_len: u64) -> bool {
        match self {
            FrameError::Torn { .. } => true,
            FrameError::Checksum { offset, .. } | FrameError::BadLength { offset, .. } => {
                !valid_frame_after(path, kind, offset + 1, file_len)
            }
            _ => false,
        }
    }
}

/// How far past a damaged frame to look for intact frames.
const RESYNC_WINDOW: u64 = 4 << 20;

/// Payload bytes checksummed while looking for an intact frame before the
/// answer is a conservative yes: a crafted tail in which every offset
/// announces a long frame would otherwise cost window × frame length.
const RESYNC_CRC_BUDGET: usize = 64 << 20;

/// True when a well-formed frame (length in range, checksum matching) starts
/// anywhere in the file at or after `from`. Beyond the search window or the
/// checksum budget the answer is conservatively yes (damage, not a crash):
/// the cost is linear in the window whatever the bytes are.
fn valid_frame_after(path: &Path, kind: FileKind, from: u64, file_len: u64) -> bool {
    use std::io::{Seek, SeekFrom};
    let max = u64::from(kind.max_payload());
    let window = RESYNC_WINDOW + max + FRAME_OVERHEAD;
    let remaining = file_len.saturating_sub(from);
    let mut buf = Vec::new();
    let read = File::open(path).and_then(|mut f| {
        f.seek(SeekFrom::Start(from))?;
        f.take(remaining.min(window)).read_to_end(&mut buf)
    });
    if read.is_err() {
        return true;
    }
    let mut budget = RESYNC_CRC_BUDGET;
    for p in 0..buf.len().saturating_sub(7) {
        let len = u32::from_be_bytes([buf[p], buf[p + 1], buf[p + 2], buf[p + 3]]) as usize;
        if len == 0 || len as u64 > max || p + 8 + len > buf.len() {
            continue;
        }
        if len > budget {
            return true;
        }
        budget -= len;
        let crc = &buf[p + 4 + len..p + 8 + len];
        if crc32c::crc32c(&buf[p + 4..p + 4 + len]).to_be_bytes() == crc {
            return true;
        }
    }
    remaining > window
}

/// Encodes one frame.
pub fn encode_frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + FRAME_OVERHEAD as usize);
    // Callers never pass more than the per-kind limit, which fits in u32.
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32c::crc32c(payload).to_be_bytes());
    out
}

/// A frame read from a file: its start offset and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Offset of the frame's length prefix in the file.
    pub offset: u64,
    /// The payload, verbatim.
    pub payload: Vec<u8>,
}

impl Frame {
    /// Offset just past this frame.
    pub fn end(&self) -> u64 {
        self.offset + self.payload.len() as u64 + FRAME_OVERHEAD
    }
}

/// Streams frames from a reader, checking magic, lengths and checksums.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    kind: FileKind,
    offset: u64,
    started: bool,
}

impl FrameReader<BufReader<File>> {
    /// Opens a framed file.
    pub fn open(path: &Path, kind: FileKind) -> io::Result<Self> {
        Ok(Self::new(
            BufReader::with_capacity(256 << 10, File::open(path)?),
            kind,
        ))
    }
}

impl<R: Read> FrameReader<R> {
    /// Wraps a reader positioned at the start of the file.
    pub fn new(inner: R, kind: FileKind) -> Self {
        Self {
            inner,
            kind,
            offset: 0,
            started: false,
        }
    }

    /// Offset just past the last good frame (or the magic line).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next frame, `None` at a clean end of file.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if !self.started {
            let magic = self.kind.magic();
            let mut buf = vec![0u8; magic.len()];
            let got = read_full(&mut self.inner, &mut buf)?;
            if got != magic.len() || buf != magic {
                return Err(FrameError::BadMagic {
                    kind: self.kind,
                    expected: String::from_utf8_lossy(magic).trim_end().to_owned(),
                });
            }
            self.offset = magic.len() as u64;
            self.started = true;
        }
        let start = self.offset;
        let mut len_buf = [0u8; 4];
        let got = read_full(&mut self.inner, &mut len_buf)?;
        if got == 0 {
            return Ok(None);
        }
        if got < 4 {
            return Err(FrameError::Torn {
                offset: start,
                missing: (4 - got) as u64,
            });
        }
        let len = u32::from_be_bytes(len_buf);
        let max = self.kind.max_payload();
        if len == 0 || len > max {
            return Err(FrameError::BadLength {
                offset: start,
                len,
                max,
            });
        }
        let mut payload = vec![0u8; len as usize];
        let got = read_full(&mut self.inner, &mut payload)?;
        if got < payload.len() {
            return Err(FrameError::Torn {
                offset: start,
                missing: (payload.len() - got) as u64 + 4,
            });
        }
        let mut crc_buf = [0u8; 4];
        let got = read_full(&mut self.inner, &mut crc_buf)?;
        if got < 4 {
            return Err(FrameError::Torn {
                offset: start,
                missing: (4 - got) as u64,
            });
        }
        if u32::from_be_bytes(crc_buf) != crc32c::crc32c(&payload) {
            return Err(FrameError::Checksum {
                offset: start,
                end: start + u64::from(len) + FRAME_OVERHEAD,
            });
        }
        self.offset = start + u64::from(len) + FRAME_OVERHEAD;
        Ok(Some(Frame {
            offset: start,
            payload,
        }))
    }
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
pub(crate) fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Parses a whole framed file held in memory; stops at the first error.
/// Returns the good frames and the error that stopped parsing, if any.
pub fn parse_all(bytes: &[u8], kind: FileKind) -> (Vec<Frame>, Option<FrameError>) {
    let mut reader = FrameReader::new(bytes, kind);
    let mut frames = Vec::new();
    loop {
        match reader.next_frame() {
            Ok(Some(f)) => frames.push(f),
            Ok(None) => return (frames, None),
            Err(e) => return (frames, Some(e)),
        }
    }
}

/// Writes the magic line of a new framed file.
pub(crate) fn write_magic<W: Write>(w: &mut W, kind: FileKind) -> io::Result<()> {
    w.write_all(kind.magic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(frames: &[&[u8]]) -> Vec<u8> {
        let mut out = FileKind::Log.magic().to_vec();
        for f in frames {
            out.extend(encode_frame(f));
        }
        out
    }

    #[test]
    fn round_trips_frames() {
        let bytes = file_with(&[b"one", b"two two"]);
        let (frames, err) = parse_all(&bytes, FileKind::Log);
        assert!(err.is_none());
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].payload, b"two two");
        assert_eq!(frames[1].end(), bytes.len() as u64);
    }

    #[test]
    fn empty_file_after_magic_has_no_frames() {
        let (frames, err) = parse_all(FileKind::Log.magic(), FileKind::Log);
        assert!(frames.is_empty() && err.is_none());
    }

    #[test]
    fn wrong_magic_is_named() {
        let (_, err) = parse_all(FileKind::Checkpoints.magic(), FileKind::Log);
        assert!(matches!(err, Some(FrameError::BadMagic { .. })));
    }

    #[test]
    fn every_cut_of_the_last_frame_is_torn_tail() {
        let bytes = file_with(&[b"first", b"second record"]);
        let first_end = FileKind::Log.magic().len() + 5 + 8;
        for cut in first_end + 1..bytes.len() {
            let (frames, err) = parse_all(&bytes[..cut], FileKind::Log);
            assert_eq!(frames.len(), 1, "cut at {cut}");
            let err = err.expect("an error");
            assert!(
                matches!(err, FrameError::Torn { .. }),
                "cut at {cut}: {err}"
            );
        }
    }

    #[test]
    fn flipped_payload_byte_fails_checksum() {
        let mut bytes = file_with(&[b"payload"]);
        let at = FileKind::Log.magic().len() + 4 + 2;
        bytes[at] ^= 0x20;
        let (frames, err) = parse_all(&bytes, FileKind::Log);
        assert!(frames.is_empty());
        assert!(matches!(err, Some(FrameError::Checksum { .. })));
    }

    #[test]
    fn zero_and_oversize_lengths_are_refused() {
        let mut bytes = FileKind::Log.magic().to_vec();
        bytes.extend_from_slice(&0u32.to_be_bytes());
        assert!(matches!(
            parse_all(&bytes, FileKind::Log).1,
            Some(FrameError::BadLength { len: 0, .. })
        ));
        let mut bytes = FileKind::Log.magic().to_vec();
        bytes.extend_from_slice(&(MAX_RECORD_LEN + 1).to_be_bytes());
        assert!(matches!(
            parse_all(&bytes, FileKind::Log).1,
            Some(FrameError::BadLength { .. })
        ));
    }
}
