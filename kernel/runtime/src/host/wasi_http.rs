//! A `wasi:http/proxy` component app: each request becomes an `incoming-request` handed to the
//! component's `wasi:http/incoming-handler#handle` under the request's fuel, and what it set on
//! its `response-outparam` (or why it did not) becomes the response. One instance serves request
//! after request; a trap or running out of fuel poisons it, and the next request gets a fresh one.
//! Under the Wasm-level debugger, the instrumented core module gets the probe (docs/DEBUGGING.md).

use super::debugger::{self, Debugged};
use super::outcome::{respond, Outcome};
use super::{engine, tracing, AppConfig};
use crate::component::{CallError, Component, Instance, Lifted, Limits, LoadError};
use crate::http::{Request, Response};
use crate::trace::Tracer;
use crate::wasi::http::Answer;
use crate::wasi::{Platform, WasiHost};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use wasmi::{Func, TrapCode};

/// The interface a `wasi:http/proxy` component exports, at the oldest version this host serves.
pub const INCOMING_HANDLER: &str = "wasi:http/incoming-handler@0.2.0";

pub struct ComponentApp {
    component: Component<WasiHost>,
    handler: Lifted,
    /// The handler's export path, for trace events (`wasi:http/incoming-handler@0.2.6#handle`).
    handler_name: String,
    config: AppConfig,
    /// `None` only while a restart builds the next one.
    instance: Option<Instance<WasiHost>>,
    poisoned: bool,
    tracer: Option<Box<dyn Tracer>>,
    last_request_id: u64,
    debugged: Debugged,
}

/// Why a component could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentLoadError {
    Load(LoadError),
    /// It does not export `wasi:http/incoming-handler#handle`; what it exports instead.
    NoHandler(Vec<String>),
}

impl core::fmt::Display for ComponentLoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ComponentLoadError::Load(e) => e.fmt(f),
            ComponentLoadError::NoHandler(exports) => write!(
                f,
                "the component does not export {INCOMING_HANDLER}#handle (a wasi:http/proxy component does); it exports {}",
                if exports.is_empty() { String::from("no function") } else { exports.join(", ") }
            ),
        }
    }
}

impl ComponentApp {
    /// Loads, links and instantiates the component in `bytes` on `platform`.
    pub fn load(bytes: &[u8], platform: Box<dyn Platform>, tracer: Option<Box<dyn Tracer>>, config: AppConfig) -> Result<ComponentApp, ComponentLoadError> {
        let component = Component::<WasiHost>::load(&engine(), bytes).map_err(ComponentLoadError::Load)?;
        let handler = component.export(INCOMING_HANDLER, "handle").cloned();
        let Some(handler) = handler else {
            return Err(ComponentLoadError::NoHandler(component.exports().map(String::from).collect()));
        };
        let handler_name = component.exports().find(|p| p.starts_with("wasi:http/incoming-handler") && p.ends_with("#handle")).unwrap_or("handle").to_string();
        if let Some(port) = config.debug {
            debugger::ready(port, component.probed_module());
        }
        let mut app = ComponentApp {
            component,
            handler,
            handler_name,
            config,
            instance: None,
            poisoned: false,
            tracer,
            last_request_id: 0,
            debugged: Debugged::new(config.debug),
        };
        app.instantiate(platform).map_err(ComponentLoadError::Load)?;
        Ok(app)
    }

    /// What the component imports, as it names them.
    pub fn imports(&self) -> &[String] {
        &self.component.imports
    }

    /// The export that handles requests.
    pub fn handler(&self) -> &str {
        &self.handler_name
    }

    /// Answers one request; never fails.
    pub fn handle(&mut self, request: &Request) -> Response {
        self.last_request_id += 1;
        let started = tracing::now_us(&self.tracer);
        if let Some(tracer) = self.tracer.as_mut() {
            tracing::started(&mut **tracer, self.last_request_id, request);
        }
        let response = respond(self.outcome(request), false);
        if let Some(tracer) = self.tracer.as_mut() {
            tracing::http(&mut **tracer, self.last_request_id, request, &response, &self.handler_name, started);
        }
        response
    }

    /// Emits the `http` event of a request the HTTP parser refused with `status`.
    pub fn trace_rejected(&mut self, status: u16) {
        let Some(tracer) = self.tracer.as_mut() else { return };
        self.last_request_id += 1;
        tracing::rejected(&mut **tracer, self.last_request_id, status);
    }

    fn outcome(&mut self, request: &Request) -> Outcome {
        if self.poisoned {
            if let Err(e) = self.restart() {
                return Outcome::Trapped(format!("the component failed to restart: {e}"));
            }
        }
        let Some(instance) = self.instance.as_mut() else { return Outcome::Trapped("no instance".into()) };
        if let Err(e) = instance.store.set_fuel(self.config.request_fuel) {
            return Outcome::Trapped(e.to_string());
        }
        let handles = instance.store.data_mut().host.begin_request(request);
        let called = debugger::in_wasm(self.debugged.port, || {
            let called = instance.call(&self.handler, alloc::vec![handles.request, handles.response_out]);
            match &called {
                Err(CallError::OutOfFuel) => self.debugged.trapped(&instance.store, Some(TrapCode::OutOfFuel)),
                Err(CallError::Trap(_, code)) => self.debugged.trapped(&instance.store, *code),
                Ok(_) => {}
            }
            called
        });
        let answer = instance.store.data_mut().host.take_answer(handles.id);
        match called {
            Err(CallError::OutOfFuel) => {
                self.poisoned = true;
                Outcome::OutOfFuel
            }
            Err(CallError::Trap(why, _)) => {
                self.poisoned = true;
                Outcome::Trapped(why)
            }
            Ok(_) => answered(answer),
        }
    }

    /// Replaces a trapped instance by a fresh one, on the same platform.
    fn restart(&mut self) -> Result<(), LoadError> {
        let old = self.instance.take().ok_or_else(|| LoadError::Instantiate("no instance".into()))?;
        self.instantiate(old.store.into_data().host.into_platform())?;
        self.poisoned = false;
        Ok(())
    }

    /// Instantiates the component on `platform` (its start functions run Wasm: the debugger sees
    /// them), with the debugger's probe when debugging.
    fn instantiate(&mut self, platform: Box<dyn Platform>) -> Result<(), LoadError> {
        let host = WasiHost::new(platform, Vec::new(), Vec::new());
        let probe = self.debugged.port.map(|port| move |store: &mut _| Func::wrap(store, debugger::probe(port)));
        let make = probe.as_ref().map(|p| p as &dyn Fn(&mut _) -> Func);
        let instance = debugger::in_wasm(self.debugged.port, || Instance::with_probe(&self.component, host, limits(&self.config), make))?;
        self.debugged.instance = instance.probed();
        self.instance = Some(instance);
        Ok(())
    }
}

fn limits(config: &AppConfig) -> Limits {
    Limits { max_memory: config.max_memory, init_fuel: config.init_fuel }
}

/// The response for what the component set, once `handle` returned.
fn answered(answer: Option<Answer>) -> Outcome {
    match answer {
        None => Outcome::Failed(Response::text(500, "the component returned without setting a response")),
        Some(Answer::Error(code)) => Outcome::Failed(Response::text(500, &format!("the component answered with error-code {code}"))),
        Some(Answer::Response { status, headers, body }) => {
            let mut body = body.borrow_mut();
            if !body.finished {
                return Outcome::Failed(Response::text(500, "the component did not finish its response body"));
            }
            // Values are bytes in WASI, text in the kernel's writer: UTF-8 ones keep their buffer.
            let text = |v: Vec<u8>| String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            let headers = headers.into_iter().map(|(n, v)| (n, text(v))).collect();
            Outcome::Answered(Response { status, headers, body: core::mem::take(&mut body.data) })
        }
    }
}
