//! A `wasi` platform for host tests: a real monotonic clock, a fixed wall clock, seeded
//! randomness, a console the test reads, and no network.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;
use uniwasm_runtime::wasi::{ClientError, ClientRequest, ClientResponse, Platform};

pub struct FakePlatform {
    started: Instant,
    console: Rc<RefCell<Vec<u8>>>,
    seed: u64,
}

impl FakePlatform {
    /// A platform writing the component's stdout and stderr to `console`.
    pub fn new(console: Rc<RefCell<Vec<u8>>>) -> FakePlatform {
        FakePlatform { started: Instant::now(), console, seed: 7 }
    }
}

impl Platform for FakePlatform {
    fn monotonic_ns(&self) -> u64 {
        self.started.elapsed().as_nanos() as u64
    }
    fn wall_clock(&self) -> (u64, u32) {
        (1_700_000_000, 0)
    }
    fn random(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.seed = self.seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            *b = (self.seed >> 33) as u8;
        }
    }
    fn console(&mut self, _stderr: bool, bytes: &[u8]) {
        self.console.borrow_mut().extend_from_slice(bytes);
    }
    fn wait_until(&mut self, deadline_ns: u64) {
        while self.monotonic_ns() < deadline_ns {
            std::hint::spin_loop();
        }
    }
    fn send(&mut self, _: ClientRequest) -> Result<ClientResponse, ClientError> {
        Err(ClientError::ConnectionRefused)
    }
}
