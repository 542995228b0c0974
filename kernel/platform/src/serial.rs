//! The serial console (COM1) and the logger behind the `log` macros.
//!
//! Each record is one line: `[    0.012345] INFO  message` (seconds since boot, level padded to 5).
//! Records from other crates (virtio-drivers, …) carry their module path, `DEBUG virtio_drivers::…: message`,
//! and their `info` records count as `debug`.

use core::fmt::{self, Write};

use crate::{clock, cpu};

const COM1: u16 = 0x3f8;
const LINE_STATUS: u16 = COM1 + 5;
const TRANSMIT_EMPTY: u8 = 1 << 5;

struct Serial;

impl Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            // QEMU's UART is ready at once; without a UART the port reads 0xff, so this never spins.
            while cpu::inb(LINE_STATUS) & TRANSMIT_EMPTY == 0 {}
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
