//! Every Unix socket on the machine with its bound name and the socket at
//! its other end, from the kernel's socket diagnostics (netlink
//! `NETLINK_SOCK_DIAG`, what `ss -x` reads). A compositor's accepted
//! connections carry its socket's name even after the file is removed, and
//! their peers are its clients: this is how the exam session knows every
//! program connected to its compositor without asking the compositor.

use std::os::fd::OwnedFd;
use std::time::Duration;

use super::{u16_at, u32_at};
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, netlink, recv, send, socket_with,
    sockopt,
};

const NLMSG_HDR: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_DUMP: u16 = 0x300;
const AF_UNIX: u8 = 1;
const UDIAG_SHOW_NAME: u32 = 1;
const UDIAG_SHOW_PEER: u32 = 4;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_PEER: u16 = 2;
/// `unix_diag_msg`: family, type, state, pad, inode, cookie.
const DIAG_MSG: usize = 16;
/// `TCP_ESTABLISHED`, the state of a connected Unix stream socket.
pub(crate) const CONNECTED: u8 = 1;

/// One Unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnixSocket {
    /// Its inode (`socket:[N]` in `/proc/PID/fd`).
    pub(crate) inode: u32,
    /// `TCP_ESTABLISHED` (1) when connected, `TCP_LISTEN` (10) when listening.
    pub(crate) state: u8,
    /// The bound path (a server's accepted connections carry it too).
    pub(crate) name: Option<Vec<u8>>,
    /// The inode of the socket at the other end.
    pub(crate) peer: Option<u32>,
}

/// The dump request: nlmsghdr, unix_diag_req.
fn request() -> Vec<u8> {
    let len = (NLMSG_HDR + 24) as u32;
    let mut m = Vec::with_capacity(len as usize);
    m.extend_from_slice(&len.to_ne_bytes());
    m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes()); // seq
    m.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel's
    m.push(AF_UNIX);
    m.push(0); // protocol
    m.extend_from_slice(&0u16.to_ne_bytes());
    m.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
    m.extend_from_slice(&0u32.to_ne_bytes()); // any inode
    m.extend_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER).to_ne_bytes());
    m.extend_from_slice(&[0xff; 8]); // no cookie
    m
}

/// What one datagram of the reply held.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) sockets: Vec<UnixSocket>,
    pub(crate) done: bool,
    pub(crate) error: Option<i32>,
}

/// Parses one datagram (malformed messages end it).
pub(crate) fn parse(datagram: &[u8]) -> Part {
    let mut part = Part::default();
    let mut at = 0usize;
    while let Some(len) = u32_at(datagram, at) {
        let len = len as usize;
        if len < NLMSG_HDR || at + len > datagram.len() {
            break;
        }
        let msg = &datagram[at..at + len];
        match u16_at(msg, 4) {
            Some(NLMSG_DONE) => {
                part.done = true;
                return part;
            }
            Some(NLMSG_ERROR) => {
                part.error = Some(u32_at(msg, NLMSG_HDR).map_or(-1, |e| e as i32));
                part.done = true;
                return part;
            }
            Some(SOCK_DIAG_BY_FAMILY) => {
                if let Some(s) = parse_socket(&msg[NLMSG_HDR..]) {
                    part.sockets.push(s);
                }
            }
            _ => {}
        }
        at += (len + 3) & !3;
    }
    part
}

fn parse_socket(body: &[u8]) -> Option<UnixSocket> {
    let state = *body.get(2)?;
    let inode = u32_at(body, 4)?;
    let mut s = UnixSocket {
        inode,
        state,
        name: None,
        peer: None,
    };
    let mut at = DIAG_MSG;
    while let (Some(len), Some(kind)) = (u16_at(body, at), u16_at(body, at + 2)) {
        let len = len as usize;
        if len < 4 || at + len > body.len() {
            break;
        }
        let data = &body[at + 4..at + len];
        match kind {
            // A path comes with its terminating NUL.
            UNIX_DIAG_NAME => {
                let end = data.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
                s.name = Some(data[..end].to_vec());
            }
            UNIX_DIAG_PEER => s.peer = u32_at(data, 0),
            _ => {}
        }
        at += (len + 3) & !3;
    }
    Some(s)
}

/// Every Unix socket the kernel reports.
pub(crate) fn unix_sockets() -> std::io::Result<Vec<UnixSocket>> {
    let fd: OwnedFd = socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(netlink::SOCK_DIAG),
    )?;
    sockopt::set_socket_timeout(&fd, sockopt::Timeout::Recv, Some(Duration::from_secs(2)))?;
    send(&fd, &request(), SendFlags::empty())?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut all = Vec::new();
    loop {
        let (n, _) = recv(&fd, &mut buf[..], RecvFlags::empty())?;
        let part = parse(&buf[..n.min(buf.len())]);
        all.extend(part.sockets);
        if let Some(e) = part.error {
            return Err(std::io::Error::from_raw_os_error(-e));
        }
        if part.done || n == 0 {
            return Ok(all);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::os::unix::net::{UnixListener, UnixStream};

    fn message(body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDR + body.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(body);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }

    fn attr(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(data);
        while a.len() % 4 != 0 {
            a.push(0);
        }
        a
    }

    #[test]
    fn a_reply_gives_names_and_peers_and_a_cut_one_is_not_read_past() {
        let mut body = vec![AF_UNIX, 1, CONNECTED, 0];
        body.extend_from_slice(&77u32.to_ne_bytes());
        body.extend_from_slice(&[0; 8]);
        body.extend(attr(UNIX_DIAG_NAME, b"/run/user/1000/wayland-0"));
        body.extend(attr(UNIX_DIAG_PEER, &78u32.to_ne_bytes()));
        let mut datagram = message(&body);
        let part = parse(&datagram);
        assert_eq!(
            part.sockets,
            vec![UnixSocket {
                inode: 77,
                state: CONNECTED,
                name: Some(b"/run/user/1000/wayland-0".to_vec()),
                peer: Some(78),
            }]
        );
        assert!(!part.done);
        // An attribute that claims more than is there is left out.
        let cut = datagram.len() - 4;
        datagram[..4].copy_from_slice(&(cut as u32).to_ne_bytes());
        datagram.truncate(cut);
        assert_eq!(parse(&datagram).sockets[0].peer, None);
        // Garbage ends the parse without a panic.
        assert_eq!(parse(&[0xff; 7]), Part::default());
    }

    /// The real kernel: a listener, a client, and the accepted end that
    /// carries the listener's name with the client as its peer.
    #[test]
    fn the_kernel_names_the_peer_of_an_accepted_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let client = UnixStream::connect(&path).unwrap();
        let (_accepted, _) = listener.accept().unwrap();
        let client_inode = {
            let link = std::fs::read_link(format!(
                "/proc/self/fd/{}",
                std::os::fd::AsRawFd::as_raw_fd(&client)
            ))
            .unwrap();
            let text = link.to_string_lossy().into_owned();
            text.trim_start_matches("socket:[")
                .trim_end_matches(']')
                .parse::<u32>()
                .unwrap()
        };
        let all = unix_sockets().unwrap();
        let name = path.as_os_str().as_encoded_bytes().to_vec();
        let accepted: Vec<_> = all
            .iter()
            .filter(|s| s.name.as_ref() == Some(&name) && s.state == CONNECTED)
            .collect();
        assert_eq!(accepted.len(), 1, "{accepted:?}");
        assert_eq!(accepted[0].peer, Some(client_inode));
    }
}
