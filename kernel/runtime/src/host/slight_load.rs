//! Loading a SpiderLightning app: the module's imports and exports checked, the linker, and an instance started (`_initialize`, `init`).

use super::debugger;
use super::slight_dispatch::suspend;
use super::slight_imports::{call_import, import_error, SlightState, IMPORTS};
use super::AppConfig;
use crate::abi;
use crate::debug::{self, DebugPort};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use wasmi::{Engine, ExternType, FuncType, Instance, Linker, Module, Store, Val, ValType};

/// Why an app could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Not a valid Wasm module.
    Invalid(String),
    /// An import this host does not provide; `found` is its type.
    UnknownImport { module: String, field: String, found: String },
    /// An import this host provides, with another type.
    ImportType { module: String, field: String, expected: String, found: String },
    MissingExport { name: &'static str, expected: &'static str },
    ExportType { name: String, expected: String, found: String },
    Instantiate(String),
    /// `_initialize` or `init` trapped.
    InitTrap(String),
    /// `init` returned `err(message)`.
    InitFailed(String),
    /// `init` returned without calling `server.serve`.
    NotServing,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Invalid(m) => write!(f, "invalid Wasm module: {m}"),
            LoadError::UnknownImport { module, field, found } => {
                write!(f, "unknown import {module}#{field} of type {found}")
            }
            LoadError::ImportType { module, field, expected, found } => {
                write!(f, "import {module}#{field} has type {found}, expected {expected}")
            }
            LoadError::MissingExport { name, expected } => write!(f, "missing export {name}: {expected}"),
            LoadError::ExportType { name, expected, found } => {
                write!(f, "export {name} has type {found}, expected {expected}")
            }
            LoadError::Instantiate(m) => write!(f, "instantiation failed: {m}"),
            LoadError::InitTrap(m) => write!(f, "init trapped: {m}"),
            LoadError::InitFailed(m) => write!(f, "init failed: {m}"),
            LoadError::NotServing => f.write_str("init returned without calling server.serve"),
        }
    }
}

/// Compiles `wasm` on `engine`, checks what it imports and exports, and links it to this host's
/// imports (and the debugger's probe, with a debug port). Under a debugger, stops "ready" after.
pub(super) fn link(engine: &Engine, wasm: &[u8], debug: Option<DebugPort>) -> Result<(Module, Linker<SlightState>), LoadError> {
    let module = Module::new(engine, wasm).map_err(|e| LoadError::Invalid(e.to_string()))?;
    check_imports(&module, debug.is_some())?;
    check_exports(&module)?;
    let linker = make_linker(engine, debug);
    if let Some(port) = debug {
        debugger::ready(port, Some(&module));
    }
    Ok((module, linker))
}

/// Instantiates `module` and runs `_initialize` and `init`. The store is
/// returned even on failure, so its key-value store can be reused.
pub(super) fn start(
    module: &Module,
    linker: &Linker<SlightState>,
    state: SlightState,
    config: &AppConfig,
) -> (Store<SlightState>, Result<Instance, LoadError>) {
    let mut store = Store::new(module.engine(), state);
    store.limiter(|state| &mut state.limits);
    let port = store.data().debugged.port;
    let result = debugger::in_wasm(port, || run_init(&mut store, module, linker, config));
    (store, result)
}

fn run_init(
    store: &mut Store<SlightState>,
    module: &Module,
    linker: &Linker<SlightState>,
    config: &AppConfig,
) -> Result<Instance, LoadError> {
    let instantiate = |e: wasmi::Error| LoadError::Instantiate(e.to_string());
    let trap = |store: &Store<SlightState>, e: wasmi::Error| {
        store.data().debugged.trapped(store, e.as_trap_code());
        LoadError::InitTrap(e.to_string())
    };
    store.set_fuel(config.init_fuel).map_err(instantiate)?;
    // A trap here is the guest's start function running, not a failure to link.
    let instance = linker
        .instantiate_and_start(&mut *store, module)
        .map_err(|e| if e.as_trap_code().is_some() { trap(store, e) } else { instantiate(e) })?;
    let memory = instance.get_memory(&*store, "memory").ok_or(LoadError::MissingExport {
        name: "memory",
        expected: "memory",
    })?;
    store.data_mut().debugged.instance = Some(instance);
    let realloc = instance.get_typed_func(&*store, "cabi_realloc").map_err(instantiate)?;
    store.data_mut().guest = Some((memory, realloc));
    if let Ok(initialize) = instance.get_typed_func::<(), ()>(&*store, "_initialize") {
        initialize.call(&mut *store, ()).map_err(|e| trap(store, e))?;
    }
    let init = instance.get_typed_func::<(), i32>(&*store, "init").map_err(instantiate)?;
    let ptr = init.call(&mut *store, ()).map_err(|e| trap(store, e))? as u32;
    let result = abi::lift_init_result(memory.data(&*store), ptr).map_err(|e| LoadError::InitTrap(e.to_string()))?;
    post_return(store, &instance, "init", ptr).map_err(|e| trap(store, e))?;
    result.map_err(LoadError::InitFailed)?;
    if store.data().serving.is_none() {
        return Err(LoadError::NotServing);
    }
    Ok(instance)
}

/// Calls `cabi_post_<name>(ptr)` if the guest exports it.
pub(super) fn post_return(store: &mut Store<SlightState>, instance: &Instance, name: &str, ptr: u32) -> Result<(), wasmi::Error> {
    match instance.get_typed_func::<i32, ()>(&*store, &format!("cabi_post_{name}")) {
        Ok(post) => post.call(store, ptr as i32),
        Err(_) => Ok(()),
    }
}

/// Checks every import of `module` against [`IMPORTS`].
fn check_imports(module: &Module, debug: bool) -> Result<(), LoadError> {
    for import in module.imports() {
        let (module_name, field) = (import.module(), import.name());
        let found = extern_type(import.ty());
        // The probe is `(i32) -> (i32)`; the host's imports take i32s and return nothing.
        let probe = (debug && module_name == debug::PROBE_MODULE && field == debug::PROBE_FIELD).then_some((1, 1));
        let known = || IMPORTS.iter().find(|(m, f, _, _)| *m == module_name && *f == field).map(|i| (i.2, 0));
        let Some((params, results)) = probe.or_else(known) else {
            return Err(LoadError::UnknownImport { module: module_name.into(), field: field.into(), found });
        };
        let expected = FuncType::new(vec_i32(params), vec_i32(results));
        if !matches!(import.ty(), ExternType::Func(ty) if *ty == expected) {
            let expected = format!("func {}", sig(&expected));
            return Err(LoadError::ImportType { module: module_name.into(), field: field.into(), expected, found });
        }
    }
    Ok(())
}

fn vec_i32(n: usize) -> Vec<ValType> {
    (0..n).map(|_| ValType::I32).collect()
}

/// Checks the exports the host needs, and `_initialize` if present.
fn check_exports(module: &Module) -> Result<(), LoadError> {
    let funcs: [(&str, FuncType, bool); 3] = [
        ("cabi_realloc", FuncType::new([ValType::I32; 4], [ValType::I32]), true),
        ("init", FuncType::new([], [ValType::I32]), true),
        ("_initialize", FuncType::new([], []), false),
    ];
    match module.get_export("memory") {
        Some(ExternType::Memory(_)) => {}
        Some(other) => {
            return Err(LoadError::ExportType {
                name: "memory".into(),
                expected: "memory".into(),
                found: extern_type(&other),
            })
        }
        None => return Err(LoadError::MissingExport { name: "memory", expected: "memory" }),
    }
    for (name, expected, required) in funcs {
        match module.get_export(name) {
            Some(ExternType::Func(ty)) if ty == expected => {}
            Some(other) => {
                return Err(LoadError::ExportType {
                    name: name.into(),
                    expected: format!("func {}", sig(&expected)),
                    found: extern_type(&other),
                })
            }
            None if required => {
                return Err(LoadError::MissingExport {
                    name,
                    expected: if name == "init" { "func () -> (i32)" } else { "func (i32, i32, i32, i32) -> (i32)" },
                })
            }
            None => {}
        }
    }
    Ok(())
}

fn make_linker(engine: &Engine, debug: Option<DebugPort>) -> Linker<SlightState> {
    let mut linker = Linker::<SlightState>::new(engine);
    if let Some(port) = debug {
        debugger::link_probe(&mut linker, port);
    }
    for (module, field, params, import) in IMPORTS {
        let ty = FuncType::new(vec_i32(params), []);
        let defined = linker.func_new(module, field, ty, move |mut caller, args, _results| {
            let args: Vec<u32> = args.iter().map(|v| if let Val::I32(x) = v { *x as u32 } else { 0 }).collect();
            match call_import(import, &mut caller, &args) {
                Ok(true) => Ok(()),
                Ok(false) => Err(suspend()),
                Err(e) => Err(import_error(import, e)),
            }
        });
        // Every (module, field) in IMPORTS is distinct.
        defined.expect("IMPORTS has no duplicates");
    }
    linker
}

/// A core function type, as `(i32, i32) -> (i32)`.
pub(super) fn sig(ty: &FuncType) -> String {
    let list = |types: &[ValType]| types.iter().map(|t| val_type(*t)).collect::<Vec<_>>().join(", ");
    format!("({}) -> ({})", list(ty.params()), list(ty.results()))
}

fn val_type(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::FuncRef => "funcref",
        ValType::ExternRef => "externref",
    }
}

pub(super) fn extern_type(t: &ExternType) -> String {
    match t {
        ExternType::Func(f) => format!("func {}", sig(f)),
        ExternType::Memory(_) => "memory".into(),
        ExternType::Table(_) => "table".into(),
        ExternType::Global(_) => "global".into(),
    }
}
