//! Lockdown against real processes and X servers on the headless rig.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[cfg(target_os = "linux")]
mod desktop;
#[cfg(target_os = "linux")]
mod displays;
#[cfg(target_os = "linux")]
mod exam_session;
mod process;
#[cfg(target_os = "linux")]
mod remote;

use paraakh_policy::model::ProcessLayer;

/// The `standard` preset's process layer.
pub(crate) fn standard_processes() -> ProcessLayer {
    let text = paraakh_policy::presets::text("standard").unwrap();
    paraakh_policy::parse(text).unwrap().processes
}

/// A child process, killed when dropped: a failed test leaves nothing running.
pub(crate) struct Running(pub(crate) std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
