//! Test helpers shared by the integration tests: a `std` TCP transport for
//! the RESP client and a `redis-server` child process.
#![allow(dead_code)] // each test crate uses part of this

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uniwasm_runtime::resp::{IoError, Transport};

/// A `std` TCP transport; deadlines are milliseconds since `epoch`.
pub struct StdTcp {
    addr: SocketAddr,
    epoch: Instant,
    stream: Option<TcpStream>,
}

impl StdTcp {
    pub fn new(port: u16) -> Self {
        StdTcp { addr: SocketAddr::from(([127, 0, 0, 1], port)), epoch: Instant::now(), stream: None }
    }
    /// Time left until `deadline`, or a timeout error if it has passed.
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
        self.stream = Some(TcpStream::connect_timeout(&self.addr, self.left(deadline)?).map_err(io)?);
        Ok(())
    }
    fn send(&mut self, data: &[u8], deadline: u64) -> Result<(), IoError> {
        let left = self.left(deadline)?;
        let s = self.stream()?;
        s.set_write_timeout(Some(left)).map_err(io)?;
        s.write_all(data).map_err(io)
    }
    fn recv(&mut self, buf: &mut [u8], deadline: u64) -> Result<usize, IoError> {
        let left = self.left(deadline)?;
        let s = self.stream()?;
        s.set_read_timeout(Some(left)).map_err(io)?;
        s.read(buf).map_err(io)
    }
    fn close(&mut self) {
        self.stream = None;
    }
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

/// A `redis-server` child, stopped on drop.
pub struct Redis {
    child: Child,
    pub port: u16,
}

impl Redis {
    pub fn start(extra: &[&str]) -> Redis {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Redis::start_on(port, extra)
    }
    pub fn start_on(port: u16, extra: &[&str]) -> Redis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis { child, port }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

