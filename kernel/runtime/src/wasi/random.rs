//! `wasi:random`: secure bytes from the platform (the CPU's RDRAND/RDSEED, or its seeded
//! generator), insecure ones from a generator seeded once per instance.

use super::{HostFn, WasiHost};
use crate::component::{Args, Trap, Val};
use alloc::vec;

/// Most random bytes one call returns: a guest must not make the host allocate without bound.
const MAX_RANDOM_BYTES: u64 = 1 << 20;

fn length(a: &mut Args) -> Result<usize, Trap> {
    let len = a.u64()?;
    if len > MAX_RANDOM_BYTES {
        return Err(Trap::new(alloc::format!("{len} random bytes asked for, more than the host's limit of {MAX_RANDOM_BYTES}")));
    }
    Ok(len as usize)
}

fn random_bytes(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let mut buf = vec![0; length(a)?];
    h.platform.random(&mut buf);
    Ok(Some(Val::Bytes(buf)))
}

fn random_u64(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    let mut buf = [0; 8];
    h.platform.random(&mut buf);
    Ok(Some(Val::U64(u64::from_le_bytes(buf))))
}

impl WasiHost {
    /// xorshift64*: fast, and enough for what `wasi:random/insecure` promises.
    fn insecure_u64(&mut self) -> u64 {
        let mut x = self.insecure_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.insecure_state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn insecure_bytes(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let mut buf = vec![0; length(a)?];
    for chunk in buf.chunks_mut(8) {
        let word = h.insecure_u64().to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
    Ok(Some(Val::Bytes(buf)))
}

fn insecure_u64(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::U64(h.insecure_u64())))
}

fn insecure_seed(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::Tuple(vec![Val::U64(h.seed.0), Val::U64(h.seed.1)])))
}

pub(super) const FUNCTIONS: &[(&str, &str, HostFn)] = &[
    ("wasi:random/random", "get-random-bytes", random_bytes),
    ("wasi:random/random", "get-random-u64", random_u64),
    ("wasi:random/insecure", "get-insecure-random-bytes", insecure_bytes),
    ("wasi:random/insecure", "get-insecure-random-u64", insecure_u64),
    ("wasi:random/insecure-seed", "insecure-seed", insecure_seed),
];
