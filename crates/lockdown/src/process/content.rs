//! Markers inside executables: what gives a renamed copy of a known
//! program away. Each executable file is read once (cached by device,
//! inode, size and modification time), streaming, up to
//! [`MAX_SCAN_BYTES`].

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use aho_corasick::AhoCorasick;

use super::ProcessInfo;

/// Executables larger than this are read only this far.
pub const MAX_SCAN_BYTES: u64 = 128 * 1024 * 1024;

/// Identifies one version of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FileKey {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
}

/// Finds markers in executables, remembering what each file held.
#[derive(Debug)]
pub struct ContentScanner {
    markers: Vec<String>,
    searcher: Option<AhoCorasick>,
    cache: HashMap<FileKey, Vec<usize>>,
    /// Bytes read so far (for the benchmark and the CPU budget).
    bytes_read: u64,
}

impl ContentScanner {
    /// A scanner for `markers` (case-sensitive byte strings).
    pub fn new(markers: &[String]) -> Self {
        let markers: Vec<String> = markers.iter().filter(|m| !m.is_empty()).cloned().collect();
        Self {
            searcher: if markers.is_empty() {
                None
            } else {
                AhoCorasick::new(&markers).ok()
            },
            markers,
            cache: HashMap::new(),
            bytes_read: 0,
        }
    }

    /// Bytes of executables read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The markers found in `process`'s executable; `None` when it cannot
    /// be read (gone, or another user's) or there are no markers.
    pub fn markers_in(&mut self, process: &ProcessInfo) -> Option<Vec<String>> {
        let searcher = self.searcher.as_ref()?;
        // /proc/PID/exe opens the very file the process runs, even when it
        // was deleted or replaced after the start.
        let path = exe_to_read(process)?;
        let file = std::fs::File::open(&path).ok()?;
        let meta = file.metadata().ok()?;
        let key = file_key(&meta);
        if let Some(found) = self.cache.get(&key) {
            return Some(found.iter().map(|&i| self.markers[i].clone()).collect());
        }
        let mut found: Vec<usize> = Vec::new();
        let reader = file.take(MAX_SCAN_BYTES);
        let mut counted = CountingReader {
            inner: reader,
            count: 0,
        };
        for m in searcher.stream_find_iter(&mut counted) {
            let Ok(m) = m else { break };
            let i = m.pattern().as_usize();
            if !found.contains(&i) {
                found.push(i);
            }
        }
        self.bytes_read += counted.count;
        self.cache.insert(key, found.clone());
        Some(found.into_iter().map(|i| self.markers[i].clone()).collect())
    }
}

fn exe_to_read(process: &ProcessInfo) -> Option<PathBuf> {
    if cfg!(target_os = "linux") {
        let proc_exe = PathBuf::from(format!("/proc/{}/exe", process.pid));
        if proc_exe.exists() {
            return Some(proc_exe);
        }
    }
    process.exe.clone()
}

#[cfg(unix)]
fn file_key(meta: &std::fs::Metadata) -> FileKey {
    use std::os::unix::fs::MetadataExt;
    FileKey {
        dev: meta.dev(),
        ino: meta.ino(),
        size: meta.size(),
        mtime: meta.mtime(),
    }
}

#[cfg(not(unix))]
fn file_key(meta: &std::fs::Metadata) -> FileKey {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    FileKey {
        dev: 0,
        ino: 0,
        size: meta.len(),
        mtime,
    }
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn info(exe: PathBuf) -> ProcessInfo {
        ProcessInfo {
            // No such process: the scanner falls back to the path.
            pid: u32::MAX,
            parent: None,
            name: String::new(),
            exe: Some(exe),
            cmdline: vec![],
            uid: None,
            start_time: 0,
        }
    }

    #[test]
    fn markers_are_found_across_read_boundaries_and_cached() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("renamed");
        // The marker straddles the 64 KiB buffers a stream search reads.
        let mut bytes = vec![0u8; 65_530];
        bytes.extend_from_slice(b"x11vnc: version");
        bytes.extend(vec![7u8; 100_000]);
        std::fs::write(&path, &bytes).unwrap();
        let mut s = ContentScanner::new(&["x11vnc: ".into(), "TeamViewer GmbH".into()]);
        assert_eq!(
            s.markers_in(&info(path.clone())),
            Some(vec!["x11vnc: ".to_owned()])
        );
        let read = s.bytes_read();
        assert_eq!(read, bytes.len() as u64);
        assert_eq!(s.markers_in(&info(path)), Some(vec!["x11vnc: ".to_owned()]));
        assert_eq!(s.bytes_read(), read, "the second look is cached");
    }

    #[test]
    fn unreadable_files_and_empty_marker_lists_find_nothing() {
        let mut s = ContentScanner::new(&["x".into()]);
        assert_eq!(s.markers_in(&info("/nonexistent/file".into())), None);
        let mut s = ContentScanner::new(&[]);
        assert_eq!(s.markers_in(&info("/bin/sh".into())), None);
    }
}
