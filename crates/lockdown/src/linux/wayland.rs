//! What a Wayland compositor offers its clients, from its registry.

use std::os::unix::net::UnixStream;
use std::path::Path;

use wayland_client::protocol::wl_registry::{self, WlRegistry};
use wayland_client::{Connection, Dispatch, QueueHandle};

/// Protocols through which a client can type or point as if it were the
/// candidate's hand, with their names for people.
pub(crate) const INPUT_INJECTION: [(&str, &str); 4] = [
    ("zwp_virtual_keyboard_manager_v1", "a virtual keyboard"),
    ("zwlr_virtual_pointer_manager_v1", "a virtual pointer"),
    // An input method commits text into the focused field.
    ("zwp_input_method_manager_v2", "an input method"),
    ("org_kde_kwin_fake_input", "KDE's fake input"),
];

/// The interfaces the compositor at `socket` lists to a new client (one
/// connection of this process's, closed on return).
pub(crate) fn globals(socket: &Path) -> Result<Vec<String>, String> {
    let stream = UnixStream::connect(socket)
        .map_err(|e| format!("cannot connect to {}: {e}", socket.display()))?;
    let conn = Connection::from_socket(stream).map_err(|e| e.to_string())?;
    let mut queue = conn.new_event_queue();
    let _registry = conn.display().get_registry(&queue.handle(), ());
    let mut found = Globals::default();
    queue
        .roundtrip(&mut found)
        .map_err(|e| format!("the compositor did not list its protocols: {e}"))?;
    Ok(found.0)
}

#[derive(Default)]
struct Globals(Vec<String>);

impl Dispatch<WlRegistry, ()> for Globals {
    fn event(
        state: &mut Self,
        _: &WlRegistry,
        event: wl_registry::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_registry::Event::Global { interface, .. } = event {
            state.0.push(interface);
        }
    }
}
