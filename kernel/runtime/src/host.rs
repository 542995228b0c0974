//! The Wasm host: runs an app module on wasmi and serves its routes.
//!
//! The platform's whole surface is:
//!
//! ```text
//! let mut app = App::load(&wasm_bytes, Box::new(redis_client), AppConfig::default())?;
//! let port = app.port();          // from the address the app gave to `server.serve`
//! for (method, pattern, handler) in app.routes() { /* log them */ }
//! // for each TCP connection:
//! let mut conn = http::Connection::new(http::Limits::default());
//! let open = conn.receive(&bytes_read, &mut out, |request| app.handle(request));
//! ```
//!
//! `load` compiles and validates the module, checks its imports against the
//! ones this host provides (naming any that is missing or mistyped), checks
//! the exports `memory`, `cabi_realloc` and `init`, instantiates it, calls
//! `_initialize` if exported and then `init`, which must end by calling
//! `server.serve`. `handle` routes a request to the handler export named by
//! the route, under a fuel limit, and maps every outcome to a response: the
//! handler's response, 404/405/400 from the router, 500 for a trap or an
//! `http-error`, 503 when the key-value store was unavailable, 504 when the
//! handler ran out of fuel. A trap poisons the instance (the canonical ABI
//! gives no guarantee about a trapped instance's state), so the next request
//! runs on a fresh instance, whose `init` is run again. The ABI is specified
//! in docs/ABI.md.

use crate::abi::{self, AbiError, GuestMemory, GuestRequest, OkPayload, ResourceKind, ResourceTable};
use crate::debug::{self, DebugPort, Snapshot};
use crate::http::{self, Method, Request, Response, RouteMatch, Router};
use crate::kv::{scoped_key, KeyValueStore, KvError};
use crate::trace::{self, Event, Tracer};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use wasmi::{
    AsContext, AsContextMut, Caller, CompilationMode, Extern, Config, Engine, ExternType, FuncType, Global, Instance, Linker, Memory,
    Module, Store, StoreLimits, StoreLimitsBuilder, TrapCode, TypedFunc, Val, ValType,
};

pub const KEYVALUE: &str = "spiderlightning:slight/keyvalue";
pub const HTTP_SERVER: &str = "spiderlightning:slight/http-server";

/// Every import the host provides. All take only i32 parameters (the last
/// one the return area, where there is a result) and return nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Import {
    KvOpen,
    KvGet,
    KvSet,
    KvKeys,
    KvDelete,
    KvDrop,
    RouterNew,
    RouterAdd(Method),
    RouterDrop,
    ServerServe,
    ServerStop,
    ServerDrop,
}

/// (module, field, number of i32 parameters, import).
const IMPORTS: [(&str, &str, usize, Import); 15] = [
    (KEYVALUE, "[static]keyvalue.open", 3, Import::KvOpen),
    (KEYVALUE, "[method]keyvalue.get", 4, Import::KvGet),
    (KEYVALUE, "[method]keyvalue.set", 6, Import::KvSet),
    (KEYVALUE, "[method]keyvalue.keys", 2, Import::KvKeys),
    (KEYVALUE, "[method]keyvalue.delete", 4, Import::KvDelete),
    (KEYVALUE, "[resource-drop]keyvalue", 1, Import::KvDrop),
    (HTTP_SERVER, "[static]router.new", 1, Import::RouterNew),
    (HTTP_SERVER, "[method]router.get", 6, Import::RouterAdd(Method::Get)),
    (HTTP_SERVER, "[method]router.put", 6, Import::RouterAdd(Method::Put)),
    (HTTP_SERVER, "[method]router.post", 6, Import::RouterAdd(Method::Post)),
    (HTTP_SERVER, "[method]router.delete", 6, Import::RouterAdd(Method::Delete)),
    (HTTP_SERVER, "[static]server.serve", 4, Import::ServerServe),
    (HTTP_SERVER, "[method]server.stop", 2, Import::ServerStop),
    (HTTP_SERVER, "[resource-drop]router", 1, Import::RouterDrop),
    (HTTP_SERVER, "[resource-drop]server", 1, Import::ServerDrop),
];

/// A handler: the 10 flat values of a `request`, returning a pointer to its
/// `result<response, http-error>`.
type HandlerFunc = TypedFunc<(i32, i32, i32, i32, i32, i32, i32, i32, i32, i32), i32>;
type ReallocFunc = TypedFunc<(i32, i32, i32, i32), i32>;

/// Limits of an app.
#[derive(Debug, Clone, Copy)]
pub struct AppConfig {
    /// Fuel (about one unit per Wasm instruction) for `_initialize` + `init`.
    pub init_fuel: u64,
    /// Fuel for one request: lowering it, the handler, and post-return.
    pub request_fuel: u64,
    /// Largest linear memory, in bytes.
    pub max_memory: usize,
    /// Wasm-level debugging (`wasm_debug=N`, docs/DEBUGGING.md): the `uniwasm:debug` probe import
    /// is offered only then, so an instrumented module never runs without a debugger.
    pub debug: Option<DebugPort>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig { init_fuel: 100_000_000, request_fuel: 50_000_000, max_memory: 64 << 20, debug: None }
    }
}

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

/// A store for when none is configured: every call is a connection error.
pub struct NoStore;

impl KeyValueStore for NoStore {
    fn get(&mut self, _: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Err(no_store())
    }
    fn set(&mut self, _: &[u8], _: &[u8]) -> Result<(), KvError> {
        Err(no_store())
    }
    fn delete(&mut self, _: &[u8]) -> Result<(), KvError> {
        Err(no_store())
    }
    fn keys_with_prefix(&mut self, _: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        Err(no_store())
    }
}

fn no_store() -> KvError {
    KvError::Connection("no key-value store is configured".into())
}

/// A host resource the guest holds a handle to.
enum Resource {
    Keyvalue { container: String },
    Router(Router),
    Server,
}

impl ResourceKind for Resource {
    fn kind(&self) -> &'static str {
        match self {
            Resource::Keyvalue { .. } => "keyvalue",
            Resource::Router(_) => "router",
            Resource::Server => "server",
        }
    }
}

/// What `server.serve` registered.
struct Serving {
    address: String,
    router: Router,
}

/// The state host functions see.
struct HostState {
    kv: Box<dyn KeyValueStore>,
    limits: StoreLimits,
    table: ResourceTable<Resource>,
    /// The guest's memory and allocator, once instantiated.
    guest: Option<(Memory, ReallocFunc)>,
    serving: Option<Serving>,
    /// Set when the store reported `connection-error` during this call.
    kv_unavailable: bool,
    /// Set when a call back into the guest (cabi_realloc) ran out of fuel.
    out_of_fuel: bool,
    tracer: Option<Box<dyn Tracer>>,
    /// The id of the request being handled, for the `req` of `kv` trace events.
    request_id: Option<u64>,
    debug: Option<DebugPort>,
    /// The globals a debugger stop shows (the instrumented module exports them all), once instantiated.
    debug_globals: Vec<Global>,
}

/// The guest memory seen through a store context.
struct Guest<'c, C> {
    ctx: &'c mut C,
    memory: Memory,
    realloc: ReallocFunc,
}

impl<C: AsContextMut<Data = HostState>> GuestMemory for Guest<'_, C> {
    fn bytes(&mut self) -> &mut [u8] {
        self.memory.data_mut(&mut *self.ctx)
    }

    fn realloc(&mut self, align: u32, size: u32) -> abi::AbiResult<u32> {
        match self.realloc.call(&mut *self.ctx, (0, 0, align as i32, size as i32)) {
            Ok(ptr) => Ok(ptr as u32),
            Err(e) => {
                if e.as_trap_code() == Some(TrapCode::OutOfFuel) {
                    self.ctx.as_context_mut().data_mut().out_of_fuel = true;
                }
                Err(AbiError::Realloc(e.to_string()))
            }
        }
    }
}

fn guest<C: AsContextMut<Data = HostState>>(ctx: &mut C) -> Result<Guest<'_, C>, AbiError> {
    let (memory, realloc) = ctx
        .as_context_mut()
        .data()
        .guest
        .ok_or_else(|| AbiError::Realloc("called before the instance was ready".into()))?;
    Ok(Guest { ctx, memory, realloc })
}

/// An error for the guest: a case of `keyvalue-error` or
/// `http-router-error` (all carry a string).
struct GuestError(u8, String);

impl From<KvError> for GuestError {
    fn from(e: KvError) -> Self {
        let (case, message) = e.case();
        GuestError(case, message.into())
    }
}

/// `http-router-error` cases.
const INVALID_ROUTE: u8 = 0;
const INVALID_HANDLER: u8 = 1;
const ADDRESS_IN_USE: u8 = 2;
const UNEXPECTED: u8 = 3;

/// What an import returns to the guest, before lowering.
enum Returned {
    Nothing,
    Ok(Payload),
    Err(GuestError),
}

enum Payload {
    Unit,
    Handle(u32),
    Bytes(Vec<u8>),
    Strings(Vec<String>),
}

/// Runs import `import` with its flat arguments `a`; lowers its result
/// into the return area (the last argument). `Err` traps the guest.
fn call_import(import: Import, ctx: &mut Caller<'_, HostState>, a: &[u32]) -> abi::AbiResult<()> {
    let returned = run_import(import, ctx, a)?;
    let retptr = a.last().copied().unwrap_or(0);
    let mut g = guest(ctx)?;
    match returned {
        Returned::Nothing => Ok(()),
        Returned::Ok(payload) => {
            let payload = match payload {
                Payload::Unit => OkPayload::Unit,
                Payload::Handle(h) => OkPayload::Handle(h),
                Payload::Bytes(b) => {
                    let (ptr, len) = abi::lower_bytes(&mut g, &b)?;
                    OkPayload::List(ptr, len)
                }
                Payload::Strings(s) => {
                    let (ptr, len) = abi::lower_strings(&mut g, &s)?;
                    OkPayload::List(ptr, len)
                }
            };
            abi::store_ok(g.bytes(), retptr, payload)
        }
        Returned::Err(GuestError(case, message)) => {
            let lowered = abi::lower_bytes(&mut g, message.as_bytes())?;
            abi::store_err(g.bytes(), retptr, case, lowered)
        }
    }
}

fn run_import(import: Import, ctx: &mut Caller<'_, HostState>, a: &[u32]) -> abi::AbiResult<Returned> {
    // Lift string arguments first: nothing has been allocated in the guest yet.
    let string = |ctx: &mut Caller<'_, HostState>, ptr: u32, len: u32| {
        let mut g = guest(ctx)?;
        abi::lift_string(g.bytes(), ptr, len)
    };
    Ok(match import {
        Import::KvOpen => {
            let started = now_us(ctx.data());
            let name = string(ctx, a[0], a[1])?;
            let state = ctx.data_mut();
            let result = if name.is_empty() {
                Err(KvError::InvalidKey("empty container name".into()))
            } else {
                Ok(Payload::Handle(state.table.insert(Resource::Keyvalue { container: name.clone() })))
            };
            trace_kv(state, KvCall { import, container: &name, key: None, value: None }, &result, started);
            kv_returned(state, result)
        }
        Import::KvGet | Import::KvSet | Import::KvDelete => {
            let started = now_us(ctx.data());
            let key = string(ctx, a[1], a[2])?;
            let value = match import {
                Import::KvSet => {
                    let mut g = guest(ctx)?;
                    abi::lift_bytes(g.bytes(), a[3], a[4])?
                }
                _ => Vec::new(),
            };
            let state = ctx.data_mut();
            let container = container(state, a[0])?;
            let result = if key.is_empty() {
                Err(KvError::InvalidKey("empty key".into()))
            } else {
                let skey = scoped_key(&container, &key);
                match import {
                    Import::KvGet => match state.kv.get(&skey) {
                        Ok(Some(v)) => Ok(Payload::Bytes(v)),
                        Ok(None) => Err(KvError::KeyNotFound(key.clone())),
                        Err(e) => Err(e),
                    },
                    Import::KvSet => state.kv.set(&skey, &value).map(|()| Payload::Unit),
                    _ => state.kv.delete(&skey).map(|()| Payload::Unit),
                }
            };
            let value = (import == Import::KvSet).then_some(value.as_slice());
            trace_kv(state, KvCall { import, container: &container, key: Some(&key), value }, &result, started);
            kv_returned(state, result)
        }
        Import::KvKeys => {
            let started = now_us(ctx.data());
            let state = ctx.data_mut();
            let container = container(state, a[0])?;
            let prefix = scoped_key(&container, "");
            let result = state.kv.keys_with_prefix(&prefix).map(|keys| {
                // Keys set by others may not be UTF-8; a WIT string must be.
                let strip = |k: Vec<u8>| String::from_utf8_lossy(&k[prefix.len().min(k.len())..]).into_owned();
                Payload::Strings(keys.into_iter().map(strip).collect())
            });
            trace_kv(state, KvCall { import, container: &container, key: None, value: None }, &result, started);
            kv_returned(state, result)
        }
        Import::KvDrop => {
            ctx.data_mut().table.remove(a[0], "keyvalue")?;
            Returned::Nothing
        }
        Import::RouterNew => {
            Returned::Ok(Payload::Handle(ctx.data_mut().table.insert(Resource::Router(Router::new()))))
        }
        Import::RouterAdd(method) => {
            let route = string(ctx, a[1], a[2])?;
            let handler = string(ctx, a[3], a[4])?;
            let export = handler_export(ctx, &handler);
            let Resource::Router(router) = ctx.data_mut().table.get_mut(a[0], "router")? else {
                unreachable!("get_mut checked the kind")
            };
            match export {
                Err(why) => Returned::Err(GuestError(INVALID_HANDLER, why)),
                Ok(export) => match router.add(method, &route, &export) {
                    Ok(()) => Returned::Ok(Payload::Unit),
                    Err(e) => Returned::Err(GuestError(INVALID_ROUTE, e.0)),
                },
            }
        }
        Import::RouterDrop => {
            ctx.data_mut().table.remove(a[0], "router")?;
            Returned::Nothing
        }
        Import::ServerServe => {
            let address = string(ctx, a[0], a[1])?;
            let state = ctx.data_mut();
            let Resource::Router(router) = state.table.get_mut(a[2], "router")? else {
                unreachable!("get_mut checked the kind")
            };
            let router = router.clone();
            if state.serving.is_some() {
                Returned::Err(GuestError(ADDRESS_IN_USE, "this app already serves".into()))
            } else if port_of(&address).is_none() {
                Returned::Err(GuestError(UNEXPECTED, format!("address {address:?} is not host:port")))
            } else {
                state.serving = Some(Serving { address, router });
                Returned::Ok(Payload::Handle(state.table.insert(Resource::Server)))
            }
        }
        Import::ServerStop => {
            let state = ctx.data_mut();
            state.table.get_mut(a[0], "server")?;
            state.serving = None;
            Returned::Ok(Payload::Unit)
        }
        Import::ServerDrop => {
            ctx.data_mut().table.remove(a[0], "server")?;
            Returned::Nothing
        }
    })
}

fn container(state: &mut HostState, handle: u32) -> abi::AbiResult<String> {
    match state.table.get_mut(handle, "keyvalue")? {
        Resource::Keyvalue { container } => Ok(container.clone()),
        _ => unreachable!("get_mut checked the kind"),
    }
}

/// A KeyValue call's lifted arguments, for its trace event.
struct KvCall<'a> {
    import: Import,
    container: &'a str,
    key: Option<&'a str>,
    /// The `value` argument of `set`.
    value: Option<&'a [u8]>,
}

fn now_us(state: &HostState) -> u64 {
    state.tracer.as_ref().map_or(0, |t| t.now_us())
}

/// Emits the `kv` event of a call that returned `result` (docs/TRACE.md).
fn trace_kv(state: &mut HostState, call: KvCall<'_>, result: &Result<Payload, KvError>, started: u64) {
    let request_id = state.request_id;
    let Some(tracer) = state.tracer.as_mut() else { return };
    let field = IMPORTS.iter().find(|i| i.3 == call.import).map_or("", |i| i.1);
    let mut event = Event::new("kv");
    if let Some(id) = request_id {
        event = event.int("req", id);
    }
    event = event.str("iface", KEYVALUE).str("fn", field).str("container", call.container);
    if let Some(key) = call.key {
        event = event.str("key", key);
    }
    let value = match (call.value, result) {
        (Some(value), _) => Some(value),
        (None, Ok(Payload::Bytes(bytes))) => Some(bytes.as_slice()),
        _ => None,
    };
    if let Some(value) = value {
        event = event.int("value_bytes", value.len() as u64).preview("value_b64", value);
    }
    event = match result {
        Ok(Payload::Strings(keys)) => event
            .strs("keys", keys.iter().take(trace::MAX_KEYS).map(String::as_str))
            .int("key_count", keys.len() as u64)
            .bool("ok", true),
        Ok(_) => event.bool("ok", true),
        Err(e) => event.bool("ok", false).str("err", e.case_name()).str("err_msg", e.case().1),
    };
    let line = event.int("dur_us", tracer.now_us().saturating_sub(started)).finish();
    tracer.emit(&line);
}

fn kv_returned(state: &mut HostState, result: Result<Payload, KvError>) -> Returned {
    match result {
        Ok(payload) => Returned::Ok(payload),
        Err(e) => {
            // Unreachable or refusing our credentials: either way the store is not there for the app.
            if matches!(e, KvError::Connection(_) | KvError::Authentication(_)) {
                state.kv_unavailable = true;
            }
            Returned::Err(e.into())
        }
    }
}

/// The port of a `host:port` address.
fn port_of(address: &str) -> Option<u16> {
    let (host, port) = address.rsplit_once(':')?;
    (!host.is_empty()).then_some(())?;
    port.parse().ok()
}

/// The export a handler string names: the string itself, or, for names
/// written in SpiderLightning's Rust style (`handle_hello`), the kebab-case
/// export wit-bindgen makes of it (`handle-hello`). It must have the type of
/// `handle-http`.
fn handler_export(caller: &mut Caller<'_, HostState>, handler: &str) -> Result<String, String> {
    let kebab = handler.replace('_', "-");
    let found = [handler, kebab.as_str()].into_iter().find_map(|name| match caller.get_export(name)? {
        Extern::Func(f) => Some((name, ExternType::Func(f.ty(&*caller)))),
        other => Some((name, other.ty(&*caller))),
    });
    match found {
        None => Err(format!("no export named {handler:?}")),
        Some((name, ExternType::Func(ty))) if ty == handler_type() => Ok(name.into()),
        Some((name, ty)) => Err(format!(
            "export {name:?} is {}, expected func {}",
            extern_type(&ty),
            sig(&handler_type())
        )),
    }
}

fn handler_type() -> FuncType {
    FuncType::new([ValType::I32; 10], [ValType::I32])
}

/// A core function type, as `(i32, i32) -> (i32)`.
fn sig(ty: &FuncType) -> String {
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

fn extern_type(t: &ExternType) -> String {
    match t {
        ExternType::Func(f) => format!("func {}", sig(f)),
        ExternType::Memory(_) => "memory".into(),
        ExternType::Table(_) => "table".into(),
        ExternType::Global(_) => "global".into(),
    }
}

impl HostState {
    fn new(kv: Box<dyn KeyValueStore>, tracer: Option<Box<dyn Tracer>>, config: &AppConfig) -> Self {
        HostState {
            kv,
            tracer,
            request_id: None,
            limits: StoreLimitsBuilder::new().memory_size(config.max_memory).instances(1).build(),
            table: ResourceTable::default(),
            guest: None,
            serving: None,
            kv_unavailable: false,
            out_of_fuel: false,
            debug: config.debug,
            debug_globals: Vec::new(),
        }
    }
}

/// What a debugger stop shows besides the stack: linear memory and the globals' bits.
fn debug_snapshot(ctx: impl AsContext<Data = HostState>, snapshot: &mut Snapshot<'_>) {
    let ctx = ctx.as_context();
    let state = ctx.data();
    if let Some((memory, _)) = state.guest {
        snapshot.memory = (memory.data_ptr(&ctx) as u64, memory.data_size(&ctx) as u64);
    }
    for (bits, global) in snapshot.globals.iter_mut().zip(&state.debug_globals) {
        *bits = debug::value_bits(&global.get(&ctx));
    }
}

/// A call into the module failed: under a debugger, a trap stop with the stack as it was.
fn debug_trapped(store: &Store<HostState>, e: &wasmi::Error) {
    if let Some(port) = store.data().debug {
        port.trapped(debug::trap_code(e), |snapshot| debug_snapshot(store, snapshot));
    }
}

/// How a handler call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Returned(Result<abi::GuestResponse, abi::GuestHttpError>),
    /// A trap, or an ABI violation by the guest.
    Trapped(String),
    OutOfFuel,
}

/// The response for a handler's outcome. `kv_unavailable` says whether the
/// key-value store reported `connection-error` during the call.
pub fn respond(outcome: Outcome, kv_unavailable: bool) -> Response {
    match outcome {
        Outcome::OutOfFuel => Response::text(504, "the handler ran out of fuel"),
        Outcome::Trapped(_) | Outcome::Returned(Err(_)) if kv_unavailable => {
            Response::text(503, "the key-value store is unavailable")
        }
        Outcome::Trapped(m) => Response::text(500, &format!("the handler trapped: {m}")),
        Outcome::Returned(Ok(r)) if !(200..=599).contains(&r.status) => {
            Response::text(500, &format!("the handler returned status {}", r.status))
        }
        Outcome::Returned(Ok(r)) => Response {
            status: r.status,
            headers: r.headers.unwrap_or_default(),
            body: r.body.unwrap_or_default(),
        },
        Outcome::Returned(Err(abi::GuestHttpError::StatusError(s))) if (400..=599).contains(&s) => Response::status(s),
        Outcome::Returned(Err(e)) => Response::text(500, &format!("the handler failed: {e:?}")),
    }
}

/// A loaded app. See the module documentation.
pub struct App {
    module: Module,
    linker: Linker<HostState>,
    config: AppConfig,
    store: Store<HostState>,
    /// `None` after a failed restart.
    instance: Option<Instance>,
    /// Set by a trap: the next request restarts the instance first.
    poisoned: bool,
    /// The id of the last request handled (ids start at 1 and name requests in trace events).
    last_request_id: u64,
}

impl App {
    /// Loads and starts the app in `wasm`, with `kv` as its key-value store.
    pub fn load(wasm: &[u8], kv: Box<dyn KeyValueStore>, config: AppConfig) -> Result<App, LoadError> {
        App::load_traced(wasm, kv, None, config)
    }

    /// [`load`](App::load), writing trace events (docs/TRACE.md) of `init` and of every request
    /// to `tracer`.
    pub fn load_traced(
        wasm: &[u8],
        kv: Box<dyn KeyValueStore>,
        tracer: Option<Box<dyn Tracer>>,
        config: AppConfig,
    ) -> Result<App, LoadError> {
        let mut wasmi_config = Config::default();
        // The canonical ABI's pointers are 32-bit, so 64-bit memories have no use here; and
        // growing one with a maximum near 2^48 pages panics inside wasmi 1.1 (found by fuzzing).
        wasmi_config.consume_fuel(true).compilation_mode(CompilationMode::LazyTranslation).wasm_memory64(false);
        let engine = Engine::new(&wasmi_config);
        let module = Module::new(&engine, wasm).map_err(|e| LoadError::Invalid(e.to_string()))?;
        check_imports(&module, config.debug.is_some())?;
        check_exports(&module)?;
        let linker = make_linker(&engine, config.debug);
        if let Some(port) = config.debug {
            port.set_up(debug::global_count(&module));
            // The debugger sets its breakpoints here, before any Wasm runs.
            port.ready();
        }
        let (store, instance) = start(&module, &linker, HostState::new(kv, tracer, &config), &config);
        Ok(App { instance: Some(instance?), module, linker, config, store, poisoned: false, last_request_id: 0 })
    }

    /// The address the app gave to `server.serve`, while it serves.
    pub fn address(&self) -> Option<&str> {
        self.store.data().serving.as_ref().map(|s| s.address.as_str())
    }

    /// The port of [`address`](App::address).
    pub fn port(&self) -> Option<u16> {
        self.address().and_then(port_of)
    }

    /// The routes, as (method, pattern, handler export).
    pub fn routes(&self) -> Vec<(Method, String, String)> {
        let Some(serving) = &self.store.data().serving else { return Vec::new() };
        serving.router.routes().map(|(m, p, h)| (m, p, h.to_string())).collect()
    }

    pub fn store_mut(&mut self) -> &mut dyn KeyValueStore {
        &mut *self.store.data_mut().kv
    }

    /// Answers one request; never fails (see the module documentation).
    pub fn handle(&mut self, request: &Request) -> Response {
        self.last_request_id += 1;
        let state = self.store.data_mut();
        state.request_id = Some(self.last_request_id);
        let started = now_us(state);
        let (response, handler) = self.respond(request);
        let state = self.store.data_mut();
        state.request_id = None;
        if let Some(tracer) = state.tracer.as_mut() {
            let line = Event::new("http")
                .int("id", self.last_request_id)
                .str("method", request.method.as_str())
                .str("path", &request.uri)
                .int("status", response.status.into())
                .int("req_bytes", request.body.as_ref().map_or(0, |b| b.len() as u64))
                .int("resp_bytes", response.body.len() as u64)
                .int("dur_us", tracer.now_us().saturating_sub(started))
                .str("handler", &handler)
                .strs("req_headers", trace::header_list(&request.headers))
                .strs("resp_headers", trace::header_list(&response.headers))
                .preview("req_body_b64", request.body.as_deref().unwrap_or_default())
                .preview("resp_body_b64", &response.body)
                .finish();
            tracer.emit(&line);
        }
        response
    }

    /// Emits the `http` event of a request the HTTP parser refused with `status` (no method, path
    /// or handler: the request was not understood).
    pub fn trace_rejected(&mut self, status: u16) {
        let Some(tracer) = self.store.data_mut().tracer.as_mut() else { return };
        self.last_request_id += 1;
        let line = Event::new("http")
            .int("id", self.last_request_id)
            .str("method", "")
            .str("path", "")
            .int("status", status.into())
            .int("req_bytes", 0)
            .int("resp_bytes", 0)
            .int("dur_us", 0)
            .str("handler", "")
            .finish();
        tracer.emit(&line);
    }

    /// The response to `request`, and the handler export that made it (`""` when none ran).
    fn respond(&mut self, request: &Request) -> (Response, String) {
        if self.poisoned {
            if let Err(e) = self.restart() {
                return (Response::text(500, &format!("the app failed to restart: {e}")), String::new());
            }
        }
        let Some(serving) = &self.store.data().serving else {
            return (Response::text(503, "the app is not serving"), String::new());
        };
        let (handler, params) = match serving.router.find(request.method, request.path()) {
            RouteMatch::Found { handler, params } => (handler.to_string(), params),
            miss => return (http::route_error_response(&miss).unwrap_or_else(|| Response::status(500)), String::new()),
        };
        let guest_request = GuestRequest {
            method: request.method,
            uri: request.uri.clone(),
            headers: request.headers.clone(),
            params,
            body: request.body.clone(),
        };
        let debug = self.store.data().debug;
        debug.inspect(|port| port.in_wasm(true));
        let outcome = self.invoke(&handler, &guest_request);
        debug.inspect(|port| port.in_wasm(false));
        if !matches!(outcome, Outcome::Returned(_)) {
            self.poisoned = true;
        }
        (respond(outcome, self.store.data().kv_unavailable), handler)
    }

    /// Calls the handler export `name` with `request`, then its post-return.
    fn invoke(&mut self, name: &str, request: &GuestRequest) -> Outcome {
        let Some(instance) = self.instance else { return Outcome::Trapped("no instance".into()) };
        let store = &mut self.store;
        let state = store.data_mut();
        state.kv_unavailable = false;
        state.out_of_fuel = false;
        let Some((memory, realloc)) = state.guest else { return Outcome::Trapped("no instance".into()) };
        if let Err(e) = store.set_fuel(self.config.request_fuel) {
            return Outcome::Trapped(e.to_string());
        }
        let trapped = |store: &Store<HostState>, e: String| {
            if store.data().out_of_fuel { Outcome::OutOfFuel } else { Outcome::Trapped(e) }
        };
        let func: HandlerFunc = match instance.get_typed_func(&*store, name) {
            Ok(f) => f,
            Err(e) => return Outcome::Trapped(format!("handler {name:?}: {e}")),
        };
        let flat = match abi::lower_request(&mut Guest { ctx: store, memory, realloc }, request) {
            Ok(flat) => flat.map(|v| v as i32),
            Err(e) => return trapped(store, e.to_string()),
        };
        let args = (flat[0], flat[1], flat[2], flat[3], flat[4], flat[5], flat[6], flat[7], flat[8], flat[9]);
        let ptr = match func.call(&mut *store, args) {
            Ok(ptr) => ptr as u32,
            Err(e) => return wasm_error(store, e),
        };
        let lifted = match abi::lift_handler_result(memory.data(&*store), ptr) {
            Ok(lifted) => lifted,
            Err(e) => return Outcome::Trapped(e.to_string()),
        };
        if let Err(e) = post_return(store, &instance, name, ptr) {
            return wasm_error(store, e);
        }
        Outcome::Returned(lifted)
    }

    /// Replaces the instance by a fresh one, keeping the key-value store.
    fn restart(&mut self) -> Result<(), LoadError> {
        let state = self.store.data_mut();
        let kv = core::mem::replace(&mut state.kv, Box::new(NoStore));
        let tracer = state.tracer.take();
        let (store, instance) = start(&self.module, &self.linker, HostState::new(kv, tracer, &self.config), &self.config);
        self.store = store;
        self.instance = instance.as_ref().ok().copied();
        self.poisoned = instance.is_err();
        instance.map(|_| ())
    }
}

fn wasm_error(store: &Store<HostState>, e: wasmi::Error) -> Outcome {
    debug_trapped(store, &e);
    if e.as_trap_code() == Some(TrapCode::OutOfFuel) || store.data().out_of_fuel {
        Outcome::OutOfFuel
    } else {
        Outcome::Trapped(e.to_string())
    }
}

/// Calls `cabi_post_<name>(ptr)` if the guest exports it.
fn post_return(store: &mut Store<HostState>, instance: &Instance, name: &str, ptr: u32) -> Result<(), wasmi::Error> {
    match instance.get_typed_func::<i32, ()>(&*store, &format!("cabi_post_{name}")) {
        Ok(post) => post.call(store, ptr as i32),
        Err(_) => Ok(()),
    }
}

/// Instantiates `module` and runs `_initialize` and `init`. The store is
/// returned even on failure, so its key-value store can be reused.
fn start(
    module: &Module,
    linker: &Linker<HostState>,
    state: HostState,
    config: &AppConfig,
) -> (Store<HostState>, Result<Instance, LoadError>) {
    let mut store = Store::new(module.engine(), state);
    store.limiter(|state| &mut state.limits);
    let debug = store.data().debug;
    debug.inspect(|port| port.in_wasm(true));
    let result = run_init(&mut store, module, linker, config);
    debug.inspect(|port| port.in_wasm(false));
    (store, result)
}

fn run_init(
    store: &mut Store<HostState>,
    module: &Module,
    linker: &Linker<HostState>,
    config: &AppConfig,
) -> Result<Instance, LoadError> {
    let instantiate = |e: wasmi::Error| LoadError::Instantiate(e.to_string());
    let trap = |store: &Store<HostState>, e: wasmi::Error| {
        debug_trapped(store, &e);
        LoadError::InitTrap(e.to_string())
    };
    store.set_fuel(config.init_fuel).map_err(instantiate)?;
    // A trap here is the guest's start function running, not a failure to link.
    let instance = linker
        .instantiate_and_start(&mut *store, module)
        .map_err(|e| if e.as_trap_code().is_some() { trap(store, e) } else { instantiate(e) })?;
    let globals = (0..debug::global_count(module) as usize).filter_map(|i| instance.get_global(&*store, &debug::global_export(i)));
    store.data_mut().debug_globals = globals.collect();
    let memory = instance.get_memory(&*store, "memory").ok_or(LoadError::MissingExport {
        name: "memory",
        expected: "memory",
    })?;
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

/// Checks every import of `module` against [`IMPORTS`].
fn check_imports(module: &Module, debug: bool) -> Result<(), LoadError> {
    for import in module.imports() {
        let (module_name, field) = (import.module(), import.name());
        let found = extern_type(import.ty());
        let probe = (debug && module_name == debug::PROBE_MODULE && field == debug::PROBE_FIELD).then_some(1);
        let known = || IMPORTS.iter().find(|(m, f, _, _)| *m == module_name && *f == field).map(|i| i.2);
        let Some(params) = probe.or_else(known) else {
            return Err(LoadError::UnknownImport { module: module_name.into(), field: field.into(), found });
        };
        let expected = FuncType::new(vec_i32(params), []);
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

fn make_linker(engine: &Engine, debug: Option<DebugPort>) -> Linker<HostState> {
    let mut linker = Linker::new(engine);
    if let Some(port) = debug {
        let probe = move |caller: Caller<'_, HostState>, site: i32| port.probe(site as u32, |s| debug_snapshot(&caller, s));
        linker.func_wrap(debug::PROBE_MODULE, debug::PROBE_FIELD, probe).expect("the probe is defined once");
    }
    for (module, field, params, import) in IMPORTS {
        let ty = FuncType::new(vec_i32(params), []);
        let defined = linker.func_new(module, field, ty, move |mut caller, args, _results| {
            let args: Vec<u32> = args.iter().map(|v| if let Val::I32(x) = v { *x as u32 } else { 0 }).collect();
            call_import(import, &mut caller, &args).map_err(|e| wasmi::Error::new(format!("{module}#{field}: {e}")))
        });
        // Every (module, field) in IMPORTS is distinct.
        defined.expect("IMPORTS has no duplicates");
    }
    linker
}

#[cfg(test)]
mod tests;
