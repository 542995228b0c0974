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

/// The allocator that measures what a guest makes the host allocate: the runtime tests' own.
#[path = "../../runtime/tests/common/counting.rs"]
pub mod counting;
