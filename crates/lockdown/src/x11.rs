//! Small X11 helpers shared by the desktop modules.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, Window};

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

/// The title of `w`, or of the nearest ancestor below `root` that has one
/// (`_NET_WM_NAME`, else `WM_NAME`).
pub(crate) fn title(conn: &impl Connection, root: Window, mut w: Window) -> Option<String> {
    let net_wm_name = atom(conn, "_NET_WM_NAME").ok()?;
    let utf8_string = atom(conn, "UTF8_STRING").ok()?;
    for _ in 0..64 {
        if w == root || w == x11rb::NONE {
            return None;
        }
        for (prop, kind) in [
            (net_wm_name, utf8_string),
            (AtomEnum::WM_NAME.into(), AtomEnum::STRING.into()),
        ] {
            let value = conn
                .get_property(false, w, prop, kind, 0, 256)
                .ok()
                .and_then(|c| c.reply().ok())
                .map(|r| String::from_utf8_lossy(&r.value).into_owned())
                .filter(|t| !t.is_empty());
            if value.is_some() {
                return value;
            }
        }
        w = conn.query_tree(w).ok()?.reply().ok()?.parent;
    }
    None
}
