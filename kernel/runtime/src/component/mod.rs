//! WebAssembly components (the Component Model) on wasmi: the generic canonical ABI, resource
//! handles, and loading and instantiating a component as `wasm-tools component new` makes them.

pub mod canonical;
pub mod handles;
pub mod types;
pub mod values;

use alloc::string::String;
use core::fmt;

/// Why a call into or out of a component stopped: the guest broke the ABI, or a host limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap(pub String);

impl Trap {
    pub fn new(message: impl Into<String>) -> Trap {
        Trap(message.into())
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests;
