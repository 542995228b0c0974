//! Hostile modules: bytes that are not a valid module, and a guest that
//! loops, exhausts memory or the stack, traps while starting, or answers with
//! more than the host may copy (tests/guests/hostile.wat). Each ends in a
//! `LoadError` naming the problem or in an HTTP status, the host allocates
//! within bounds, and a loaded app keeps serving.

mod common;

use common::counting::{peak_during, Counting};
use uniwasm_runtime::host::{App, AppConfig, LoadError};
use uniwasm_runtime::http::{Method, Request, Response};
use uniwasm_runtime::kv::MemoryStore;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const GUEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests/hostile.wat");

/// Small limits, so the runaway cases end quickly: 4 MiB is 64 pages.
fn config() -> AppConfig {
    AppConfig { init_fuel: 1_000_000, request_fuel: 1_000_000, max_memory: 4 << 20, ..AppConfig::default() }
}

fn guest() -> Vec<u8> {
    wat::parse_file(GUEST).unwrap()
}

/// The guest with `from` replaced by `to` in its source.
fn patched(from: &str, to: &str) -> Vec<u8> {
    let src = std::fs::read_to_string(GUEST).unwrap();
    assert!(src.contains(from), "{from}");
    wat::parse_str(src.replacen(from, to, 1)).unwrap()
}

fn load(wasm: &[u8]) -> Result<App, LoadError> {
    App::load(wasm, Box::new(MemoryStore::default()), config())
}

fn load_err(wasm: &[u8]) -> LoadError {
    match load(wasm) {
        Ok(_) => panic!("loaded"),
        Err(e) => e,
    }
}

fn get(app: &mut App, uri: &str) -> Response {
    app.handle(&Request {
        method: Method::Get,
        uri: uri.into(),
        headers: vec![("Host".into(), "test".into())],
        body: None,
        keep_alive: true,
    })
}

fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// Answers `uri` with `status`, whose body contains `message`, then serves
/// /hello, twice over (the second time on the instance restarted after a
/// trap, if there was one).
fn answers_then_serves(app: &mut App, uri: &str, status: u16, message: &str) {
    for _ in 0..2 {
        let r = get(app, uri);
        assert_eq!(r.status, status, "{uri}: {}", text(&r));
        assert!(text(&r).contains(message), "{uri}: {}", text(&r));
        let r = get(app, "/hello");
        assert_eq!((r.status, text(&r).as_str()), (200, "hello, world"), "after {uri}");
    }
}

/// A deterministic byte stream (xorshift).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn invalid(wasm: &[u8]) -> String {
    match load_err(wasm) {
        LoadError::Invalid(m) => m,
        other => panic!("{other:?} for {:?}", &wasm[..wasm.len().min(16)]),
    }
}

#[test]
fn bytes_that_are_not_wasm_are_invalid() {
    assert!(invalid(b"").contains("unexpected end"), "{}", invalid(b""));
    for (seed, len) in (1..=50).zip((8..).step_by(37)) {
        let message = invalid(&noise(seed, len));
        assert!(message.contains("magic header"), "{message}");
    }
    // Noise after a good header: the parser names where it failed.
    for seed in 1..=50 {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend(noise(seed, 300));
        let message = invalid(&bytes);
        assert!(message.contains("(at offset 0x"), "{message}");
    }
}

/// Found by the module_load fuzzer: growing a 64-bit memory whose maximum is 2^48 pages panics in
/// wasmi (1.1, and 2.0 still: the byte size overflows u64), which in the kernel is a crash. The
/// canonical ABI's pointers are 32-bit, so the host refuses 64-bit memories up front: wasmi is built
/// without its `memory64` feature.
#[test]
fn a_64_bit_memory_is_refused() {
    let wasm = wat::parse_str(
        r#"(module
          (memory (export "memory") i64 1 281474976710656)
          (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) unreachable)
          (func (export "init") (result i32) (drop (memory.grow (i64.const 1))) unreachable))"#,
    )
    .unwrap();
    // A maximum beyond 32 bits is refused by the parser (at its offset), any other by name.
    assert!(invalid(&wasm).contains("at offset 0x"), "{}", invalid(&wasm));
    let wasm = wat::parse_str(r#"(module (memory (export "memory") i64 1))"#).unwrap();
    assert!(invalid(&wasm).contains("memory64"), "{}", invalid(&wasm));
}

#[test]
fn wrong_magic_or_version_is_named() {
    let mut wasm = guest();
    wasm[0] = b'X';
    assert!(invalid(&wasm).contains("magic"), "{}", invalid(&wasm));
    let mut wasm = guest();
    wasm[4] = 2;
    assert!(invalid(&wasm).contains("version"), "{}", invalid(&wasm));
    // A component (version 0x0d, layer 1) is not a core module.
    let mut wasm = guest();
    wasm[4..8].copy_from_slice(&[0x0d, 0, 1, 0]);
    assert!(invalid(&wasm).contains("component"), "{}", invalid(&wasm));
}

#[test]
fn every_truncation_fails_to_load_or_lost_only_custom_sections() {
    let wasm = guest();
    let mut loaded = 0;
    for len in 0..wasm.len() {
        // A cut inside a section is invalid. A cut at a section boundary
        // leaves a valid module that lacks what the host needs (an export, or
        // the data init reads), or, cutting only the trailing custom "name"
        // section, the whole app.
        match load(&wasm[..len]) {
            Err(LoadError::Invalid(m)) => assert!(!m.is_empty()),
            Err(e @ (LoadError::MissingExport { .. } | LoadError::InitTrap(_))) => assert!(!e.to_string().is_empty()),
            Err(e) => panic!("cut at {len}: {e:?}"),
            Ok(mut app) => {
                loaded += 1;
                assert_eq!(text(&get(&mut app, "/hello")), "hello, world", "cut at {len}");
            }
        }
    }
    assert_eq!(loaded, 1, "only the cut before the name section loads");
    assert!(invalid(&wasm[..wasm.len() - 1]).contains("unexpected end"), "{}", invalid(&wasm[..wasm.len() - 1]));
}

#[test]
fn an_endless_handler_is_504_and_the_app_keeps_serving() {
    let mut app = load(&guest()).unwrap();
    answers_then_serves(&mut app, "/loop", 504, "ran out of fuel");
}

/// wasmi 2's tail-call dispatch (its default in optimized builds) runs the instruction after a
/// `memory.grow` or `table.grow` as a nested call, so such a loop piles up native stack frames until
/// fuel runs out: a stack overflow, which the kernel's stack has no guard page to catch. Run this with
/// `cargo test --release` to check the dispatch the kernel is built with (Cargo.toml).
#[test]
fn an_endless_loop_of_grows_is_504() {
    let handler = r#"(func (export "loop") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)"#;
    let grows = "(loop $forever (drop (memory.grow (i32.const 1))) (drop (table.grow (ref.null func) (i32.const 1))) (br $forever))";
    let wasm = patched(&format!("{handler}\n    (loop $forever (br $forever))"), &format!("(table 0 1 funcref) {handler} {grows}"));
    let mut app = load(&wasm).unwrap();
    answers_then_serves(&mut app, "/loop", 504, "ran out of fuel");
}

#[test]
fn an_endless_cabi_realloc_is_504() {
    // The host allocates the request's URI first: 777 bytes make it loop.
    let mut app = load(&guest()).unwrap();
    let uri = format!("/hello?{}", "x".repeat(777 - 7));
    answers_then_serves(&mut app, &uri, 504, "ran out of fuel");
}

#[test]
fn an_out_of_bounds_cabi_realloc_is_500() {
    let mut app = load(&guest()).unwrap();
    let uri = format!("/hello?{}", "x".repeat(666 - 7));
    answers_then_serves(&mut app, &uri, 500, "out of bounds");
}

#[test]
fn memory_growth_stops_at_the_limit() {
    let mut app = load(&guest()).unwrap();
    let r = get(&mut app, "/grow");
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.body, 64u32.to_le_bytes(), "pages reached");
    // The instance was not poisoned: it serves on with all its memory.
    assert_eq!(get(&mut app, "/hello").status, 200);
    assert_eq!(get(&mut app, "/grow").body, 64u32.to_le_bytes());
    answers_then_serves(&mut app, "/grow-trap", 500, "trapped");
}

#[test]
fn stack_exhaustion_is_500_and_the_app_keeps_serving() {
    let mut app = load(&guest()).unwrap();
    answers_then_serves(&mut app, "/recurse", 500, "stack");
}

#[test]
fn a_trapping_start_is_a_load_error() {
    let init_trap = |hook: &str| match load_err(&patched("(func $init_hook)", hook)) {
        LoadError::InitTrap(m) => m,
        other => panic!("{hook}: {other:?}"),
    };
    assert!(init_trap("(func $init_hook unreachable)").contains("unreachable"));
    assert!(init_trap("(func $init_hook (loop $l (br $l)))").contains("fuel"));
    assert!(init_trap("(func $init_hook (call $init_hook))").contains("stack"));
    assert!(init_trap("(func $init_hook (drop (i32.load (i32.const -4))))").contains("out of bounds"));
    // _initialize runs before init.
    let e = load_err(&patched("(func $init_hook)", "(func $init_hook) (func (export \"_initialize\") unreachable)"));
    assert!(matches!(&e, LoadError::InitTrap(m) if m.contains("unreachable")), "{e:?}");
    // A start function traps during instantiation, or runs out of fuel there.
    let e = load_err(&patched("(func $init_hook)", "(func $init_hook) (start $boom) (func $boom unreachable)"));
    assert!(matches!(&e, LoadError::InitTrap(m) if m.contains("unreachable")), "{e:?}");
    let e = load_err(&patched("(func $init_hook)", "(func $init_hook) (start $spin) (func $spin (loop $l (br $l)))"));
    assert!(matches!(&e, LoadError::InitTrap(m) if m.contains("fuel")), "{e:?}");
}

#[test]
fn memory_over_the_limit_is_refused_at_instantiation() {
    let e = load_err(&patched("(memory (export \"memory\") 1)", "(memory (export \"memory\") 65)"));
    assert!(matches!(&e, LoadError::Instantiate(_)), "{e:?}");
    // At the limit it loads.
    assert!(load(&patched("(memory (export \"memory\") 1)", "(memory (export \"memory\") 64)")).is_ok());
}

#[test]
fn aliased_response_headers_do_not_blow_up_the_host() {
    // The guest's memory is 192 KiB; lifting its 1024 headers whole would
    // take 128 MiB of the host's heap (the unikernel has about 126 MiB).
    let mut app = load(&guest()).unwrap();
    let (r, peak) = peak_during(|| get(&mut app, "/headers"));
    assert!(peak < 8 << 20, "the host allocated {} MiB", peak >> 20);
    assert_eq!(r.status, 500, "{}", text(&r));
    assert!(text(&r).contains("limit"), "{}", text(&r));
    assert_eq!(get(&mut app, "/hello").status, 200);
}

#[test]
fn a_body_over_the_lift_limit_is_500_without_a_copy() {
    // /grow answers with the whole memory as its body: 32 MiB here, twice the lift limit.
    let wasm = patched(
        "(call $respond (i32.const 200) (i32.const 600) (i32.const 4))",
        "(call $respond (i32.const 200) (i32.const 0) (i32.mul (memory.size) (i32.const 65536)))",
    );
    let config = AppConfig { max_memory: 32 << 20, ..config() };
    let mut app = App::load(&wasm, Box::new(MemoryStore::default()), config).unwrap();
    let (r, peak) = peak_during(|| get(&mut app, "/grow"));
    assert_eq!(r.status, 500, "{}", text(&r));
    assert!(text(&r).contains("over the host's limit"), "{}", text(&r));
    // The guest's own 32 MiB, and no copy of them.
    assert!(peak < (32 << 20) + (4 << 20), "the host allocated {} MiB", peak >> 20);
    assert_eq!(get(&mut app, "/hello").status, 200);
}
