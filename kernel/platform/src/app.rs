//! The hand-over of the boot module (the app's WebAssembly) to the runtime.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;

use uniwasm_runtime::debug::DebugPort;
use uniwasm_runtime::host::{App, AppConfig};
use uniwasm_runtime::kv::KeyValueStore;
use uniwasm_runtime::trace::Tracer;

const WASM_MAGIC: [u8; 4] = *b"\0asm";
const WASM_VERSION: [u8; 4] = [1, 0, 0, 0];

/// Loads the module (QEMU `-initrd`) and runs its `init`, under a Wasm-level debugger when `debug`
/// is given; the error is a boot-failure reason.
pub fn load(
    module: &[u8],
    store: Box<dyn KeyValueStore>,
    tracer: Option<Box<dyn Tracer>>,
    debug: Option<DebugPort>,
) -> Result<App, String> {
    check_header(module).map_err(|why| format!("app module is not a WebAssembly module: {why}"))?;
    App::load_traced(module, store, tracer, AppConfig { debug, ..AppConfig::default() }).map_err(|e| format!("app: {e}"))
}

/// The module's first 8 bytes, checked here so that a wrong file (an ELF, a text file, a
/// component) is named as such rather than as a parse error deep in the module.
fn check_header(module: &[u8]) -> Result<(), String> {
    if module.len() < 8 {
        return Err(format!("only {} bytes", module.len()));
    }
    if module[..4] != WASM_MAGIC {
        return Err(format!("starts with {:02x?}, expected {:02x?}", &module[..4], WASM_MAGIC));
    }
    if module[4..8] != WASM_VERSION {
        let hint = if module[4..8] == [0x0d, 0, 1, 0] { " — a component, not a core module" } else { "" };
        return Err(format!("version {:02x?}, expected {:02x?} (version 1){hint}", &module[4..8], WASM_VERSION));
    }
    Ok(())
}
