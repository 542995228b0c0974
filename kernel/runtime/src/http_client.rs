//! HTTP/1.1 client side, sans-I/O, for `wasi:http/outgoing-handler`: where a request goes
//! ([`Target`]), its bytes ([`write_request`]) and the response read from partial reads
//! ([`ResponseReader`]). One request per connection: the request says `Connection: close`, the
//! platform connects, writes, reads until the reader is done, and closes.

mod response;
#[cfg(test)]
mod tests;

pub use response::{Limits, ResponseReader};

use crate::wasi::{ClientError, ClientRequest};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The port of an `http` authority that names none.
pub const DEFAULT_PORT: u16 = 80;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Ipv4([u8; 4]),
    /// A name to resolve.
    Name(String),
}

/// Where a request goes: its authority's host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: Host,
    pub port: u16,
}

impl Target {
    /// The host and port of an authority `host[:port]`. IPv6 literals and userinfo are refused
    /// (the kernel speaks IPv4 only; `wasi:http` authorities carry no userinfo).
    pub fn parse(authority: &str) -> Result<Target, ClientError> {
        let invalid = |why: &str| ClientError::Internal(format!("the authority `{authority}` is not valid: {why}"));
        if authority.starts_with('[') {
            return Err(invalid("IPv6 addresses are not supported"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, "")) => (host, DEFAULT_PORT),
            Some((host, port)) => (host, parse_port(port).ok_or_else(|| invalid("the port must be 1-65535"))?),
            None => (authority, DEFAULT_PORT),
        };
        if host.is_empty() || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
            return Err(invalid("the host must be an IPv4 address or a DNS name"));
        }
        let host = parse_ipv4(host).map_or_else(|| Host::Name(host.to_string()), Host::Ipv4);
        Ok(Target { host, port })
    }
}

fn parse_port(text: &str) -> Option<u16> {
    let digits_only = text.bytes().all(|b| b.is_ascii_digit()); // `parse` would take a `+`
    text.parse().ok().filter(|&p| digits_only && p != 0)
}

/// A dotted quad of decimal numbers 0-255 (no leading zeros, which some resolvers read as octal).
fn parse_ipv4(text: &str) -> Option<[u8; 4]> {
    let mut addr = [0u8; 4];
    let mut parts = text.split('.');
    for byte in &mut addr {
        let part = parts.next()?;
        let canonical = !part.is_empty() && part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit()) && (part == "0" || !part.starts_with('0'));
        *byte = part.parse().ok().filter(|_| canonical)?;
    }
    parts.next().is_none().then_some(addr)
}

/// Headers the writer sets itself: the component's copies are left out (most are forbidden to
/// components already; `content-length` is not, but the body's real length wins).
const WRITER_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// Appends the request's bytes to `out`: the request line, `Host` (the authority), the
/// component's headers, `Content-Length` when there is a body or the method expects one,
/// `Connection: close`, and the body. Anything that could split the request (a bad method, path,
/// header name or value) is refused instead.
pub fn write_request(request: &ClientRequest, out: &mut Vec<u8>) -> Result<(), ClientError> {
    let refuse = |what: &str| ClientError::Internal(format!("the request's {what} is not valid HTTP/1.1"));
    if !is_token(&request.method) {
        return Err(refuse("method"));
    }
    let path = match request.path_with_query.as_str() {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    if !(path.starts_with('/') || path == "*") || !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(refuse("path"));
    }
    if !is_field_value(request.authority.as_bytes()) {
        return Err(refuse("authority"));
    }
    out.extend_from_slice(format!("{} {path} HTTP/1.1\r\nHost: {}\r\n", request.method, request.authority).as_bytes());
    for (name, value) in &request.headers {
        if !is_token(name) || !is_field_value(value) {
            return Err(refuse("header field"));
        }
        if WRITER_HEADERS.iter().any(|w| name.eq_ignore_ascii_case(w)) {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    // RFC 9110 §8.6: say the length when the method gives content a meaning, even when it is zero.
    if !request.body.is_empty() || ["POST", "PUT", "PATCH"].contains(&request.method.as_str()) {
        out.extend_from_slice(format!("Content-Length: {}\r\n", request.body.len()).as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&request.body);
    Ok(())
}

/// An RFC 9110 token (methods, header names).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A field value without CR, LF, NUL or other controls but tab.
fn is_field_value(value: &[u8]) -> bool {
    value.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}
