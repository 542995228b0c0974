//! What the WASI host asks of this machine: the TSC clock, the wall clock from the host's
//! `epoch=`, random bytes, the console for the component's stdout and stderr, timers that sleep
//! between network polls, and outgoing HTTP.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use uniwasm_runtime::wasi::{ClientError, ClientRequest, ClientResponse, Platform};

use crate::net::Net;
use crate::random::Random;
use crate::{apic, clock, http_client};

/// A line longer than this is logged in pieces.
const MAX_LINE: usize = 4096;

pub struct KernelWasi {
    net: Rc<RefCell<Net>>,
    random: Random,
    /// The Unix time at boot, in nanoseconds (0 when the host did not say).
    epoch_ns: u64,
    /// What stdout and stderr wrote after their last newline.
    partial: [Vec<u8>; 2],
}

impl KernelWasi {
    pub fn new(net: Rc<RefCell<Net>>, random: Random, epoch: Option<u64>) -> KernelWasi {
        KernelWasi { net, random, epoch_ns: epoch.unwrap_or(0).saturating_mul(1_000_000_000), partial: [Vec::new(), Vec::new()] }
    }
}

fn log_line(stderr: bool, line: &[u8]) {
    let text = String::from_utf8_lossy(line);
    log::info!("app {}: {}", if stderr { "stderr" } else { "stdout" }, text.trim_end_matches('\r'));
}

impl Platform for KernelWasi {
    fn monotonic_ns(&self) -> u64 {
        clock::since_boot_us().saturating_mul(1000)
    }

    fn wall_clock(&self) -> (u64, u32) {
        let ns = self.epoch_ns.saturating_add(self.monotonic_ns());
        (ns / 1_000_000_000, (ns % 1_000_000_000) as u32)
    }

    fn random(&mut self, buf: &mut [u8]) {
        self.random.fill(buf);
    }

    /// Console lines, whole: the component's writes are joined up to each newline.
    fn console(&mut self, stderr: bool, bytes: &[u8]) {
        let partial = &mut self.partial[usize::from(stderr)];
        partial.extend_from_slice(bytes);
        while let Some(end) = partial.iter().position(|&b| b == b'\n').or((partial.len() > MAX_LINE).then_some(MAX_LINE)) {
            log_line(stderr, &partial[..end]);
            partial.drain(..(end + 1).min(partial.len()));
        }
    }

    fn wait_until(&mut self, deadline_ns: u64) {
        loop {
            let now = self.monotonic_ns();
            if now >= deadline_ns {
                return;
            }
            self.net.borrow_mut().poll();
            apic::sleep(((deadline_ns - now) / 1000).clamp(1, 10_000));
        }
    }

    fn send(&mut self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        http_client::send(&self.net, &request)
    }
}
