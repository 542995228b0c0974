//! The debugger's hooks (host/debugger.rs) through `App`, with the simulated debugger of debug/tests.rs.
//!
//! The guest is tests/guests/demo.wat, given the probe calls the instrumenter would add:
//! handle-hello has sites 0 (entry), 1 (statement) and 2 (exit); handle-trap 3 (entry) and 4
//! (statement, before its `unreachable`). handle-hello captures its parameter `$uri_len` in slot 1
//! of its frame's row of value slots (rows of 16 bytes), as the instrumenter would.

use crate::debug::tests::{mailbox, port_with, set_bit};
use crate::debug::*;
use std::boxed::Box;
use std::string::String;
use std::vec;
use std::vec::Vec;

fn edit(wat: String, from: &str, to: &str) -> String {
    assert!(wat.contains(from), "demo.wat has {from}");
    wat.replacen(from, to, 1)
}

fn instrumented_demo() -> Vec<u8> {
    wat::parse_str(instrumented_demo_wat()).unwrap()
}

fn instrumented_demo_wat() -> String {
    let wat = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests/demo.wat")).unwrap();
    let wat = edit(wat, "(module\n", "(module\n  (import \"uniwasm:debug\" \"probe\" (func $probe (param i32) (result i32)))\n");
    let wat = edit(wat, "(memory (export \"memory\") 1)", "(memory (export \"memory\") 1)\n  (memory $values (export \"uniwasm:debug.values\") 1)");
    let wat = edit(wat, "(global $heap (mut i32) (i32.const 4096))", "(global $heap (export \"uniwasm:debug.global.0\") (mut i32) (i32.const 4096))");
    let wat = edit(wat, "(global $kv (mut i32) (i32.const 0))", "(global $kv (export \"uniwasm:debug.global.1\") (mut i32) (i32.const 0))");
    let hello = "(result i32)\n    (call $respond (i32.const 200) (i32.const 160) (i32.const 12)))";
    let wat = edit(wat, hello, "(result i32) (local $row i32)
    (local.set $row (call $probe (i32.const 0)))
    (i32.store $values offset=8 (i32.mul (i32.shr_u (local.get $row) (i32.const 1)) (i32.const 16)) (local.get $uri_len))
    (if (i32.and (local.get $row) (i32.const 1)) (then (drop (call $probe (i32.const 3)))))
    (drop (call $probe (i32.const 6)))
    (call $respond (i32.const 200) (i32.const 160) (i32.const 12)) (drop (call $probe (i32.const 9))))");
    let trap = "(result i32)\n    (drop (call $probe (i32.const 12))) (drop (call $probe (i32.const 18))) unreachable)";
    edit(wat, "(result i32)\n    unreachable)", trap)
}

fn get(app: &mut crate::host::App, path: &str) -> crate::http::Response {
    let request = crate::http::Request {
        method: crate::http::Method::Get,
        uri: path.into(),
        headers: vec![],
        body: None,
        keep_alive: true,
    };
    app.handle(&request)
}

fn load(debug: Option<DebugPort>) -> Result<crate::host::App, crate::host::LoadError> {
    load_module(&instrumented_demo(), debug)
}

fn load_module(module: &[u8], debug: Option<DebugPort>) -> Result<crate::host::App, crate::host::LoadError> {
    let config = crate::host::AppConfig { debug, ..crate::host::AppConfig::default() };
    crate::host::App::load(module, Box::new(crate::kv::MemoryStore::default()), config)
}

#[test]
fn without_wasm_debug_the_probe_import_is_refused() {
    match load(None) {
        Err(crate::host::LoadError::UnknownImport { module, field, .. }) => assert_eq!((module.as_str(), field.as_str()), (PROBE_MODULE, PROBE_FIELD)),
        other => panic!("expected the probe to be refused, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn the_app_stops_ready_then_at_a_breakpoint_steps_and_answers() {
    // At the ready stop: a breakpoint on handle-hello's entry. At that stop: step over.
    let (port, stops) = port_with(5, |m| match m.reason {
        REASON_READY => set_bit(m, 0),
        REASON_BREAKPOINT => {
            assert_eq!((m.in_wasm, m.global_count), (1, 2));
            // SAFETY: two globals (set_up). $heap moved past the request cabi_realloc lowered.
            let globals = unsafe { core::slice::from_raw_parts(m.globals as *const u64, 2) };
            assert!(globals[0] > 4096, "the globals are refreshed: {globals:?}");
            assert_eq!(m.memory_size, 65536);
            assert_ne!(m.memory_base, 0);
            // The entry stop comes after the parameters are stored: "/hello" is 6 bytes.
            assert_eq!(m.values_size, 65536);
            // SAFETY: the value slots' memory is 65536 bytes; row 0, slot 1.
            assert_eq!(unsafe { *((m.values + 8) as *const u32) }, 6);
            m.step_mode = STEP_OVER;
            m.step_depth = m.depth;
        }
        _ => m.step_mode = STEP_RUN,
    });
    let mut app = load(Some(port)).unwrap();
    assert_eq!(stops.borrow().len(), 1);
    assert_eq!(stops.borrow()[0].reason, REASON_READY);
    let response = get(&mut app, "/hello");
    assert_eq!((response.status, response.body.as_slice()), (200, b"hello, world".as_slice()));
    let seen: Vec<(u32, u32, u32)> = stops.borrow()[1..].iter().map(|s| (s.reason, s.site, s.depth)).collect();
    assert_eq!(seen, [(REASON_BREAKPOINT, 0, 1), (REASON_STEP, 6, 1)]);
    assert_eq!((mailbox(&port).depth, mailbox(&port).in_wasm), (0, 0));
}

#[test]
fn a_trap_stops_with_its_code_and_the_trapping_frame() {
    let (port, stops) = port_with(5, |m| m.step_mode = STEP_RUN);
    let mut app = load(Some(port)).unwrap();
    assert_eq!(get(&mut app, "/trap").status, 500);
    let trap = stops.borrow().last().unwrap().clone();
    assert_eq!((trap.reason, trap.depth), (REASON_TRAP, 1));
    assert_eq!(trap.frames, [Frame { entry_site: 12, site: 18 }]);
    // The mailbox's number for `unreachable` (docs/DEBUGGING.md; wasmi 2.0's own is 1).
    assert_eq!(mailbox(&port).trap_code, 0);
    assert_eq!(mailbox(&port).depth, 0);
    // The poisoned instance restarts (init runs again) and serves the next request.
    assert_eq!(get(&mut app, "/hello").status, 200);
}

#[test]
fn a_memory_grow_tells_the_mailbox_where_linear_memory_is_now_without_a_stop() {
    // handle-hello grows linear memory by 255 pages after its statement, and calls the probe with
    // MEMORY_GROWN as the instrumenter has it do after each memory.grow.
    let grown = "(drop (call $probe (i32.const 6)))";
    let wat = edit(instrumented_demo_wat(), grown, "(drop (call $probe (i32.const 6))) (drop (memory.grow (i32.const 255))) (drop (call $probe (i32.const -1)))");
    let (port, stops) = port_with(5, |m| m.step_mode = STEP_RUN);
    let mut app = load_module(&wat::parse_str(wat).unwrap(), Some(port)).unwrap();
    assert_eq!(get(&mut app, "/hello").status, 200);
    let m = mailbox(&port);
    assert_eq!(m.stops, 1, "the ready stop only");
    assert_eq!(m.memory_size, 256 * 65536);
    assert_ne!(m.memory_base, 0);
    assert_eq!(stops.borrow().len(), 1);
}
