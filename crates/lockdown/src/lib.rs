//! Lockdown for Paraakh Secure Exam: what must not run, be connected or be
//! watching while an exam runs, found and reported with the reason.
//!
//! - [`process`]: the process guard: a catalogue of prohibited programs
//!   (remote access, recorders, meetings and chat, automation), matched on
//!   executable name, path, command line and content, an allowlist, and a
//!   watcher that reports (and optionally ends) a prohibited program within
//!   a fraction of a second of its start;
//! - [`clipboard`]: cleared at the start and the end of an exam (X11);
//! - [`displays`]: how many pictures the machine shows, mirrored outputs,
//!   and changes during the exam (X11 RandR);
//! - [`exam_session`]: the app alone in the kiosk compositor cage, chosen
//!   at the login screen: the compositor identified by the kernel, its
//!   socket sealed, every program connected to it named;
//! - [`focus`]: the exam window keeps the focus; every loss is an event,
//!   and the window can take the focus back at once (X11);
//! - [`input`]: input that no hand made: XTEST and virtual-device events
//!   attributed by XInput2 raw events, devices added during the exam (X11);
//! - [`keyboard`]: the keyboard grab that keeps the window manager's
//!   shortcuts from firing, and those shortcuts recognised (X11);
//! - [`remote`]: remote sessions (SSH, X forwarding, VNC, RDP) and screen
//!   sharing;
//! - [`session_type`]: X11 or Wayland, from logind, the X server and the
//!   compositor's socket, not from the environment alone;
//! - [`vm`]: virtual machine and container detection from several signals,
//!   with an explanation and a confidence;
//!
//! Linux is implemented and tested; other systems keep their code behind
//! the same types (not built or tested here). System calls go through
//! `rustix`; the one `unsafe` block is the CPUID instruction in `vm::cpuid`
//! (an unsafe function in the older Rust versions we support), with its
//! `// SAFETY:` comment.

#[cfg(target_os = "linux")]
pub mod clipboard;
#[cfg(target_os = "linux")]
pub mod displays;
mod error;
#[cfg(target_os = "linux")]
pub mod exam_session;
#[cfg(target_os = "linux")]
pub mod focus;
#[cfg(target_os = "linux")]
pub mod input;
#[cfg(target_os = "linux")]
pub mod keyboard;
#[cfg(target_os = "linux")]
mod linux;
pub mod process;
pub mod remote;
#[cfg(target_os = "linux")]
pub mod session_type;
pub mod vm;
#[cfg(target_os = "linux")]
mod x11;

pub use error::LockdownError;
