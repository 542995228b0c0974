//! WebAssembly components (the Component Model) on wasmi: the generic canonical ABI, resource
//! handles, and loading and instantiating a component as `wasm-tools component new` makes them.

pub mod canonical;
pub mod handles;
pub mod instance;
pub mod load;
pub mod names;
pub mod types;
pub mod values;

pub use instance::{CallError, Instance, Limits};
pub use load::{Component, LoadError, Lifted};
pub use values::{Args, Val};

use alloc::string::String;
use core::fmt;

/// What a host offers components, and does for them. Functions and resource types are named by the
/// interface's path without version (`wasi:io/streams`) and numbered by the host as it likes;
/// `call` and `drop_resource` get resources as their representations (the host's object keys).
pub trait Host: 'static {
    /// The version of `interface` the host implements (imports of semver-compatible versions link).
    fn interface_version(interface: &str) -> Option<&'static str>;
    /// The host's number for function `name` of `interface` (`""` for a function imported alone).
    fn function(interface: &str, name: &str) -> Option<u32>;
    /// The host's number for resource type `name` of `interface`.
    fn resource(interface: &str, name: &str) -> Option<u32>;
    /// Runs host function `func` with the lifted `args`; its result is lowered for the guest.
    fn call(&mut self, func: u32, args: &mut Args) -> Result<Option<Val>, Trap>;
    /// The guest dropped its owned handle to host resource `rep` of kind `kind`.
    fn drop_resource(&mut self, kind: u32, rep: u32) -> Result<(), Trap>;
}

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
