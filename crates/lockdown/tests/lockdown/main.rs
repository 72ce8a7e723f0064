//! Lockdown against real processes and X servers on the headless rig.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[cfg(target_os = "linux")]
mod desktop;
#[cfg(target_os = "linux")]
mod displays;
mod process;

use paraakh_policy::model::ProcessLayer;

/// The `standard` preset's process layer.
pub(crate) fn standard_processes() -> ProcessLayer {
    let text = paraakh_policy::presets::text("standard").unwrap();
    paraakh_policy::parse(text).unwrap().processes
}
