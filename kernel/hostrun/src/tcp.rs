//! A blocking `std` TCP transport for the runtime's Redis client. The client calls it from inside
//! a request handler, so a KeyValue call blocks the poll loop for its round trip, as in the kernel.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use uniwasm_runtime::resp::{IoError, Transport};

/// Connects to `addr`; deadlines are milliseconds since the transport was made.
pub struct StdTcp {
    addr: SocketAddr,
    epoch: Instant,
    stream: Option<TcpStream>,
}

impl StdTcp {
    pub fn new(addr: SocketAddr) -> Self {
        StdTcp { addr, epoch: Instant::now(), stream: None }
    }

    /// Time left until `deadline`, or a timeout if it has passed.
    fn left(&self, deadline: u64) -> Result<Duration, IoError> {
        match deadline.checked_sub(self.now_ms()) {
            Some(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(IoError::TimedOut),
        }
    }

    fn stream(&mut self) -> Result<&mut TcpStream, IoError> {
        self.stream.as_mut().ok_or_else(|| IoError::Failed("not connected".into()))
    }
}

fn io(e: std::io::Error) -> IoError {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => IoError::TimedOut,
        _ => IoError::Failed(e.to_string()),
    }
}

impl Transport for StdTcp {
    fn connect(&mut self, deadline: u64) -> Result<(), IoError> {
        let stream = TcpStream::connect_timeout(&self.addr, self.left(deadline)?).map_err(io)?;
        // Each command is one write answered by one reply: never hold it back for coalescing.
        stream.set_nodelay(true).map_err(io)?;
        self.stream = Some(stream);
        Ok(())
    }

    fn send(&mut self, data: &[u8], deadline: u64) -> Result<(), IoError> {
        let left = self.left(deadline)?;
        let stream = self.stream()?;
        stream.set_write_timeout(Some(left)).map_err(io)?;
        stream.write_all(data).map_err(io)
    }

    fn recv(&mut self, buf: &mut [u8], deadline: u64) -> Result<usize, IoError> {
        let left = self.left(deadline)?;
        let stream = self.stream()?;
        stream.set_read_timeout(Some(left)).map_err(io)?;
        stream.read(buf).map_err(io)
    }

    fn close(&mut self) {
        self.stream = None;
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}
