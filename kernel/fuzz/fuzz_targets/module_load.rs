//! `App::load` on hostile modules, then a few requests to what loaded.
//!
//! Input: bytes starting with `\0asm` are loaded as they are (the seeds are
//! real guests, which the fuzzer mutates); anything else drives wasm-smith
//! to generate a valid module that imports only what the host provides and
//! exports what it requires (memory, cabi_realloc, init, two handlers), so
//! its random code reaches instantiation, `init` and the host functions
//! with arbitrary arguments.
//!
//! Checked: no panic, in the host or in wasmi, under small fuel and memory
//! limits; a load error or a response, never anything else.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use uniwasm_runtime::host::{App, AppConfig};
use uniwasm_runtime::http::{Method, Request};
use uniwasm_runtime::kv::MemoryStore;

/// What the host provides (`IMPORTS` in runtime/src/host/slight_imports.rs).
const IMPORTS: &str = r#"(module
  (import "spiderlightning:slight/keyvalue" "[static]keyvalue.open" (func (param i32 i32 i32)))
  (import "spiderlightning:slight/keyvalue" "[method]keyvalue.get" (func (param i32 i32 i32 i32)))
  (import "spiderlightning:slight/keyvalue" "[method]keyvalue.set" (func (param i32 i32 i32 i32 i32 i32)))
  (import "spiderlightning:slight/keyvalue" "[method]keyvalue.keys" (func (param i32 i32)))
  (import "spiderlightning:slight/keyvalue" "[method]keyvalue.delete" (func (param i32 i32 i32 i32)))
  (import "spiderlightning:slight/keyvalue" "[resource-drop]keyvalue" (func (param i32)))
  (import "spiderlightning:slight/http-server" "[static]router.new" (func (param i32)))
  (import "spiderlightning:slight/http-server" "[method]router.get" (func (param i32 i32 i32 i32 i32 i32)))
  (import "spiderlightning:slight/http-server" "[method]router.put" (func (param i32 i32 i32 i32 i32 i32)))
  (import "spiderlightning:slight/http-server" "[method]router.post" (func (param i32 i32 i32 i32 i32 i32)))
  (import "spiderlightning:slight/http-server" "[method]router.delete" (func (param i32 i32 i32 i32 i32 i32)))
  (import "spiderlightning:slight/http-server" "[static]server.serve" (func (param i32 i32 i32 i32)))
  (import "spiderlightning:slight/http-server" "[method]server.stop" (func (param i32 i32)))
  (import "spiderlightning:slight/http-server" "[resource-drop]router" (func (param i32)))
  (import "spiderlightning:slight/http-server" "[resource-drop]server" (func (param i32))))"#;

/// What the host requires (docs/ABI.md), and two handlers.
const EXPORTS: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) unreachable)
  (func (export "init") (result i32) unreachable)
  (func (export "h") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) unreachable)
  (func (export "cabi_post_h") (param i32) unreachable)
  (func (export "g") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) unreachable))"#;

/// Small limits, so a runaway module costs little.
fn config() -> AppConfig {
    AppConfig { init_fuel: 20_000, request_fuel: 10_000, max_memory: 4 << 20, ..AppConfig::default() }
}

fn smith_config() -> &'static wasm_smith::Config {
    static CONFIG: OnceLock<wasm_smith::Config> = OnceLock::new();
    CONFIG.get_or_init(|| wasm_smith::Config {
        available_imports: Some(wat::parse_str(IMPORTS).unwrap()),
        exports: Some(wat::parse_str(EXPORTS).unwrap()),
        max_instructions: 200,
        ..uniwasm_fuzz::smith_config()
    })
}

/// A request for each route (parameters filled in), one for no route, twice
/// over so a trap's restart is exercised too.
fn exercise(app: &mut App, body: &[u8]) {
    let routes = app.routes();
    for _ in 0..2 {
        let paths = routes.iter().take(4).map(|(method, pattern, _)| {
            let path: Vec<&str> = pattern.split('/').map(|s| if s.starts_with(':') { "p" } else { s }).collect();
            (*method, path.join("/"))
        });
        for (method, uri) in paths.chain([(Method::Get, "/".to_string())]) {
            let request = Request {
                method,
                uri,
                headers: vec![("Host".into(), "fuzz".into())],
                body: Some(body.to_vec()),
                keep_alive: true,
            };
            let response = app.handle(&request);
            assert!((200..=599).contains(&response.status), "status {}", response.status);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let module = if data.starts_with(b"\0asm") {
        data.to_vec()
    } else {
        let mut u = Unstructured::new(data);
        match wasm_smith::Module::new(smith_config().clone(), &mut u) {
            Ok(module) => module.to_bytes(),
            Err(_) => return,
        }
    };
    if let Ok(mut app) = App::load(&module, Box::new(MemoryStore::default()), config()) {
        exercise(&mut app, &data[..data.len().min(64)]);
    }
});
