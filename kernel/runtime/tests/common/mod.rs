//! Test helpers shared by the integration tests: a `std` TCP transport for
//! the RESP client (uniwasm-host's own), a `redis-server` child process, an
//! allocator that measures, a fake `wasi` platform, and a tracer that collects lines.
#![allow(dead_code)] // each test crate uses part of this

pub mod counting;
pub mod platform;

use std::cell::RefCell;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// The std transport uniwasm-host runs with, so the tests exercise that very code.
#[path = "../../../hostrun/src/tcp.rs"]
mod tcp;
pub use tcp::StdTcp;

/// The transport to a server on 127.0.0.1:`port`.
pub fn local_tcp(port: u16) -> StdTcp {
    StdTcp::new(SocketAddr::from(([127, 0, 0, 1], port)))
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


/// A tracer that collects its lines, its clock at 0.
pub struct Lines(pub Rc<RefCell<Vec<String>>>);

impl uniwasm_runtime::trace::Tracer for Lines {
    fn emit(&mut self, line: &str) {
        self.0.borrow_mut().push(line.to_string());
    }
    fn now_us(&self) -> u64 {
        0
    }
}
