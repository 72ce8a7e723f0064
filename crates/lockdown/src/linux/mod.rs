//! Linux platform code.

pub(crate) mod proc_events;
pub(crate) mod unix_diag;
