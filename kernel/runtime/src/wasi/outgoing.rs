//! `wasi:http/outgoing-handler` and the outgoing half of `wasi:http/types`: a request the
//! component builds is sent by the platform when the component first asks for its response
//! (plain `http://` only: `https` is refused until the kernel has TLS).

use super::http::{Fields, OutgoingBody, OutgoingRequest, RequestOptions};
use super::io::{BodyBuf, Pollable};
use super::meter::HeldBytes;
use super::objects::{take, Kind, Object};
use super::{HostFn, WasiHost};
use crate::component::{Args, Trap, Val};
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// A request for the platform to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    pub method: String,
    /// `host[:port]`.
    pub authority: String,
    pub path_with_query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// Nanoseconds, as the component asked (`request-options`).
    pub connect_timeout: Option<u64>,
    pub first_byte_timeout: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientResponse {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

/// Why the platform could not get a response: the `error-code` cases it can tell apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The name did not resolve; the DNS rcode if there was one.
    Dns(Option<String>),
    ConnectionRefused,
    ConnectionTerminated,
    ConnectionTimeout,
    /// The response was cut short.
    ResponseIncomplete,
    /// The response was not HTTP/1.1 as this host reads it.
    Protocol,
    /// The request was refused before it left (https without TLS).
    Denied,
    Internal(String),
}

impl ClientError {
    /// As an `error-code` value.
    pub fn val(&self) -> Val {
        let case = |n: u32, payload: Option<Val>| Val::Variant(n, payload.map(Box::new));
        match self {
            ClientError::Dns(rcode) => case(1, Some(Val::Record(alloc::vec![Val::option(rcode.clone().map(Val::String)), Val::none()]))),
            ClientError::ConnectionRefused => case(6, None),
            ClientError::ConnectionTerminated => case(7, None),
            ClientError::ConnectionTimeout => case(8, None),
            ClientError::Denied => case(15, None),
            ClientError::ResponseIncomplete => case(25, None),
            ClientError::Protocol => case(35, None),
            ClientError::Internal(m) => case(38, Some(Val::some(Val::String(m.clone())))),
        }
    }
}

pub struct IncomingResponse {
    pub status: u16,
    pub headers: Fields,
    /// Taken by `consume`.
    pub body: Option<HeldBytes>,
}

pub enum FutureResponse {
    /// Not sent yet: sent by the first `get`.
    Pending { request: OutgoingRequest, options: RequestOptions },
    Done(Result<ClientResponse, ClientError>),
    /// `get` returned it already.
    Taken,
}

fn request_new(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let Object::Fields(mut headers) = take(&mut h.objects, a.resource()?, Kind::Fields)? else { unreachable!("take checks the kind") };
    headers.mutable = false;
    let request = OutgoingRequest {
        method: Val::case(0),
        scheme: None,
        authority: None,
        path_with_query: None,
        headers,
        body: None,
    };
    Ok(Some(Val::Own(h.objects.insert(Object::OutgoingRequest(request)))))
}

fn request_body(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let request = h.objects.outgoing_request_mut(a.resource()?)?;
    if request.body.is_some() {
        return Ok(Some(Val::err(None)));
    }
    let body = BodyBuf::new(&h.meter);
    request.body = Some(body.clone());
    let rep = h.objects.insert(Object::OutgoingBody(OutgoingBody { body, written: false, declared: None }));
    Ok(Some(Val::ok(Some(Val::Own(rep)))))
}

/// A getter and a setter of one optional field of an outgoing request.
macro_rules! request_field {
    ($get:ident, $set:ident, $field:ident, $to_val:expr, $from_val:expr) => {
        fn $get(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
            let request = h.objects.outgoing_request(a.resource()?)?;
            Ok(Some($to_val(&request.$field)))
        }

        fn $set(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
            let rep = a.resource()?;
            let value = $from_val(a.take()?)?;
            h.objects.outgoing_request_mut(rep)?.$field = value;
            Ok(Some(Val::ok(None)))
        }
    };
}

request_field!(request_method, request_set_method, method, |m: &Val| m.clone(), |v: Val| Ok::<_, Trap>(v));
request_field!(
    request_path,
    request_set_path,
    path_with_query,
    |p: &Option<String>| Val::option(p.clone().map(Val::String)),
    |v: Val| Args::new(alloc::vec![v]).option()?.map(Val::into_string).transpose()
);
request_field!(request_scheme, request_set_scheme, scheme, |s: &Option<Val>| Val::option(s.clone()), |v: Val| Args::new(alloc::vec![v]).option());
request_field!(
    request_authority,
    request_set_authority,
    authority,
    |p: &Option<String>| Val::option(p.clone().map(Val::String)),
    |v: Val| Args::new(alloc::vec![v]).option()?.map(Val::into_string).transpose()
);

fn request_headers(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let headers = h.objects.outgoing_request(a.resource()?)?.headers.copy(false)?;
    Ok(Some(Val::Own(h.objects.insert(Object::Fields(headers)))))
}

fn options_new(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::Own(h.objects.insert(Object::RequestOptions(RequestOptions::default())))))
}

/// A getter and a setter of one timeout of `request-options`.
macro_rules! timeout {
    ($get:ident, $set:ident, $field:ident) => {
        fn $get(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
            Ok(Some(Val::option(h.objects.request_options(a.resource()?)?.$field.map(Val::U64))))
        }

        fn $set(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
            let rep = a.resource()?;
            let value = a.option()?.map(|v| Args::new(alloc::vec![v]).u64()).transpose()?;
            h.objects.request_options_mut(rep)?.$field = value;
            Ok(Some(Val::ok(None)))
        }
    };
}

timeout!(connect_timeout, set_connect_timeout, connect_timeout);
timeout!(first_byte_timeout, set_first_byte_timeout, first_byte_timeout);
timeout!(between_bytes_timeout, set_between_bytes_timeout, between_bytes_timeout);

/// `outgoing-handler.handle`: checks what can be checked now; the request leaves on the first `get`.
fn handle(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let Object::OutgoingRequest(request) = take(&mut h.objects, a.resource()?, Kind::OutgoingRequest)? else { unreachable!("take checks the kind") };
    let options = match a.option()? {
        Some(Val::Own(rep)) => match take(&mut h.objects, rep, Kind::RequestOptions)? {
            Object::RequestOptions(o) => o,
            _ => unreachable!("take checks the kind"),
        },
        _ => RequestOptions::default(),
    };
    if let Some(Val::Variant(1, _)) = request.scheme {
        h.platform.console(true, b"wasi:http/outgoing-handler: https is refused: the kernel has no TLS yet\n");
        return Ok(Some(Val::err(Some(ClientError::Denied.val()))));
    }
    if request.authority.as_deref().is_none_or(str::is_empty) {
        return Ok(Some(Val::err(Some(Val::Variant(19, None))))); // HTTP-request-URI-invalid
    }
    let future = FutureResponse::Pending { request, options };
    Ok(Some(Val::ok(Some(Val::Own(h.objects.insert(Object::FutureIncomingResponse(future)))))))
}

fn method_name(method: &Val) -> Result<String, Trap> {
    const NAMES: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
    match method {
        Val::Variant(9, Some(other)) => Ok(other.as_ref().clone().into_string()?),
        Val::Variant(n, None) => NAMES.get(*n as usize).map(|s| s.to_string()).ok_or_else(|| Trap::new("a malformed method")),
        _ => Err(Trap::new("a malformed method")),
    }
}

impl WasiHost {
    fn send(&mut self, request: OutgoingRequest, options: RequestOptions) -> Result<Result<ClientResponse, ClientError>, Trap> {
        let body = match &request.body {
            Some(body) if !body.borrow().finished => {
                return Ok(Err(ClientError::Internal("the request body was not finished before its response was awaited".into())));
            }
            Some(body) => body.borrow().data.clone(),
            None => Vec::new(),
        };
        let client = ClientRequest {
            method: method_name(&request.method)?,
            authority: request.authority.unwrap_or_default(),
            path_with_query: request.path_with_query.unwrap_or_else(|| "/".into()),
            headers: request.headers.into_entries(),
            body,
            connect_timeout: options.connect_timeout,
            first_byte_timeout: options.first_byte_timeout,
        };
        Ok(self.platform.send(client))
    }
}

fn future_subscribe(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    h.objects.future_response(a.resource()?)?;
    Ok(Some(h.pollable(Pollable::Ready)))
}

/// `future-incoming-response.get`: `some(ok(ok(response)))` / `some(ok(err(code)))` the first
/// time, `some(err)` after.
fn future_get(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let rep = a.resource()?;
    let state = core::mem::replace(h.objects.future_response_mut(rep)?, FutureResponse::Taken);
    let result = match state {
        FutureResponse::Pending { request, options } => h.send(request, options)?,
        FutureResponse::Done(result) => result,
        FutureResponse::Taken => return Ok(Some(Val::some(Val::err(None)))),
    };
    let inner = match result {
        Ok(r) => {
            let response = IncomingResponse { status: r.status, headers: Fields::received_bytes(&h.meter, r.headers), body: Some(HeldBytes::new(&h.meter, r.body)) };
            Val::ok(Some(Val::Own(h.objects.insert(Object::IncomingResponse(response)))))
        }
        Err(e) => Val::err(Some(e.val())),
    };
    Ok(Some(Val::some(Val::ok(Some(inner)))))
}

fn response_status(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::U16(h.objects.incoming_response(a.resource()?)?.status)))
}

fn response_headers(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let headers = h.objects.incoming_response(a.resource()?)?.headers.copy(false)?;
    Ok(Some(Val::Own(h.objects.insert(Object::Fields(headers)))))
}

fn response_consume(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let body = h.objects.incoming_response_mut(a.resource()?)?.body.take();
    Ok(Some(match body {
        Some(bytes) => {
            let body = super::http::IncomingBody { bytes: Some(bytes) };
            Val::ok(Some(Val::Own(h.objects.insert(Object::IncomingBody(body)))))
        }
        None => Val::err(None),
    }))
}

pub(super) const FUNCTIONS: &[(&str, &str, HostFn)] = &[
    ("wasi:http/types", "[constructor]outgoing-request", request_new),
    ("wasi:http/types", "[method]outgoing-request.body", request_body),
    ("wasi:http/types", "[method]outgoing-request.method", request_method),
    ("wasi:http/types", "[method]outgoing-request.set-method", request_set_method),
    ("wasi:http/types", "[method]outgoing-request.path-with-query", request_path),
    ("wasi:http/types", "[method]outgoing-request.set-path-with-query", request_set_path),
    ("wasi:http/types", "[method]outgoing-request.scheme", request_scheme),
    ("wasi:http/types", "[method]outgoing-request.set-scheme", request_set_scheme),
    ("wasi:http/types", "[method]outgoing-request.authority", request_authority),
    ("wasi:http/types", "[method]outgoing-request.set-authority", request_set_authority),
    ("wasi:http/types", "[method]outgoing-request.headers", request_headers),
    ("wasi:http/types", "[constructor]request-options", options_new),
    ("wasi:http/types", "[method]request-options.connect-timeout", connect_timeout),
    ("wasi:http/types", "[method]request-options.set-connect-timeout", set_connect_timeout),
    ("wasi:http/types", "[method]request-options.first-byte-timeout", first_byte_timeout),
    ("wasi:http/types", "[method]request-options.set-first-byte-timeout", set_first_byte_timeout),
    ("wasi:http/types", "[method]request-options.between-bytes-timeout", between_bytes_timeout),
    ("wasi:http/types", "[method]request-options.set-between-bytes-timeout", set_between_bytes_timeout),
    ("wasi:http/types", "[method]future-incoming-response.subscribe", future_subscribe),
    ("wasi:http/types", "[method]future-incoming-response.get", future_get),
    ("wasi:http/types", "[method]incoming-response.status", response_status),
    ("wasi:http/types", "[method]incoming-response.headers", response_headers),
    ("wasi:http/types", "[method]incoming-response.consume", response_consume),
    ("wasi:http/outgoing-handler", "handle", handle),
];
