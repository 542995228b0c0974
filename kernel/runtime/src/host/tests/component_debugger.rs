//! The debugger's hooks through `ComponentApp`, with the simulated debugger of debug/tests.rs.
//!
//! The guest is a small `wasi:http` component shaped as the instrumenter leaves one: its core
//! module imports the probe, and a stand-in instance gives that import so that the component
//! validates. `handle` has sites 0 (entry), 1 (statement) and 2 (exit); it never sets a response.

use crate::component::LoadError;
use crate::debug::tests::{mailbox, port_with, set_bit};
use crate::debug::*;
use crate::host::{AppConfig, ComponentApp, ComponentLoadError};
use crate::wasi::{ClientError, ClientRequest, ClientResponse, Platform};
use std::boxed::Box;
use std::vec;
use std::vec::Vec;

const INSTRUMENTED: &str = r#"
(component
  (import "wasi:http/types@0.2.0" (instance $types
    (export "incoming-request" (type (sub resource)))
    (export "response-outparam" (type (sub resource)))))
  (alias export $types "incoming-request" (type $request))
  (alias export $types "response-outparam" (type $response-out))
  (core module $stand-in (func (export "probe") (param i32) (result i32) unreachable))
  (core instance $stand-in (instantiate $stand-in))
  (core module $main
    (import "uniwasm:debug" "probe" (func $probe (param i32) (result i32)))
    (memory (export "memory") 1)
    (global $count (export "uniwasm:debug.global.0") (mut i32) (i32.const 41))
    (func (export "wasi:http/incoming-handler@0.2.0#handle") (param i32 i32)
      (if (i32.and (call $probe (i32.const 0)) (i32.const 1)) (then (drop (call $probe (i32.const 3)))))
      (drop (call $probe (i32.const 6)))
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      EXIT)
    START)
  (core instance $main (instantiate $main (with "uniwasm:debug" (instance $stand-in))))
  (func $handle (param "request" (own $request)) (param "response-out" (own $response-out))
    (canon lift (core func $main "wasi:http/incoming-handler@0.2.0#handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler)))
"#;

/// The component, returning from `handle` (through its exit probe) or trapping before.
fn component(trap: bool) -> Vec<u8> {
    wat::parse_str(INSTRUMENTED.replace("EXIT", if trap { "unreachable" } else { "(drop (call $probe (i32.const 9)))" }).replace("START", "")).unwrap()
}

/// A platform with nothing behind it: the guest above never calls it.
struct NoPlatform;

impl Platform for NoPlatform {
    fn monotonic_ns(&self) -> u64 {
        0
    }
    fn wall_clock(&self) -> (u64, u32) {
        (0, 0)
    }
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(4);
    }
    fn console(&mut self, _: bool, _: &[u8]) {}
    fn wait_until(&mut self, _: u64) {}
    fn send(&mut self, _: ClientRequest) -> Result<ClientResponse, ClientError> {
        Err(ClientError::ConnectionRefused)
    }
}

fn load(trap: bool, debug: Option<DebugPort>) -> Result<ComponentApp, ComponentLoadError> {
    ComponentApp::load(&component(trap), Box::new(NoPlatform), None, AppConfig { debug, ..AppConfig::default() })
}

fn get(app: &mut ComponentApp) -> crate::http::Response {
    let request = crate::http::Request { method: crate::http::Method::Get, uri: "/".into(), headers: vec![], body: None, keep_alive: true };
    app.handle(&request)
}

#[test]
fn without_wasm_debug_the_instrumented_component_is_refused() {
    match load(false, None) {
        Err(ComponentLoadError::Load(LoadError::Instantiate(why))) => assert!(why.contains("uniwasm:debug#probe") && why.contains("wasm_debug"), "{why}"),
        other => panic!("expected the instrumented module to be refused, got {:?}", other.err()),
    }
}

#[test]
fn the_component_stops_ready_then_at_a_breakpoint_in_handle_and_steps() {
    // At the ready stop: a breakpoint on handle's entry. At that stop: step over.
    let (port, stops) = port_with(3, |m| match m.reason {
        REASON_READY => set_bit(m, 0),
        REASON_BREAKPOINT => {
            assert_eq!((m.in_wasm, m.global_count), (1, 1));
            // SAFETY: one global (set_up).
            assert_eq!(unsafe { *(m.globals as *const u64) }, 41);
            assert_eq!(m.memory_size, 65536);
            assert_ne!(m.memory_base, 0);
            m.step_mode = STEP_OVER;
            m.step_depth = m.depth;
        }
        _ => m.step_mode = STEP_RUN,
    });
    let mut app = load(false, Some(port)).unwrap();
    let seen = |from: usize| stops.borrow()[from..].iter().map(|s| (s.reason, s.site, s.depth)).collect::<Vec<_>>();
    assert_eq!(seen(0), [(REASON_READY, 0, 0)]);
    // The handler sets no response: a 500, after the debugger saw it run.
    assert_eq!(get(&mut app).status, 500);
    assert_eq!(seen(1), [(REASON_BREAKPOINT, 0, 1), (REASON_STEP, 6, 1)]);
    assert_eq!((mailbox(&port).depth, mailbox(&port).in_wasm), (0, 0));
}

#[test]
fn a_stop_in_a_start_function_shows_the_module_s_memory_and_globals() {
    // A start function whose entry is site 3.
    let start = "(func $start (if (i32.and (call $probe (i32.const 12)) (i32.const 1)) (then (drop (call $probe (i32.const 15)))))) (start $start)";
    let bytes = wat::parse_str(INSTRUMENTED.replace("EXIT", "").replace("START", start)).unwrap();
    let (port, stops) = port_with(4, |m| match m.reason {
        REASON_READY => set_bit(m, 3),
        _ => {
            assert_eq!((m.in_wasm, m.memory_size), (1, 65536));
            // SAFETY: one global (set_up).
            assert_eq!(unsafe { *(m.globals as *const u64) }, 41);
        }
    });
    ComponentApp::load(&bytes, Box::new(NoPlatform), None, AppConfig { debug: Some(port), ..AppConfig::default() }).unwrap();
    let seen: Vec<(u32, u32)> = stops.borrow().iter().map(|s| (s.reason, s.site)).collect();
    assert_eq!(seen, [(REASON_READY, 0), (REASON_BREAKPOINT, 12)]);
}

#[test]
fn a_trap_in_handle_stops_with_its_code_and_the_fresh_instance_gets_the_probe_again() {
    let (port, stops) = port_with(3, |m| m.step_mode = STEP_RUN);
    let mut app = load(true, Some(port)).unwrap();
    for _ in 0..2 {
        assert_eq!(get(&mut app).status, 500);
        let trap = stops.borrow().last().unwrap().clone();
        assert_eq!((trap.reason, trap.depth), (REASON_TRAP, 1));
        assert_eq!(trap.frames, [Frame { entry_site: 0, site: 6 }]);
        // 0: the mailbox's number the adapter names `unreachable executed` (src/debug/wasm/mailbox.ts).
        assert_eq!(mailbox(&port).trap_code, 0);
        assert_eq!(mailbox(&port).depth, 0);
    }
    let reasons: Vec<u32> = stops.borrow().iter().map(|s| s.reason).collect();
    assert_eq!(reasons, [REASON_READY, REASON_TRAP, REASON_TRAP]);
}
