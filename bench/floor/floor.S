/* The QEMU floor: the smallest PVH kernel, ending QEMU at its first instructions.
 * Benchmarks subtract what QEMU itself costs (start, firmware, loading a PVH ELF, exit)
 * by timing this against the real kernel on the same machine type and accelerator. */

    .section .note.pvh, "a", @note
    .balign 4
    .long 4                  /* name size */
    .long 8                  /* descriptor size */
    .long 18                 /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad floor_start        /* QEMU 7.2 reads a 64-bit address for an ELF64 kernel */

    .section .text
    .code32
    .global floor_start
floor_start:
    mov $0xf4, %dx           /* isa-debug-exit: QEMU exits with status (0 << 1) | 1 = 1 */
    xor %eax, %eax
    out %eax, %dx
1:  hlt                      /* without the exit device: stop here */
    jmp 1b
