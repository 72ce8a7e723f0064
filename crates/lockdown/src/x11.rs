//! Small X11 helpers shared by the desktop modules.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, Window};

/// The atom called `name`.
pub(crate) fn atom(conn: &impl Connection, name: &str) -> Result<u32, x11rb::errors::ReplyError> {
    Ok(conn.intern_atom(false, name.as_bytes())?.reply()?.atom)
}

/// Whether `w` is `ancestor` or a window inside it.
pub(crate) fn is_inside(conn: &impl Connection, mut w: Window, ancestor: Window) -> bool {
    for _ in 0..64 {
        if w == ancestor {
            return true;
        }
        match conn.query_tree(w).ok().and_then(|c| c.reply().ok()) {
            Some(tree) if tree.parent != x11rb::NONE => w = tree.parent,
            _ => return false,
        }
    }
    false
}
