//! A small disk of its own (tmpfs, mounted by the test: root only), to be
//! filled mid-exam. Unmounted when dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::RigError;

/// A tmpfs mounted on a directory of its own.
#[derive(Debug)]
pub struct SmallDisk {
    dir: PathBuf,
    fillers: u32,
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes` on `dir` (created).
    pub fn mount(dir: &Path, megabytes: u64) -> Result<Self, RigError> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0700")])
            .arg("tmpfs")
            .arg(dir)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cannot mount a tmpfs on {} (root only): {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self {
            dir: dir.to_owned(),
            fillers: 0,
        })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Bytes free for an ordinary writer.
    pub fn free(&self) -> u64 {
        let out = Command::new("stat")
            .args(["-f", "-c", "%a %S"])
            .arg(&self.dir)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let mut parts = out
            .split_whitespace()
            .map(|n| n.parse::<u64>().unwrap_or(0));
        parts.next().unwrap_or(0) * parts.next().unwrap_or(0)
    }

    /// Writes a filler file until only `leave` bytes are free (or none:
    /// `leave` 0 writes until the disk refuses). Returns its path.
    pub fn fill_to(&mut self, leave: u64) -> PathBuf {
        self.fillers += 1;
        let path = self.dir.join(format!("filler-{}", self.fillers));
        let Ok(mut file) = std::fs::File::create(&path) else {
            return path;
        };
        let chunk = vec![0x5au8; 1 << 20];
        loop {
            let free = self.free();
            if leave > 0 && free <= leave {
                break;
            }
            let n = if leave > 0 {
                usize::try_from((free - leave).min(chunk.len() as u64)).unwrap_or(chunk.len())
            } else {
                chunk.len()
            };
            if file.write_all(&chunk[..n]).is_err() {
                break;
            }
        }
        let _ = file.sync_all();
        path
    }

    /// Removes every filler file: the space comes back.
    pub fn empty(&mut self) {
        for i in 1..=self.fillers {
            let _ = std::fs::remove_file(self.dir.join(format!("filler-{i}")));
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
