//! Exec events from the kernel's process connector (netlink): a new
//! program is known within milliseconds of its start, where polling takes
//! up to its interval. Needs a kernel with the connector and, on some, the
//! `CAP_NET_ADMIN` capability: [`ExecEvents::subscribe`] proves it works by
//! watching a child of its own start, and the guard falls back to polling
//! when it does not.

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use super::{u16_at, u32_at};
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, netlink, recv, send, socket_with,
    sockopt,
};

const NLMSG_HDR: usize = 16;
const CN_MSG: usize = 20;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const PROC_EVENT_EXEC: u32 = 2;

/// A subscription to exec events.
#[derive(Debug)]
pub(crate) struct ExecEvents {
    fd: OwnedFd,
    buf: Vec<u8>,
}

/// What a read brought.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// Processes (thread-group ids) that started a new program.
    Execs(Vec<u32>),
    /// The kernel dropped events (our buffer overflowed): look at everything.
    Overrun,
}

/// The listen request: nlmsghdr, cn_msg, the op.
fn listen_message() -> Vec<u8> {
    let len = (NLMSG_HDR + CN_MSG + 4) as u32;
    let mut m = Vec::with_capacity(len as usize);
    m.extend_from_slice(&len.to_ne_bytes());
    m.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
    m.extend_from_slice(&0u16.to_ne_bytes()); // flags
    m.extend_from_slice(&0u32.to_ne_bytes()); // seq
    m.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel's
    m.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    m.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes()); // seq
    m.extend_from_slice(&0u32.to_ne_bytes()); // ack
    m.extend_from_slice(&4u16.to_ne_bytes()); // payload length
    m.extend_from_slice(&0u16.to_ne_bytes()); // flags
    m.extend_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
    m
}

/// The exec events in one datagram (malformed parts are skipped).
pub(crate) fn parse(datagram: &[u8]) -> Vec<u32> {
    let mut pids = Vec::new();
    let mut at = 0usize;
    while let Some(len) = u32_at(datagram, at) {
        let len = len as usize;
        if len < NLMSG_HDR || at + len > datagram.len() {
            break;
        }
        let msg = &datagram[at..at + len];
        let kind = u16_at(msg, 4).unwrap_or(NLMSG_NOOP);
        if kind != NLMSG_NOOP && kind != NLMSG_ERROR {
            let cn = &msg[NLMSG_HDR..];
            let ours = u32_at(cn, 0) == Some(CN_IDX_PROC) && u32_at(cn, 4) == Some(CN_VAL_PROC);
            // proc_event: what, cpu, timestamp (u64), then the exec data:
            // process pid, process tgid.
            let ev = CN_MSG;
            if ours
                && u32_at(cn, ev) == Some(PROC_EVENT_EXEC)
                && let Some(tgid) = u32_at(cn, ev + 16 + 4)
            {
                pids.push(tgid);
            }
        }
        // NLMSG_ALIGN: messages are padded to 4 bytes.
        at += (len + 3) & !3;
    }
    pids
}

impl ExecEvents {
    /// Subscribes, and checks that events really arrive by starting a
    /// short-lived child. `None` when the system does not deliver them.
    pub(crate) fn subscribe() -> Option<Self> {
        let fd = socket_with(
            AddressFamily::NETLINK,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            Some(netlink::CONNECTOR),
        )
        .ok()?;
        rustix::net::bind(&fd, &netlink::SocketAddrNetlink::new(0, CN_IDX_PROC)).ok()?;
        send(&fd, &listen_message(), SendFlags::empty()).ok()?;
        sockopt::set_socket_timeout(
            &fd,
            sockopt::Timeout::Recv,
            Some(Duration::from_millis(100)),
        )
        .ok()?;
        let mut events = Self {
            fd,
            buf: vec![0; 16 * 1024],
        };
        let child = std::process::Command::new("/bin/true").spawn().ok()?;
        let want = child.id();
        let mut child = child;
        let _ = child.wait();
        let deadline = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < deadline {
            if let Received::Execs(pids) = events.receive()
                && pids.contains(&want)
            {
                return Some(events);
            }
        }
        None
    }

    /// Waits up to 100 ms for events.
    pub(crate) fn receive(&mut self) -> Received {
        match recv(&self.fd, &mut self.buf[..], RecvFlags::empty()) {
            Ok((n, _)) => Received::Execs(parse(&self.buf[..n.min(self.buf.len())])),
            Err(rustix::io::Errno::NOBUFS) => Received::Overrun,
            Err(_) => Received::Execs(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec_message(tgid: u32) -> Vec<u8> {
        let mut m = listen_message();
        m.truncate(NLMSG_HDR + CN_MSG);
        m.extend_from_slice(&PROC_EVENT_EXEC.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes()); // cpu
        m.extend_from_slice(&0u64.to_ne_bytes()); // timestamp
        m.extend_from_slice(&tgid.to_ne_bytes()); // pid
        m.extend_from_slice(&tgid.to_ne_bytes()); // tgid
        let len = m.len() as u32;
        m[..4].copy_from_slice(&len.to_ne_bytes());
        m
    }

    #[test]
    fn exec_events_are_read_and_garbage_is_skipped() {
        let mut d = exec_message(42);
        d.extend(exec_message(7));
        assert_eq!(parse(&d), vec![42, 7]);
        assert!(parse(&listen_message()).is_empty());
        assert!(parse(&[]).is_empty());
        assert!(parse(&[255; 3]).is_empty());
        let mut bad = exec_message(9);
        bad[..4].copy_from_slice(&1000u32.to_ne_bytes());
        assert!(parse(&bad).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_on_any_bytes(d in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse(&d);
        }
    }
}
