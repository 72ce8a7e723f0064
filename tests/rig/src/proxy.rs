//! A TCP proxy that breaks connections on purpose, for testing that uploads
//! survive a bad network: requests cut in the middle, responses cut after
//! the server acted on the request, delays, and 503 answers. Each
//! connection gets one fault, chosen by a seeded generator so that a
//! failing run can be repeated.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded, but cut after this many bytes from the client (so that
    /// even healthy connections end in the middle of some request).
    Pass(u64),
    /// Cut after this many bytes from the client: the request never arrives whole.
    CutRequest(u64),
    /// The request is forwarded whole; the response is cut after this many bytes.
    CutResponse(u64),
    /// Waits this long before connecting, then forwards like `Pass`.
    Delay(Duration, u64),
    /// Answers `503 Service Unavailable` without forwarding anything.
    Unavailable,
}

/// How often each fault is chosen, in percent (the rest pass).
#[derive(Debug, Clone, Copy)]
pub struct FaultPlan {
    /// Seed of the generator.
    pub seed: u64,
    /// Requests cut mid-way.
    pub cut_request: u64,
    /// Responses cut after the server acted.
    pub cut_response: u64,
    /// Delayed connections.
    pub delay: u64,
    /// 503 answers.
    pub unavailable: u64,
}

impl FaultPlan {
    /// Every connection forwarded untouched.
    pub fn none() -> Self {
        Self {
            seed: 0,
            cut_request: 0,
            cut_response: 0,
            delay: 0,
            unavailable: 0,
        }
    }

    /// A bad network: about a fifth of connections cut mid-request, a
    /// fifth cut mid-response, some delayed, some answered 503.
    pub fn mixed(seed: u64) -> Self {
        Self {
            seed,
            cut_request: 20,
            cut_response: 20,
            delay: 10,
            unavailable: 15,
        }
    }

    fn faulty(&self) -> bool {
        self.cut_request + self.cut_response + self.delay + self.unavailable > 0
    }
}

/// What the proxy did.
#[derive(Debug, Default)]
pub struct ProxyStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections cut while the client was sending.
    pub cut_requests: AtomicU64,
    /// Connections cut while the server was answering.
    pub cut_responses: AtomicU64,
    /// Connections delayed.
    pub delayed: AtomicU64,
    /// 503 answers.
    pub unavailable: AtomicU64,
    /// Bytes forwarded from clients to the server.
    pub bytes_up: AtomicU64,
}

/// The proxy; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    stop: Arc<AtomicBool>,
    stats: Arc<ProxyStats>,
    accept: Option<JoinHandle<()>>,
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn choose(plan: &FaultPlan, rng: &mut SplitMix) -> Fault {
    if !plan.faulty() {
        return Fault::Pass(u64::MAX);
    }
    let roll = rng.range(0, 99);
    let budget = rng.range(16 << 10, 512 << 10);
    let mut at = plan.cut_request;
    if roll < at {
        return Fault::CutRequest(rng.range(1, 200_000));
    }
    at += plan.cut_response;
    if roll < at {
        return Fault::CutResponse(rng.range(1, 300));
    }
    at += plan.delay;
    if roll < at {
        return Fault::Delay(Duration::from_millis(rng.range(100, 600)), budget);
    }
    at += plan.unavailable;
    if roll < at {
        return Fault::Unavailable;
    }
    Fault::Pass(budget)
}

/// Copies up to `limit` bytes, counting them; returns true if the limit cut the stream.
fn copy_limited(from: &mut TcpStream, to: &mut TcpStream, limit: u64, count: &AtomicU64) -> bool {
    let mut buf = [0u8; 16 << 10];
    let mut copied = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let allowed = (limit - copied).min(n as u64) as usize;
        if to.write_all(&buf[..allowed]).is_err() {
            return false;
        }
        copied += allowed as u64;
        count.fetch_add(allowed as u64, Ordering::Relaxed);
        if copied >= limit {
            return true;
        }
    }
}

fn serve(client: TcpStream, upstream: SocketAddr, fault: Fault, stats: &Arc<ProxyStats>) {
    let (to_server_limit, to_client_limit) = match fault {
        Fault::Unavailable => {
            stats.unavailable.fetch_add(1, Ordering::Relaxed);
            let mut client = client;
            let _ = client.set_read_timeout(Some(Duration::from_millis(200)));
            let mut buf = [0u8; 4096];
            let _ = client.read(&mut buf);
            let _ = client.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        Fault::Pass(budget) => (budget, u64::MAX),
        Fault::CutRequest(n) => (n, u64::MAX),
        Fault::CutResponse(n) => (u64::MAX, n),
        Fault::Delay(d, budget) => {
            stats.delayed.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(d);
            (budget, u64::MAX)
        }
    };
    let Ok(server) = TcpStream::connect(upstream) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let (Ok(mut c2), Ok(mut s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let (mut c1, mut s1) = (client, server);
    let stats_up = Arc::new(AtomicBool::new(false));
    let cut_up = Arc::clone(&stats_up);
    let counters = Arc::clone(stats);
    let up = std::thread::spawn(move || {
        if copy_limited(&mut c1, &mut s1, to_server_limit, &counters.bytes_up) {
            cut_up.store(true, Ordering::Relaxed);
            let _ = c1.shutdown(Shutdown::Both);
            let _ = s1.shutdown(Shutdown::Both);
        } else {
            let _ = s1.shutdown(Shutdown::Write);
        }
    });
    let down = AtomicU64::new(0);
    if copy_limited(&mut s2, &mut c2, to_client_limit, &down) {
        stats.cut_responses.fetch_add(1, Ordering::Relaxed);
        let _ = c2.shutdown(Shutdown::Both);
        let _ = s2.shutdown(Shutdown::Both);
    } else {
        let _ = c2.shutdown(Shutdown::Write);
    }
    let _ = up.join();
    if stats_up.load(Ordering::Relaxed) {
        stats.cut_requests.fetch_add(1, Ordering::Relaxed);
    }
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: SocketAddr, plan: FaultPlan) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let upstream = Arc::new(Mutex::new(upstream));
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(ProxyStats::default());
        let (up, st, stp) = (Arc::clone(&upstream), Arc::clone(&stats), Arc::clone(&stop));
        let accept = std::thread::spawn(move || {
            let mut rng = SplitMix(plan.seed);
            for conn in listener.incoming() {
                if stp.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = conn else { continue };
                st.connections.fetch_add(1, Ordering::Relaxed);
                let fault = choose(&plan, &mut rng);
                let target = *up.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let stats = Arc::clone(&st);
                std::thread::spawn(move || serve(client, target, fault, &stats));
            }
        });
        Ok(Self {
            addr,
            upstream,
            stop,
            stats,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends new connections to another server (one restarted elsewhere).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self
            .upstream
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = upstream;
    }

    /// What the proxy did so far.
    pub fn stats(&self) -> &ProxyStats {
        &self.stats
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}
