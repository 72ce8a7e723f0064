//! Input sent through the X server's XTEST extension directly (the X
//! protocol, not `xdotool`): what an auto-typer or a remote helper does.

use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{self, ConnectionExt as _};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

use crate::RigError;

/// An XTEST connection to one display.
#[derive(Debug)]
pub struct Injector {
    conn: RustConnection,
    root: xproto::Window,
    /// Keysym → (keycode, needs Shift).
    keys: Vec<(u32, u8, bool)>,
    shift: u8,
}

const XK_SHIFT_L: u32 = 0xffe1;
const XK_RETURN: u32 = 0xff0d;

impl Injector {
    /// Connects to `display` (`:N`).
    pub fn connect(display: &str) -> Result<Self, RigError> {
        let (conn, screen) = x11rb::connect(Some(display)).map_err(|e| e.to_string())?;
        let root = conn.setup().roots.get(screen).ok_or("no X screen")?.root;
        let (min, max) = (conn.setup().min_keycode, conn.setup().max_keycode);
        let map = conn
            .get_keyboard_mapping(min, max - min + 1)
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| e.to_string())?;
        let per = usize::from(map.keysyms_per_keycode);
        let mut keys = Vec::new();
        for (i, syms) in map.keysyms.chunks(per.max(1)).enumerate() {
            let code = min + u8::try_from(i).map_err(|e| e.to_string())?;
            for (level, sym) in syms.iter().take(2).enumerate() {
                if *sym != 0 && !keys.iter().any(|(s, _, _)| s == sym) {
                    keys.push((*sym, code, level == 1));
                }
            }
        }
        let shift = keys
            .iter()
            .find(|(s, _, _)| *s == XK_SHIFT_L)
            .map(|(_, c, _)| *c)
            .ok_or("no Shift key in the keymap")?;
        conn.xtest_get_version(2, 2)
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| format!("the X server has no XTEST: {e}"))?;
        Ok(Self {
            conn,
            root,
            keys,
            shift,
        })
    }

    fn fake(&self, kind: u8, detail: u8, x: i16, y: i16) -> Result<(), RigError> {
        self.conn
            .xtest_fake_input(kind, detail, 0, self.root, x, y, 0)
            .map_err(|e| e.to_string())?
            .check()
            .map_err(|e| e.to_string())
    }

    /// Types `text` (ASCII and newlines), `gap` between keys.
    pub fn type_text(&self, text: &str, gap: Duration) -> Result<(), RigError> {
        for c in text.chars() {
            // Latin-1 characters' keysyms are their code points.
            let sym = if c == '\n' { XK_RETURN } else { u32::from(c) };
            let &(_, code, shifted) = self
                .keys
                .iter()
                .find(|(s, _, _)| *s == sym)
                .ok_or_else(|| format!("no key types {c:?}"))?;
            if shifted {
                self.fake(xproto::KEY_PRESS_EVENT, self.shift, 0, 0)?;
            }
            self.fake(xproto::KEY_PRESS_EVENT, code, 0, 0)?;
            self.fake(xproto::KEY_RELEASE_EVENT, code, 0, 0)?;
            if shifted {
                self.fake(xproto::KEY_RELEASE_EVENT, self.shift, 0, 0)?;
            }
            std::thread::sleep(gap);
        }
        Ok(())
    }

    /// Moves the pointer to (`x`, `y`).
    pub fn move_to(&self, x: i16, y: i16) -> Result<(), RigError> {
        self.fake(xproto::MOTION_NOTIFY_EVENT, 0, x, y)
    }

    /// Moves the pointer to (`x`, `y`) and clicks button 1 there.
    pub fn click_at(&self, x: i16, y: i16) -> Result<(), RigError> {
        self.fake(xproto::MOTION_NOTIFY_EVENT, 0, x, y)?;
        self.fake(xproto::BUTTON_PRESS_EVENT, 1, x, y)?;
        self.fake(xproto::BUTTON_RELEASE_EVENT, 1, x, y)
    }

    /// Adds a pair of master devices named `name` (as a remote helper's own
    /// pointer would be): the X server gives them their own XTEST keyboard
    /// and pointer, so a watch sees two devices appear.
    pub fn add_master(&self, name: &str) -> Result<(), RigError> {
        use x11rb::protocol::xinput::{
            ConnectionExt as _, HierarchyChange, HierarchyChangeData, HierarchyChangeDataAddMaster,
        };
        let name = name.as_bytes().to_vec();
        let len = u16::try_from((8 + name.len().div_ceil(4) * 4) / 4).map_err(|e| e.to_string())?;
        self.conn
            .xinput_xi_change_hierarchy(&[HierarchyChange {
                len,
                data: HierarchyChangeData::AddMaster(HierarchyChangeDataAddMaster {
                    send_core: true,
                    enable: true,
                    name,
                }),
            }])
            .map_err(|e| e.to_string())?
            .check()
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}
