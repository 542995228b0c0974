//! The local APIC (one-shot timer, end of interrupt) and the I/O APICs (device interrupts),
//! used only to wake the CPU from `hlt`; the legacy PICs are masked.

use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicU64, Ordering};

use crate::cpu;

const LAPIC: usize = 0xfee0_0000;
const SPURIOUS: usize = 0xf0;
const LVT_TIMER: usize = 0x320;
const INITIAL_COUNT: usize = 0x380;
const CURRENT_COUNT: usize = 0x390;
const DIVIDE: usize = 0x3e0;
const MASKED: u32 = 1 << 16;

/// I/O APIC bases on QEMU x86 machines: GSIs 0-23 on the first, 24-47 on microvm's second.
const IOAPICS: [usize; 2] = [0xfec0_0000, 0xfec1_0000];
const PINS_PER_IOAPIC: u32 = 24;

static TIMER_HZ: AtomicU64 = AtomicU64::new(0);

fn write(reg: usize, value: u32) {
    // SAFETY: the local APIC's registers are identity-mapped MMIO at 0xfee00000 on every x86
    // machine QEMU offers; `reg` is one of the constants above.
    unsafe { write_volatile((LAPIC + reg) as *mut u32, value) }
}

fn read(reg: usize) -> u32 {
    // SAFETY: as for `write`.
    unsafe { read_volatile((LAPIC + reg) as *const u32) }
}

/// Masks the 8259 PICs and enables the local APIC with its timer masked.
pub fn init() {
    cpu::outb(0x21, 0xff);
    cpu::outb(0xa1, 0xff);
    write(SPURIOUS, 1 << 8 | cpu::SPURIOUS_VECTOR as u32);
    write(LVT_TIMER, MASKED);
    write(DIVIDE, 0b1011); // divide by 1
}

/// Starts the timer counting down from the top (masked); returns the starting count.
pub fn timer_free_run() -> u32 {
    write(INITIAL_COUNT, u32::MAX);
    u32::MAX
}

pub fn timer_current() -> u32 {
    read(CURRENT_COUNT)
}

pub fn set_timer_hz(hz: u64) {
    TIMER_HZ.store(hz.max(1), Ordering::Relaxed);
    write(INITIAL_COUNT, 0);
}

/// Halts until an interrupt arrives or `max_us` has passed (then the one-shot timer fires).
pub fn sleep(max_us: u64) {
    let ticks = (max_us as u128 * TIMER_HZ.load(Ordering::Relaxed) as u128 / 1_000_000).clamp(1, u32::MAX as u128);
    write(LVT_TIMER, cpu::WAKE_VECTOR_TIMER as u32); // one-shot, unmasked
    write(INITIAL_COUNT, ticks as u32);
    cpu::wait_for_interrupt();
    write(INITIAL_COUNT, 0); // a device woke us: cancel the timer
}

/// Routes global system interrupt `gsi` to `vector` on this CPU, edge-triggered, active high.
/// Edge rather than level for a level source (virtio-mmio): one interrupt per assertion, so
/// the line may stay high until the main loop acknowledges the device, without an interrupt storm.
pub fn route_gsi(gsi: u32, vector: u8) {
    let Some(&base) = IOAPICS.get((gsi / PINS_PER_IOAPIC) as usize) else { return };
    let pin = gsi % PINS_PER_IOAPIC;
    let set = |reg: u32, value: u32| {
        // SAFETY: the I/O APIC's select/window registers are identity-mapped MMIO at `base`
        // (+0x00 select, +0x10 window); redirection entries are registers 0x10 + 2 * pin.
        unsafe {
            write_volatile(base as *mut u32, reg);
            write_volatile((base + 0x10) as *mut u32, value);
        }
    };
    set(0x11 + 2 * pin, 0); // destination: local APIC id 0
    set(0x10 + 2 * pin, vector as u32); // fixed delivery, physical, active high, edge, unmasked
}
