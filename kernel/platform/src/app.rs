//! The hand-over of the boot module (the app's WebAssembly) to the runtime: a core module runs
//! as a SpiderLightning app, a component as a `wasi:http/proxy` app, told apart by the binary's
//! version and layer fields.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;

use uniwasm_runtime::debug::DebugPort;
use uniwasm_runtime::host::{App, AppConfig, ComponentApp, Serve};
use uniwasm_runtime::kv::KeyValueStore;
use uniwasm_runtime::trace::Tracer;

use crate::wasi_platform::KernelWasi;

const WASM_MAGIC: [u8; 4] = *b"\0asm";
const CORE_MODULE: [u8; 4] = [1, 0, 0, 0];
/// Version 0x0d, layer 1: a component.
const COMPONENT: [u8; 4] = [0x0d, 0, 1, 0];

/// Loads the app, under a Wasm-level debugger when `debug` is given; the error is a boot-failure
/// reason. A core module gets `store` and runs its `init`; a component gets `wasi` for its WASI host.
/// `port` is the one the kernel listens on: a core module's `server.serve` must name it.
pub fn load(
    module: &[u8],
    port: u16,
    store: Box<dyn KeyValueStore>,
    wasi: impl FnOnce() -> KernelWasi,
    tracer: Option<Box<dyn Tracer>>,
    debug: Option<DebugPort>,
) -> Result<Box<dyn Serve>, String> {
    let config = AppConfig { debug, port, ..AppConfig::default() };
    match kind(module).map_err(|why| format!("app module is not a WebAssembly module: {why}"))? {
        Kind::Core => {
            let app = App::load_traced(module, store, tracer, config).map_err(|e| format!("app: {e}"))?;
            log::info!("app: a SpiderLightning core module, {} bytes", module.len());
            for (method, pattern, handler) in app.routes() {
                log::info!("app: {} {pattern} -> {handler}", method.as_str());
            }
            Ok(Box::new(app))
        }
        Kind::Component => {
            let app = ComponentApp::load(module, Box::new(wasi()), tracer, config).map_err(|e| format!("app: {e}"))?;
            log::info!("app: a component, {} bytes, serving {}", module.len(), app.handler());
            log::info!("app: imports {}", app.imports().join(", "));
            Ok(Box::new(app))
        }
    }
}

enum Kind {
    Core,
    Component,
}

/// What the module's first 8 bytes say it is, so that a wrong file (an ELF, a text file) is named
/// as such rather than as a parse error deep in the module.
fn kind(module: &[u8]) -> Result<Kind, String> {
    if module.len() < 8 {
        return Err(format!("only {} bytes", module.len()));
    }
    if module[..4] != WASM_MAGIC {
        return Err(format!("starts with {:02x?}, expected {:02x?}", &module[..4], WASM_MAGIC));
    }
    match <[u8; 4]>::try_from(&module[4..8]).expect("4 bytes") {
        CORE_MODULE => Ok(Kind::Core),
        COMPONENT => Ok(Kind::Component),
        other => Err(format!("version and layer {other:02x?}: neither a core module {CORE_MODULE:02x?} nor a component {COMPONENT:02x?}")),
    }
}
