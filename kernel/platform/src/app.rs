//! The hand-over of the boot module (the app's WebAssembly) to the runtime.

use alloc::format;
use alloc::string::String;

const WASM_MAGIC: [u8; 4] = *b"\0asm";
const WASM_VERSION: [u8; 4] = [1, 0, 0, 0];

/// The loaded app. The runtime will instantiate the module here; until then, the header is checked.
pub struct App {
    pub size: usize,
}

/// Hands the module (QEMU `-initrd`) to the runtime; the error is a boot-failure reason.
pub fn load(module: &'static [u8]) -> Result<App, String> {
    let not_wasm = |why: String| format!("app module is not a WebAssembly module: {why}");
    if module.len() < 8 {
        return Err(not_wasm(format!("only {} bytes", module.len())));
    }
    if module[..4] != WASM_MAGIC {
        return Err(not_wasm(format!("starts with {:02x?}, expected {:02x?}", &module[..4], WASM_MAGIC)));
    }
    if module[4..8] != WASM_VERSION {
        return Err(not_wasm(format!("version {:02x?}, expected {:02x?} (version 1)", &module[4..8], WASM_VERSION)));
    }
    Ok(App { size: module.len() })
}
