//! Reads one HTTP/1.1 response from partial reads: the head with httparse, then a body framed by
//! `Content-Length`, `Transfer-Encoding: chunked` (httparse reads the size lines; extensions and
//! trailers are dropped) or the end of the connection.
//!
//! The server side's `http::dechunk` decodes a whole buffer again on every read, fine for 1 MiB
//! requests; a response may be 16 MiB, so this reader keeps its place instead.

use crate::wasi::io::MAX_BODY;
use crate::wasi::{ClientError, ClientResponse};
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

/// Bounds on what a response may be.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes in the status line and headers (and in the trailers), CRLFs included.
    pub max_head: usize,
    pub max_headers: usize,
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_head: 64 * 1024, max_headers: 128, max_body: MAX_BODY }
    }
}

/// A chunk-size line longer than this (extensions included) is not waited for.
const MAX_CHUNK_LINE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    /// A `Content-Length` body: this many bytes still to come.
    Length(usize),
    ChunkSize,
    /// This many bytes of the current chunk still to come.
    ChunkData(usize),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    Trailers,
    /// No length given: the body ends when the server closes.
    UntilClose,
    Done,
}

pub struct ResponseReader {
    limits: Limits,
    /// A response to HEAD has no body, whatever its headers say.
    head_request: bool,
    /// Bytes received and not consumed yet (an incomplete head, size line or chunk end).
    pending: Vec<u8>,
    state: State,
    started: bool,
    response: ClientResponse,
}

impl ResponseReader {
    /// A reader for the response to a request with `method`.
    pub fn new(method: &str, limits: Limits) -> ResponseReader {
        ResponseReader {
            limits,
            head_request: method == "HEAD",
            pending: Vec::new(),
            state: State::Head,
            started: false,
            response: ClientResponse { status: 0, headers: Vec::new(), body: Vec::new() },
        }
    }

    /// Takes bytes the server sent. An error is final: the response is malformed or too large.
    /// Bytes after the end of the response are ignored.
    pub fn push(&mut self, data: &[u8]) -> Result<(), ClientError> {
        self.started |= !data.is_empty();
        let mut pending = core::mem::take(&mut self.pending);
        pending.extend_from_slice(data);
        let consumed = self.consume(&pending)?;
        pending.drain(..consumed);
        self.pending = pending;
        Ok(())
    }

    /// The whole response is in.
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    /// Some byte of the response has arrived.
    pub fn started(&self) -> bool {
        self.started
    }

    /// The response once the server closed its side (a body without a length ends there), or
    /// the error for one cut short.
    pub fn finish(self) -> Result<ClientResponse, ClientError> {
        match self.state {
            State::Done | State::UntilClose => Ok(self.response),
            _ => Err(self.cut_short()),
        }
    }

    /// What a response that ends now, unfinished, is: nothing at all or a partial response.
    pub fn cut_short(&self) -> ClientError {
        if self.started {
            ClientError::ResponseIncomplete
        } else {
            ClientError::ConnectionTerminated
        }
    }

    /// Consumes what it can of `bytes` and returns how much.
    fn consume(&mut self, bytes: &[u8]) -> Result<usize, ClientError> {
        let mut at = 0;
        loop {
            let rest = &bytes[at..];
            let taken = match self.state {
                State::Head => self.head(rest)?,
                State::Length(left) => self.counted(rest, left, State::Done, State::Length)?,
                State::ChunkSize => self.chunk_size(rest)?,
                State::ChunkData(left) => self.counted(rest, left, State::ChunkEnd, State::ChunkData)?,
                State::ChunkEnd => match rest.get(..2) {
                    None => None,
                    Some(b"\r\n") => {
                        self.state = State::ChunkSize;
                        Some(2)
                    }
                    Some(_) => return Err(ClientError::Protocol),
                },
                State::Trailers => self.trailers(rest)?,
                State::UntilClose => {
                    self.body(rest)?;
                    (!rest.is_empty()).then_some(rest.len())
                }
                State::Done => None,
            };
            match taken {
                Some(n) => at += n,
                None => return Ok(at),
            }
        }
    }

    /// Parses the status line and headers when they are all in; an interim (1xx) response is
    /// skipped. Sets the body's framing.
    fn head(&mut self, bytes: &[u8]) -> Result<Option<usize>, ClientError> {
        let mut slots = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
        let mut head = httparse::Response::new(&mut slots);
        let len = match head.parse(bytes) {
            Ok(httparse::Status::Complete(len)) if len <= self.limits.max_head => len,
            Ok(httparse::Status::Partial) if bytes.len() <= self.limits.max_head => return Ok(None),
            Ok(_) => return Err(self.head_too_large()),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ClientError::Internal(format!("the response has more than the host's limit of {} header fields", self.limits.max_headers)))
            }
            Err(_) => return Err(ClientError::Protocol),
        };
        let status = head.code.ok_or(ClientError::Protocol)?;
        match status {
            101 => return Err(ClientError::Protocol), // a protocol switch nobody asked for
            100..=199 => return Ok(Some(len)),
            _ => {}
        }
        let mut length: Option<usize> = None;
        let mut coding: Option<&[u8]> = None;
        for h in head.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                // A list of equal values counts as one (RFC 9110 §8.6); each repetition must agree.
                for value in h.value.split(|&b| b == b',') {
                    let n = parse_length(value).ok_or(ClientError::Protocol)?;
                    if length.is_some_and(|m| m != n) {
                        return Err(ClientError::Protocol);
                    }
                    length = Some(n);
                }
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                // Only `chunked` alone: a body in another transfer coding would reach the
                // component still encoded, with no header left to say so.
                if coding.is_some() {
                    return Err(ClientError::Protocol);
                }
                coding = Some(h.value.trim_ascii());
            }
        }
        self.response.status = status;
        self.response.headers = head.headers.iter().map(|h| (h.name.to_string(), h.value.to_vec())).collect();
        self.state = if self.head_request || status == 204 || status == 304 {
            State::Done
        } else if let Some(coding) = coding {
            if !coding.eq_ignore_ascii_case(b"chunked") {
                return Err(ClientError::Protocol);
            }
            State::ChunkSize // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3)
        } else {
            match length {
                Some(0) => State::Done,
                Some(n) if n > self.limits.max_body => return Err(self.body_too_large()),
                Some(n) => State::Length(n),
                None => State::UntilClose,
            }
        };
        Ok(Some(len))
    }

    /// Takes what is here of `left` more body bytes: then the state is `whole` if they are all in,
    /// else `more(still left)`.
    fn counted(&mut self, rest: &[u8], left: usize, whole: State, more: fn(usize) -> State) -> Result<Option<usize>, ClientError> {
        let n = left.min(rest.len());
        self.body(&rest[..n])?;
        self.state = if n == left { whole } else { more(left - n) };
        Ok((n > 0).then_some(n))
    }

    fn chunk_size(&mut self, bytes: &[u8]) -> Result<Option<usize>, ClientError> {
        match httparse::parse_chunk_size(bytes) {
            Ok(httparse::Status::Complete((len, 0))) => {
                self.state = State::Trailers;
                Ok(Some(len))
            }
            Ok(httparse::Status::Complete((len, size))) => {
                let size = usize::try_from(size).map_err(|_| self.body_too_large())?;
                if self.response.body.len().saturating_add(size) > self.limits.max_body {
                    return Err(self.body_too_large());
                }
                self.state = State::ChunkData(size);
                Ok(Some(len))
            }
            Ok(httparse::Status::Partial) if bytes.len() <= MAX_CHUNK_LINE => Ok(None),
            Ok(httparse::Status::Partial) | Err(_) => Err(ClientError::Protocol),
        }
    }

    /// Reads past the trailer fields and the empty line that ends the body.
    fn trailers(&mut self, bytes: &[u8]) -> Result<Option<usize>, ClientError> {
        let mut slots = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
        match httparse::parse_headers(bytes, &mut slots) {
            Ok(httparse::Status::Complete((len, _))) if len <= self.limits.max_head => {
                self.state = State::Done;
                Ok(Some(len))
            }
            Ok(httparse::Status::Partial) if bytes.len() <= self.limits.max_head => Ok(None),
            Ok(_) | Err(httparse::Error::TooManyHeaders) => Err(self.head_too_large()),
            Err(_) => Err(ClientError::Protocol),
        }
    }

    fn body(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        if self.response.body.len() + bytes.len() > self.limits.max_body {
            return Err(self.body_too_large());
        }
        self.response.body.extend_from_slice(bytes);
        Ok(())
    }

    fn head_too_large(&self) -> ClientError {
        ClientError::Internal(format!("the response's header section exceeds the host's limit of {} bytes", self.limits.max_head))
    }

    fn body_too_large(&self) -> ClientError {
        ClientError::Internal(format!("the response body exceeds the host's limit of {} bytes", self.limits.max_body))
    }
}

/// A `Content-Length` value: digits only (whitespace around them), no sign, no overflow.
fn parse_length(value: &[u8]) -> Option<usize> {
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(digits).ok()?.parse().ok()
}
