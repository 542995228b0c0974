//! The kernel's half of Wasm-level debugging (docs/DEBUGGING.md, "Wasm level"): the mailbox at
//! the symbol `UNIWASM_DEBUG` and the function `uniwasm_debug_trap`, which the debugger finds in
//! this ELF's symbol table. The logic (set-up, probe, stops) is the runtime's `debug` module.

use core::ptr::addr_of_mut;

use uniwasm_runtime::debug::{DebugMailbox, DebugPort};

/// Read and written by the debugger through the gdbstub while the guest is stopped; `magic`
/// stays 0 unless the command line has `wasm_debug=N`.
#[no_mangle]
static mut UNIWASM_DEBUG: DebugMailbox = DebugMailbox::new();

/// The one place the debugger breaks on (a hardware breakpoint) for every Wasm stop.
#[no_mangle]
#[inline(never)]
extern "C" fn uniwasm_debug_trap() {
    // SAFETY: an empty instruction sequence. Without `nomem` the compiler must assume it reads
    // and writes any memory, so the call is never removed and nothing of the mailbox is cached
    // across it (the debugger changes the mailbox during the stop).
    unsafe { core::arch::asm!("", options(nostack, preserves_flags)) };
}

/// The runtime's handle on the mailbox and the trap, for a module with `site_count` probe sites
/// (`wasm_debug=N`); the runtime sets the mailbox up when it loads the app and stops once, with
/// reason "ready", before any Wasm runs.
pub fn port(site_count: u32) -> DebugPort {
    // Only the address is taken: from here on the runtime reaches the static through this pointer
    // alone (volatile, one vCPU), and the debugger only while the guest is stopped.
    let mailbox = addr_of_mut!(UNIWASM_DEBUG);
    log::info!("wasm debugging: {site_count} probe sites, mailbox at {mailbox:p}");
    DebugPort { mailbox, trap: uniwasm_debug_trap, site_count }
}
