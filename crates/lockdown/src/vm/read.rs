//! Bounded, forgiving reads of a system tree: a missing, unreadable, binary
//! or huge file is "nothing there", never an error or a panic.

use std::fs;
use std::io::Read;
use std::path::Path;

/// Most bytes read from one file. What we look for is in the first lines
/// (a DMI string, the first `flags` line of /proc/cpuinfo), and a broken
/// tree must not make us read gigabytes.
pub(super) const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Most entries looked at in one directory (PCI devices, disks, interfaces).
pub(super) const MAX_DIR_ENTRIES: usize = 4096;

/// Most signals one collector reports: a VMware guest has dozens of PCI
/// devices that all say the same thing.
pub(super) const MAX_SIGNALS_PER_SOURCE: usize = 16;

/// The first [`MAX_FILE_BYTES`] of a regular file.
pub(super) fn read_bytes(path: &Path) -> Option<Vec<u8>> {
    // Only regular files: opening a FIFO or a device node could block or
    // have effects. sysfs attributes and procfs entries are regular files.
    if !fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let file = open_without_blocking(path)?;
    // Checked again on the open file, in case the path changed in between.
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

#[cfg(target_os = "linux")]
fn open_without_blocking(path: &Path) -> Option<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn open_without_blocking(path: &Path) -> Option<fs::File> {
    fs::File::open(path).ok()
}

/// A file as text (invalid UTF-8 replaced).
pub(super) fn read_text(path: &Path) -> Option<String> {
    let bytes = read_bytes(path)?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A one-value file such as a sysfs attribute, trimmed (SCSI vendors are
/// padded with spaces: "QEMU    "); `None` when empty.
pub(super) fn read_value(path: &Path) -> Option<String> {
    let text = read_text(path)?;
    let value = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!value.is_empty()).then(|| value.to_owned())
}

/// A hexadecimal sysfs attribute such as a PCI id ("0x1af4").
pub(super) fn read_hex(path: &Path) -> Option<u32> {
    let value = read_value(path)?;
    let digits = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
        .unwrap_or(&value);
    u32::from_str_radix(digits, 16).ok()
}

/// Names of a directory's entries, sorted for a stable report; at most
/// [`MAX_DIR_ENTRIES`], names that are not UTF-8 skipped.
pub(super) fn list_dir(path: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(path) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .take(MAX_DIR_ENTRIES)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// Whether anything (file, directory, symlink, even dangling) is at `path`.
pub(super) fn entry_exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Text safe to show in a report: control characters replaced, at most 64
/// characters.
pub(super) fn printable(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    let mut shown: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

/// Whether `needle` (lower case) occurs in `haystack` (lower case) as a
/// word: no letter right before or after, so "xen" is not found in
/// "xenon" but "vmware" is found in "vmware7,1".
pub(super) fn contains_word(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    haystack.match_indices(needle).any(|(start, _)| {
        let before = haystack[..start].chars().next_back();
        let after = haystack[start + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphabetic()) && !after.is_some_and(|c| c.is_alphabetic())
    })
}
