//! Checks of `blobs/`: every referenced blob present with its hash and size,
//! none unreferenced, and with the tenant key every blob decrypted and matched
//! to its plaintext hash. Blobs are streamed (memory does not grow with blob
//! size) and checked on all cores.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use ring::digest::{Context, SHA256};

use crate::blob::{BlobHeader, HEADER_LEN, open_stream};
use crate::frame::read_full;
use crate::keys::TenantSecretKey;
use crate::layout::{self, BLOB_TMP_PREFIX};
use crate::record::{BlobRef, HexHash};

use super::log::LogState;
use super::{BlobSummary, Finding, FindingKind as K, Findings};

const READ_BUF: usize = 1 << 20;

/// A reader that hashes and counts what passes through it.
struct HashingReader<R> {
    inner: R,
    hash: Context,
    len: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

pub(crate) fn check_blobs(
    dir: &Path,
    log: &LogState,
    tenant_key: Option<&TenantSecretKey>,
    threads: usize,
    f: &mut Findings,
) -> BlobSummary {
    let blobs_dir = dir.join(layout::BLOBS);
    let ended = log.ended.is_some();
    let mut present = HashSet::new();
    if let Ok(entries) = std::fs::read_dir(&blobs_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if is_file && HexHash::parse(&name).is_some() {
                if !log.blobs.contains_key(&name) {
                    let (kind, why) = if ended {
                        (
                            K::UnreferencedBlob,
                            "no record references it: it was added afterwards",
                        )
                    } else {
                        (
                            K::UncommittedBlob,
                            "it was written but never recorded before the client stopped",
                        )
                    };
                    f.add(kind, None, format!("blob {name}: {why}"));
                }
                present.insert(name);
            } else if is_file && name.starts_with(BLOB_TMP_PREFIX) && !ended {
                f.add(
                    K::UncommittedBlob,
                    None,
                    format!("blobs/{name} is an unfinished blob file"),
                );
            } else {
                f.add(
                    K::UnexpectedFile,
                    None,
                    format!("blobs/{name} is not a blob"),
                );
            }
        }
    }
    let mut work: Vec<(&String, &(u64, BlobRef))> = Vec::new();
    for (name, entry) in &log.blobs {
        if present.contains(name) {
            work.push((name, entry));
        } else {
            f.add(
                K::MissingBlob,
                Some(entry.0),
                format!(
                    "blob {name} recorded by record {} is missing from blobs/",
                    entry.0
                ),
            );
        }
    }

    let threads = match threads {
        0 => std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1),
        n => n,
    }
    .min(work.len().max(1));
    let next = AtomicUsize::new(0);
    let verified = AtomicU64::new(0);
    let decrypted = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = vec![0u8; READ_BUF];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((name, (seq, blob))) = work.get(i) else {
                        break;
                    };
                    let path = layout::blob_path(dir, name);
                    match check_one(&path, blob, tenant_key, &mut buf) {
                        Ok(outcome) => {
                            bytes.fetch_add(outcome.bytes, Ordering::Relaxed);
                            if outcome.problems.is_empty() {
                                verified.fetch_add(1, Ordering::Relaxed);
                                if outcome.decrypted {
                                    decrypted.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            let mut guard = found.lock().unwrap_or_else(|p| p.into_inner());
                            for p in outcome.problems {
                                guard.push(Finding {
                                    kind: K::BadBlob,
                                    message: format!("blob {name} (record {seq}): {p}"),
                                    seq: Some(*seq),
                                });
                            }
                        }
                        Err(e) => found
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Finding {
                                kind: K::DamagedFile,
                                message: format!("blob {name} cannot be read: {e}"),
                                seq: Some(*seq),
                            }),
                    }
                }
            });
        }
    });
    let mut found = found.into_inner().unwrap_or_else(|p| p.into_inner());
    found.sort_by_key(|x| x.seq);
    f.0.extend(found);
    BlobSummary {
        referenced: log.blobs.len() as u64,
        verified: verified.into_inner(),
        bytes: bytes.into_inner(),
        decrypted: tenant_key.map(|_| decrypted.into_inner()),
    }
}

struct Outcome {
    bytes: u64,
    decrypted: bool,
    problems: Vec<String>,
}

fn check_one(
    path: &Path,
    blob: &BlobRef,
    tenant: Option<&TenantSecretKey>,
    buf: &mut [u8],
) -> io::Result<Outcome> {
    let file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut problems = Vec::new();
    if file_len != blob.size {
        problems.push(format!(
            "its size is {file_len} bytes, the record says {}",
            blob.size
        ));
    }
    let mut reader = HashingReader {
        inner: file,
        hash: Context::new(&SHA256),
        len: 0,
    };
    let mut decrypted = false;
    match tenant {
        Some(key) => {
            match open_stream(key, &mut reader, |_| {}) {
                Ok((plain_hash, plain_len)) => {
                    if plain_hash != blob.plaintext_sha256.0 || plain_len != blob.plaintext_size {
                        problems.push(
                            "it decrypts to content other than its recorded plaintext hash"
                                .to_owned(),
                        );
                    } else {
                        decrypted = true;
                    }
                }
                Err(e) => problems.push(format!("it cannot be decrypted: {e}")),
            }
            // Hash whatever decryption did not read (after an early failure).
            io::copy(&mut reader, &mut io::sink())?;
        }
        None => {
            let n = read_full(&mut reader, buf)?;
            if let Err(e) = BlobHeader::parse(&buf[..n.min(HEADER_LEN)]) {
                problems.push(e.to_string());
            }
            loop {
                let n = reader.read(buf)?;
                if n == 0 {
                    break;
                }
            }
        }
    }
    let digest = reader.hash.finish();
    if digest.as_ref() != blob.sha256.0 {
        problems.push(
            "its content does not match its name and record: the file was altered".to_owned(),
        );
    }
    Ok(Outcome {
        bytes: reader.len,
        decrypted,
        problems,
    })
}
