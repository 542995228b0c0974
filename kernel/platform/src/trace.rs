//! The trace port: the events of docs/TRACE.md, one JSON line each, on COM2, which the host
//! connects to a socket of its own (an `isa-serial` device at 0x2f8 on a socket chardev). Without a COM2 nothing is traced and
//! nothing is spent on it: the app runs with no tracer.

use alloc::boxed::Box;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use uniwasm_runtime::trace::{Event, Tracer, VERSION};

use crate::serial::{Uart, COM2};
use crate::{clock, memory};

const PORT: Uart = Uart(COM2);
/// A host that stops reading for this long is not waited for: events are dropped (and counted)
/// until it reads again, and serving goes on at full speed meanwhile. One second, not less: a
/// loaded host (the extension host busy, both cores taken) can leave the socket unread for some
/// hundreds of milliseconds, and the views must not lose requests to that.
const STALL_US: u64 = 1_000_000;
/// How often the heap is reported.
const HEAP_EVERY_US: u64 = 1_000_000;

static ON: AtomicBool = AtomicBool::new(false);
/// Events dropped since the host stopped reading; 0 while it reads.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Writes trace lines to COM2.
pub struct PortTracer;

impl Tracer for PortTracer {
    fn emit(&mut self, line: &str) {
        if !ON.load(Ordering::Relaxed) {
            return;
        }
        let dropped = DROPPED.load(Ordering::Relaxed);
        if dropped > 0 {
            if !PORT.ready() {
                DROPPED.store(dropped + 1, Ordering::Relaxed); // still stalled: no waiting
                return;
            }
            // The host reads again. The newline ends the line cut by the stall (the host reports
            // it as malformed and goes on).
            log::warn!("trace: the host reads the trace port again; {dropped} events were dropped");
            DROPPED.store(0, Ordering::Relaxed);
            if !PORT.write_within(b"\n", STALL_US) {
                DROPPED.store(1, Ordering::Relaxed);
                return;
            }
        }
        if !(PORT.write_within(line.as_bytes(), STALL_US) && PORT.write_within(b"\n", STALL_US)) {
            DROPPED.store(1, Ordering::Relaxed);
            log::warn!("trace: the host stopped reading the trace port; dropping events until it reads again");
        }
    }

    fn now_us(&self) -> u64 {
        clock::since_boot_us()
    }
}

/// Starts tracing if the machine has a COM2, with the `hello` event; returns the app's tracer.
pub fn init() -> Option<Box<dyn Tracer>> {
    if !PORT.present() {
        return None;
    }
    PORT.enable_fifo();
    ON.store(true, Ordering::Relaxed);
    let kernel = concat!("uniwasm ", env!("CARGO_PKG_VERSION"));
    PortTracer.emit(&Event::new("hello").int("v", VERSION).str("kernel", kernel).finish());
    report_heap();
    Some(Box::new(PortTracer))
}

/// The periodic `heap` event: call from the main loop; it reports at most once a second.
pub struct HeapReport {
    next_us: u64,
}

impl HeapReport {
    pub fn new() -> HeapReport {
        HeapReport { next_us: clock::since_boot_us() + HEAP_EVERY_US }
    }

    pub fn tick(&mut self) {
        let now = clock::since_boot_us();
        if now >= self.next_us && ON.load(Ordering::Relaxed) {
            report_heap();
            self.next_us = now + HEAP_EVERY_US;
        }
    }
}

fn report_heap() {
    let (used, total) = memory::heap_usage();
    let line = Event::new("heap").int("used", used as u64).int("total", total as u64).int("ts_us", clock::since_boot_us());
    PortTracer.emit(&line.finish());
}
