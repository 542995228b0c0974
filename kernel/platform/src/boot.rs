//! PVH entry: the ELF note QEMU looks for, the 32-bit entry that switches to long mode, and
//! the `hvm_start_info` QEMU hands over (command line, boot module, memory map).

use core::arch::global_asm;

// QEMU enters `pvh_start` in 32-bit protected mode, paging off, with `ebx` pointing to
// `hvm_start_info`; there is no stack, GDT or IDT. We enable SSE (the prebuilt core uses it),
// load static page tables identity-mapping the first 4 GiB with 2 MiB pages (RAM, and MMIO
// such as virtio-mmio at 0xfeb00000, the I/O APICs and the local APIC), enter long mode and
// call `kmain(start_info)` on the boot stack.
global_asm!(
    r#"
    .section .note.pvh, "a", @note
    .balign 4
    .long 4                      /* name size */
    .long 8                      /* descriptor size */
    .long 18                     /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad pvh_start              /* QEMU 7.2 reads a 64-bit address for an ELF64 kernel */
    .balign 4

    .section .text.boot, "ax"
    .code32
    .global pvh_start
pvh_start:
    cli
    cld
    mov %ebx, %esi
    mov %cr0, %eax
    and $~(1 << 2), %eax         /* CR0.EM off: no FPU emulation */
    or $(1 << 1), %eax           /* CR0.MP on */
    mov %eax, %cr0
    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax  /* PAE, OSFXSR, OSXMMEXCPT */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx        /* EFER */
    rdmsr
    or $(1 << 8), %eax           /* LME */
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax         /* PG, PE */
    mov %eax, %cr0
    lgdt gdt_pointer
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov $boot_stack_top, %rsp
    mov %esi, %edi               /* zero-extends: kmain's first argument */
    call kmain
1:  cli
    hlt
    jmp 1b

    .section .data.boot, "aw"
    .balign 16
    .global GDT
GDT:
    .quad 0
    .quad 0x00af9a000000ffff     /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff     /* 0x10: data */
    .quad 0, 0                   /* 0x18: TSS, filled in by cpu::init */
gdt_end:
gdt_pointer:
    .word gdt_end - GDT - 1
    .long GDT

    .balign 4096
boot_pml4:
    .quad boot_pdpt + 0x3        /* present, writable */
    .fill 511, 8, 0
boot_pdpt:
    .quad boot_pd + 0x0003
    .quad boot_pd + 0x1003
    .quad boot_pd + 0x2003
    .quad boot_pd + 0x3003
    .fill 508, 8, 0
boot_pd:                         /* 2048 entries of 2 MiB: 4 GiB identity-mapped */
    .set page, 0
    .rept 2048
    .quad (page << 21) | 0x83    /* present, writable, 2 MiB page */
    .set page, page + 1
    .endr

    .section .bss.boot_stack, "aw", @nobits
    .balign 16
    .skip 512 * 1024
boot_stack_top:
    "#,
    options(att_syntax)
);

const START_INFO_MAGIC: u32 = 0x336e_c578;
const MEMMAP_TYPE_RAM: u32 = 1;
/// Everything above this is outside the boot page tables.
pub const MAPPED_LIMIT: u64 = 4 << 30;

// The PVH structures below are `packed` (alignment 1): QEMU places them only 4-aligned.

/// `struct hvm_start_info` (Xen's arch-x86/hvm/start_info.h), version ≥ 1.
#[repr(C, packed)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

#[repr(C, packed)]
struct ModlistEntry {
    paddr: u64,
    size: u64,
    cmdline_paddr: u64,
    reserved: u64,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct MemmapEntry {
    pub addr: u64,
    pub size: u64,
    pub kind: u32,
    reserved: u32,
}

impl MemmapEntry {
    pub fn is_ram(&self) -> bool {
        self.kind == MEMMAP_TYPE_RAM
    }
}

/// What QEMU handed over, with physical ranges that must stay out of the heap.
pub struct BootInfo {
    /// The raw command line bytes (without the NUL).
    pub cmdline: &'static [u8],
    /// Boot module 0 (`-initrd`), if any.
    pub module: Option<&'static [u8]>,
    pub memmap: &'static [MemmapEntry],
    /// Physical ranges in use: the kernel image, the start info and what it points to.
    pub reserved: [(u64, u64); 6],
}

extern "C" {
    static __kernel_start: u8;
    static __kernel_end: u8;
}

/// The kernel image in memory (code, data, bss and stacks), as a physical range.
pub fn kernel_range() -> (u64, u64) {
    // Only the addresses of the linker-script symbols are taken, never their contents.
    (&raw const __kernel_start as u64, &raw const __kernel_end as u64)
}

/// Reads `hvm_start_info` at `paddr`.
pub fn read_start_info(paddr: u32) -> Result<BootInfo, &'static str> {
    // SAFETY: QEMU's PVH loader passes the physical address of a `hvm_start_info` in `ebx`; the
    // first 4 GiB are identity-mapped, and QEMU never touches it again. Its magic is checked
    // before anything else is trusted.
    let info = unsafe { &*(paddr as usize as *const StartInfo) };
    if info.magic != START_INFO_MAGIC {
        return Err("no PVH start info (bad magic): boot this kernel with QEMU -kernel");
    }
    let in_map = |addr: u64, len: u64| addr.checked_add(len).is_some_and(|end| end <= MAPPED_LIMIT);

    let cmdline: &'static [u8] = if info.cmdline_paddr == 0 {
        &[]
    } else {
        let ptr = info.cmdline_paddr as usize as *const u8;
        // SAFETY: QEMU places a NUL-terminated string there; it is read up to its NUL (bounded
        // at 64 KiB so a broken loader cannot send us scanning all of memory).
        let len = (0..65536).take_while(|&i| unsafe { *ptr.add(i) } != 0).count();
        // SAFETY: the `len` bytes just scanned are readable and never written afterwards.
        unsafe { core::slice::from_raw_parts(ptr, len) }
    };

    if !in_map(info.memmap_paddr, info.memmap_entries as u64 * 24) || info.memmap_entries == 0 {
        return Err("PVH start info has no memory map");
    }
    // SAFETY: the memory map lies inside the identity map (checked above) and QEMU's layout
    // of `hvm_memmap_table_entry` is `MemmapEntry`.
    let memmap = unsafe {
        core::slice::from_raw_parts(info.memmap_paddr as usize as *const MemmapEntry, info.memmap_entries as usize)
    };

    let module = if info.nr_modules == 0 || info.modlist_paddr == 0 {
        None
    } else {
        // SAFETY: `nr_modules` ≥ 1, so the module list holds at least one entry.
        let entry = unsafe { &*(info.modlist_paddr as usize as *const ModlistEntry) };
        if !in_map(entry.paddr, entry.size) {
            return Err("the boot module lies outside the first 4 GiB");
        }
        // SAFETY: the module's range is identity-mapped (checked above), reserved from the heap
        // (see `reserved`) and never written: it lives as long as the kernel.
        Some(unsafe { core::slice::from_raw_parts(entry.paddr as usize as *const u8, entry.size as usize) })
    };

    let module_range = module.map_or((0, 0), |m| (m.as_ptr() as u64, m.as_ptr() as u64 + m.len() as u64));
    Ok(BootInfo {
        cmdline,
        module,
        memmap,
        reserved: [
            kernel_range(),
            module_range,
            (paddr as u64, paddr as u64 + core::mem::size_of::<StartInfo>() as u64),
            (info.cmdline_paddr, info.cmdline_paddr + cmdline.len() as u64 + 1),
            (info.memmap_paddr, info.memmap_paddr + info.memmap_entries as u64 * 24),
            (info.modlist_paddr, info.modlist_paddr + info.nr_modules as u64 * 32),
        ],
    })
}
