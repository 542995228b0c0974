//! Random bytes for the app (`wasi:random`): the CPU's RDSEED or RDRAND when it has them, else
//! ChaCha20 seeded by the host (`seed=`), else — with a warning — by the time stamp counter.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use crate::cpu;

pub enum Random {
    /// RDSEED (true entropy), or RDRAND (a DRBG the CPU reseeds).
    Cpu { rdseed: bool },
    Seeded(ChaCha20Rng),
}

impl Random {
    /// The best source this machine has; the text says which, for the boot log.
    pub fn new(host_seed: Option<[u8; 32]>) -> (Random, &'static str) {
        let (rdrand, rdseed) = cpu::random_instructions();
        if rdseed {
            return (Random::Cpu { rdseed: true }, "the CPU's RDSEED");
        }
        if rdrand {
            return (Random::Cpu { rdseed: false }, "the CPU's RDRAND");
        }
        match host_seed {
            Some(seed) => (Random::Seeded(ChaCha20Rng::from_seed(seed)), "ChaCha20 seeded by the host (no RDRAND on this CPU)"),
            None => {
                // Not secure: a TSC value is guessable. Only when the host gave no seed.
                let tsc = cpu::rdtsc().to_le_bytes();
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&tsc);
                (Random::Seeded(ChaCha20Rng::from_seed(seed)), "ChaCha20 seeded by the TSC: NOT SECURE (no RDRAND, no seed= from the host)")
            }
        }
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        match self {
            Random::Seeded(rng) => rng.fill_bytes(buf),
            Random::Cpu { rdseed } => {
                for chunk in buf.chunks_mut(8) {
                    let word = cpu::random_u64(*rdseed).to_le_bytes();
                    chunk.copy_from_slice(&word[..chunk.len()]);
                }
            }
        }
    }
}
