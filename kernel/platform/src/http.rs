//! The HTTP listener: a pool of TCP sockets on one port, each answering any request with a
//! fixed page once the request's headers are complete (they may arrive in pieces).

use alloc::format;
use alloc::vec::Vec;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State as TcpState;
use smoltcp::time::{Duration, Instant};

use crate::net::{self, Net};

/// How many clients can be connected at once (each is one socket): smoltcp has no accept
/// backlog, so a client finding no listening socket gets a reset.
const MAX_SOCKETS: usize = 64;
/// Sockets kept listening: the pool starts with these (boot time matters) and grows while
/// fewer listen, up to `MAX_SOCKETS`.
const SPARE_SOCKETS: usize = 16;
/// Receive and send buffer of each socket: requests are read as they come and replies are
/// sent piecewise, so this only bounds the bytes in flight.
const SOCKET_BUFFER: usize = 4096;
/// Requests with larger headers get a 431 answer.
const MAX_REQUEST: usize = 8 * 1024;
/// A connection may last this long, from accept to close.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, PartialEq)]
enum Reply {
    Page,
    TooLarge,
}

#[derive(Clone, Copy)]
enum State {
    /// Listening, no client yet.
    Idle,
    /// Reading the request, connected since the given time.
    Reading(Instant),
    /// Sending a reply; bytes sent so far.
    Replying(Instant, Reply, usize),
    /// Reply sent and FIN queued: waiting for the connection to end.
    Done(Instant),
}

struct Connection {
    handle: SocketHandle,
    request: Vec<u8>,
    state: State,
}

pub struct HttpServer {
    port: u16,
    connections: Vec<Connection>,
    page: Vec<u8>,
    too_large: Vec<u8>,
}

fn response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl HttpServer {
    /// Listens on `port` and answers every request with `body` (200, text/plain).
    pub fn new(net: &mut Net, port: u16, body: &str) -> HttpServer {
        let mut server = HttpServer {
            port,
            connections: Vec::new(),
            page: response("200 OK", body),
            too_large: response("431 Request Header Fields Too Large", "request too large\n"),
        };
        server.add_listeners(net, SPARE_SOCKETS);
        server
    }

    fn add_listeners(&mut self, net: &mut Net, count: usize) {
        for _ in 0..count.min(MAX_SOCKETS - self.connections.len()) {
            let handle = net.listen(self.port, SOCKET_BUFFER);
            self.connections.push(Connection { handle, request: Vec::new(), state: State::Idle });
        }
    }

    /// Advances every connection as far as it can go without blocking.
    pub fn serve(&mut self, net: &mut Net) {
        let now = net::now();
        let mut listening = 0;
        for conn in &mut self.connections {
            let socket = net.tcp(conn.handle);
            if !socket.is_open() {
                // Closed, or TIME-WAIT after our FIN: listen again at once (the peer has its
                // answer; keeping TIME-WAIT would starve the pool under load).
                conn.state = State::Idle;
                conn.request.clear();
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
            if let State::Idle = conn.state {
                conn.state = State::Reading(now);
            }
            if let State::Reading(since) = conn.state {
                // A loop: the received bytes may wrap around the socket's ring buffer.
                while socket.can_recv() && conn.request.len() < MAX_REQUEST {
                    let room = MAX_REQUEST - conn.request.len();
                    let _ = socket.recv(|data| {
                        let n = data.len().min(room);
                        conn.request.extend_from_slice(&data[..n]);
                        (n, ())
                    });
                }
                if headers_complete(&conn.request) {
                    conn.state = State::Replying(since, Reply::Page, 0);
                } else if conn.request.len() >= MAX_REQUEST {
                    conn.state = State::Replying(since, Reply::TooLarge, 0);
                } else if !socket.may_recv() {
                    socket.abort(); // the client hung up before finishing its request
                    continue;
                }
            }
            if let State::Replying(since, reply, sent) = conn.state {
                let bytes = if reply == Reply::Page { &self.page } else { &self.too_large };
                let sent = sent + socket.send_slice(&bytes[sent..]).unwrap_or(0);
                if sent == bytes.len() {
                    socket.close();
                    conn.state = State::Done(since);
                } else {
                    conn.state = State::Replying(since, reply, sent);
                }
            }
            let (State::Reading(since) | State::Replying(since, ..) | State::Done(since)) = conn.state else { continue };
            if now - since > CONNECTION_TIMEOUT {
                socket.abort(); // a stalled or silent client must not hold a socket forever
            }
        }
        self.add_listeners(net, SPARE_SOCKETS.saturating_sub(listening));
    }
}

fn headers_complete(request: &[u8]) -> bool {
    request.windows(4).any(|w| w == b"\r\n\r\n")
}
