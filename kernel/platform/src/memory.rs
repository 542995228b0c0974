//! Memory: the C memory functions the prebuilt `core` links against, and the heap.

use core::arch::asm;

use talc::{ErrOnOom, Span, Talc, Talck};

use crate::boot::{BootInfo, MAPPED_LIMIT};

#[global_allocator]
static ALLOCATOR: Talck<spin::Mutex<()>, ErrOnOom> = Talc::new(ErrOnOom).lock();

/// Gives the heap the largest free RAM range above 1 MiB, outside everything `boot` reserved.
/// Returns the heap's physical range. The memory is not zeroed: boot time matters.
pub fn init_heap(boot: &BootInfo) -> Result<(u64, u64), &'static str> {
    let mut best = (0, 0);
    for entry in boot.memmap.iter().filter(|e| e.is_ram()) {
        let low = entry.addr.max(1 << 20);
        let high = entry.addr.saturating_add(entry.size).min(MAPPED_LIMIT);
        let (start, end) = largest_gap(low, high, &boot.reserved);
        if end.saturating_sub(start) > best.1 - best.0 {
            best = (start, end);
        }
    }
    let (start, end) = ((best.0 + 4095) & !4095, best.1 & !4095);
    if end <= start || end - start < 4 << 20 {
        return Err("less than 4 MiB of free RAM for the heap");
    }
    // SAFETY: [start, end) is RAM from the firmware's map, identity-mapped, and overlaps
    // neither the kernel image nor the boot data still in use (`boot.reserved`).
    unsafe {
        ALLOCATOR
            .lock()
            .claim(Span::new(start as *mut u8, end as *mut u8))
            .map_err(|()| "the heap allocator refused its memory")?;
    }
    Ok((start, end))
}

/// Bytes allocated, and bytes the heap has.
pub fn heap_usage() -> (usize, usize) {
    let talc = ALLOCATOR.lock();
    let counters = talc.get_counters();
    (counters.allocated_bytes, counters.claimed_bytes)
}

/// The largest part of [low, high) that no reserved range touches.
fn largest_gap(low: u64, high: u64, reserved: &[(u64, u64)]) -> (u64, u64) {
    let mut best = (0, 0);
    let mut cursor = low;
    while cursor < high {
        let next = reserved.iter().filter(|r| r.1 > cursor && r.0 < high && r.1 > r.0).min_by_key(|r| r.0);
        let gap_end = next.map_or(high, |r| r.0.max(cursor));
        if gap_end - cursor > best.1 - best.0 {
            best = (cursor, gap_end);
        }
        match next {
            Some(r) => cursor = r.1, // r.1 > cursor, so this always advances
            None => break,
        }
    }
    best
}

// The C functions below follow the C standard's contracts; their callers (the compiler and
// the prebuilt `core`) guarantee valid pointers. `rep movsb`/`stosb` are used because a plain
// loop may be turned back into a call to the very function being defined. DF is clear (the
// entry runs `cld`, and the interrupt stubs never set it).

#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: see above; the ranges do not overlap (memcpy's contract). Eight bytes at a time
    // first: under QEMU's TCG every `rep` iteration costs the same, whatever its width.
    unsafe {
        asm!("rep movsq", "mov ecx, {tail:e}", "rep movsb", tail = in(reg) n % 8,
            inout("rcx") n / 8 => _, inout("rdi") dst => _, inout("rsi") src => _, options(nostack, preserves_flags))
    };
    dst
}

#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) || (dst as usize) >= (src as usize) + n {
        // SAFETY: copying forwards never reads a byte already overwritten here.
        unsafe { memcpy(dst, src, n) };
    } else if n > 0 {
        // SAFETY: dst overlaps the tail of src: copy backwards from the last byte, then restore DF.
        unsafe {
            asm!("std", "rep movsb", "cld", inout("rcx") n => _, inout("rdi") dst.add(n - 1) => _,
                inout("rsi") src.add(n - 1) => _, options(nostack))
        };
    }
    dst
}

#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let byte = c as u8 as u64;
    // SAFETY: see above; the byte is repeated into all eight lanes of rax for `rep stosq`.
    unsafe {
        asm!("rep stosq", "mov ecx, {tail:e}", "rep stosb", tail = in(reg) n % 8,
            inout("rcx") n / 8 => _, inout("rdi") dst => _, in("rax") byte * 0x0101_0101_0101_0101, options(nostack, preserves_flags))
    };
    dst
}

#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: both ranges hold n readable bytes (memcmp's contract).
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let end: *const u8;
    // SAFETY: s is NUL-terminated (strlen's contract); `repne scasb` stops after the NUL.
    unsafe {
        asm!("repne scasb", inout("rdi") s => end, inout("rcx") usize::MAX => _, in("al") 0u8, options(nostack, readonly))
    };
    end as usize - s as usize - 1
}

// The prebuilt `core` and `alloc` are built for unwinding and name these; with
// `panic = "abort"` nothing ever unwinds, so neither is ever called.
#[no_mangle]
extern "C" fn rust_eh_personality() {}

#[no_mangle]
extern "C" fn _Unwind_Resume() -> ! {
    crate::cpu::halt_forever()
}
