//! The runtime's Redis client over smoltcp: a non-blocking [`Socket`] on the poll loop's network.
//! A KeyValue call in a handler only queues its command; the poll loop moves it on and resumes
//! the handler when the reply is in (runtime `resp::Queued`), serving other requests meanwhile.
//! Only `wait` runs the network itself, for calls that cannot be suspended (`init`'s).

use alloc::format;
use alloc::rc::Rc;
use core::cell::RefCell;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State as TcpState;
use uniwasm_runtime::cmdline::RedisSettings;
use uniwasm_runtime::resp::{self, IoError, Socket};

use crate::clock;
use crate::net::Net;

pub struct SmolTcp {
    net: Rc<RefCell<Net>>,
    addr: [u8; 4],
    port: u16,
    socket: Option<SocketHandle>,
}

/// The client for the Redis of the command line, AUTH included.
pub fn client(net: Rc<RefCell<Net>>, settings: &RedisSettings) -> resp::Queued<SmolTcp> {
    let socket = SmolTcp { net, addr: settings.addr, port: settings.port, socket: None };
    let config = resp::Config { password: settings.password.clone(), username: settings.user.clone(), ..resp::Config::default() };
    resp::Queued::new(socket, config)
}

impl SmolTcp {
    fn handle(&self) -> Result<SocketHandle, IoError> {
        self.socket.ok_or_else(|| IoError::Failed("not connected".into()))
    }
}

impl Socket for SmolTcp {
    fn connect(&mut self) -> Result<(), IoError> {
        self.close();
        let handle = self.net.borrow_mut().connect(self.addr, self.port).map_err(|e| IoError::Failed(format!("{e}")))?;
        self.socket = Some(handle);
        Ok(())
    }

    fn connected(&mut self) -> Option<Result<(), IoError>> {
        let Ok(handle) = self.handle() else { return Some(Err(IoError::Failed("not connected".into()))) };
        match self.net.borrow_mut().tcp(handle).state() {
            TcpState::Established => Some(Ok(())),
            TcpState::SynSent | TcpState::SynReceived => None,
            _ => Some(Err(IoError::Failed("connection refused".into()))),
        }
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, IoError> {
        let handle = self.handle()?;
        let mut net = self.net.borrow_mut();
        let socket = net.tcp(handle);
        if !socket.may_send() {
            return Err(IoError::Failed("connection closed".into()));
        }
        let sent = socket.send_slice(data).unwrap_or(0);
        net.poll(); // sends it now, not at the loop's next round
        Ok(sent)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>, IoError> {
        let handle = self.handle()?;
        let mut net = self.net.borrow_mut();
        let socket = net.tcp(handle);
        if socket.can_recv() {
            socket.recv_slice(buf).map(Some).map_err(|e| IoError::Failed(format!("{e}")))
        } else if !socket.may_recv() {
            Ok(Some(0)) // the server closed its side
        } else {
            Ok(None)
        }
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

    fn wait(&mut self) {
        let mut net = self.net.borrow_mut();
        net.poll();
        net.wait();
        net.poll();
    }
}
