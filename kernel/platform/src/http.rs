//! The HTTP listener: a pool of TCP sockets on the app's port, each one a keep-alive HTTP/1.1
//! connection of the runtime (`http::Connection`), whose requests the app answers.

use alloc::vec::Vec;
use core::cell::RefCell;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State as TcpState;
use smoltcp::time::{Duration, Instant};
use uniwasm_runtime::host::Serve;
use uniwasm_runtime::http;

use crate::net::{self, Net};

/// How many clients can be connected at once (each is one socket): smoltcp has no accept
/// backlog, so a client finding no listening socket gets a reset. Hundreds of keep-alive clients
/// are ordinary load (`ab -k -c 300`); a full pool holds 4 MiB of buffers. The host's forward
/// (src/run/forward.ts) opens at most this many connections and queues the others.
const MAX_SOCKETS: usize = 512;
/// Sockets kept listening: the pool starts with these and grows while fewer listen, up to
/// `MAX_SOCKETS`. Every SYN that arrives within one poll needs one, or its client gets a reset:
/// QEMU's port forwarding hands over a burst of connects faster than the loop turns under TCG.
const SPARE_SOCKETS: usize = 64;
/// Receive and send buffer of each socket: requests are parsed as they come and responses are
/// sent piecewise, so this only bounds the bytes in flight.
const SOCKET_BUFFER: usize = 4096;
/// A connection that neither receives nor sends for this long is dropped, and so is one whose
/// request has not been answered this long after its first byte (a slow client must not hold a
/// socket forever).
const TIMEOUT: Duration = Duration::from_secs(10);

/// One socket of the pool and the HTTP connection on it.
struct Slot {
    handle: SocketHandle,
    /// `None` while the socket listens.
    conn: Option<Conn>,
}

struct Conn {
    http: http::Connection,
    /// Whether more requests may come (false once HTTP said close, or the client hung up).
    reading: bool,
    /// Responses not yet sent, from `sent` on.
    out: Vec<u8>,
    sent: usize,
    last_activity: Instant,
    /// When the first byte of the request being read arrived.
    request_started: Option<Instant>,
}

impl Conn {
    fn new(now: Instant) -> Conn {
        Conn {
            http: http::Connection::new(http::Limits::default()),
            reading: true,
            out: Vec::new(),
            sent: 0,
            last_activity: now,
            request_started: None,
        }
    }

    fn timed_out(&self, now: Instant) -> bool {
        now - self.last_activity > TIMEOUT || self.request_started.is_some_and(|t| now - t > TIMEOUT)
    }
}

pub struct HttpServer {
    port: u16,
    slots: Vec<Slot>,
    /// Bytes read from one socket, handed to its connection.
    received: Vec<u8>,
}

impl HttpServer {
    pub fn new(net: &mut Net, port: u16) -> HttpServer {
        let mut server = HttpServer { port, slots: Vec::new(), received: Vec::with_capacity(SOCKET_BUFFER) };
        server.add_listeners(net, SPARE_SOCKETS);
        server
    }

    fn add_listeners(&mut self, net: &mut Net, count: usize) {
        for _ in 0..count.min(MAX_SOCKETS - self.slots.len()) {
            let handle = net.listen(self.port, SOCKET_BUFFER);
            self.slots.push(Slot { handle, conn: None });
        }
    }

    /// Advances every connection as far as it can go without waiting for the network. The app
    /// runs while `net` is not borrowed: its KeyValue calls use the network themselves.
    pub fn serve(&mut self, net: &RefCell<Net>, app: &mut dyn Serve) {
        let mut listening = 0;
        for slot in &mut self.slots {
            let now = net::now();
            // Reading: what the socket has, into `received`.
            {
                let mut net = net.borrow_mut();
                let socket = net.tcp(slot.handle);
                if !socket.is_open() {
                    // Closed, or TIME-WAIT after our FIN: listen again at once (the peer has its
                    // answer; keeping TIME-WAIT would starve the pool under load).
                    slot.conn = None;
                    let _ = socket.listen(self.port); // cannot fail: closed socket, non-zero port
                    listening += 1;
                    continue;
                }
                if !socket.is_active() {
                    listening += 1;
                    continue;
                }
                if socket.state() == TcpState::SynReceived {
                    continue; // the handshake is not done (smoltcp times it out)
                }
                let conn = slot.conn.get_or_insert_with(|| Conn::new(now));
                self.received.clear();
                // A loop: the received bytes may wrap around the socket's ring buffer.
                while conn.reading && socket.can_recv() {
                    let _ = socket.recv(|data| {
                        self.received.extend_from_slice(data);
                        (data.len(), ())
                    });
                }
                if conn.reading && self.received.is_empty() && !socket.may_recv() {
                    conn.reading = false; // the client hung up; what is pending is still sent
                }
            }
            let conn = slot.conn.as_mut().expect("set above");
            // Answering, with the network free.
            if !self.received.is_empty() {
                conn.last_activity = now;
                conn.request_started.get_or_insert(now);
                let answered_before = conn.out.len();
                conn.reading = conn.http.receive(&self.received, &mut conn.out, |request| app.handle(request));
                if conn.out.len() > answered_before {
                    conn.request_started = None;
                }
                if let (false, Some(status)) = (conn.reading, conn.http.rejected()) {
                    app.trace_rejected(status);
                }
            }
            // Sending.
            let mut net = net.borrow_mut();
            let socket = net.tcp(slot.handle);
            if conn.sent < conn.out.len() {
                let n = socket.send_slice(&conn.out[conn.sent..]).unwrap_or(0);
                if n > 0 {
                    conn.sent += n;
                    conn.last_activity = now;
                }
            }
            if conn.sent == conn.out.len() {
                conn.out.clear();
                conn.sent = 0;
                if !conn.reading {
                    socket.close();
                }
            }
            if conn.timed_out(now) {
                socket.abort();
            }
        }
        self.add_listeners(&mut net.borrow_mut(), SPARE_SOCKETS.saturating_sub(listening));
    }
}
