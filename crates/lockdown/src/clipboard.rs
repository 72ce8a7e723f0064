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

/// Clears every selection on the X display `display` (or `DISPLAY`'s) and
/// checks that none has an owner afterwards.
pub fn clear(display: Option<&str>) -> Result<(), LockdownError> {
    let (conn, _) = x11rb::connect(display).map_err(err)?;
    for name in SELECTIONS {
        let atom = conn
            .intern_atom(false, name.as_bytes())
            .map_err(err)?
            .reply()
            .map_err(err)?
            .atom;
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
