//! Ending QEMU with a status through `isa-debug-exit` (iobase 0xf4): QEMU exits with
//! `(value << 1) | 1`, so a kernel can never produce 0. Without the device, the CPU halts.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::cpu;

const DEBUG_EXIT_PORT: u16 = 0xf4;

/// Why the kernel stops; the QEMU exit status is documented in kernel/README.md.
#[derive(Clone, Copy)]
pub enum Exit {
    /// QEMU status 1: `probe=1` reached the end of the early boot.
    ProbeOk = 0,
    /// QEMU status 3: bad command line, missing or invalid app module, no network device, ….
    BootFailed = 1,
    /// QEMU status 5: a panic or CPU exception (a kernel bug).
    Panic = 2,
}

pub fn exit(why: Exit) -> ! {
    cpu::outl(DEBUG_EXIT_PORT, why as u32);
    cpu::halt_forever()
}

/// Prints `boot failed: <reason>` and ends QEMU with status 3.
pub fn boot_failed(reason: impl core::fmt::Display) -> ! {
    log::error!("boot failed: {reason}");
    exit(Exit::BootFailed)
}

static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // A panic while reporting a panic (say, in the console) must not recurse.
    if !PANICKING.swap(true, Ordering::Relaxed) {
        match info.location() {
            Some(at) => log::error!("panic at {}:{}:{}: {}", at.file(), at.line(), at.column(), info.message()),
            None => log::error!("panic: {}", info.message()),
        }
    }
    exit(Exit::Panic)
}
