//! HTTP/1.1 server side, sans-I/O: request parsing over partial reads (on
//! httparse), a response writer, a router with route parameters, and
//! [`Connection`], which ties them together for one TCP connection.
//!
//! Request bodies come with `Content-Length` or `Transfer-Encoding: chunked`.
//! Every parse error answers with a status and closes the connection: 400
//! malformed (a repeated `Host` too), 408 a request not finished in time (the
//! platform's clock decides, [`Connection::abandon`]), 503 a body the
//! platform has no memory left to hold (it decides too), 413 body too large,
//! 414 URI too long, 417 an expectation other than 100-continue, 431 header
//! section too large or too many headers, 501 unknown method or transfer
//! coding, 505 HTTP version other than 1.0/1.1. docs/ABI.md lists them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

/// The WIT `method` enum, in its order (the discriminant is the case index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
}

impl Method {
    pub const ALL: [Method; 7] =
        [Method::Get, Method::Post, Method::Put, Method::Delete, Method::Patch, Method::Head, Method::Options];

    pub fn parse(token: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == token)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }
}

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The request target as sent in origin form: path and query.
    pub uri: String,
    pub headers: Vec<(String, String)>,
    /// `None` when the request has no `Content-Length` header.
    pub body: Option<Vec<u8>>,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
}

impl Request {
    /// The path of [`uri`](Request::uri), without the query.
    pub fn path(&self) -> &str {
        self.uri.split(['?', '#']).next().unwrap_or("")
    }
}

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A `text/plain` response whose body is `message` and a newline.
    pub fn text(status: u16, message: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: format!("{message}\n").into_bytes(),
        }
    }

    /// A `text/plain` response that says the status's reason phrase.
    pub fn status(status: u16) -> Response {
        Response::text(status, reason(status))
    }
}

/// Bounds on what a request may be.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes in the request line and headers, CRLFs included.
    pub max_head: usize,
    pub max_headers: usize,
    pub max_uri: usize,
    pub max_body: usize,
}

impl Limits {
    /// The largest body the ABI can hand an app (docs/ABI.md): a larger one could only trap.
    pub const MAX_BODY: usize = crate::abi::MAX_LIFT_BYTES as usize;
    /// The default: a body is held whole, then copied into the app and on (about four copies at
    /// once); 8 MiB keeps that within the default 128 MiB guest and the app's 64 MiB memory, where
    /// 16 MiB bodies made the demo app fail (500) and, two at once, the kernel run out of heap.
    pub const DEFAULT_BODY: usize = 8 << 20;
}

impl Default for Limits {
    /// 16 KiB of head (Node's default), 100 fields (Apache's), 8 KiB targets (RFC 9112 §3 asks
    /// for at least 8000 octets of request line), 8 MiB bodies.
    fn default() -> Self {
        Limits { max_head: 16 * 1024, max_headers: 100, max_uri: 8 * 1024, max_body: Limits::DEFAULT_BODY }
    }
}

/// Collects bytes of one connection and cuts them into requests.
pub struct RequestParser {
    buf: Vec<u8>,
    limits: Limits,
    /// The request being read asked `Expect: 100-continue`: `None` once answered.
    continue_due: Option<bool>,
}

impl RequestParser {
    pub fn new(limits: Limits) -> Self {
        RequestParser { buf: Vec::new(), limits, continue_due: None }
    }

    /// Whether the client waits for `100 Continue` before it sends the body of the request being
    /// read; true once per request.
    pub fn take_continue(&mut self) -> bool {
        self.continue_due.replace(false) == Some(true)
    }

    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Whether bytes of a request not yet whole have arrived.
    pub fn has_partial_request(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Drops what was received (the connection is closing): a refused body's bytes are freed
    /// at once, not when the client goes away.
    fn discard(&mut self) {
        self.buf = Vec::new();
    }

    /// The next whole request, `Ok(None)` if more bytes are needed, or the
    /// status to answer with before closing the connection.
    pub fn next_request(&mut self) -> Result<Option<Request>, u16> {
        let mut slots = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
        let mut head = httparse::Request::new(&mut slots);
        let head_len = match head.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return self.check_partial().map(|()| None),
            Err(httparse::Error::TooManyHeaders) => return Err(431),
            Err(httparse::Error::Version) => return Err(self.version_error()),
            Err(_) => return Err(400),
        };
        if head_len > self.limits.max_head {
            return Err(431);
        }
        let (Some(method), Some(uri), Some(version)) = (head.method, head.path, head.version) else {
            return Err(400);
        };
        if uri.len() > self.limits.max_uri {
            return Err(414);
        }
        let method = Method::parse(method).ok_or(501u16)?;
        let uri = origin_form(uri)?;
        let mut headers = Vec::with_capacity(head.headers.len());
        let mut content_length: Option<usize> = None;
        let mut chunked = false;
        let mut expects_continue = false;
        let mut connection_close = version == 0;
        let mut has_host = false;
        for h in head.headers.iter() {
            let value = core::str::from_utf8(h.value).map_err(|_| 400u16)?.trim();
            if h.name.eq_ignore_ascii_case("content-length") {
                let n = parse_length(value).ok_or(400u16)?;
                // Repeated Content-Length must agree (RFC 9112 §6.3).
                if content_length.is_some_and(|m| m != n) {
                    return Err(400);
                }
                content_length = Some(n);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                // Only `chunked` alone: other codings (gzip, …) are not decoded here (RFC 9112 §6.1: 501).
                if !value.eq_ignore_ascii_case("chunked") || chunked {
                    return Err(501);
                }
                chunked = true;
            } else if h.name.eq_ignore_ascii_case("connection") {
                for option in value.split(',').map(str::trim) {
                    if option.eq_ignore_ascii_case("close") {
                        connection_close = true;
                    } else if option.eq_ignore_ascii_case("keep-alive") && version == 0 {
                        connection_close = false;
                    }
                }
            } else if h.name.eq_ignore_ascii_case("host") {
                // Two Hosts leave the target ambiguous (RFC 9112 §3.2: 400).
                if has_host {
                    return Err(400);
                }
                has_host = true;
            } else if h.name.eq_ignore_ascii_case("expect") {
                // The only expectation there is (RFC 9110 §10.1.1); others cannot be met.
                if !value.eq_ignore_ascii_case("100-continue") {
                    return Err(417);
                }
                expects_continue = version == 1;
            }
            headers.push((h.name.to_string(), value.to_string()));
        }
        // HTTP/1.1 requests must name the host (RFC 9112 §3.2).
        if version == 1 && !has_host {
            return Err(400);
        }
        // Both framings at once smuggle requests past proxies (RFC 9112 §6.1): refused.
        if chunked && content_length.is_some() {
            return Err(400);
        }
        let complete = if chunked {
            dechunk(&self.buf[head_len..], self.limits.max_body)?
        } else {
            let body_len = content_length.unwrap_or(0);
            if body_len > self.limits.max_body {
                return Err(413);
            }
            let have = self.buf.len() - head_len;
            // Room for the rest of the body once half of it is here: growing by doubling would
            // hold up to twice its size, and reserving at the head would let a client claim
            // memory it never sends.
            if have.saturating_mul(2) >= body_len {
                self.buf.reserve_exact((head_len + body_len).saturating_sub(self.buf.len()));
            }
            (have >= body_len).then(|| (Vec::new(), body_len))
        };
        let Some((bytes, body_len)) = complete else {
            // Waiting for the body: a client that asked first is told to send it (once).
            if expects_continue && self.continue_due.is_none() {
                self.continue_due = Some(true);
            }
            return Ok(None);
        };
        let framed = chunked || content_length.is_some();
        self.continue_due = None;
        // The request's bytes leave the buffer; a Content-Length body is moved, not copied.
        let rest = self.buf.split_off(head_len + body_len);
        let mut taken = core::mem::replace(&mut self.buf, rest);
        let body = match (framed, chunked) {
            (false, _) => None,
            (true, true) => Some(bytes),
            (true, false) => {
                taken.drain(..head_len);
                Some(taken)
            }
        };
        Ok(Some(Request { method, uri, headers, body, keep_alive: !connection_close }))
    }

    /// httparse reports any bad third word of the request line as a version
    /// error: only an `HTTP/…` word there is an unsupported version (505).
    fn version_error(&self) -> u16 {
        let line = self.buf.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or(&[]);
        let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if words.len() == 3 && words[2].starts_with(b"HTTP/") {
            505
        } else {
            400
        }
    }

    /// Limits that a head still incomplete already breaks.
    fn check_partial(&self) -> Result<(), u16> {
        // Before the request line ends, the URI dominates its length; the
        // slack covers the method and version. httparse also ends lines
        // with a bare LF.
        let line_done = self.buf.contains(&b'\n');
        if !line_done && self.buf.len() > self.limits.max_uri + 32 {
            return Err(414);
        }
        if self.buf.len() > self.limits.max_head {
            return Err(431);
        }
        Ok(())
    }
}

/// The path and query of a request target, which may be in origin form
/// (`/a?b`) or absolute form (`http://host/a?b`, which servers must accept).
fn origin_form(target: &str) -> Result<String, u16> {
    if target.starts_with('/') {
        return Ok(target.into());
    }
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|scheme| target.get(..scheme.len()).filter(|s| s.eq_ignore_ascii_case(scheme)).map(|s| &target[s.len()..]))
        .ok_or(400u16)?;
    Ok(match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => rest[i..].into(),
        Some(i) => format!("/{}", &rest[i..]),
        None => "/".into(),
    })
}

/// Decodes a chunked body (RFC 9112 §7.1) at the start of `data`: the body and the bytes it took,
/// `Ok(None)` while incomplete, or the status for a malformed one (400) or one over `max` (413).
/// Chunk extensions and trailers are read and dropped. The data is copied only once the body is
/// complete: this runs again on every read while the body arrives.
pub fn dechunk(data: &[u8], max: usize) -> Result<Option<(Vec<u8>, usize)>, u16> {
    let mut chunks: Vec<core::ops::Range<usize>> = Vec::new();
    let mut body_len = 0usize;
    let mut at = 0;
    loop {
        let Some(line_end) = find_crlf(&data[at..]) else {
            // A size line longer than any sane one is not waited for.
            return if data.len() - at > 1024 { Err(400) } else { Ok(None) };
        };
        let line = &data[at..at + line_end];
        let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
        let size = parse_chunk_size(size_text).ok_or(400u16)?;
        at += line_end + 2;
        if size == 0 {
            // Trailer fields, then an empty line.
            loop {
                let Some(end) = find_crlf(&data[at..]) else { return if data.len() - at > 16 * 1024 { Err(431) } else { Ok(None) } };
                at += end + 2;
                if end == 0 {
                    let mut body = Vec::with_capacity(body_len);
                    chunks.into_iter().for_each(|chunk| body.extend_from_slice(&data[chunk]));
                    return Ok(Some((body, at)));
                }
            }
        }
        body_len = body_len.saturating_add(size);
        if body_len > max {
            return Err(413);
        }
        if data.len() < at + size + 2 {
            return Ok(None);
        }
        if &data[at + size..at + size + 2] != b"\r\n" {
            return Err(400);
        }
        chunks.push(at..at + size);
        at += size + 2;
    }
}

fn find_crlf(data: &[u8]) -> Option<usize> {
    data.windows(2).position(|w| w == b"\r\n")
}

/// A chunk size: 1 to 15 hex digits (no overflow), whitespace before an extension allowed.
fn parse_chunk_size(text: &[u8]) -> Option<usize> {
    let digits = text.trim_ascii_end();
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &b| Some(n * 16 + (b as char).to_digit(16)? as usize))
}

/// A Content-Length value: digits only, no sign, no overflow.
fn parse_length(text: &str) -> Option<usize> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The reason phrase of `status`.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Header names the writer sets itself; the app's copies are dropped.
const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

/// Appends `response` to `out`. `head_only` leaves the body out (for HEAD;
/// Content-Length still gives its size). Headers that are not valid tokens
/// and values with control characters are dropped, so an app cannot split
/// the response.
pub fn write_response(response: &Response, head_only: bool, keep_alive: bool, out: &mut Vec<u8>) {
    let status = response.status;
    out.extend_from_slice(format!("HTTP/1.1 {status} {}\r\n", reason(status)).as_bytes());
    for (name, value) in &response.headers {
        let framing = FRAMING_HEADERS.iter().any(|f| name.eq_ignore_ascii_case(f));
        if framing || !is_token(name) || value.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
            continue;
        }
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    // 1xx, 204 and 304 responses have no body and no Content-Length.
    let bodiless = status < 200 || status == 204 || status == 304;
    if !bodiless {
        out.extend_from_slice(format!("Content-Length: {}\r\n", response.body.len()).as_bytes());
    }
    out.extend_from_slice(if keep_alive { b"Connection: keep-alive\r\n\r\n" } else { b"Connection: close\r\n\r\n" });
    if !bodiless && !head_only {
        out.extend_from_slice(&response.body);
    }
}

/// An RFC 9110 token (header names).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Why a route could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone)]
struct Route {
    method: Method,
    segments: Vec<Segment>,
    handler: String,
}

/// What the router found for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch<'a> {
    Found { handler: &'a str, params: Vec<(String, String)> },
    NotFound,
    /// The path matches routes of other methods only: answer 405 with
    /// `Allow` set to these.
    MethodNotAllowed(Vec<Method>),
    /// The path is not valid percent-encoded UTF-8: answer 400.
    BadPath,
}

/// Routes by method and path pattern. A pattern is `/`-separated segments;
/// a segment `:name` matches any one non-empty segment and binds it
/// (percent-decoded) as the parameter `name`. Routes are tried in the order
/// they were added. HEAD requests use GET routes when no HEAD route exists.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    pub fn new() -> Self {
        Router::default()
    }

    pub fn add(&mut self, method: Method, pattern: &str, handler: &str) -> Result<(), RouteError> {
        let error = |why: &str| Err(RouteError(format!("{pattern}: {why}")));
        let Some(rest) = pattern.strip_prefix('/') else { return error("must start with '/'") };
        if pattern.contains(['?', '#']) || pattern.chars().any(char::is_control) {
            return error("must be a path without query, fragment or control characters");
        }
        let mut segments = Vec::new();
        for part in rest.split('/') {
            segments.push(match part.strip_prefix(':') {
                Some("") => return error("empty parameter name"),
                Some(name) if segments.contains(&Segment::Param(name.into())) => {
                    return error("repeated parameter name")
                }
                Some(name) => Segment::Param(name.into()),
                None => Segment::Literal(part.into()),
            });
        }
        let shape = |s: &[Segment]| s.iter().map(|x| matches!(x, Segment::Param(_))).collect::<Vec<_>>();
        let same_shape = |r: &Route| {
            r.method == method
                && shape(&r.segments) == shape(&segments)
                && r.segments.iter().zip(&segments).all(|(a, b)| match (a, b) {
                    (Segment::Literal(a), Segment::Literal(b)) => a == b,
                    _ => true,
                })
        };
        if self.routes.iter().any(same_shape) {
            return error("already routed for this method");
        }
        self.routes.push(Route { method, segments, handler: handler.into() });
        Ok(())
    }

    /// Every handler name, in route order (with repeats).
    pub fn handlers(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|r| r.handler.as_str())
    }

    /// Every route as (method, pattern, handler).
    pub fn routes(&self) -> impl Iterator<Item = (Method, String, &str)> {
        self.routes.iter().map(|r| {
            let pattern: String = r
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => format!("/{l}"),
                    Segment::Param(p) => format!("/:{p}"),
                })
                .collect();
            (r.method, pattern, r.handler.as_str())
        })
    }

    pub fn find(&self, method: Method, path: &str) -> RouteMatch<'_> {
        let parts = path.strip_prefix('/').and_then(|p| p.split('/').map(percent_decode).collect::<Option<Vec<_>>>());
        let Some(parts) = parts else { return RouteMatch::BadPath };
        let has_head = self.routes.iter().any(|r| r.method == Method::Head);
        let mut allowed = Vec::new();
        for route in &self.routes {
            let Some(params) = bind(&route.segments, &parts) else { continue };
            let serves = route.method == method || (method == Method::Head && !has_head && route.method == Method::Get);
            if serves {
                return RouteMatch::Found { handler: &route.handler, params };
            }
            allowed.push(route.method);
            if route.method == Method::Get && !has_head {
                allowed.push(Method::Head);
            }
        }
        if allowed.is_empty() {
            return RouteMatch::NotFound;
        }
        let allowed = Method::ALL.into_iter().filter(|m| allowed.contains(m)).collect();
        RouteMatch::MethodNotAllowed(allowed)
    }
}

/// The parameters `segments` binds in `parts`, if it matches them.
fn bind(segments: &[Segment], parts: &[String]) -> Option<Vec<(String, String)>> {
    if segments.len() != parts.len() {
        return None;
    }
    let mut params = Vec::new();
    for (segment, part) in segments.iter().zip(parts) {
        match segment {
            Segment::Literal(l) if l == part => {}
            Segment::Param(name) if !part.is_empty() => params.push((name.clone(), part.clone())),
            _ => return None,
        }
    }
    Some(params)
}

/// Decodes `%XX` escapes; `None` if an escape is bad or the result is not
/// UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = core::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The answer to a request that the router did not hand to a handler:
/// 404, 405 with `Allow`, or 400.
pub fn route_error_response(found: &RouteMatch<'_>) -> Option<Response> {
    match found {
        RouteMatch::Found { .. } => None,
        RouteMatch::NotFound => Some(Response::status(404)),
        RouteMatch::BadPath => Some(Response::status(400)),
        RouteMatch::MethodNotAllowed(allowed) => {
            let mut response = Response::status(405);
            let allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
            response.headers.push(("Allow".into(), allow.join(", ")));
            Some(response)
        }
    }
}

/// How the server answers one request: now, or later through [`Connection::complete`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Now(Response),
    Later,
}

impl From<Response> for Reply {
    fn from(response: Response) -> Reply {
        Reply::Now(response)
    }
}

/// One HTTP connection: feed it the bytes read from the socket, send what it
/// writes to `out`, and close the socket once it says so (after sending).
pub struct Connection {
    parser: RequestParser,
    open: bool,
    rejected: Option<u16>,
    /// The request answered later: whether it was a HEAD, and whether the connection stays open.
    awaiting: Option<(bool, bool)>,
}

impl Connection {
    pub fn new(limits: Limits) -> Self {
        Connection { parser: RequestParser::new(limits), open: true, rejected: None, awaiting: None }
    }

    /// The status the connection was closed with because a request could not be parsed.
    pub fn rejected(&self) -> Option<u16> {
        self.rejected
    }

    /// Whether a request waits for its response ([`complete`](Connection::complete)).
    pub fn awaiting(&self) -> bool {
        self.awaiting.is_some()
    }

    /// Bytes of a request not yet whole, held until it is.
    pub fn buffered(&self) -> usize {
        self.parser.buf.len()
    }

    /// Ends the connection for a reason of the platform's (its clock or its memory): a request
    /// partly received is answered `status` (408 out of time, 503 out of memory; appended to
    /// `out`, the connection closes after sending it); an idle keep-alive connection is closed
    /// without a word (RFC 9112 §9.5). Returns whether `status` was written.
    pub fn abandon(&mut self, status: u16, out: &mut Vec<u8>) -> bool {
        let mid_request = self.open && self.parser.has_partial_request();
        self.open = false;
        self.parser.discard();
        if mid_request {
            write_response(&Response::status(status), false, false, out);
            self.rejected = Some(status);
        }
        mid_request
    }

    /// Handles every whole request in the bytes received so far (pipelined
    /// requests are answered in order) with `handle`, appending responses to
    /// `out`. A request answered [`Reply::Later`] holds the ones after it until
    /// [`complete`](Connection::complete). Returns whether the connection stays open.
    pub fn receive<R: Into<Reply>>(&mut self, data: &[u8], out: &mut Vec<u8>, handle: impl FnMut(&Request) -> R) -> bool {
        if !self.open {
            return false;
        }
        self.parser.push(data);
        self.answer(out, handle)
    }

    /// Writes the response of the request answered later, then goes on with the requests received
    /// meanwhile, as [`receive`](Connection::receive) does.
    pub fn complete<R: Into<Reply>>(&mut self, response: &Response, out: &mut Vec<u8>, handle: impl FnMut(&Request) -> R) -> bool {
        let (head, keep_alive) = self.awaiting.take().expect("complete follows a Reply::Later");
        write_response(response, head, keep_alive, out);
        if !keep_alive {
            self.open = false;
            return false;
        }
        self.answer(out, handle)
    }

    fn answer<R: Into<Reply>>(&mut self, out: &mut Vec<u8>, mut handle: impl FnMut(&Request) -> R) -> bool {
        if self.awaiting.is_some() {
            return true;
        }
        loop {
            match self.parser.next_request() {
                Ok(None) => {
                    if self.parser.take_continue() {
                        out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                    }
                    return true;
                }
                Ok(Some(request)) => {
                    let head = request.method == Method::Head;
                    match handle(&request).into() {
                        Reply::Now(response) => write_response(&response, head, request.keep_alive, out),
                        Reply::Later => {
                            self.awaiting = Some((head, request.keep_alive));
                            return true;
                        }
                    }
                    if !request.keep_alive {
                        self.open = false;
                        return false;
                    }
                }
                Err(status) => {
                    self.parser.discard();
                    write_response(&Response::status(status), false, false, out);
                    self.rejected = Some(status);
                    self.open = false;
                    return false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
