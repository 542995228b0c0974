//! Outgoing HTTP for `wasi:http/outgoing-handler`: resolve the name, connect, write the request and
//! read the response with the runtime's codec (`uniwasm_runtime::http_client`). Blocking like
//! redis_tcp.rs: the component's `get` runs the network until its exchange is over.

use alloc::format;
use alloc::vec::Vec;
use core::cell::RefCell;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State as TcpState;
use uniwasm_runtime::http_client::{write_request, Host, Limits, ResponseReader, Target};
use uniwasm_runtime::wasi::{ClientError, ClientRequest, ClientResponse};

use crate::clock;
use crate::net::{ConnectError, Lookup, Net};

/// When the component sets no `connect-timeout`: for the name lookup and the TCP handshake.
const DEFAULT_CONNECT_TIMEOUT_NS: u64 = 10_000_000_000;
/// When the component sets no `first-byte-timeout`: from the connection to the response's first
/// byte. It also bounds each wait for more bytes after that.
const DEFAULT_FIRST_BYTE_TIMEOUT_NS: u64 = 30_000_000_000;

fn now_ns() -> u64 {
    clock::since_boot_us().saturating_mul(1000)
}

/// Sends `request` and returns its whole response.
pub fn send(net: &RefCell<Net>, request: &ClientRequest) -> Result<ClientResponse, ClientError> {
    let result = fetch(net, request);
    let (method, authority, path) = (&request.method, &request.authority, &request.path_with_query);
    match &result {
        Ok(response) => log::debug!("http out: {method} {authority}{path} -> {}, {} bytes", response.status, response.body.len()),
        Err(e) => log::debug!("http out: {method} {authority}{path} -> {e:?}"),
    }
    result
}

fn fetch(net: &RefCell<Net>, request: &ClientRequest) -> Result<ClientResponse, ClientError> {
    let target = Target::parse(&request.authority)?;
    let mut bytes = Vec::new();
    write_request(request, &mut bytes)?;
    let connect_deadline = now_ns().saturating_add(request.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT_NS));
    let addr = match &target.host {
        Host::Ipv4(addr) => *addr,
        Host::Name(name) => resolve(net, name, connect_deadline)?,
    };
    let handle = net.borrow_mut().connect(addr, target.port).map_err(|e| match e {
        ConnectError::NoAddress => ClientError::Internal("the kernel has no network address yet".into()),
        ConnectError::Refused(e) => ClientError::Internal(format!("cannot connect: {e}")),
    })?;
    // The deadlines here bound every wait; smoltcp's own timeout would end a slow handshake early,
    // which would read as a refusal.
    net.borrow_mut().tcp(handle).set_timeout(None);
    let exchange = Exchange {
        handle,
        request: &bytes,
        sent: 0,
        reader: ResponseReader::new(&request.method, Limits::default()),
        connect_deadline,
        idle_timeout: request.first_byte_timeout.unwrap_or(DEFAULT_FIRST_BYTE_TIMEOUT_NS),
        read_deadline: None,
    };
    let result = exchange.run(net);
    // The response is whole (or given up on): a reset frees both ends at once.
    let mut net = net.borrow_mut();
    net.tcp(handle).abort();
    net.poll();
    net.remove(handle);
    result
}

/// Looks `name` up through the network's DNS server.
fn resolve(net: &RefCell<Net>, name: &str, deadline: u64) -> Result<[u8; 4], ClientError> {
    let query = net.borrow_mut().start_lookup(name).ok_or(ClientError::Dns(None))?;
    loop {
        let mut net = net.borrow_mut();
        net.poll();
        match net.lookup(query) {
            Lookup::Found(addr) => return Ok(addr),
            // smoltcp does not say why (no such name, no address, no answer): no rcode to give.
            Lookup::Failed => return Err(ClientError::Dns(None)),
            // Out of time before the name resolved: a DNS failure too (wasi:http's DNS-timeout
            // has no ClientError case yet).
            Lookup::Pending if now_ns() >= deadline => {
                net.cancel_lookup(query);
                return Err(ClientError::Dns(None));
            }
            Lookup::Pending => net.wait(),
        }
    }
}

/// One request and its response on a connection being made.
struct Exchange<'a> {
    handle: SocketHandle,
    request: &'a [u8],
    sent: usize,
    reader: ResponseReader,
    connect_deadline: u64,
    /// The longest wait for the first byte of the response, and for each later read.
    idle_timeout: u64,
    /// Set once connected: when the next byte must have arrived.
    read_deadline: Option<u64>,
}

/// Where an exchange stands after a step.
enum Step {
    Wait,
    /// The response is whole, or the server closed its side after what it sent.
    Ended,
    /// The connection was reset (or given up by smoltcp) after it was made.
    Reset,
}

impl Exchange<'_> {
    /// Runs the network until the response is whole or the exchange fails.
    fn run(mut self, net: &RefCell<Net>) -> Result<ClientResponse, ClientError> {
        loop {
            let mut net = net.borrow_mut();
            net.poll();
            match self.step(&mut net)? {
                Step::Ended => return self.reader.finish(),
                Step::Reset => return Err(self.reader.cut_short()),
                Step::Wait => {}
            }
            net.poll(); // sends what `step` queued without waiting for the next round
            if now_ns() >= self.read_deadline.unwrap_or(self.connect_deadline) {
                return Err(ClientError::ConnectionTimeout);
            }
            net.wait();
        }
    }

    /// Moves the exchange on as far as the socket allows.
    fn step(&mut self, net: &mut Net) -> Result<Step, ClientError> {
        let socket = net.tcp(self.handle);
        if self.read_deadline.is_none() {
            match socket.state() {
                TcpState::SynSent | TcpState::SynReceived => return Ok(Step::Wait),
                // The server (or QEMU for it) answered the SYN with a reset.
                TcpState::Closed => return Err(ClientError::ConnectionRefused),
                _ => self.read_deadline = Some(now_ns().saturating_add(self.idle_timeout)),
            }
        }
        // A server may answer before it has read the whole request, and stop reading: from then
        // on only its answer matters.
        if self.sent < self.request.len() && socket.may_send() {
            self.sent += socket.send_slice(&self.request[self.sent..]).unwrap_or(0);
        }
        let mut received = false;
        while socket.can_recv() {
            let reader = &mut self.reader;
            socket.recv(|data| (data.len(), reader.push(data))).map_err(|e| ClientError::Internal(format!("{e}")))??;
            received = true;
        }
        if received {
            self.read_deadline = Some(now_ns().saturating_add(self.idle_timeout));
        }
        if self.reader.done() {
            return Ok(Step::Ended);
        }
        Ok(match socket.state() {
            TcpState::CloseWait | TcpState::LastAck | TcpState::Closing | TcpState::TimeWait => Step::Ended,
            TcpState::Closed => Step::Reset,
            _ => Step::Wait,
        })
    }
}
