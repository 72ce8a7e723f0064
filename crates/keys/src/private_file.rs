//! Files only their owner can read: keys, tokens, content keys, the app's
//! draft (and, the same way, public files). One helper so that every secret
//! is written the same way: mode
//! 0600 from the moment the file exists (never chmod afterwards), written to
//! a temporary file beside it, synced, renamed into place, the directory
//! synced: a crash leaves the old file or the new one, never half of one.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

fn temporary(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    PathBuf::from(tmp)
}

fn sync_parent(path: &Path) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Best effort: some file systems cannot sync a directory.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn open_private(path: &Path) -> io::Result<File> {
    private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

/// Writes `bytes` to `path` readable by the owner only, replacing any file
/// there atomically.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(path, bytes, open_private)
}

/// Writes `bytes` to `path` for anyone to read (a signed policy, an exam
/// package, a public key), replacing any file there atomically the same way.
pub fn write_public(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(path, bytes, |p| File::create(p))
}

fn replace(path: &Path, bytes: &[u8], open: impl Fn(&Path) -> io::Result<File>) -> io::Result<()> {
    let tmp = temporary(path);
    let mut file = open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    sync_parent(path);
    Ok(())
}

/// Writes `bytes` to a new file at `path` readable by the owner only; fails
/// with `AlreadyExists` if anything is there (a key is never overwritten).
/// Atomic too: the whole file appears (a hard link of a finished temporary
/// file, which fails if the name is taken) or nothing does.
pub fn create_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temporary(path);
    let mut file = open_private(&tmp)?;
    let linked = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::hard_link(&tmp, path));
    drop(file);
    let _ = std::fs::remove_file(&tmp);
    linked?;
    sync_parent(path);
    Ok(())
}

/// Options that create files readable by the owner only (0600 from the start).
pub fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates `dir` and its missing parents, each readable by the owner only (0700).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A signing key kept in a file only its owner can read (a device key):
/// read, or made the first time. Returns the key and whether it was made.
pub fn load_or_create_signer(
    path: &Path,
    name: &str,
    sig_type: u8,
) -> io::Result<(crate::NoteSigner, bool)> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = crate::NoteSigner::parse(text.trim()).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not a signing key: {e}", path.display()),
                )
            })?;
            return Ok((key, false));
        }
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let key =
        crate::NoteSigner::generate(name, sig_type).map_err(|e| io::Error::other(e.to_string()))?;
    // The key's text stays in zeroized memory.
    let mut text = key.encode();
    text.push('\n');
    create_private(path, text.as_bytes())?;
    Ok((key, true))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_public_file_is_replaced_whole_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("paraakh-keys-public-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("policy.signed");
        write_public(&path, b"first").unwrap();
        write_public(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secrets_are_owner_only_replaced_whole_and_never_overwritten_when_new() {
        let dir = std::env::temp_dir().join(format!("paraakh-keys-private-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret");
        let _ = std::fs::remove_file(&path);
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        assert!(!temporary(&path).exists());
        let err = create_private(&path, b"three").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let fresh = dir.join("fresh");
        let _ = std::fs::remove_file(&fresh);
        create_private(&fresh, b"new").unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&fresh), 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
