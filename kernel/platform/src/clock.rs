//! The monotonic clock: the TSC, calibrated at boot against the PIT (the local APIC timer,
//! which wakes the idle loop, is calibrated in the same window).
//!
//! Calibration costs no boot time: `start_calibration` samples the PIT, TSC and APIC timer
//! early, boot goes on, and the first use of the clock (`since_boot_us`, or
//! `finish_calibration`) samples them again, waiting only if less than `MIN_WINDOW_TICKS`
//! have passed.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::{apic, cpu};

const PIT_HZ: u64 = 1_193_182;
/// ~0.5 ms: each end pairs the PIT's latched count with the TSC around the latch (see
/// `pit_count`), so the error is about one port access (a few µs under TCG), under 1 %.
const MIN_WINDOW_TICKS: u16 = 597;
/// A latch bracketed by more TSC cycles than this was interrupted (the host preempted
/// QEMU's vCPU thread) and is read again: ~40-100 µs on any host.
const MAX_LATCH_CYCLES: u64 = 100_000;
/// Waiting this long for the PIT to count means it is missing or stuck (~30-100 ms).
const GIVE_UP_CYCLES: u64 = 100_000_000;
/// The frequency assumed when no PIT answers (the clock then only roughly tracks time).
const FALLBACK_TSC_HZ: u64 = 1_000_000_000;
/// Plausible TSC frequencies; outside, the window was wrong (say, the PIT wrapped around
/// because the host stalled us for 55 ms) and a fresh short window is measured.
const PLAUSIBLE_HZ: core::ops::Range<u64> = 100_000_000..20_000_000_000;

static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static PIT_MISSING: AtomicBool = AtomicBool::new(false);
/// The window's start: PIT count, TSC at its latch, APIC timer count.
static START_COUNT: AtomicU64 = AtomicU64::new(0);
static START_TSC: AtomicU64 = AtomicU64::new(0);
static START_APIC: AtomicU64 = AtomicU64::new(0);

/// Latches and reads PIT channel 0's counter; returns it with the TSC at the latch (the
/// middle of a short bracket; a few retries if the bracket is long).
fn pit_count() -> (u16, u64) {
    let mut attempts = 0;
    loop {
        let before = cpu::rdtsc();
        cpu::outb(0x43, 0x00);
        let after = cpu::rdtsc();
        let low = cpu::inb(0x40) as u16;
        let high = cpu::inb(0x40) as u16;
        attempts += 1;
        if after - before <= MAX_LATCH_CYCLES || attempts == 5 {
            return (high << 8 | low, before + (after - before) / 2);
        }
    }
}

/// Time zero of the console and the network stack: call first thing at boot.
pub fn mark_boot() {
    BOOT_TSC.store(cpu::rdtsc(), Ordering::Relaxed);
}

/// Opens the calibration window (after `apic::init`).
pub fn start_calibration() {
    // Channel 0, low then high byte, mode 2 (rate generator), counting down from 0xffff
    // (~55 ms per round). Its IRQ stays masked.
    cpu::outb(0x43, 0x34);
    cpu::outb(0x40, 0xff);
    cpu::outb(0x40, 0xff);
    let apic = apic::timer_free_run();
    let (count, tsc) = pit_count();
    START_COUNT.store(count as u64, Ordering::Relaxed);
    START_TSC.store(tsc, Ordering::Relaxed);
    START_APIC.store(apic as u64, Ordering::Relaxed);
}

/// Ends the calibration window (waiting if it is still short). Later calls do nothing.
pub fn finish_calibration() {
    for _attempt in 0..3 {
        if TSC_HZ.load(Ordering::Relaxed) != 0 || close_window() {
            return;
        }
        start_calibration(); // implausible: measure a fresh window
    }
    use_fallback(0, 1);
}

fn use_fallback(apic_ticks: u64, tsc_ticks: u64) {
    PIT_MISSING.store(true, Ordering::Relaxed);
    TSC_HZ.store(FALLBACK_TSC_HZ, Ordering::Relaxed);
    apic::set_timer_hz(apic_ticks * FALLBACK_TSC_HZ / tsc_ticks);
}

/// Samples the end of the window and sets the frequencies; false if they are implausible.
fn close_window() -> bool {
    let (start, tsc0, apic0) = (
        START_COUNT.load(Ordering::Relaxed) as u16,
        START_TSC.load(Ordering::Relaxed),
        START_APIC.load(Ordering::Relaxed) as u32,
    );
    let (ticks, tsc1, apic1) = loop {
        let apic1 = apic::timer_current();
        let (count, tsc1) = pit_count();
        let ticks = start.wrapping_sub(count);
        if ticks >= MIN_WINDOW_TICKS || tsc1 - tsc0 > GIVE_UP_CYCLES {
            break (ticks as u64, tsc1, apic1);
        }
    };
    let apic_ticks = apic0.wrapping_sub(apic1) as u64;
    if ticks < MIN_WINDOW_TICKS as u64 {
        use_fallback(apic_ticks, tsc1 - tsc0);
        return true;
    }
    let hz = (tsc1 - tsc0) * PIT_HZ / ticks;
    if !PLAUSIBLE_HZ.contains(&hz) {
        return false;
    }
    TSC_HZ.store(hz, Ordering::Relaxed);
    apic::set_timer_hz(apic_ticks * PIT_HZ / ticks);
    true
}

/// True if no PIT counted, so the clock runs on an assumed frequency.
pub fn pit_missing() -> bool {
    PIT_MISSING.load(Ordering::Relaxed)
}

pub fn tsc_hz() -> u64 {
    finish_calibration();
    TSC_HZ.load(Ordering::Relaxed)
}

/// Microseconds since `mark_boot`.
pub fn since_boot_us() -> u64 {
    let elapsed = cpu::rdtsc().wrapping_sub(BOOT_TSC.load(Ordering::Relaxed));
    (elapsed as u128 * 1_000_000 / tsc_hz() as u128) as u64
}
