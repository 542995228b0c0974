//! Helpers shared by the fuzz targets.

/// Cuts `data` into chunks as a socket might deliver them. `seed` picks the
/// largest chunk (1 to 128 bytes: bits 0-2) and the sizes (a xorshift stream
/// from the whole byte), so the fuzzer can mutate the split points.
pub fn chunks(seed: u8, data: &[u8]) -> Vec<&[u8]> {
    let max = 1usize << (seed & 7);
    let mut state = u32::from(seed).wrapping_mul(0x9e37_79b9) | 1;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (1 + state as usize % max).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        out.push(chunk);
        rest = tail;
    }
    out
}

/// wasm-smith's defaults without the proposals this host's wasmi does not enable, and small:
/// what `module_load` and `component_load` start from.
pub fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        gc_enabled: false,
        exceptions_enabled: false,
        threads_enabled: false,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        wide_arithmetic_enabled: false,
        max_memory32_bytes: 8 << 20,
        max_funcs: 20,
        ..wasm_smith::Config::default()
    }
}

/// The allocator that measures what a guest makes the host allocate: the runtime tests' own.
#[path = "../../runtime/tests/common/counting.rs"]
pub mod counting;
