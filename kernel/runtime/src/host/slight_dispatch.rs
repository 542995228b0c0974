//! One request to a SpiderLightning app: route → handler export under the request's fuel → outcome → response; a trapped instance restarts.

use super::debugger;
use super::outcome::{self, respond, Outcome};
use super::slight_imports::{Guest, SlightState};
use super::slight_keyvalue::NoStore;
use super::slight_load::{post_return, start, LoadError};
use super::App;
use crate::abi::{self, GuestHttpError, GuestRequest, GuestResponse};
use crate::http::{self, Request, Response, RouteMatch};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use wasmi::{Store, TypedFunc};

/// A handler: the 10 flat values of a `request`, returning a pointer to its
/// `result<response, http-error>`.
type HandlerFunc = TypedFunc<(i32, i32, i32, i32, i32, i32, i32, i32, i32, i32), i32>;

impl App {
    /// The response to `request`, and the handler export that made it (`""` when none ran).
    pub(super) fn respond(&mut self, request: &Request) -> (Response, String) {
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
        let port = self.store.data().debugged.port;
        let outcome = debugger::in_wasm(port, || self.invoke(&handler, &guest_request));
        if matches!(outcome, Outcome::Trapped(_) | Outcome::OutOfFuel) {
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
        let trapped = |store: &Store<SlightState>, e: String| {
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
        returned(lifted)
    }

    /// Replaces the instance by a fresh one, keeping the key-value store.
    fn restart(&mut self) -> Result<(), LoadError> {
        let state = self.store.data_mut();
        let kv = core::mem::replace(&mut state.kv, Box::new(NoStore));
        let tracer = state.tracer.take();
        let (store, instance) = start(&self.module, &self.linker, SlightState::new(kv, tracer, &self.config), &self.config);
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
fn wasm_error(store: &Store<SlightState>, e: wasmi::Error) -> Outcome {
    store.data().debugged.trapped(store, e.as_trap_code());
    outcome::failed_call(&e, store.data().out_of_fuel)
}
