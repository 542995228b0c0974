//! `wasi:http/types`: fields, the incoming request the kernel hands to `handle`, the outgoing
//! response the component builds and sets on its `response-outparam`, and their bodies. Rules
//! follow wasmtime's implementation where the WIT leaves a choice (forbidden header names, field
//! size limit, immutable child fields, a body taken once).

use super::io::{Body, BodyBuf, InputStream, OutputStream, Pollable};
use super::meter::{HeldBytes, Meter};
use super::objects::{take, Kind, Object};
use super::{HostFn, WasiHost};
use crate::component::{Args, Trap, Val};
use crate::http::Method;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

/// Header names a component may neither see nor set (wasmtime's `DEFAULT_FORBIDDEN_HEADERS`):
/// connection management belongs to the host.
pub const FORBIDDEN: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
];

/// Bytes a `fields` may hold, counting each entry's overhead (wasmtime's default limit).
const FIELDS_LIMIT: usize = 128 * 1024;
const ENTRY_OVERHEAD: usize = 64;

/// `header-error` cases.
const INVALID_SYNTAX: u32 = 0;
const FORBIDDEN_NAME: u32 = 1;
const IMMUTABLE: u32 = 2;

/// Header or trailer fields; their bytes are charged to the host's [`Meter`] while they live.
pub struct Fields {
    /// Names in lowercase, in the order they were added.
    pub entries: Vec<(String, Vec<u8>)>,
    pub mutable: bool,
    size: usize,
    meter: Meter,
}

impl Drop for Fields {
    fn drop(&mut self) {
        self.meter.release(self.size);
    }
}

fn entries_size(entries: &[(String, Vec<u8>)]) -> usize {
    entries.iter().map(|(n, v)| n.len() + v.len() + ENTRY_OVERHEAD).sum()
}

impl Fields {
    /// Fields that arrived from outside (a request's headers): forbidden names left out, immutable.
    pub fn received(meter: &Meter, headers: &[(String, String)]) -> Fields {
        Fields::received_bytes(meter, headers.iter().map(|(n, v)| (n.clone(), v.as_bytes().to_vec())).collect())
    }

    /// [`received`](Fields::received) for fields whose values are bytes (a response's headers).
    pub fn received_bytes(meter: &Meter, headers: Vec<(String, Vec<u8>)>) -> Fields {
        let entries: Vec<(String, Vec<u8>)> =
            headers.into_iter().map(|(n, v)| (n.to_ascii_lowercase(), v)).filter(|(n, _)| !FORBIDDEN.contains(&n.as_str())).collect();
        let size = entries_size(&entries);
        meter.force(size);
        Fields { entries, mutable: false, size, meter: meter.clone() }
    }

    fn mutable(meter: &Meter) -> Fields {
        Fields { entries: Vec::new(), mutable: true, size: 0, meter: meter.clone() }
    }

    /// A copy (charged to the meter), mutable or not.
    pub fn copy(&self, mutable: bool) -> Result<Fields, Trap> {
        self.meter.charge(self.size)?;
        Ok(Fields { entries: self.entries.clone(), mutable, size: self.size, meter: self.meter.clone() })
    }

    /// The entries, leaving the fields (a response or request going out).
    pub fn into_entries(mut self) -> Vec<(String, Vec<u8>)> {
        core::mem::take(&mut self.entries)
    }

    /// Checks a change of `name` to `values`; the name lowercased, or the `header-error` case.
    fn check(&self, name: &str, values: &[Vec<u8>]) -> Result<String, u32> {
        if !self.mutable {
            return Err(IMMUTABLE);
        }
        if !valid_name(name) || !values.iter().all(|v| valid_value(v)) {
            return Err(INVALID_SYNTAX);
        }
        let name = name.to_ascii_lowercase();
        if FORBIDDEN.contains(&name.as_str()) {
            return Err(FORBIDDEN_NAME);
        }
        Ok(name)
    }

    fn add(&mut self, name: String, value: Vec<u8>) -> Result<(), Trap> {
        let added = name.len() + value.len() + ENTRY_OVERHEAD;
        if self.size + added > FIELDS_LIMIT {
            return Err(Trap::new(alloc::format!("the fields exceed the host's limit of {FIELDS_LIMIT} bytes")));
        }
        self.meter.charge(added)?;
        self.size += added;
        self.entries.push((name, value));
        Ok(())
    }

    fn remove_all(&mut self, name: &str) {
        self.entries.retain(|(n, _)| n != name);
        let size = entries_size(&self.entries);
        self.meter.release(self.size - size);
        self.size = size;
    }

    fn get(&self, name: &str) -> Vec<Val> {
        let name = name.to_ascii_lowercase();
        self.entries.iter().filter(|(n, _)| *n == name).map(|(_, v)| Val::Bytes(v.clone())).collect()
    }

    /// The `content-length` the fields declare, if any.
    fn content_length(&self) -> Option<u64> {
        self.entries.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| core::str::from_utf8(v).ok()?.trim().parse().ok())
    }
}

/// RFC 9110 token characters.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// What `http::HeaderValue` accepts: visible ASCII, spaces, tabs and obs-text; no CR, LF or NUL.
fn valid_value(value: &[u8]) -> bool {
    value.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

pub struct IncomingRequest {
    pub method: Method,
    pub path_with_query: String,
    pub authority: Option<String>,
    pub headers: Fields,
    /// Taken by `consume`.
    pub body: Option<HeldBytes>,
}

pub struct IncomingBody {
    /// Taken by `stream`.
    pub bytes: Option<HeldBytes>,
}

pub struct OutgoingResponse {
    pub status: u16,
    pub headers: Fields,
    /// Made by `body`, once.
    pub body: Option<Body>,
}

pub struct OutgoingBody {
    pub body: Body,
    /// Whether `write` gave out its stream already.
    pub written: bool,
    /// The `content-length` its headers declared: `finish` checks it.
    pub declared: Option<u64>,
}

/// Built by the component for `wasi:http/outgoing-handler`.
pub struct OutgoingRequest {
    pub method: Val,
    pub scheme: Option<Val>,
    pub authority: Option<String>,
    pub path_with_query: Option<String>,
    pub headers: Fields,
    pub body: Option<Body>,
}

#[derive(Default)]
pub struct RequestOptions {
    pub connect_timeout: Option<u64>,
    pub first_byte_timeout: Option<u64>,
    pub between_bytes_timeout: Option<u64>,
}

/// What a component set on a `response-outparam`.
pub enum Answer {
    Response { status: u16, headers: Vec<(String, Vec<u8>)>, body: Body },
    /// `set` with an `error-code`: its case name.
    Error(String),
}

/// `method` as its variant value.
pub fn method_val(m: Method) -> Val {
    let case = match m {
        Method::Get => 0,
        Method::Head => 1,
        Method::Post => 2,
        Method::Put => 3,
        Method::Delete => 4,
        Method::Options => 6,
        Method::Patch => 8,
    };
    Val::case(case)
}

/// The names of `error-code`'s cases, in the WIT's order.
pub const ERROR_CODES: [&str; 39] = [
    "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable", "destination-IP-prohibited",
    "destination-IP-unroutable", "connection-refused", "connection-terminated", "connection-timeout",
    "connection-read-timeout", "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
    "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied", "HTTP-request-length-required",
    "HTTP-request-body-size", "HTTP-request-method-invalid", "HTTP-request-URI-invalid", "HTTP-request-URI-too-long",
    "HTTP-request-header-section-size", "HTTP-request-header-size", "HTTP-request-trailer-section-size",
    "HTTP-request-trailer-size", "HTTP-response-incomplete", "HTTP-response-header-section-size",
    "HTTP-response-header-size", "HTTP-response-body-size", "HTTP-response-trailer-section-size",
    "HTTP-response-trailer-size", "HTTP-response-transfer-coding", "HTTP-response-content-coding",
    "HTTP-response-timeout", "HTTP-upgrade-failed", "HTTP-protocol-error", "loop-detected", "configuration-error",
    "internal-error",
];

/// `error-code.HTTP-response-body-size(some(n))`.
fn body_size_error(n: u64) -> Val {
    Val::Variant(28, Some(Box::new(Val::some(Val::U64(n)))))
}

fn header_result(r: Result<(), u32>) -> Val {
    Val::result(r.map(|()| None).map_err(|case| Some(Val::case(case))))
}

impl WasiHost {
    fn new_fields(&mut self, fields: Fields) -> Val {
        Val::Own(self.objects.insert(Object::Fields(fields)))
    }
}

fn fields_new(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(h.new_fields(Fields::mutable(&h.meter))))
}

fn fields_from_list(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let mut fields = Fields::mutable(&h.meter);
    for entry in a.list()? {
        let mut pair = Args::new(entry.into_fields()?);
        let (name, value) = (pair.string()?, pair.bytes()?);
        match fields.check(&name, core::slice::from_ref(&value)) {
            Ok(name) => fields.add(name, value)?,
            Err(case) => return Ok(Some(Val::err(Some(Val::case(case))))),
        }
    }
    Ok(Some(Val::ok(Some(h.new_fields(fields)))))
}

fn fields_get(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, name) = (a.resource()?, a.string()?);
    Ok(Some(Val::List(h.objects.fields(rep)?.get(&name))))
}

fn fields_has(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, name) = (a.resource()?, a.string()?);
    Ok(Some(Val::Bool(!h.objects.fields(rep)?.get(&name).is_empty())))
}

fn fields_set(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, name) = (a.resource()?, a.string()?);
    let values = a.list()?.into_iter().map(Val::into_bytes).collect::<Result<Vec<_>, _>>()?;
    let fields = h.objects.fields_mut(rep)?;
    let name = match fields.check(&name, &values) {
        Ok(name) => name,
        Err(case) => return Ok(Some(header_result(Err(case)))),
    };
    fields.remove_all(&name);
    for value in values {
        fields.add(name.clone(), value)?;
    }
    Ok(Some(header_result(Ok(()))))
}

fn fields_delete(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, name) = (a.resource()?, a.string()?);
    let fields = h.objects.fields_mut(rep)?;
    let r = fields.check(&name, &[]).map(|name| fields.remove_all(&name));
    Ok(Some(header_result(r)))
}

fn fields_append(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, name, value) = (a.resource()?, a.string()?, a.bytes()?);
    let fields = h.objects.fields_mut(rep)?;
    let r = match fields.check(&name, core::slice::from_ref(&value)) {
        Ok(name) => Ok(fields.add(name, value)?),
        Err(case) => Err(case),
    };
    Ok(Some(header_result(r)))
}

fn fields_entries(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let fields = h.objects.fields(a.resource()?)?;
    let entries = fields.entries.iter().map(|(n, v)| Val::Tuple(vec![Val::String(n.clone()), Val::Bytes(v.clone())])).collect();
    Ok(Some(Val::List(entries)))
}

fn fields_clone(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let copy = h.objects.fields(a.resource()?)?.copy(true)?;
    Ok(Some(h.new_fields(copy)))
}

fn request_method(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(method_val(h.objects.incoming_request(a.resource()?)?.method)))
}

fn request_path(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let path = h.objects.incoming_request(a.resource()?)?.path_with_query.clone();
    Ok(Some(Val::some(Val::String(path))))
}

fn request_scheme(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    h.objects.incoming_request(a.resource()?)?;
    Ok(Some(Val::some(Val::case(0)))) // HTTP: the kernel has no TLS yet
}

fn request_authority(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let authority = h.objects.incoming_request(a.resource()?)?.authority.clone();
    Ok(Some(Val::option(authority.map(Val::String))))
}

fn request_headers(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let headers = h.objects.incoming_request(a.resource()?)?.headers.copy(false)?;
    Ok(Some(h.new_fields(headers)))
}

fn request_consume(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let body = h.objects.incoming_request_mut(a.resource()?)?.body.take();
    Ok(Some(match body {
        Some(bytes) => Val::ok(Some(Val::Own(h.objects.insert(Object::IncomingBody(IncomingBody { bytes: Some(bytes) }))))),
        None => Val::err(None),
    }))
}

fn body_stream(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let bytes = h.objects.incoming_body_mut(a.resource()?)?.bytes.take();
    Ok(Some(match bytes {
        Some(data) => Val::ok(Some(Val::Own(h.objects.insert(Object::InputStream(InputStream::Bytes { data, pos: 0 }))))),
        None => Val::err(None),
    }))
}

fn body_finish(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    take(&mut h.objects, a.resource()?, Kind::IncomingBody)?;
    Ok(Some(Val::Own(h.objects.insert(Object::FutureTrailers))))
}

fn trailers_subscribe(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    a.resource()?;
    Ok(Some(h.pollable(Pollable::Ready)))
}

/// `future-trailers.get`: ready, with no trailers (`some(ok(ok(none)))`).
fn trailers_get(_: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    a.resource()?;
    Ok(Some(Val::some(Val::ok(Some(Val::ok(Some(Val::none())))))))
}

fn response_new(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let Object::Fields(mut headers) = take(&mut h.objects, a.resource()?, Kind::Fields)? else { unreachable!("take checks the kind") };
    headers.mutable = false;
    let response = OutgoingResponse { status: 200, headers, body: None };
    Ok(Some(Val::Own(h.objects.insert(Object::OutgoingResponse(response)))))
}

fn response_status(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::U16(h.objects.outgoing_response(a.resource()?)?.status)))
}

fn response_set_status(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, status) = (a.resource()?, a.u16()?);
    let response = h.objects.outgoing_response_mut(rep)?;
    // http::StatusCode accepts 100..=999.
    let ok = (100..=999).contains(&status);
    if ok {
        response.status = status;
    }
    Ok(Some(Val::result(if ok { Ok(None) } else { Err(None) })))
}

fn response_headers(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let headers = h.objects.outgoing_response(a.resource()?)?.headers.copy(false)?;
    Ok(Some(h.new_fields(headers)))
}

fn response_body(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let response = h.objects.outgoing_response_mut(a.resource()?)?;
    if response.body.is_some() {
        return Ok(Some(Val::err(None)));
    }
    let body = BodyBuf::new(&h.meter);
    response.body = Some(body.clone());
    let declared = response.headers.content_length();
    let rep = h.objects.insert(Object::OutgoingBody(OutgoingBody { body, written: false, declared }));
    Ok(Some(Val::ok(Some(Val::Own(rep)))))
}

fn body_write(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let body = h.objects.outgoing_body_mut(a.resource()?)?;
    if body.written {
        return Ok(Some(Val::err(None)));
    }
    body.written = true;
    let stream = OutputStream::Body(body.body.clone());
    Ok(Some(Val::ok(Some(Val::Own(h.objects.insert(Object::OutputStream(stream)))))))
}

fn outgoing_body_finish(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let Object::OutgoingBody(body) = take(&mut h.objects, a.resource()?, Kind::OutgoingBody)? else { unreachable!("take checks the kind") };
    if let Some(Val::Own(trailers)) = a.option()? {
        take(&mut h.objects, trailers, Kind::Fields)?; // trailers are not sent over HTTP/1.1 here
    }
    let mut buf = body.body.borrow_mut();
    buf.finished = true;
    let written = buf.data.len() as u64;
    Ok(Some(match body.declared {
        Some(declared) if declared != written => Val::err(Some(body_size_error(written))),
        _ => Val::ok(None),
    }))
}

fn outparam_set(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let Object::ResponseOutparam(request) = take(&mut h.objects, a.resource()?, Kind::ResponseOutparam)? else { unreachable!("take checks the kind") };
    // Nobody would take an earlier request's answer: kept, it would only grow the host's heap.
    if request != h.current_request {
        return Err(Trap::new("the response-outparam of an earlier request, answered already, was set"));
    }
    let answer = match a.variant()? {
        (0, Some(Val::Own(rep))) => {
            let Object::OutgoingResponse(r) = take(&mut h.objects, rep, Kind::OutgoingResponse)? else { unreachable!("take checks the kind") };
            let body = r.body.unwrap_or_else(|| {
                let body = BodyBuf::new(&h.meter);
                body.borrow_mut().finished = true; // no body was asked for: an empty one
                body
            });
            Answer::Response { status: r.status, headers: r.headers.into_entries(), body }
        }
        (1, Some(Val::Variant(case, payload))) => {
            let name = ERROR_CODES.get(case as usize).copied().unwrap_or("unknown").to_string();
            // internal-error(some(message)) says what went wrong in the component's own words.
            Answer::Error(match payload.map(|p| *p) {
                Some(Val::Variant(1, Some(message))) => match *message {
                    Val::String(m) => alloc::format!("{name}: {m}"),
                    _ => name,
                },
                _ => name,
            })
        }
        _ => return Err(Trap::new("response-outparam.set with a malformed result")),
    };
    h.answers.push((request, answer));
    Ok(None)
}

fn outparam_send_informational(_: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Err(Trap::new("response-outparam.send-informational is not implemented (as in wasmtime)"))
}

/// `http-error-code(err)`: errors here carry no HTTP error code.
fn http_error_code(_: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    a.resource()?;
    Ok(Some(Val::none()))
}

pub(super) const FUNCTIONS: &[(&str, &str, HostFn)] = &[
    ("wasi:http/types", "[constructor]fields", fields_new),
    ("wasi:http/types", "[static]fields.from-list", fields_from_list),
    ("wasi:http/types", "[method]fields.get", fields_get),
    ("wasi:http/types", "[method]fields.has", fields_has),
    ("wasi:http/types", "[method]fields.set", fields_set),
    ("wasi:http/types", "[method]fields.delete", fields_delete),
    ("wasi:http/types", "[method]fields.append", fields_append),
    ("wasi:http/types", "[method]fields.entries", fields_entries),
    ("wasi:http/types", "[method]fields.clone", fields_clone),
    ("wasi:http/types", "[method]incoming-request.method", request_method),
    ("wasi:http/types", "[method]incoming-request.path-with-query", request_path),
    ("wasi:http/types", "[method]incoming-request.scheme", request_scheme),
    ("wasi:http/types", "[method]incoming-request.authority", request_authority),
    ("wasi:http/types", "[method]incoming-request.headers", request_headers),
    ("wasi:http/types", "[method]incoming-request.consume", request_consume),
    ("wasi:http/types", "[method]incoming-body.stream", body_stream),
    ("wasi:http/types", "[static]incoming-body.finish", body_finish),
    ("wasi:http/types", "[method]future-trailers.subscribe", trailers_subscribe),
    ("wasi:http/types", "[method]future-trailers.get", trailers_get),
    ("wasi:http/types", "[constructor]outgoing-response", response_new),
    ("wasi:http/types", "[method]outgoing-response.status-code", response_status),
    ("wasi:http/types", "[method]outgoing-response.set-status-code", response_set_status),
    ("wasi:http/types", "[method]outgoing-response.headers", response_headers),
    ("wasi:http/types", "[method]outgoing-response.body", response_body),
    ("wasi:http/types", "[method]outgoing-body.write", body_write),
    ("wasi:http/types", "[static]outgoing-body.finish", outgoing_body_finish),
    ("wasi:http/types", "[method]response-outparam.send-informational", outparam_send_informational),
    ("wasi:http/types", "[static]response-outparam.set", outparam_set),
    ("wasi:http/types", "http-error-code", http_error_code),
];

pub(super) const RESOURCES: &[(&str, &str, Kind)] = &[
    ("wasi:http/types", "fields", Kind::Fields),
    ("wasi:http/types", "incoming-request", Kind::IncomingRequest),
    ("wasi:http/types", "outgoing-request", Kind::OutgoingRequest),
    ("wasi:http/types", "request-options", Kind::RequestOptions),
    ("wasi:http/types", "response-outparam", Kind::ResponseOutparam),
    ("wasi:http/types", "incoming-response", Kind::IncomingResponse),
    ("wasi:http/types", "incoming-body", Kind::IncomingBody),
    ("wasi:http/types", "future-trailers", Kind::FutureTrailers),
    ("wasi:http/types", "outgoing-response", Kind::OutgoingResponse),
    ("wasi:http/types", "outgoing-body", Kind::OutgoingBody),
    ("wasi:http/types", "future-incoming-response", Kind::FutureIncomingResponse),
];
