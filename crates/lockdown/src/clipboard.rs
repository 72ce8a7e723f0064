//! The clipboard, cleared when an exam starts (nothing prepared beforehand
//! can be pasted in) and when it ends (nothing copied from the exam can be
//! pasted out). X11 selections: CLIPBOARD, PRIMARY (select-to-paste) and
//! SECONDARY.
//!
//! Clearing takes the selections away from their owners, who are told
//! (`SelectionClear`) and stop offering their text. A clipboard manager
//! keeping a history can offer an old entry again; the process guard is
//! where such a manager would be prohibited, if the tenant lists it.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::ConnectionExt as _;

use crate::error::LockdownError;

/// The selections cleared.
pub const SELECTIONS: [&str; 3] = ["CLIPBOARD", "PRIMARY", "SECONDARY"];

fn err(e: impl std::fmt::Display) -> LockdownError {
    LockdownError::Desktop {
        reason: format!("clipboard: {e}"),
    }
}

/// The selections with their atoms.
fn selection_atoms(conn: &impl Connection) -> Result<Vec<(&'static str, u32)>, LockdownError> {
    SELECTIONS
        .iter()
        .map(|name| Ok((*name, crate::x11::atom(conn, name).map_err(err)?)))
        .collect()
}

/// Clears every selection on the X display `display` (or `DISPLAY`'s) and
/// checks that none has an owner afterwards.
pub fn clear(display: Option<&str>) -> Result<(), LockdownError> {
    let (conn, _) = x11rb::connect(display).map_err(err)?;
    for (name, atom) in selection_atoms(&conn)? {
        conn.set_selection_owner(x11rb::NONE, atom, x11rb::CURRENT_TIME)
            .map_err(err)?;
        let owner = conn
            .get_selection_owner(atom)
            .map_err(err)?
            .reply()
            .map_err(err)?
            .owner;
        if owner != x11rb::NONE {
            return Err(err(format!("{name} is still owned by window {owner:#x}")));
        }
    }
    conn.flush().map_err(err)
}

/// A selection the exam window owned (something was copied in the exam),
/// taken away so it cannot be pasted elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CopyOutEvent {
    /// When.
    pub at: paraakh_evidence::clock::Timestamp,
    /// `CLIPBOARD`, `PRIMARY` or `SECONDARY`.
    pub selection: &'static str,
}

/// How often the selections are looked at.
const COPY_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Blocks copying out of the exam (the policy's `block_copy_out`): whenever
/// the exam window, a window inside it, or any window of the exam's own X
/// client owns a selection, the selection is taken away, so nothing copied
/// in the exam can be pasted anywhere. (Toolkits own selections through a
/// hidden window of their own — GTK does — so the exam window alone would
/// miss them; windows of one client share its resource-id base.)
///
/// Limit: a clipboard manager that reads every new selection at once can
/// get the text in the few milliseconds before it is taken away; such
/// managers belong on the tenant's process list.
#[derive(Debug)]
pub struct CopyOutGuard {
    thread: paraakh_signal::Producer<CopyOutEvent>,
}

impl CopyOutGuard {
    /// Starts guarding `window` on the X display `display` (or `DISPLAY`'s).
    ///
    /// With `watch_primary` false the select-to-paste selection (PRIMARY) is
    /// left to its owner: some toolkits (WebKitGTK) drop the user's text
    /// selection when they lose it, so an exam page would lose what the
    /// candidate just selected. `clear` still empties it at the end.
    pub fn start(
        display: Option<&str>,
        window: x11rb::protocol::xproto::Window,
        watch_primary: bool,
        clock: std::sync::Arc<dyn paraakh_evidence::clock::Clock>,
    ) -> Result<Self, LockdownError> {
        let (conn, _) = x11rb::connect(display).map_err(err)?;
        let mut atoms = selection_atoms(&conn)?;
        atoms.retain(|(name, _)| watch_primary || *name != "PRIMARY");
        let client_mask = !conn.setup().resource_id_mask;
        let thread =
            paraakh_signal::Producer::spawn("paraakh-clipboard", 64, [], move |q, stop| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for (name, atom) in &atoms {
                        let Some(owner) = conn
                            .get_selection_owner(*atom)
                            .ok()
                            .and_then(|c| c.reply().ok())
                            .map(|r| r.owner)
                        else {
                            // The X server went away.
                            return;
                        };
                        let exams = owner & client_mask == window & client_mask
                            || crate::x11::is_inside(&conn, owner, window);
                        if owner != x11rb::NONE && exams {
                            // A round trip: the event says the copy is gone
                            // only once the server has taken it away.
                            let _ = conn
                                .set_selection_owner(x11rb::NONE, *atom, x11rb::CURRENT_TIME)
                                .map(|cookie| cookie.check());
                            q.push(CopyOutEvent {
                                at: clock.now(),
                                selection: name,
                            });
                        }
                    }
                    std::thread::sleep(COPY_POLL);
                }
            })
            .map_err(err)?;
        Ok(Self { thread })
    }

    /// The next selection taken away, waiting at most `timeout`.
    pub fn next_event(&self, timeout: std::time::Duration) -> Option<CopyOutEvent> {
        self.thread.next(timeout)
    }
}
