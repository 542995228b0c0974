//! `ComponentApp::load` on hostile components, then two requests to what loaded, on the real
//! WASI host with a platform whose clock jumps to any deadline waited for.
//!
//! Input: bytes starting with a component's header (`\0asm\x0d\0\x01\0`) are loaded as they are
//! (the seeds are small real components, which the fuzzer mutates). Anything else is a structured
//! mutation of a real component: the first byte picks a template (the hostile test component, or
//! for one input in eight an example component when they are built: they are 14 and 70 times its
//! size, and as much slower) and one of its core modules, and the rest drives wasm-smith to write
//! a module with exactly that module's imports and exports, spliced in its place. Its random code then reaches `_initialize`, `handle`, `cabi_realloc` and every
//! WASI function the template lowers, through the real canonical ABI, with arbitrary arguments.
//!
//! Checked: no panic, in the loader, the canonical ABI, the WASI host or wasmi, under small fuel
//! and memory limits; a load error or a response (100 to 599), never anything else.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;
use uniwasm_runtime::host::{AppConfig, ComponentApp};
use uniwasm_runtime::http::{Method, Request};
use uniwasm_runtime::wasi::{ClientError, ClientRequest, ClientResponse, Platform};

const COMPONENT_HEADER: &[u8] = b"\0asm\x0d\0\x01\0";

/// Time moves only when the guest waits, and then to the deadline: a guest that sleeps for ever
/// costs nothing, and one that polls in a loop runs out of fuel.
struct FuzzPlatform {
    now_ns: u64,
}

impl Platform for FuzzPlatform {
    fn monotonic_ns(&self) -> u64 {
        self.now_ns
    }
    fn wall_clock(&self) -> (u64, u32) {
        (1_700_000_000 + self.now_ns / 1_000_000_000, (self.now_ns % 1_000_000_000) as u32)
    }
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(0x5a);
    }
    fn console(&mut self, _stderr: bool, _bytes: &[u8]) {}
    fn wait_until(&mut self, deadline_ns: u64) {
        self.now_ns = self.now_ns.max(deadline_ns);
    }
    fn send(&mut self, _: ClientRequest) -> Result<ClientResponse, ClientError> {
        Err(ClientError::ConnectionRefused)
    }
}

/// Small limits, so a runaway component costs little (most of an execution is fuel burnt in
/// loops, by an instrumented wasmi).
fn config() -> AppConfig {
    AppConfig { init_fuel: 50_000, request_fuel: 20_000, max_memory: 8 << 20, ..AppConfig::default() }
}

/// A real component and where its core modules sit in it.
struct Template {
    bytes: Vec<u8>,
    /// Each core module: its section's start, its bytes' range, and wasm-smith told its shape.
    modules: Vec<(usize, Range<usize>, wasm_smith::Config)>,
}

/// The top-level sections of a component: (id, start of the section, range of its payload).
fn sections(bytes: &[u8]) -> Vec<(u8, usize, Range<usize>)> {
    let mut out = Vec::new();
    let mut at = COMPONENT_HEADER.len();
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        at += 1;
        let (mut size, mut shift) = (0usize, 0);
        loop {
            let byte = bytes[at];
            at += 1;
            size |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        out.push((id, start, at..at + size));
        at += size;
    }
    out
}

fn template(bytes: Vec<u8>) -> Template {
    const MODULE_SECTION: u8 = 1;
    let modules = sections(&bytes)
        .into_iter()
        .filter(|(id, _, _)| *id == MODULE_SECTION)
        .map(|(_, start, range)| {
            let config = wasm_smith::Config {
                module_shape: Some(bytes[range.clone()].to_vec()),
                // The canonical ABI's pointers are 32-bit.
                memory64_enabled: false,
                max_instructions: 300,
                ..uniwasm_fuzz::smith_config()
            };
            (start, range, config)
        })
        .collect();
    Template { bytes, modules }
}

/// The hostile test component, and the example components when they are built.
fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let hostile = include_str!("../../runtime/tests/guests/hostile-component.wat");
        let mut all = vec![template(wat::parse_str(hostile).unwrap())];
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        for name in ["http-component-c", "http-component-rust"] {
            if let Ok(bytes) = std::fs::read(examples.join(name).join("build").join(format!("{name}.wasm"))) {
                all.push(template(bytes));
            }
        }
        all
    })
}

/// A template with the chosen core module replaced by one wasm-smith writes in its shape.
fn spliced(choice: u8, data: &[u8]) -> Option<Vec<u8>> {
    let templates = templates();
    let template = match choice % 8 {
        7 if templates.len() > 1 => &templates[1 + usize::from(choice / 8) % (templates.len() - 1)],
        _ => &templates[0],
    };
    let (start, range, config) = &template.modules[usize::from(choice / 16) % template.modules.len()];
    let module = wasm_smith::Module::new(config.clone(), &mut Unstructured::new(data)).ok()?.to_bytes();
    let mut out = template.bytes[..*start].to_vec();
    out.push(1);
    let mut size = module.len();
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        out.push(if size == 0 { byte } else { byte | 0x80 });
        if size == 0 {
            break;
        }
    }
    out.extend_from_slice(&module);
    out.extend_from_slice(&template.bytes[range.end..]);
    Some(out)
}

fn exercise(app: &mut ComponentApp, body: &[u8]) {
    let requests = [(Method::Get, "/hello", None), (Method::Post, "/echo", Some(body.to_vec()))];
    for (method, uri, body) in requests {
        let headers = vec![("host".into(), "fuzz".into()), ("x-fuzz".into(), "1".into())];
        let response = app.handle(&Request { method, uri: uri.into(), headers, body, keep_alive: true });
        assert!((100..=599).contains(&response.status), "status {}", response.status);
    }
}

fuzz_target!(|data: &[u8]| {
    let component = if data.starts_with(COMPONENT_HEADER) {
        data.to_vec()
    } else {
        let Some((&choice, rest)) = data.split_first() else { return };
        match spliced(choice, rest) {
            Some(bytes) => bytes,
            None => return,
        }
    };
    if let Ok(mut app) = ComponentApp::load(&component, Box::new(FuzzPlatform { now_ns: 0 }), None, config()) {
        exercise(&mut app, &data[..data.len().min(64)]);
    }
});
