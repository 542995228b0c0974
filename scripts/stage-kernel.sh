#!/usr/bin/env bash
# Builds the kernel and copies it to dist/kernel/uniwasm-kernel, the prebuilt image the .vsix ships
# (so a Wasm developer needs no Rust toolchain). Prints the staged path.
set -euo pipefail
cd "$(dirname "$0")/.."
kernel=$(node dist/cli.js build --json | node -e 'process.stdin.on("data", d => console.log(JSON.parse(d).kernel))')
mkdir -p dist/kernel
cp "$kernel" dist/kernel/uniwasm-kernel
strip --strip-debug dist/kernel/uniwasm-kernel
echo "$PWD/dist/kernel/uniwasm-kernel"
