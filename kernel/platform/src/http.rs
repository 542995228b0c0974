//! The HTTP listener: a pool of TCP sockets on the app's port, each one a keep-alive HTTP/1.1
//! connection of the runtime (`http::Connection`), whose requests the app answers, at once or
//! (a handler waiting for Redis) in a later round of the poll loop.

use alloc::vec::Vec;
use core::cell::RefCell;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State as TcpState;
use smoltcp::time::{Duration, Instant};
use uniwasm_runtime::host::{Answer, Serve};
use uniwasm_runtime::http;

use crate::net::{self, Net};

/// How many clients can be connected at once (each is one socket): smoltcp has no accept
/// backlog, so a SYN finding no listening socket waits in the card's gate (`Net::admit_syns`).
/// Hundreds of keep-alive clients are ordinary load (`ab -k -c 300`); a full pool holds 4 MiB of
/// buffers. The host's forward (src/run/forward.ts) opens at most this many connections and
/// queues the others.
const MAX_SOCKETS: usize = 512;
/// Sockets kept listening: the pool starts with these and grows while fewer listen, up to
/// `MAX_SOCKETS`. Every SYN that arrives within one poll takes one, and more wait in the card's
/// gate, for which the next round opens as many: QEMU's port forwarding hands over a burst of
/// connects faster than the loop turns under TCG, and a round is long when hundreds of
/// connections each have a request.
const SPARE_SOCKETS: usize = 64;
/// Receive and send buffer of each socket: requests are parsed as they come and responses are
/// sent piecewise, so this only bounds the bytes in flight.
const SOCKET_BUFFER: usize = 4096;
/// A connection that neither receives nor sends for this long is closed, and so is one whose
/// request has not been answered this long after its first byte (a slow client must not hold a
/// socket forever); a request cut short so is answered 408 first.
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
    /// The app's id of the request whose response comes later.
    awaiting: Option<u64>,
}

impl Conn {
    fn new(now: Instant, limits: http::Limits) -> Conn {
        Conn {
            http: http::Connection::new(limits),
            reading: true,
            out: Vec::new(),
            sent: 0,
            last_activity: now,
            request_started: None,
            awaiting: None,
        }
    }

    fn timed_out(&self, now: Instant) -> bool {
        now - self.last_activity > TIMEOUT || self.request_started.is_some_and(|t| now - t > TIMEOUT)
    }
}

/// A request holding more than this may be refused for want of memory; smaller ones never are.
const LARGE_REQUEST: usize = 64 * 1024;

pub struct HttpServer {
    port: u16,
    limits: http::Limits,
    slots: Vec<Slot>,
    /// Bytes read from one socket, handed to its connection.
    received: Vec<u8>,
}

impl HttpServer {
    pub fn new(net: &mut Net, port: u16, limits: http::Limits) -> HttpServer {
        let mut server = HttpServer { port, limits, slots: Vec::new(), received: Vec::with_capacity(SOCKET_BUFFER) };
        let listening = server.add_listeners(net, SPARE_SOCKETS);
        net.admit_syns(port, listening);
        server
    }

    /// Adds up to `count` listening sockets within `MAX_SOCKETS`; returns how many.
    fn add_listeners(&mut self, net: &mut Net, count: usize) -> usize {
        let added = count.min(MAX_SOCKETS - self.slots.len());
        for _ in 0..added {
            let handle = net.listen(self.port, SOCKET_BUFFER);
            self.slots.push(Slot { handle, conn: None });
        }
        added
    }

    /// Advances every connection as far as it can go without waiting for the network. The app
    /// runs while `net` is not borrowed: its KeyValue calls use the network themselves.
    pub fn serve(&mut self, net: &RefCell<Net>, app: &mut dyn Serve) {
        for (id, response) in app.poll() {
            // None: its client went away meanwhile.
            let Some(conn) = self.slots.iter_mut().filter_map(|s| s.conn.as_mut()).find(|c| c.awaiting == Some(id)) else { continue };
            conn.awaiting = None;
            conn.last_activity = net::now();
            conn.request_started = None;
            let open = conn.http.complete(&response, &mut conn.out, |request| start(app, request, &mut conn.awaiting));
            conn.reading &= open;
        }
        let mut listening = 0;
        // Bytes of unfinished requests held by all connections. Bodies are held whole, and serving
        // one takes about three more copies (the app's memory, the Redis command, the response),
        // so all connections together hold at most one request of the largest size: a large
        // request over that share is refused (503, a client may retry) rather than risk a failed
        // allocation, which stops the kernel (two 16 MiB uploads at once did, at 128 MiB).
        let mut held: usize = self.slots.iter().filter_map(|s| s.conn.as_ref()).map(|c| c.http.buffered()).sum();
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
                let conn = slot.conn.get_or_insert_with(|| Conn::new(now, self.limits));
                self.received.clear();
                // A loop: the received bytes may wrap around the socket's ring buffer. Once HTTP
                // said close, what still comes (the rest of a refused body) is read and dropped:
                // left unread, it would close the window before the client's FIN.
                while socket.can_recv() {
                    let _ = socket.recv(|data| {
                        if conn.reading {
                            self.received.extend_from_slice(data);
                        }
                        (data.len(), ())
                    });
                }
                if conn.reading && self.received.is_empty() && !socket.may_recv() {
                    conn.reading = false; // the client hung up; what is pending is still sent
                }
            }
            let conn = slot.conn.as_mut().expect("set above");
            let held_before = conn.http.buffered();
            let holding = held_before + self.received.len();
            let largest = self.limits.max_head + self.limits.max_body;
            if conn.reading && holding > LARGE_REQUEST && held - held_before + holding > largest {
                conn.http.abandon(503, &mut conn.out);
                conn.reading = false;
                app.trace_rejected(503);
                self.received.clear();
            }
            // Answering, with the network free.
            if !self.received.is_empty() {
                conn.last_activity = now;
                conn.request_started.get_or_insert(now);
                let answered_before = conn.out.len();
                conn.reading = conn.http.receive(&self.received, &mut conn.out, |request| start(app, request, &mut conn.awaiting));
                if conn.out.len() > answered_before {
                    conn.request_started = None;
                }
                if let (false, Some(status)) = (conn.reading, conn.http.rejected()) {
                    app.trace_rejected(status);
                }
            }
            held = held - held_before + conn.http.buffered();
            // Out of time: a request cut short is told 408, sent below before the close; a
            // connection with nothing to say (idle, or a client not reading its answer) is dropped.
            let mut net = net.borrow_mut();
            let socket = net.tcp(slot.handle);
            if conn.timed_out(now) {
                if conn.reading && conn.http.abandon(408, &mut conn.out) {
                    conn.reading = false;
                    conn.request_started = None;
                    conn.last_activity = now;
                    app.trace_rejected(408);
                } else {
                    socket.abort();
                    continue;
                }
            }
            // Sending.
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
                if !conn.reading && !conn.http.awaiting() {
                    socket.close();
                }
            }
        }
        // Enough listening for the SYNs the gate holds (a burst of connects under load), at least the spare.
        let mut net = net.borrow_mut();
        let wanted = SPARE_SOCKETS.max(net.held_syns());
        let added = self.add_listeners(&mut net, wanted.saturating_sub(listening));
        net.admit_syns(self.port, listening + added);
    }
}

/// Starts `request` on the app; the id of a response that comes later goes to `awaiting`.
fn start(app: &mut dyn Serve, request: &http::Request, awaiting: &mut Option<u64>) -> http::Reply {
    match app.start(request) {
        Answer::Now(response) => http::Reply::Now(response),
        Answer::Later(id) => {
            *awaiting = Some(id);
            http::Reply::Later
        }
    }
}
