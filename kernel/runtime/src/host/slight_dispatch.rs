//! One request on one instance of a SpiderLightning app: route → handler export under the request's fuel, called resumably (a KeyValue call the store answers later suspends it) → outcome → response; a trapped instance restarts.

use super::debugger;
use super::outcome::{self, respond, Outcome};
use super::slight_imports::{import_error, lower, Guest, SharedStore, SlightState};
use super::slight_load::{post_return, start, LoadError};
use super::tracing::SharedTracer;
use super::AppConfig;
use crate::abi::{self, GuestHttpError, GuestRequest, GuestResponse};
use crate::http::{self, Request, Response, RouteMatch};
use crate::kv::KvResult;
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;
use wasmi::errors::HostError;
use wasmi::{Instance, Linker, Module, Store, TrapCode, TypedFunc, TypedResumableCall, TypedResumableCallHostTrap};

/// A handler: the 10 flat values of a `request`, returning a pointer to its
/// `result<response, http-error>`.
type HandlerFunc = TypedFunc<(i32, i32, i32, i32, i32, i32, i32, i32, i32, i32), i32>;

/// A handler call suspended in a KeyValue call, to resume with the store's result.
pub(super) type Invocation = TypedResumableCallHostTrap<i32>;

/// What a KeyValue import returns to suspend the guest's call: wasmi hands the call back resumable.
#[derive(Debug)]
struct Suspend;

impl fmt::Display for Suspend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("suspended until the key-value store answers")
    }
}

impl HostError for Suspend {}

/// The error a KeyValue import returns to suspend the call into the guest.
pub(super) fn suspend() -> wasmi::Error {
    wasmi::Error::host(Suspend)
}

/// What the instances of an app share: the module, its linker, the limits, the store and tracer.
pub(super) struct Program {
    pub module: Module,
    pub linker: Linker<SlightState>,
    pub config: AppConfig,
    pub kv: SharedStore,
    pub tracer: SharedTracer,
}

impl Program {
    /// A fresh instance, `init` run.
    pub fn start(&self) -> (Store<SlightState>, Result<Instance, LoadError>) {
        let state = SlightState::new(self.kv.clone(), self.tracer.clone(), &self.config);
        start(&self.module, &self.linker, state, &self.config)
    }
}

/// One instance of the app and the request it is in.
pub(super) struct Worker {
    pub store: Store<SlightState>,
    /// `None` after a failed restart.
    instance: Option<Instance>,
    /// Set by a trap: the next request restarts the instance first.
    poisoned: bool,
}

/// Where a request stands after its instance ran as far as it could.
pub(super) enum Step {
    /// Answered, by the handler export named (`""` when none ran).
    Done(Response, String),
    /// Suspended in a KeyValue call of the handler export named.
    Suspended(Invocation, String),
}

/// Where a call into the handler stands.
enum Progress {
    Done(Outcome),
    Suspended(Invocation),
}

impl Worker {
    pub fn new(store: Store<SlightState>, instance: Instance) -> Worker {
        Worker { store, instance: Some(instance), poisoned: false }
    }

    /// Runs the handler of `request` until it answers or suspends.
    pub fn respond(&mut self, program: &Program, request: &Request) -> Step {
        if self.poisoned {
            if let Err(e) = self.restart(program) {
                return Step::Done(Response::text(500, &format!("the app failed to restart: {e}")), String::new());
            }
        }
        let Some(serving) = &self.store.data().serving else {
            return Step::Done(Response::text(503, "the app is not serving"), String::new());
        };
        let (handler, params) = match serving.router.find(request.method, request.path()) {
            RouteMatch::Found { handler, params } => (handler.to_string(), params),
            miss => {
                let response = http::route_error_response(&miss).unwrap_or_else(|| Response::status(500));
                return Step::Done(response, String::new());
            }
        };
        let guest_request = GuestRequest {
            method: request.method,
            uri: request.uri.clone(),
            headers: request.headers.clone(),
            params,
            body: request.body.clone(),
        };
        let port = self.store.data().debugged.port;
        let progress = debugger::in_wasm(port, || self.invoke(&handler, &guest_request, &program.config));
        self.step(progress, handler)
    }

    /// Resumes the handler `handler`, suspended in `invocation`, with the store's `result`.
    pub fn resume(&mut self, invocation: Invocation, handler: String, result: KvResult) -> Step {
        let port = self.store.data().debugged.port;
        let progress = debugger::in_wasm(port, || {
            let state = self.store.data_mut();
            let pending = state.pending.take().expect("a suspended call has a pending KeyValue call");
            let (returned, import, retptr) = pending.end(state, result);
            if let Err(e) = lower(&mut self.store, retptr, returned) {
                return Progress::Done(wasm_error(&self.store, &import_error(import, e)));
            }
            let call = self.resumable(|store| invocation.resume(store, &[]));
            self.called(&handler, call)
        });
        self.step(progress, handler)
    }

    /// The ticket of the KeyValue operation the instance is suspended on.
    pub fn waits_for(&self) -> Option<u64> {
        self.store.data().pending.as_ref().map(|p| p.ticket)
    }

    fn step(&mut self, progress: Progress, handler: String) -> Step {
        match progress {
            Progress::Suspended(invocation) => Step::Suspended(invocation, handler),
            Progress::Done(outcome) => {
                if matches!(outcome, Outcome::Trapped(_) | Outcome::OutOfFuel) {
                    self.poisoned = true;
                }
                Step::Done(respond(outcome, self.store.data().kv_unavailable), handler)
            }
        }
    }

    /// Calls the handler export `name` with `request`, then (once it returned) its post-return.
    fn invoke(&mut self, name: &str, request: &GuestRequest, config: &AppConfig) -> Progress {
        let Some(instance) = self.instance else { return Progress::Done(Outcome::Trapped("no instance".into())) };
        let store = &mut self.store;
        let state = store.data_mut();
        state.kv_unavailable = false;
        state.out_of_fuel = false;
        let Some((memory, realloc)) = state.guest else { return Progress::Done(Outcome::Trapped("no instance".into())) };
        if let Err(e) = store.set_fuel(config.request_fuel) {
            return Progress::Done(Outcome::Trapped(e.to_string()));
        }
        let func: HandlerFunc = match instance.get_typed_func(&*store, name) {
            Ok(f) => f,
            Err(e) => return Progress::Done(Outcome::Trapped(format!("handler {name:?}: {e}"))),
        };
        let flat = match abi::lower_request(&mut Guest { ctx: store, memory, realloc }, request) {
            Ok(flat) => flat.map(|v| v as i32),
            Err(_) if store.data().out_of_fuel => return Progress::Done(Outcome::OutOfFuel),
            Err(e) => return Progress::Done(Outcome::Trapped(e.to_string())),
        };
        let args = (flat[0], flat[1], flat[2], flat[3], flat[4], flat[5], flat[6], flat[7], flat[8], flat[9]);
        let call = self.resumable(|store| func.call_resumable(store, args));
        self.called(name, call)
    }

    /// Runs `call` with KeyValue calls allowed to suspend it.
    fn resumable<R>(&mut self, call: impl FnOnce(&mut Store<SlightState>) -> R) -> R {
        self.store.data_mut().suspendable = true;
        let result = call(&mut self.store);
        self.store.data_mut().suspendable = false;
        result
    }

    /// Where the handler `name` stands after `call` ran: suspended again, or done (its result
    /// lifted and its post-return called).
    fn called(&mut self, name: &str, call: Result<TypedResumableCall<i32>, wasmi::Error>) -> Progress {
        let store = &mut self.store;
        let ptr = match call {
            Ok(TypedResumableCall::Finished(ptr)) => ptr as u32,
            Ok(TypedResumableCall::HostTrap(invocation)) if invocation.host_error().downcast_ref::<Suspend>().is_some() => {
                return Progress::Suspended(invocation);
            }
            Ok(TypedResumableCall::HostTrap(invocation)) => return Progress::Done(wasm_error(store, invocation.host_error())),
            Ok(TypedResumableCall::OutOfFuel(_)) => {
                store.data().debugged.trapped(&*store, Some(TrapCode::OutOfFuel));
                return Progress::Done(Outcome::OutOfFuel);
            }
            Err(e) => return Progress::Done(wasm_error(store, &e)),
        };
        let (Some(instance), Some((memory, _))) = (self.instance, store.data().guest) else {
            return Progress::Done(Outcome::Trapped("no instance".into()));
        };
        let lifted = match abi::lift_handler_result(memory.data(&*store), ptr) {
            Ok(lifted) => lifted,
            Err(e) => return Progress::Done(Outcome::Trapped(e.to_string())),
        };
        if let Err(e) = post_return(store, &instance, name, ptr) {
            return Progress::Done(wasm_error(store, &e));
        }
        Progress::Done(returned(lifted))
    }

    /// Replaces the instance by a fresh one.
    fn restart(&mut self, program: &Program) -> Result<(), LoadError> {
        let (store, instance) = program.start();
        self.store = store;
        self.instance = instance.as_ref().ok().copied();
        self.poisoned = instance.is_err();
        instance.map(|_| ())
    }
}

/// The outcome of a handler that returned `result`.
pub(super) fn returned(result: Result<GuestResponse, GuestHttpError>) -> Outcome {
    match result {
        Ok(r) if !(200..=599).contains(&r.status) => {
            Outcome::Answered(Response::text(500, &format!("the handler returned status {}", r.status)))
        }
        Ok(r) => Outcome::Answered(Response {
            status: r.status,
            headers: r.headers.unwrap_or_default(),
            body: r.body.unwrap_or_default(),
        }),
        Err(GuestHttpError::StatusError(s)) if (400..=599).contains(&s) => Outcome::Failed(Response::status(s)),
        Err(e) => Outcome::Failed(Response::text(500, &format!("the handler failed: {e:?}"))),
    }
}

/// A call into the module failed: under a debugger, a trap stop first.
fn wasm_error(store: &Store<SlightState>, e: &wasmi::Error) -> Outcome {
    store.data().debugged.trapped(store, e.as_trap_code());
    outcome::failed_call(e, store.data().out_of_fuel)
}
