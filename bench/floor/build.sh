#!/usr/bin/env bash
# Builds the QEMU floor kernel with the system assembler and linker; prints the ELF's path.
# The ELF lands in kernel/target/floor/ (ignored by git with the rest of kernel/target/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../kernel/target/floor"
mkdir -p "$out"
cc -c "$here/floor.S" -o "$out/floor.o"
ld -m elf_x86_64 -static -nostdlib --build-id=none -T "$here/floor.ld" -o "$out/floor.elf" "$out/floor.o"
realpath "$out/floor.elf"
