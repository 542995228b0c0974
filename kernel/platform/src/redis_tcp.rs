//! The runtime's Redis client over smoltcp: a blocking [`Transport`] that runs the network
//! (poll, sleep) until its socket can go on. A KeyValue call therefore holds up the poll loop for
//! its round trip; frames for other sockets are still moved meanwhile, and served afterwards.

use alloc::format;
use alloc::rc::Rc;
use core::cell::RefCell;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State as TcpState;
use uniwasm_runtime::cmdline::RedisSettings;
use uniwasm_runtime::resp::{self, IoError, Transport};

use crate::clock;
use crate::net::Net;

pub struct SmolTcp {
    net: Rc<RefCell<Net>>,
    addr: [u8; 4],
    port: u16,
    socket: Option<SocketHandle>,
}

/// The client for the Redis of the command line, AUTH included.
pub fn client(net: Rc<RefCell<Net>>, settings: &RedisSettings) -> resp::Client<SmolTcp> {
    let transport = SmolTcp { net, addr: settings.addr, port: settings.port, socket: None };
    let config = resp::Config { password: settings.password.clone(), username: settings.user.clone(), ..resp::Config::default() };
    resp::Client::new(transport, config)
}

impl SmolTcp {
    /// Runs the network until `ready` says the socket can go on (Some) or the deadline passes.
    fn run_until<R>(&mut self, deadline: u64, mut ready: impl FnMut(&mut Net, SocketHandle) -> Option<Result<R, IoError>>) -> Result<R, IoError> {
        let handle = self.socket.ok_or_else(|| IoError::Failed("not connected".into()))?;
        loop {
            let mut net = self.net.borrow_mut();
            net.poll();
            if let Some(result) = ready(&mut net, handle) {
                net.poll(); // sends what `ready` queued without waiting for the next round
                return result;
            }
            if self.now_ms() >= deadline {
                return Err(IoError::TimedOut);
            }
            net.wait();
        }
    }
}

impl Transport for SmolTcp {
    fn connect(&mut self, deadline: u64) -> Result<(), IoError> {
        self.close();
        let handle = self.net.borrow_mut().connect(self.addr, self.port).map_err(|e| IoError::Failed(format!("{e}")))?;
        self.socket = Some(handle);
        let result = self.run_until(deadline, |net, handle| match net.tcp(handle).state() {
            TcpState::Established => Some(Ok(())),
            TcpState::SynSent | TcpState::SynReceived => None,
            _ => Some(Err(IoError::Failed("connection refused".into()))),
        });
        if result.is_err() {
            self.close();
        }
        result
    }

    fn send(&mut self, data: &[u8], deadline: u64) -> Result<(), IoError> {
        let mut sent = 0;
        self.run_until(deadline, |net, handle| {
            let socket = net.tcp(handle);
            if !socket.may_send() {
                return Some(Err(IoError::Failed("connection closed".into())));
            }
            sent += socket.send_slice(&data[sent..]).unwrap_or(0);
            (sent == data.len()).then_some(Ok(()))
        })
    }

    fn recv(&mut self, buf: &mut [u8], deadline: u64) -> Result<usize, IoError> {
        self.run_until(deadline, |net, handle| {
            let socket = net.tcp(handle);
            if socket.can_recv() {
                Some(socket.recv_slice(buf).map_err(|e| IoError::Failed(format!("{e}"))))
            } else if !socket.may_recv() {
                Some(Ok(0)) // the server closed its side
            } else {
                None
            }
        })
    }

    fn close(&mut self) {
        if let Some(handle) = self.socket.take() {
            let mut net = self.net.borrow_mut();
            net.tcp(handle).abort();
            net.poll(); // sends the RST, so the server forgets the connection now
            net.remove(handle);
        }
    }

    fn now_ms(&self) -> u64 {
        clock::since_boot_us() / 1000
    }
}
