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
//! let open = conn.receive(&bytes_read, &mut out, |request| match app.start(request) {
//!     Answer::Now(response) => http::Reply::Now(response),
//!     Answer::Later(id) => { /* remember `id` for this connection */ http::Reply::Later }
//! });
//! // on each round of the poll loop:
//! for (id, response) in app.poll() { /* conn of `id` */ conn.complete(&response, &mut out, …); }
//! ```
//!
//! A handler's KeyValue call that the store answers later (Redis, over the network) suspends the
//! handler (wasmi's resumable calls): `start` says `Later`, other requests run meanwhile on other
//! instances of the app (`slight_pool`), and `poll` resumes the handler once the store answered.
//! `handle` does both for callers without a poll loop.
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
//! request to its handler, on one instance), `slight_pool` (the instances, the requests waiting).
//! The others serve any kind of app: `outcome` (how a call ended → the
//! response; fuel), `tracing` (trace events) and `debugger` (the Wasm-level debugger's hooks).

mod debugger;
mod outcome;
mod slight_dispatch;
mod slight_http_server;
mod slight_imports;
mod slight_keyvalue;
mod slight_load;
mod slight_pool;
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
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::{RefCell, RefMut};
use slight_dispatch::{Program, Worker};
use slight_http_server::{port_of, Serving};
use slight_pool::Slot;
use tracing::SharedTracer;
use wasmi::{CompilationMode, Config, Engine};

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
    /// Most instances of a SpiderLightning app, so most requests in progress at once: each
    /// handler suspended in a KeyValue call holds one (`slight_pool`). 1 under a debugger, whose
    /// mailbox holds one shadow stack.
    pub instances: usize,
    /// The port the platform listens on (the kernel's `port=`): a core module's `server.serve`
    /// must name it, so that the port an app asks for is the one it gets.
    pub port: u16,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig { init_fuel: 100_000_000, request_fuel: 50_000_000, max_memory: 64 << 20, debug: None, instances: 4, port: 3000 }
    }
}

/// How [`App::start`] answers a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Now(Response),
    /// [`App::poll`] hands the response back under this id.
    Later(u64),
}

/// A loaded app. See the module documentation.
pub struct App {
    program: Program,
    /// The instances; the first is started by `load`.
    slots: Vec<Slot>,
    max_instances: usize,
    /// Requests that found no free instance, in arrival order.
    waiting: VecDeque<(u64, Request)>,
    /// Requests answered since the last `poll`.
    answered: Vec<(u64, Response)>,
    /// The id of the last request (ids start at 1 and name requests in trace events).
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
        let program = Program { module, linker, config, kv: Rc::new(RefCell::new(kv)), tracer: SharedTracer::new(tracer) };
        let (store, instance) = program.start();
        let first = Slot::new(Worker::new(store, instance?));
        let max_instances = if config.debug.is_some() { 1 } else { config.instances.max(1) };
        Ok(App { program, slots: alloc::vec![first], max_instances, waiting: VecDeque::new(), answered: Vec::new(), last_request_id: 0 })
    }

    fn serving(&self) -> Option<&Serving> {
        self.slots[0].worker.store.data().serving.as_ref()
    }

    /// The address the app gave to `server.serve`, while it serves.
    pub fn address(&self) -> Option<&str> {
        self.serving().map(|s| s.address.as_str())
    }

    /// The port of [`address`](App::address).
    pub fn port(&self) -> Option<u16> {
        self.address().and_then(port_of)
    }

    /// The routes, as (method, pattern, handler export).
    pub fn routes(&self) -> Vec<(Method, String, String)> {
        let Some(serving) = self.serving() else { return Vec::new() };
        serving.router.routes().map(|(m, p, h)| (m, p, h.to_string())).collect()
    }

    pub fn store_mut(&mut self) -> RefMut<'_, dyn KeyValueStore> {
        RefMut::map(self.program.kv.borrow_mut(), |kv| &mut **kv)
    }

    /// How many instances the app has now.
    pub fn instances(&self) -> usize {
        self.slots.len()
    }

    /// Emits the `http` event of a request the HTTP parser refused with `status` (no method, path
    /// or handler: the request was not understood).
    pub fn trace_rejected(&mut self, status: u16) {
        self.last_request_id += 1;
        let id = self.last_request_id;
        self.program.tracer.emit(|tracer| tracing::rejected(tracer, id, status));
    }
}

/// What the kernel's HTTP server asks of an app, whatever its kind.
pub trait Serve {
    /// Starts answering one request: the response now, or later from `poll`; never fails.
    fn start(&mut self, request: &Request) -> Answer;
    /// The requests answered since the last call, by the id `start` gave.
    fn poll(&mut self) -> Vec<(u64, Response)>;
    /// Emits the `http` trace event of a request the HTTP parser refused with `status`.
    fn trace_rejected(&mut self, status: u16);
}

impl Serve for App {
    fn start(&mut self, request: &Request) -> Answer {
        App::start(self, request)
    }

    fn poll(&mut self) -> Vec<(u64, Response)> {
        App::poll(self)
    }

    fn trace_rejected(&mut self, status: u16) {
        App::trace_rejected(self, status)
    }
}

/// A component's calls never wait for the platform's network but to send HTTP requests, which block.
impl Serve for ComponentApp {
    fn start(&mut self, request: &Request) -> Answer {
        Answer::Now(ComponentApp::handle(self, request))
    }

    fn poll(&mut self) -> Vec<(u64, Response)> {
        Vec::new()
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
