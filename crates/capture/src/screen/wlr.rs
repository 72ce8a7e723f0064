//! Wayland screens through wlr-screencopy (`zwlr_screencopy_manager_v1`),
//! over one persistent connection: the screen source of the exam session in
//! the kiosk compositor cage (wlroots).
//!
//! The exam session seals cage after start-up by removing its socket, so no
//! new Wayland client can connect; xcap opens new connections (and wants
//! Xwayland), so it cannot capture there. This client is connected once,
//! before the seal ([`preconnect`]), and kept for the app's lifetime.
//!
//! Every wait on the compositor is bounded (5 s): a compositor that stops
//! answering gives an error, never a hang. Pixels are read from the shared
//! memory file with `pread`, not mapped: no `unsafe` here.

use std::fs::File;
use std::os::fd::AsFd as _;
use std::os::unix::fs::FileExt as _;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use wayland_client::backend::WaylandError;
use wayland_client::protocol::{
    wl_buffer::WlBuffer, wl_callback::WlCallback, wl_output, wl_output::WlOutput, wl_registry,
    wl_registry::WlRegistry, wl_shm, wl_shm::WlShm, wl_shm_pool::WlShmPool,
};
use wayland_client::{Connection, Dispatch, EventQueue, Proxy, QueueHandle, WEnum, delegate_noop};
use wayland_protocols_wlr::screencopy::v1::client::{
    zwlr_screencopy_frame_v1, zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1,
    zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1,
};

use super::{MonitorInfo, RawScreen, ScreenSource};
use crate::error::{CaptureError, Device};

/// The longest any exchange with the compositor may take.
const WAIT: Duration = Duration::from_secs(5);

/// The name errors give the compositor.
const COMPOSITOR: &str = "Wayland compositor";

/// A Wayland compositor's outputs, captured through wlr-screencopy.
pub struct WlrScreen {
    conn: Connection,
    queue: EventQueue<State>,
    state: State,
    /// The last `wl_display.sync` sent (roundtrips).
    syncs: u64,
    /// The last frame asked for (events of older frames are ignored).
    frames: u64,
}

impl std::fmt::Debug for WlrScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WlrScreen")
            .field("outputs", &self.state.outputs.len())
            .field("screencopy", &self.state.manager.is_some())
            .finish_non_exhaustive()
    }
}

/// What the event handlers learn from the compositor.
#[derive(Default)]
struct State {
    /// `wl_shm` and its global name.
    shm: Option<(u32, WlShm)>,
    /// `zwlr_screencopy_manager_v1` and its global name.
    manager: Option<(u32, ZwlrScreencopyManagerV1)>,
    outputs: Vec<Output>,
    /// The last `wl_display.sync` answered.
    synced: u64,
    /// Whether an output was bound since the last roundtrip began (its
    /// description arrives only after one more).
    new_output: bool,
    frame: Frame,
}

/// One `wl_output` as the compositor describes it.
struct Output {
    /// The global's name: the monitor's id.
    global: u32,
    proxy: WlOutput,
    /// From the `name` event (version 4).
    name: Option<String>,
    /// The current mode: the output's pixels, the size of its pictures.
    size: Option<(u32, u32)>,
    /// From the `geometry` event.
    position: (i32, i32),
}

impl Output {
    fn info(&self, primary: bool) -> Option<MonitorInfo> {
        let (width, height) = self.size?;
        Some(MonitorInfo {
            id: self.global,
            name: self
                .name
                .clone()
                .unwrap_or_else(|| format!("output-{}", self.global)),
            x: self.position.0,
            y: self.position.1,
            width,
            height,
            primary,
        })
    }
}

/// A `wl_shm` buffer the compositor can copy the frame into.
#[derive(Debug, Clone, Copy)]
struct ShmBuffer {
    format: WEnum<wl_shm::Format>,
    width: u32,
    height: u32,
    stride: u32,
}

/// The events of the frame being captured.
#[derive(Default)]
struct Frame {
    id: u64,
    shm: Vec<ShmBuffer>,
    /// `buffer_done` (version 3): every buffer type is listed.
    buffers_done: bool,
    y_invert: bool,
    ready: bool,
    failed: bool,
}

impl Frame {
    fn finished(&self) -> bool {
        self.ready || self.failed
    }
}

/// How a supported `wl_shm` format lays out a pixel in memory.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// `[B, G, R, X]` (`XRGB8888`/`ARGB8888`, little-endian words).
    Bgrx,
    /// `[R, G, B, X]` (`XBGR8888`/`ABGR8888`).
    Rgbx,
}

fn layout(format: WEnum<wl_shm::Format>) -> Option<(wl_shm::Format, Layout)> {
    match format {
        WEnum::Value(f @ (wl_shm::Format::Xrgb8888 | wl_shm::Format::Argb8888)) => {
            Some((f, Layout::Bgrx))
        }
        WEnum::Value(f @ (wl_shm::Format::Xbgr8888 | wl_shm::Format::Abgr8888)) => {
            Some((f, Layout::Rgbx))
        }
        _ => None,
    }
}

fn format_name(format: WEnum<wl_shm::Format>) -> String {
    match format {
        WEnum::Value(f) => format!("{f:?}"),
        WEnum::Unknown(code) => format!("0x{code:08x}"),
    }
}

fn not_found(reason: impl std::fmt::Display) -> CaptureError {
    CaptureError::NotFound {
        device: Device::Screen,
        name: String::new(),
        hint: format!(
            "cannot connect to the Wayland compositor ({reason}); run inside the graphical session (WAYLAND_DISPLAY set), or connect before the session is sealed"
        ),
    }
}

fn no_screencopy() -> CaptureError {
    CaptureError::Open {
        device: Device::Screen,
        name: COMPOSITOR.into(),
        reason: "the compositor does not offer wlr-screencopy (zwlr_screencopy_manager_v1): \
                 GNOME and KDE do not; this screen source is for the exam session in the cage \
                 kiosk compositor"
            .into(),
    }
}

fn no_shm() -> CaptureError {
    CaptureError::Open {
        device: Device::Screen,
        name: COMPOSITOR.into(),
        reason: "the compositor offers no shared memory buffers (wl_shm)".into(),
    }
}

fn lost(reason: impl std::fmt::Display) -> CaptureError {
    CaptureError::Lost {
        device: Device::Screen,
        name: COMPOSITOR.into(),
        reason: reason.to_string(),
    }
}

fn timeout() -> CaptureError {
    CaptureError::Timeout {
        device: Device::Screen,
        seconds: WAIT.as_secs_f64(),
    }
}

fn would_block(e: &WaylandError) -> bool {
    matches!(e, WaylandError::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock)
}

impl WlrScreen {
    /// Connects to the compositor the environment names (`WAYLAND_DISPLAY`
    /// in `XDG_RUNTIME_DIR`, or `WAYLAND_SOCKET`).
    pub fn connect() -> Result<Self, CaptureError> {
        Self::open(Connection::connect_to_env().map_err(not_found)?)?.ok_or_else(no_screencopy)
    }

    /// Connects to the compositor listening on `socket`.
    pub fn connect_to(socket: &Path) -> Result<Self, CaptureError> {
        let stream = UnixStream::connect(socket)
            .map_err(|e| not_found(format_args!("{}: {e}", socket.display())))?;
        let conn = Connection::from_socket(stream).map_err(not_found)?;
        Self::open(conn)?.ok_or_else(no_screencopy)
    }

    /// Like [`WlrScreen::connect`], but `None` when there is no compositor
    /// to connect to or it does not offer wlr-screencopy: the desktop's
    /// other ways of capture may still work there.
    pub(super) fn connect_if_offered() -> Result<Option<Self>, CaptureError> {
        match Connection::connect_to_env() {
            Ok(conn) => Self::open(conn),
            Err(_) => Ok(None),
        }
    }

    /// Reads the globals; `None` without a screencopy manager.
    fn open(conn: Connection) -> Result<Option<Self>, CaptureError> {
        let queue = conn.new_event_queue();
        let _registry = conn.display().get_registry(&queue.handle(), ());
        let mut screen = Self {
            conn,
            queue,
            state: State::default(),
            syncs: 0,
            frames: 0,
        };
        screen.refresh(Instant::now() + WAIT)?;
        if screen.state.manager.is_none() {
            return Ok(None);
        }
        if screen.state.shm.is_none() {
            return Err(no_shm());
        }
        Ok(Some(screen))
    }

    /// Roundtrips until every output bound has described itself.
    fn refresh(&mut self, deadline: Instant) -> Result<(), CaptureError> {
        loop {
            self.state.new_output = false;
            self.roundtrip(deadline)?;
            if !self.state.new_output {
                return Ok(());
            }
        }
    }

    /// Waits until the compositor has handled every request sent so far.
    fn roundtrip(&mut self, deadline: Instant) -> Result<(), CaptureError> {
        self.syncs += 1;
        let sync = self.syncs;
        let _callback = self.conn.display().sync(&self.queue.handle(), sync);
        self.wait(deadline, |s| s.synced >= sync)
    }

    /// Dispatches events until `done`, or fails at `deadline`. The socket is
    /// polled with a timeout: `blocking_dispatch` could wait forever.
    fn wait(
        &mut self,
        deadline: Instant,
        done: impl Fn(&State) -> bool,
    ) -> Result<(), CaptureError> {
        loop {
            self.queue.dispatch_pending(&mut self.state).map_err(lost)?;
            if done(&self.state) {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(timeout());
            }
            let mut flags = PollFlags::IN | PollFlags::ERR;
            match self.conn.flush() {
                Ok(()) => {}
                // The socket's buffer is full: wait until it can take more too.
                Err(e) if would_block(&e) => flags |= PollFlags::OUT,
                Err(e) => return Err(lost(e)),
            }
            let Some(guard) = self.conn.prepare_read() else {
                // Events wait in the backend's own queue (libwayland): move
                // them to ours first.
                self.conn.backend().dispatch_inner_queue().map_err(lost)?;
                continue;
            };
            let left = Timespec::try_from(deadline - now).unwrap_or(Timespec {
                tv_sec: 1,
                tv_nsec: 0,
            });
            let readable = {
                let fd = guard.connection_fd();
                let mut fds = [PollFd::new(&fd, flags)];
                match rustix::event::poll(&mut fds, Some(&left)) {
                    // Readable, or hung up / in error: the read says which.
                    Ok(_) => !fds[0].revents().difference(PollFlags::OUT).is_empty(),
                    Err(rustix::io::Errno::INTR) => false,
                    Err(e) => return Err(lost(e)),
                }
            };
            if readable {
                match guard.read() {
                    Ok(_) => {}
                    Err(e) if would_block(&e) => {}
                    Err(e) => return Err(lost(e)),
                }
            }
        }
    }

    fn capture_frame(&mut self, output: &WlOutput, name: &str) -> Result<RawScreen, CaptureError> {
        let deadline = Instant::now() + WAIT;
        let (Some((_, manager)), Some((_, shm))) = (&self.state.manager, &self.state.shm) else {
            return Err(no_screencopy());
        };
        let (manager, shm) = (manager.clone(), shm.clone());
        let qh = self.queue.handle();
        self.frames += 1;
        self.state.frame = Frame {
            id: self.frames,
            ..Frame::default()
        };
        let mut objects = FrameObjects {
            conn: self.conn.clone(),
            frame: manager.capture_output(0, output, &qh, self.frames),
            pool: None,
            buffer: None,
        };
        // Before version 3 the one `buffer` event is the whole list.
        let v3 = objects.frame.version() >= 3;
        self.wait(deadline, |s| {
            s.frame.failed
                || if v3 {
                    s.frame.buffers_done
                } else {
                    !s.frame.shm.is_empty()
                }
        })?;
        let failed = || CaptureError::Lost {
            device: Device::Screen,
            name: name.to_owned(),
            reason: "the compositor could not copy the output (screencopy failed)".into(),
        };
        if self.state.frame.failed {
            return Err(failed());
        }
        let plan = BufferPlan::choose(&self.state.frame.shm, name)?;
        let memory = shared_memory(plan.size)?;
        let pool = objects
            .pool
            .insert(shm.create_pool(memory.as_fd(), plan.size, &qh, ()));
        let buffer = pool.create_buffer(
            0,
            plan.width,
            plan.height,
            plan.stride,
            plan.format,
            &qh,
            (),
        );
        objects.frame.copy(&buffer);
        objects.buffer = Some(buffer);
        self.wait(deadline, |s| s.frame.finished())?;
        if !self.state.frame.ready {
            return Err(failed());
        }
        let mut pixels = vec![0u8; plan.size.unsigned_abs() as usize];
        memory
            .read_exact_at(&mut pixels, 0)
            .map_err(|e| lost(format_args!("cannot read the copied picture: {e}")))?;
        Ok(plan.picture(&pixels, self.state.frame.y_invert))
    }
}

/// The `wl_shm` buffer a capture copies into: the first offered in a
/// format this module reads, its size checked against the protocol's `int`s.
#[derive(Debug, Clone, Copy)]
struct BufferPlan {
    format: wl_shm::Format,
    layout: Layout,
    width: i32,
    height: i32,
    stride: i32,
    /// `stride * height` bytes.
    size: i32,
}

impl BufferPlan {
    fn choose(offered: &[ShmBuffer], name: &str) -> Result<Self, CaptureError> {
        let Some((buf, format, layout)) = offered.iter().find_map(|b| {
            let (format, layout) = layout(b.format)?;
            Some((*b, format, layout))
        }) else {
            let formats: Vec<String> = offered.iter().map(|b| format_name(b.format)).collect();
            return Err(CaptureError::Open {
                device: Device::Screen,
                name: name.to_owned(),
                reason: format!(
                    "the compositor offers the picture only in pixel formats this program cannot read ({}); supported are XRGB8888, ARGB8888, XBGR8888 and ABGR8888",
                    if formats.is_empty() {
                        "no shared memory format".to_owned()
                    } else {
                        formats.join(", ")
                    }
                ),
            });
        };
        let size = u64::from(buf.stride) * u64::from(buf.height);
        match (
            i32::try_from(buf.width),
            i32::try_from(buf.height),
            i32::try_from(buf.stride),
            i32::try_from(size),
        ) {
            (Ok(width), Ok(height), Ok(stride), Ok(size))
                if width > 0 && height > 0 && u64::from(buf.stride) >= u64::from(buf.width) * 4 =>
            {
                Ok(Self {
                    format,
                    layout,
                    width,
                    height,
                    stride,
                    size,
                })
            }
            _ => Err(lost(format_args!(
                "the compositor asked for an impossible buffer ({}x{}, stride {})",
                buf.width, buf.height, buf.stride
            ))),
        }
    }

    /// Packed RGBA, top row first, from the buffer's rows.
    fn picture(self, pixels: &[u8], y_invert: bool) -> RawScreen {
        to_rgba(
            pixels,
            self.width.unsigned_abs(),
            self.height.unsigned_abs(),
            self.stride.unsigned_abs(),
            self.layout,
            y_invert,
        )
    }
}

/// A memory file of `size` bytes the compositor copies into.
fn shared_memory(size: i32) -> Result<File, CaptureError> {
    let fd = rustix::fs::memfd_create("paraakh-screencopy", rustix::fs::MemfdFlags::CLOEXEC)
        .map_err(|e| lost(format_args!("cannot make shared memory: {e}")))?;
    let file = File::from(fd);
    file.set_len(u64::from(size.unsigned_abs()))
        .map_err(|e| lost(format_args!("cannot size shared memory: {e}")))?;
    Ok(file)
}

/// Packed RGBA, top row first, from the rows of a 32-bit `wl_shm` buffer.
fn to_rgba(
    pixels: &[u8],
    width: u32,
    height: u32,
    stride: u32,
    layout: Layout,
    y_invert: bool,
) -> RawScreen {
    let (w, h, stride) = (width as usize, height as usize, stride as usize);
    let mut rgba = vec![0u8; w * h * 4];
    let [r, g, b] = match layout {
        Layout::Bgrx => [2, 1, 0],
        Layout::Rgbx => [0, 1, 2],
    };
    for (y, out_row) in rgba.chunks_exact_mut(w * 4).enumerate() {
        let src_y = if y_invert { h - 1 - y } else { y };
        let start = src_y * stride;
        let Some(row) = pixels.get(start..start + w * 4) else {
            break;
        };
        for (out, px) in out_row.chunks_exact_mut(4).zip(row.chunks_exact(4)) {
            out.copy_from_slice(&[px[r], px[g], px[b], 255]);
        }
    }
    RawScreen {
        width,
        height,
        rgba,
    }
}

/// The objects of one capture, destroyed whatever happens: a frame copies
/// once, and the buffer and pool go with it.
struct FrameObjects {
    conn: Connection,
    frame: ZwlrScreencopyFrameV1,
    pool: Option<WlShmPool>,
    buffer: Option<WlBuffer>,
}

impl Drop for FrameObjects {
    fn drop(&mut self) {
        self.frame.destroy();
        if let Some(buffer) = &self.buffer {
            buffer.destroy();
        }
        if let Some(pool) = &self.pool {
            pool.destroy();
        }
        // Nothing to do about a failure here: the next exchange reports it.
        let _ = self.conn.flush();
    }
}

impl ScreenSource for WlrScreen {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        self.refresh(Instant::now() + WAIT)?;
        let mut outputs: Vec<&Output> = self
            .state
            .outputs
            .iter()
            .filter(|o| o.size.is_some())
            .collect();
        outputs.sort_by_key(|o| o.global);
        // Wayland has no primary output: the one at the origin stands for it.
        let primary = outputs
            .iter()
            .position(|o| o.position == (0, 0))
            .unwrap_or(0);
        let monitors: Vec<MonitorInfo> = outputs
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.info(i == primary))
            .collect();
        if monitors.is_empty() {
            return Err(CaptureError::NotFound {
                device: Device::Screen,
                name: String::new(),
                hint: "the Wayland compositor reports no outputs".into(),
            });
        }
        Ok(monitors)
    }

    fn capture(&mut self, monitor: &MonitorInfo) -> Result<RawScreen, CaptureError> {
        // Outputs removed since the last call are dropped from the list first.
        self.queue.dispatch_pending(&mut self.state).map_err(lost)?;
        let output = self
            .state
            .outputs
            .iter()
            .find(|o| o.global == monitor.id)
            .map(|o| o.proxy.clone())
            .ok_or_else(|| CaptureError::Lost {
                device: Device::Screen,
                name: monitor.name.clone(),
                reason: "the monitor was disconnected".into(),
            })?;
        self.capture_frame(&output, &monitor.name)
    }
}

impl Dispatch<WlRegistry, ()> for State {
    fn event(
        state: &mut Self,
        registry: &WlRegistry,
        event: wl_registry::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        match event {
            wl_registry::Event::Global {
                name,
                interface,
                version,
            } => {
                if interface == WlOutput::interface().name {
                    let proxy = registry.bind(name, version.min(4), qh, name);
                    state.outputs.push(Output {
                        global: name,
                        proxy,
                        name: None,
                        size: None,
                        position: (0, 0),
                    });
                    state.new_output = true;
                } else if interface == WlShm::interface().name && state.shm.is_none() {
                    state.shm = Some((name, registry.bind(name, 1, qh, ())));
                } else if interface == ZwlrScreencopyManagerV1::interface().name
                    && state.manager.is_none()
                {
                    state.manager = Some((name, registry.bind(name, version.min(3), qh, ())));
                }
            }
            wl_registry::Event::GlobalRemove { name } => {
                state.outputs.retain(|o| {
                    if o.global != name {
                        return true;
                    }
                    if o.proxy.version() >= 3 {
                        o.proxy.release();
                    }
                    false
                });
                if state.shm.as_ref().is_some_and(|(n, _)| *n == name) {
                    state.shm = None;
                }
                if state.manager.as_ref().is_some_and(|(n, _)| *n == name) {
                    state.manager = None;
                }
            }
            _ => {}
        }
    }
}

impl Dispatch<WlOutput, u32> for State {
    fn event(
        state: &mut Self,
        _: &WlOutput,
        event: wl_output::Event,
        global: &u32,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some(output) = state.outputs.iter_mut().find(|o| o.global == *global) else {
            return;
        };
        match event {
            wl_output::Event::Geometry { x, y, .. } => output.position = (x, y),
            wl_output::Event::Mode {
                flags: WEnum::Value(flags),
                width,
                height,
                ..
            } if flags.contains(wl_output::Mode::Current) => {
                if let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) {
                    output.size = Some((w, h));
                }
            }
            wl_output::Event::Name { name } => output.name = Some(name),
            _ => {}
        }
    }
}

impl Dispatch<WlCallback, u64> for State {
    fn event(
        state: &mut Self,
        _: &WlCallback,
        _: <WlCallback as Proxy>::Event,
        sync: &u64,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        state.synced = state.synced.max(*sync);
    }
}

impl Dispatch<ZwlrScreencopyFrameV1, u64> for State {
    fn event(
        state: &mut Self,
        _: &ZwlrScreencopyFrameV1,
        event: zwlr_screencopy_frame_v1::Event,
        id: &u64,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let frame = &mut state.frame;
        if *id != frame.id {
            return;
        }
        match event {
            zwlr_screencopy_frame_v1::Event::Buffer {
                format,
                width,
                height,
                stride,
            } => frame.shm.push(ShmBuffer {
                format,
                width,
                height,
                stride,
            }),
            zwlr_screencopy_frame_v1::Event::BufferDone => frame.buffers_done = true,
            zwlr_screencopy_frame_v1::Event::Flags { flags } => {
                frame.y_invert = match flags {
                    WEnum::Value(f) => f.contains(zwlr_screencopy_frame_v1::Flags::YInvert),
                    WEnum::Unknown(bits) => bits & 1 != 0,
                };
            }
            zwlr_screencopy_frame_v1::Event::Ready { .. } => frame.ready = true,
            zwlr_screencopy_frame_v1::Event::Failed => frame.failed = true,
            _ => {}
        }
    }
}

delegate_noop!(State: ignore WlShm);
delegate_noop!(State: ignore WlShmPool);
delegate_noop!(State: ignore WlBuffer);
delegate_noop!(State: ignore ZwlrScreencopyManagerV1);

/// A [`WlrScreen`] shared by whoever captures the screen in this process:
/// clones are handles to one connection.
#[derive(Debug, Clone)]
pub struct SharedWlrScreen(Arc<Mutex<WlrScreen>>);

impl From<WlrScreen> for SharedWlrScreen {
    fn from(screen: WlrScreen) -> Self {
        Self(Arc::new(Mutex::new(screen)))
    }
}

impl SharedWlrScreen {
    fn with<T>(&self, f: impl FnOnce(&mut WlrScreen) -> T) -> T {
        // A capture that panicked leaves nothing half-done that the next
        // one relies on: each capture starts its frame afresh.
        let mut screen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut screen)
    }
}

impl ScreenSource for SharedWlrScreen {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        self.with(WlrScreen::monitors)
    }

    fn capture(&mut self, monitor: &MonitorInfo) -> Result<RawScreen, CaptureError> {
        self.with(|s| s.capture(monitor))
    }
}

static PRECONNECTED: OnceLock<SharedWlrScreen> = OnceLock::new();

/// Connects to the compositor now (from the environment) and keeps the
/// connection for the process's lifetime; later calls do nothing.
///
/// The exam session seals cage after start-up by removing its socket
/// (`$XDG_RUNTIME_DIR/wayland-0`): from then on nobody can connect, this
/// process included. Call this before the seal; [`preconnected`] and
/// [`super::native::open_desktop`] then capture over this connection.
/// Fails like [`WlrScreen::connect`], notably on a compositor without
/// wlr-screencopy.
pub fn preconnect() -> Result<(), CaptureError> {
    if PRECONNECTED.get().is_some() {
        return Ok(());
    }
    let screen = SharedWlrScreen::from(WlrScreen::connect()?);
    // Two threads racing here both connect; the loser's connection closes.
    let _ = PRECONNECTED.set(screen);
    Ok(())
}

/// The connection [`preconnect`] made, if it was called and succeeded.
/// Captures through it are serialised: one connection, one frame at a time.
pub fn preconnected() -> Option<SharedWlrScreen> {
    PRECONNECTED.get().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bgrx_rows_become_rgba_with_opaque_alpha() {
        // 2x2, stride 12 (4 bytes of padding per row).
        let pixels = [
            1, 2, 3, 0, 4, 5, 6, 9, 0xee, 0xee, 0xee, 0xee, //
            7, 8, 9, 0, 10, 11, 12, 0, 0xee, 0xee, 0xee, 0xee,
        ];
        let s = to_rgba(&pixels, 2, 2, 12, Layout::Bgrx, false);
        assert_eq!(
            s.rgba,
            [3, 2, 1, 255, 6, 5, 4, 255, 9, 8, 7, 255, 12, 11, 10, 255]
        );
    }

    #[test]
    fn y_inverted_rgbx_is_turned_upright() {
        let pixels = [1, 2, 3, 0, 4, 5, 6, 0];
        let s = to_rgba(&pixels, 1, 2, 4, Layout::Rgbx, true);
        assert_eq!(s.rgba, [4, 5, 6, 255, 1, 2, 3, 255]);
    }

    #[test]
    fn only_32_bit_rgb_formats_are_read() {
        assert!(layout(WEnum::Value(wl_shm::Format::Xrgb8888)).is_some());
        assert!(layout(WEnum::Value(wl_shm::Format::Abgr8888)).is_some());
        assert!(layout(WEnum::Value(wl_shm::Format::Rgb565)).is_none());
        assert!(layout(WEnum::Unknown(0x1234)).is_none());
        assert_eq!(format_name(WEnum::Unknown(0x1234)), "0x00001234");
    }
}
