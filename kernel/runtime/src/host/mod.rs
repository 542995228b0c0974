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
//!
//! The app is a SpiderLightning core module; the `slight_*` files are its kind of app:
//! `slight_load` (checks, linker, `init`), `slight_imports` (the import table and the state the
//! imports see), `slight_keyvalue` and `slight_http_server` (the imports), `slight_dispatch` (a
//! request to its handler). The others serve any kind of app: `outcome` (how a call ended → the
//! response; fuel), `tracing` (trace events) and `debugger` (the Wasm-level debugger's hooks).

mod debugger;
mod outcome;
mod slight_dispatch;
mod slight_http_server;
mod slight_imports;
mod slight_keyvalue;
mod slight_load;
mod tracing;
mod wasi_http;

pub use outcome::{respond, Outcome};
pub use slight_imports::{HTTP_SERVER, KEYVALUE};
pub use slight_keyvalue::NoStore;
pub use slight_load::LoadError;
pub use wasi_http::{ComponentApp, ComponentLoadError, INCOMING_HANDLER};

use crate::debug::DebugPort;
use crate::http::{Method, Request, Response};
use crate::kv::KeyValueStore;
use crate::trace::Tracer;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use slight_http_server::port_of;
use slight_imports::SlightState;
use wasmi::{CompilationMode, Config, Engine, Instance, Linker, Module, Store};

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
    /// The port the platform listens on (the kernel's `port=`): a core module's `server.serve`
    /// must name it, so that the port an app asks for is the one it gets.
    pub port: u16,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig { init_fuel: 100_000_000, request_fuel: 50_000_000, max_memory: 64 << 20, debug: None, port: 3000 }
    }
}

/// A loaded app. See the module documentation.
pub struct App {
    module: Module,
    linker: Linker<SlightState>,
    config: AppConfig,
    store: Store<SlightState>,
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
        let (module, linker) = slight_load::link(&engine(), wasm, config.debug)?;
        let (store, instance) = slight_load::start(&module, &linker, SlightState::new(kv, tracer, &config), &config);
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
        let started = tracing::now_us(&state.tracer);
        let (response, handler) = self.respond(request);
        let state = self.store.data_mut();
        state.request_id = None;
        if let Some(tracer) = state.tracer.as_mut() {
            tracing::http(&mut **tracer, self.last_request_id, request, &response, &handler, started);
        }
        response
    }

    /// Emits the `http` event of a request the HTTP parser refused with `status` (no method, path
    /// or handler: the request was not understood).
    pub fn trace_rejected(&mut self, status: u16) {
        let Some(tracer) = self.store.data_mut().tracer.as_mut() else { return };
        self.last_request_id += 1;
        tracing::rejected(&mut **tracer, self.last_request_id, status);
    }
}

/// What the kernel's HTTP server asks of an app, whatever its kind.
pub trait Serve {
    /// Answers one request; never fails.
    fn handle(&mut self, request: &Request) -> Response;
    /// Emits the `http` trace event of a request the HTTP parser refused with `status`.
    fn trace_rejected(&mut self, status: u16);
}

impl Serve for App {
    fn handle(&mut self, request: &Request) -> Response {
        App::handle(self, request)
    }

    fn trace_rejected(&mut self, status: u16) {
        App::trace_rejected(self, status)
    }
}

impl Serve for ComponentApp {
    fn handle(&mut self, request: &Request) -> Response {
        ComponentApp::handle(self, request)
    }

    fn trace_rejected(&mut self, status: u16) {
        ComponentApp::trace_rejected(self, status)
    }
}

/// The engine an app runs on: fuel metered, functions compiled when first called. 64-bit memories
/// are refused by the validator: wasmi's `memory64` feature is off (Cargo.toml).
fn engine() -> Engine {
    let mut config = Config::default();
    config.consume_fuel(true).compilation_mode(CompilationMode::LazyTranslation);
    Engine::new(&config)
}

#[cfg(test)]
mod tests;
