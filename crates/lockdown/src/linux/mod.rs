//! Linux platform code.

pub(crate) mod proc_events;
pub(crate) mod unix_diag;
pub(crate) mod wayland;

/// A native-endian `u16` at `at` in a netlink message (`None` past its end).
pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// A native-endian `u32` at `at` in a netlink message (`None` past its end).
pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
