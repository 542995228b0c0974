//! The portable runtime of the Uniwasm unikernel: everything that does not
//! touch hardware. `no_std` + `alloc` in the kernel, tested with `cargo test`
//! on the host.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod abi;
pub mod cmdline;
pub mod component;
pub mod debug;
pub mod host;
pub mod http;
pub mod http_client;
pub mod kv;
pub mod resp;
pub mod syn_gate;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod trace;
pub mod wasi;
