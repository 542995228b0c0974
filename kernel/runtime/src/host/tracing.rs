//! The trace events of an app's calls (docs/TRACE.md): `http_start` and `http` per request, `kv` per KeyValue call (any kind of app).

use crate::http::{Request, Response};
use crate::kv::KvError;
use crate::trace::{self, Event, Tracer};
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use core::cell::RefCell;

/// The tracer's clock, 0 without a tracer.
pub(super) fn now_us(tracer: &Option<Box<dyn Tracer>>) -> u64 {
    tracer.as_ref().map_or(0, |t| t.now_us())
}

/// Emits the `http_start` event of request `id`, about to be handled: a request the app is still
/// in (stopped at a breakpoint, or slow) shows as in flight on the host.
pub(super) fn started(tracer: &mut dyn Tracer, id: u64, request: &Request) {
    let line = Event::new("http_start").int("id", id).str("method", request.method.as_str()).str("path", &request.uri).finish();
    tracer.emit(&line);
}

/// The tracer of an app whose instances all write to it (a SpiderLightning app's pool).
#[derive(Clone, Default)]
pub(super) struct SharedTracer(Option<Rc<RefCell<Box<dyn Tracer>>>>);

impl SharedTracer {
    pub fn new(tracer: Option<Box<dyn Tracer>>) -> SharedTracer {
        SharedTracer(tracer.map(|t| Rc::new(RefCell::new(t))))
    }

    /// The tracer's clock, 0 without a tracer.
    pub fn now_us(&self) -> u64 {
        self.0.as_ref().map_or(0, |t| t.borrow().now_us())
    }

    /// Runs `emit` with the tracer, if there is one.
    pub fn emit(&self, emit: impl FnOnce(&mut dyn Tracer)) {
        if let Some(tracer) = &self.0 {
            emit(&mut **tracer.borrow_mut());
        }
    }
}

/// Emits the `http` event of request `id`, answered with `response` by `handler` (`""` when
/// none ran), which began at `started`.
pub(super) fn http(tracer: &mut dyn Tracer, id: u64, request: &Request, response: &Response, handler: &str, started: u64) {
    let line = Event::new("http")
        .int("id", id)
        .str("method", request.method.as_str())
        .str("path", &request.uri)
        .int("status", response.status.into())
        .int("req_bytes", request.body.as_ref().map_or(0, |b| b.len() as u64))
        .int("resp_bytes", response.body.len() as u64)
        .int("dur_us", tracer.now_us().saturating_sub(started))
        .str("handler", handler)
        .strs("req_headers", trace::header_list(&request.headers))
        .strs("resp_headers", trace::header_list(&response.headers))
        .preview("req_body_b64", request.body.as_deref().unwrap_or_default())
        .preview("resp_body_b64", &response.body)
        .finish();
    tracer.emit(&line);
}

/// Emits the `http` event of request `id`, which the HTTP parser refused with `status` (no method,
/// path or handler: the request was not understood).
pub(super) fn rejected(tracer: &mut dyn Tracer, id: u64, status: u16) {
    let line = Event::new("http")
        .int("id", id)
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

/// A KeyValue call, its arguments lifted, for its `kv` event.
pub(super) struct KvCall<'a> {
    /// The interface and function the guest called.
    pub iface: &'a str,
    pub func: &'a str,
    pub container: &'a str,
    pub key: Option<&'a str>,
    /// The `value` argument of `set`.
    pub value: Option<&'a [u8]>,
}

/// What a KeyValue call that succeeded returned, as its event shows it.
pub(super) enum KvReturned<'a> {
    Nothing,
    Value(&'a [u8]),
    Keys(&'a [String]),
}

/// Emits the `kv` event of `call`, made while handling `request` (`None`: in `init`), which
/// returned `result` and began at `started`.
pub(super) fn kv(tracer: &mut dyn Tracer, request: Option<u64>, call: KvCall<'_>, result: Result<KvReturned<'_>, &KvError>, started: u64) {
    let mut event = Event::new("kv");
    if let Some(id) = request {
        event = event.int("req", id);
    }
    event = event.str("iface", call.iface).str("fn", call.func).str("container", call.container);
    if let Some(key) = call.key {
        event = event.str("key", key);
    }
    let value = match (call.value, &result) {
        (Some(value), _) => Some(value),
        (None, Ok(KvReturned::Value(bytes))) => Some(*bytes),
        _ => None,
    };
    if let Some(value) = value {
        event = event.int("value_bytes", value.len() as u64).preview("value_b64", value);
    }
    event = match result {
        Ok(KvReturned::Keys(keys)) => event
            .strs("keys", keys.iter().take(trace::MAX_KEYS).map(String::as_str))
            .int("key_count", keys.len() as u64)
            .bool("ok", true),
        Ok(_) => event.bool("ok", true),
        Err(e) => event.bool("ok", false).str("err", e.case_name()).str("err_msg", e.case().1),
    };
    let line = event.int("dur_us", tracer.now_us().saturating_sub(started)).finish();
    tracer.emit(&line);
}
