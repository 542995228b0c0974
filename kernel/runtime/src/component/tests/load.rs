//! The loader against components whose types would make the host recurse without bound.

use crate::component::{Args, Component, Host, LoadError, Trap, Val};
use alloc::string::String;
use alloc::vec::Vec;
use wasmi::Engine;

/// A host offering nothing: these components import nothing.
struct NoHost;

impl Host for NoHost {
    fn interface_version(_: &str) -> Option<&'static str> {
        None
    }
    fn function(_: &str, _: &str) -> Option<u32> {
        None
    }
    fn resource(_: &str, _: &str) -> Option<u32> {
        None
    }
    fn call(&mut self, _: u32, _: &mut Args) -> Result<Option<Val>, Trap> {
        unreachable!()
    }
    fn drop_resource(&mut self, _: u32, _: u32) -> Result<(), Trap> {
        unreachable!()
    }
}

/// A component exporting a function whose parameter nests `depth` types of kind `wrap` (a
/// one-field `tuple` or `record`): it flattens to one i32, so the function needs no memory.
fn nested(depth: usize, wrap: &str) -> Vec<u8> {
    let mut text = String::from("(component\n");
    for i in 1..=depth {
        let inner = if i == 1 { String::from("u8") } else { alloc::format!("$e{}", i - 1) };
        let ty = match wrap {
            "record" => alloc::format!("(record (field \"f\" {inner}))"),
            other => alloc::format!("({other} {inner})"),
        };
        text += &alloc::format!("  (type $t{i} {ty})\n  (export $e{i} \"t{i}\" (type $t{i}))\n");
    }
    text += &alloc::format!(
        "  (core module $m (func (export \"f\") (param i32)))\n  (core instance $i (instantiate $m))\n  (func (export \"f\") (param \"x\" $e{depth}) (canon lift (core func $i \"f\")))\n)"
    );
    wat::parse_str(text).unwrap()
}

/// Loads `bytes` on a thread with a bounded stack: a recursion along a type without bound would
/// overflow any. (This test's debug build has frames several times the kernel's release ones, so
/// its stack is several times the kernel's 512 KiB. wasmparser 0.228's validation recurses along a
/// type too; the depths here stay where it does not overflow.)
fn load_on_small_stack(bytes: Vec<u8>) -> Result<(), LoadError> {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || Component::<NoHost>::load(&Engine::default(), &bytes).map(drop))
        .unwrap()
        .join()
        .expect("the load overflowed its stack")
}

#[test]
fn types_nested_deeper_than_wasmtime_allows_are_refused() {
    for wrap in ["tuple", "record"] {
        let e = load_on_small_stack(nested(150, wrap)).unwrap_err();
        assert_eq!(e.to_string(), "unsupported component feature: types nested more than 100 deep (as wasmtime refuses them)", "{wrap}");
    }
}

#[test]
fn types_nested_as_deep_as_allowed_load() {
    load_on_small_stack(nested(99, "record")).unwrap();
}
