//! The poll loop: one thread, non-blocking sockets, sleeping in epoll until one is ready.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use uniwasm_runtime::host::App;
use uniwasm_runtime::http;

const LISTENER: Token = Token(usize::MAX);

/// One accepted connection.
struct Client {
    stream: TcpStream,
    http: http::Connection,
    /// Responses not yet written, from `sent` on.
    out: Vec<u8>,
    sent: usize,
    /// False once the request stream has ended (the peer closed, or HTTP said so); the socket
    /// closes when `out` has been written.
    open: bool,
}

impl Client {
    /// Reads and answers whatever is available, then writes what it can. Edge-triggered readiness
    /// means reading and writing until the socket would block. Returns whether to keep the socket.
    fn step(&mut self, app: &mut App, buf: &mut [u8]) -> io::Result<bool> {
        while self.open {
            match self.stream.read(buf) {
                Ok(0) => self.open = false,
                Ok(n) => self.open = self.http.receive(&buf[..n], &mut self.out, |request| app.handle(request)),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        while self.sent < self.out.len() {
            match self.stream.write(&self.out[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
        Ok(self.open || !self.out.is_empty())
    }
}

/// Serves HTTP on `addr` with `app` until an error of the listener or of epoll.
pub fn serve(addr: SocketAddr, app: &mut App) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(addr)?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
    eprintln!("uniwasm-host: listening on {}", listener.local_addr()?);

    let mut clients: HashMap<Token, Client> = HashMap::new();
    let mut next_token = 0usize;
    let mut events = Events::with_capacity(256);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in &events {
            if event.token() == LISTENER {
                loop {
                    let (mut stream, _) = match listener.accept() {
                        Ok(accepted) => accepted,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        // A peer that gave up before we accepted it: take the next one.
                        Err(e) if matches!(e.kind(), ErrorKind::ConnectionAborted | ErrorKind::Interrupted) => continue,
                        // Out of descriptors or memory: must not stop the server; the next
                        // readiness event of the listener tries again.
                        Err(_) => break,
                    };
                    // A response is written whole; holding it back for coalescing only adds latency.
                    let _ = stream.set_nodelay(true);
                    let token = Token(next_token);
                    next_token += 1; // 2^64 accepts never come, so no token reaches LISTENER
                    if poll.registry().register(&mut stream, token, Interest::READABLE | Interest::WRITABLE).is_err() {
                        continue; // epoll is out of memory: refuse this client, keep serving the others
                    }
                    let http = http::Connection::new(http::Limits::default());
                    clients.insert(token, Client { stream, http, out: Vec::new(), sent: 0, open: true });
                }
                continue;
            }
            let Some(client) = clients.get_mut(&event.token()) else { continue };
            // A failed socket (reset by the peer, …) ends only its own connection.
            if !client.step(app, &mut buf).unwrap_or(false) {
                let mut client = clients.remove(&event.token()).expect("present above");
                let _ = poll.registry().deregister(&mut client.stream);
            }
        }
    }
}
