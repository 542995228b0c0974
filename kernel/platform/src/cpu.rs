//! CPU plumbing: port I/O, the TSS and IDT, exception reporting, and `hlt` until an interrupt.
//!
//! The kernel runs with interrupts off; they are enabled only inside `wait_for_interrupt`
//! (`sti; hlt; cli`). Every vector runs on IST stack 1, because the prebuilt `core` uses the
//! red zone below `rsp`, which an interrupt frame pushed on the current stack would overwrite.

use core::arch::{asm, global_asm};

pub const WAKE_VECTOR_TIMER: u8 = 0x20;
pub const WAKE_VECTOR_DEVICE: u8 = 0x21;
pub const SPURIOUS_VECTOR: u8 = 0xff;

global_asm!(
    r#"
    .section .text
    /* Vectors 0-31: push a zero error code where the CPU pushes none, then the vector. */
    .balign 16
    .global exception_stubs
exception_stubs:
    .set vector, 0
    .rept 32
    .balign 16
    .if vector == 8 || vector == 10 || vector == 11 || vector == 12 || vector == 13 || vector == 14 || vector == 17 || vector == 21 || vector == 29 || vector == 30
    .else
    push $0
    .endif
    push $vector
    jmp exception_common
    .set vector, vector + 1
    .endr

exception_common:
    mov %rsp, %rdi               /* -> ExceptionFrame */
    and $~0xf, %rsp
    call exception_handler       /* never returns */
    ud2

    /* Timer and device interrupts only end a `hlt`: acknowledge at the local APIC, return. */
    .global wake_stub
wake_stub:
    push %rax
    mov $0xfee000b0, %eax        /* local APIC EOI register */
    movl $0, (%rax)
    pop %rax
    iretq

    .global spurious_stub
spurious_stub:
    iretq
    "#,
    options(att_syntax)
);

extern "C" {
    static exception_stubs: u8;
    static wake_stub: u8;
    static spurious_stub: u8;
    static mut GDT: [u64; 5];
}

/// The frame `exception_common` hands over: our two pushes, then the CPU's.
#[repr(C)]
pub struct ExceptionFrame {
    vector: u64,
    error: u64,
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

#[no_mangle]
extern "C" fn exception_handler(frame: &ExceptionFrame) -> ! {
    let cr2: u64;
    // SAFETY: reading CR2 has no side effect.
    unsafe { asm!("mov {}, cr2", out(reg) cr2, options(nomem, nostack, preserves_flags)) };
    panic!(
        "CPU exception {} at rip={:#x} rsp={:#x} error={:#x} cr2={:#x}",
        frame.vector, frame.rip, frame.rsp, frame.error, cr2
    );
}

#[repr(C, packed)]
struct Tss {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

#[derive(Clone, Copy)]
#[repr(C)]
struct IdtEntry {
    offset_low: u16,
    selector: u16,
    ist: u8,
    attributes: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

const IDT_MISSING: IdtEntry =
    IdtEntry { offset_low: 0, selector: 0, ist: 0, attributes: 0, offset_mid: 0, offset_high: 0, reserved: 0 };

#[repr(C, align(16))]
struct IstStack([u8; 32 * 1024]);

static mut IST_STACK: IstStack = IstStack([0; 32 * 1024]);
static mut TSS: Tss = Tss {
    reserved0: 0,
    rsp: [0; 3],
    reserved1: 0,
    ist: [0; 7],
    reserved2: 0,
    reserved3: 0,
    iomap_base: core::mem::size_of::<Tss>() as u16,
};
static mut IDT: [IdtEntry; 256] = [IDT_MISSING; 256];

fn gate(handler: u64) -> IdtEntry {
    IdtEntry {
        offset_low: handler as u16,
        selector: 0x08,
        ist: 1,
        attributes: 0x8e, // present, ring 0, 64-bit interrupt gate (clears IF)
        offset_mid: (handler >> 16) as u16,
        offset_high: (handler >> 32) as u32,
        reserved: 0,
    }
}

/// Loads the TSS (with IST 1) and an IDT covering exceptions, the wake vectors and spurious
/// interrupts. Call once, first thing at boot, before interrupts are ever enabled.
pub fn init() {
    // SAFETY: runs once on the only CPU before anything else uses these statics; the GDT slot
    // 0x18 was reserved for the TSS in boot.rs, and every IDT entry points at a stub above.
    unsafe {
        let ist_top = (&raw mut IST_STACK as u64) + core::mem::size_of::<IstStack>() as u64;
        TSS.ist[0] = ist_top;
        let base = &raw const TSS as u64;
        let limit = core::mem::size_of::<Tss>() as u64 - 1;
        GDT[3] = (limit & 0xffff) | (base & 0xff_ffff) << 16 | 0x89 << 40 | ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
        GDT[4] = base >> 32;
        asm!("ltr {0:x}", in(reg) 0x18u16, options(nostack, preserves_flags));

        let mut idt = [IDT_MISSING; 256];
        let stubs = &raw const exception_stubs as u64;
        for (vector, entry) in idt.iter_mut().take(32).enumerate() {
            *entry = gate(stubs + 16 * vector as u64);
        }
        idt[WAKE_VECTOR_TIMER as usize] = gate(&raw const wake_stub as u64);
        idt[WAKE_VECTOR_DEVICE as usize] = gate(&raw const wake_stub as u64);
        idt[SPURIOUS_VECTOR as usize] = gate(&raw const spurious_stub as u64);
        IDT = idt;

        #[repr(C, packed)]
        struct Pointer {
            limit: u16,
            base: u64,
        }
        let pointer = Pointer { limit: core::mem::size_of::<[IdtEntry; 256]>() as u16 - 1, base: &raw const IDT as u64 };
        asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags));
    }
}

/// Enables interrupts and halts until one arrives (an interrupt already pending wakes at once:
/// `sti` takes effect after `hlt` has started), then disables them again.
pub fn wait_for_interrupt() {
    // SAFETY: every vector that can fire has a handler on the IST stack (see `init`).
    unsafe { asm!("sti", "hlt", "cli", options(nomem, nostack)) };
}

/// Stops the CPU for good (interrupts off).
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: with interrupts off, `hlt` just stops this CPU.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc only reads the time-stamp counter.
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags)) };
    (hi as u64) << 32 | lo as u64
}

pub fn outb(port: u16, value: u8) {
    // SAFETY: the ports this kernel writes (COM1, PIT, PIC, isa-debug-exit) have no effect on memory.
    unsafe { asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags)) };
}

pub fn outl(port: u16, value: u32) {
    // SAFETY: as for `outb`.
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") value, options(nomem, nostack, preserves_flags)) };
}

pub fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: as for `outb`; reading these ports only returns device state.
    unsafe { asm!("in al, dx", in("dx") port, out("al") value, options(nomem, nostack, preserves_flags)) };
    value
}

/// Whether the CPU has RDRAND (CPUID.1:ECX bit 30) and RDSEED (CPUID.(7,0):EBX bit 18).
pub fn random_instructions() -> (bool, bool) {
    use core::arch::x86_64::{__cpuid, __cpuid_count};
    let (max_leaf, leaf1, leaf7) = (__cpuid(0).eax, __cpuid(1), __cpuid_count(7, 0));
    (leaf1.ecx & (1 << 30) != 0, max_leaf >= 7 && leaf7.ebx & (1 << 18) != 0)
}

/// A random word from RDSEED (`rdseed`) or RDRAND, retried until the CPU has one (CF set).
/// Only called after `random_instructions` said the instruction exists.
pub fn random_u64(rdseed: bool) -> u64 {
    loop {
        let (value, ok): (u64, u8);
        // SAFETY: the instruction exists (checked by the caller through CPUID); it only writes
        // its destination register and the flags.
        unsafe {
            if rdseed {
                asm!("rdseed {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack));
            } else {
                asm!("rdrand {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack));
            }
        }
        if ok != 0 {
            return value;
        }
        core::hint::spin_loop();
    }
}
