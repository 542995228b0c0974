//! The serial ports: the console (COM1) and the logger behind the `log` macros, and the trace
//! port (COM2, see trace.rs).
//!
//! Each record is one line: `[    0.012345] INFO  message` (seconds since boot, level padded to 5).
//! Records from other crates (virtio-drivers, …) carry their module path, `DEBUG virtio_drivers::…: message`,
//! and their `info` records count as `debug`.

use core::fmt::{self, Write};

use crate::{clock, cpu};

const COM1: u16 = 0x3f8;
pub const COM2: u16 = 0x2f8;
const FIFO_CONTROL: u16 = 2;
const LINE_STATUS: u16 = 5;
const SCRATCH: u16 = 7;
const TRANSMIT_EMPTY: u8 = 1 << 5;
/// Bytes the 16550's transmit FIFO holds.
const FIFO_BYTES: usize = 16;

/// A 16550 UART at an I/O base.
#[derive(Clone, Copy)]
pub struct Uart(pub u16);

impl Uart {
    /// Whether a UART answers at this base: its scratch register keeps what is written to it
    /// (without a device, the port reads 0xff).
    pub fn present(self) -> bool {
        [0x5a, 0xa5].into_iter().all(|probe| {
            cpu::outb(self.0 + SCRATCH, probe);
            cpu::inb(self.0 + SCRATCH) == probe
        })
    }

    /// Turns the transmit FIFO on (and empties it), so that `write_within` can write 16 bytes
    /// per look at the line status: under TCG each port access is an exit to QEMU.
    pub fn enable_fifo(self) {
        cpu::outb(self.0 + FIFO_CONTROL, 0x07);
    }

    /// Whether the transmit FIFO is empty.
    pub fn ready(self) -> bool {
        cpu::inb(self.0 + LINE_STATUS) & TRANSMIT_EMPTY != 0
    }

    /// Writes `bytes` (FIFO on), waiting at most `timeout_us` for the FIFO to empty before each
    /// 16 of them; false if it timed out (the rest is not written).
    pub fn write_within(self, bytes: &[u8], timeout_us: u64) -> bool {
        for chunk in bytes.chunks(FIFO_BYTES) {
            if !self.ready() {
                let since = clock::since_boot_us();
                while !self.ready() {
                    if clock::since_boot_us() - since > timeout_us {
                        return false;
                    }
                }
            }
            for &byte in chunk {
                cpu::outb(self.0, byte);
            }
        }
        true
    }
}

struct Serial;

impl Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            // QEMU's UART is ready at once; without a UART the port reads 0xff, so this never spins.
            while cpu::inb(COM1 + LINE_STATUS) & TRANSMIT_EMPTY == 0 {}
            cpu::outb(COM1, byte);
        }
        Ok(())
    }
}

struct Console;

fn is_ours(target: &str) -> bool {
    target.starts_with(env!("CARGO_CRATE_NAME"))
}

impl log::Log for Console {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        // Other crates' `info` is detail for us (virtio-drivers' feature negotiation, …).
        let level = match metadata.level() {
            log::Level::Info if !is_ours(metadata.target()) => log::Level::Debug,
            level => level,
        };
        level <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let us = clock::since_boot_us();
        let mut out = Serial;
        let _ = write!(out, "[{:5}.{:06}] {:<5} ", us / 1_000_000, us % 1_000_000, record.level());
        if !is_ours(record.target()) {
            let _ = write!(out, "{}: ", record.target());
        }
        let _ = writeln!(out, "{}", record.args());
    }

    fn flush(&self) {}
}

static CONSOLE: Console = Console;

/// Installs the console as the logger, at level `info` until the command line says otherwise.
pub fn init() {
    // set_logger only fails if called twice; boot calls this once.
    let _ = log::set_logger(&CONSOLE);
    log::set_max_level(log::LevelFilter::Info);
}
