//! Linux platform code.

pub(crate) mod proc_events;
