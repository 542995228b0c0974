//! `wasi:io` (error, poll, streams) over what the host holds in memory: a request's body is read
//! from its bytes, a response's body is written into a buffer the host answers with, stdout and
//! stderr go to the platform's console.

use super::meter::{HeldBytes, Meter};
use super::objects::{Kind, Object};
use super::{HostFn, WasiHost};
use crate::component::{Args, Trap, Val};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

/// Most bytes a response body may hold: the kernel's heap is shared by every request.
pub const MAX_BODY: usize = 16 << 20;
/// What `check-write` permits at once (wasmtime's body streams permit about as much).
const WRITE_PERMIT: u64 = 1 << 20;
/// `blocking-write-and-flush` and `blocking-write-zeroes-and-flush` take at most this (the WIT's
/// contract; wasmtime traps above it).
const BLOCKING_WRITE_MAX: usize = 4096;

pub enum Pollable {
    Ready,
    /// Ready once the monotonic clock reaches this many nanoseconds.
    Until(u64),
}

pub enum InputStream {
    /// Bytes the host has whole (a request's body, a response's), read from `pos`.
    Bytes { data: HeldBytes, pos: usize },
    /// stdin: closed from the start.
    Empty,
}

/// A body being written by the guest, shared by the response, its body and the body's stream;
/// its bytes are charged to the host's [`Meter`] while it lives.
pub struct BodyBuf {
    pub data: Vec<u8>,
    /// `outgoing-body.finish` was called.
    pub finished: bool,
    meter: Meter,
}

pub type Body = Rc<RefCell<BodyBuf>>;

impl BodyBuf {
    pub fn new(meter: &Meter) -> Body {
        Rc::new(RefCell::new(BodyBuf { data: Vec::new(), finished: false, meter: meter.clone() }))
    }
}

impl Drop for BodyBuf {
    fn drop(&mut self) {
        self.meter.release(self.data.len());
    }
}

pub enum OutputStream {
    Body(Body),
    Stdout,
    Stderr,
}

/// `stream-error`: `closed`, or `last-operation-failed` with an `error` made from `message`.
pub enum StreamError {
    Closed,
    Failed(String),
}

impl WasiHost {
    /// A `result<T, stream-error>` value.
    fn stream_result(&mut self, r: Result<Option<Val>, StreamError>) -> Val {
        Val::result(r.map_err(|e| {
            Some(match e {
                StreamError::Closed => Val::Variant(1, None),
                StreamError::Failed(m) => Val::Variant(0, Some(alloc::boxed::Box::new(Val::Own(self.objects.insert(Object::Error(m)))))),
            })
        }))
    }

    fn read(&mut self, rep: u32, len: u64) -> Result<Result<Vec<u8>, StreamError>, Trap> {
        Ok(match self.objects.input_stream_mut(rep)? {
            InputStream::Bytes { data, pos } if *pos < data.len() => {
                let n = (data.len() - *pos).min(usize::try_from(len).unwrap_or(usize::MAX));
                let chunk = data[*pos..*pos + n].to_vec();
                *pos += n;
                Ok(chunk)
            }
            _ => Err(StreamError::Closed),
        })
    }

    fn write(&mut self, rep: u32, bytes: &[u8]) -> Result<Result<(), StreamError>, Trap> {
        let stream = self.objects.output_stream(rep)?;
        Ok(match stream {
            OutputStream::Body(body) => {
                let mut body = body.borrow_mut();
                if body.finished {
                    Err(StreamError::Closed)
                } else if body.data.len() + bytes.len() > MAX_BODY {
                    Err(StreamError::Failed(alloc::format!("the response body would exceed the host's limit of {MAX_BODY} bytes")))
                } else if let Err(over) = body.meter.charge(bytes.len()) {
                    Err(StreamError::Failed(over.0))
                } else {
                    body.data.extend_from_slice(bytes);
                    Ok(())
                }
            }
            OutputStream::Stdout => {
                self.platform.console(false, bytes);
                Ok(())
            }
            OutputStream::Stderr => {
                self.platform.console(true, bytes);
                Ok(())
            }
        })
    }

    fn check_write(&mut self, rep: u32) -> Result<Result<u64, StreamError>, Trap> {
        Ok(match self.objects.output_stream(rep)? {
            OutputStream::Body(body) if body.borrow().finished => Err(StreamError::Closed),
            _ => Ok(WRITE_PERMIT),
        })
    }

    /// A pollable for `pollable`'s readiness; every stream here is always ready.
    pub fn pollable(&mut self, p: Pollable) -> Val {
        Val::Own(self.objects.insert(Object::Pollable(p)))
    }

    fn ready(&self, rep: u32) -> Result<bool, Trap> {
        Ok(match self.objects.pollable(rep)? {
            Pollable::Ready => true,
            Pollable::Until(deadline) => self.platform.monotonic_ns() >= *deadline,
        })
    }

    /// Blocks until one of `reps` is ready (the earliest deadline, when none is).
    fn wait_any(&mut self, reps: &[u32]) -> Result<(), Trap> {
        let mut earliest = u64::MAX;
        for &rep in reps {
            match self.objects.pollable(rep)? {
                Pollable::Ready => return Ok(()),
                Pollable::Until(d) => earliest = earliest.min(*d),
            }
        }
        if earliest != u64::MAX {
            self.platform.wait_until(earliest);
        }
        Ok(())
    }
}

fn list_of_reps(list: Vec<Val>) -> Result<Vec<u32>, Trap> {
    list.into_iter().map(|v| Args::new(alloc::vec![v]).resource()).collect()
}

fn to_debug_string(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    match h.objects.get(a.resource()?)? {
        Object::Error(m) => Ok(Some(Val::String(m.clone()))),
        other => Err(Trap::new(alloc::format!("an error handle is a {:?}", other.kind()))),
    }
}

fn pollable_ready(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::Bool(h.ready(a.resource()?)?)))
}

fn pollable_block(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let rep = a.resource()?;
    h.wait_any(&[rep])?;
    Ok(None)
}

fn poll(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let reps = list_of_reps(a.list()?)?;
    if reps.is_empty() {
        return Err(Trap::new("poll of an empty list would block for ever"));
    }
    h.wait_any(&reps)?;
    let mut ready = Vec::new();
    for (i, &rep) in reps.iter().enumerate() {
        if h.ready(rep)? {
            ready.push(Val::U32(i as u32));
        }
    }
    Ok(Some(Val::List(ready)))
}

fn read(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, len) = (a.resource()?, a.u64()?);
    let r = h.read(rep, len)?.map(|bytes| Some(Val::Bytes(bytes)));
    Ok(Some(h.stream_result(r)))
}

fn skip(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, len) = (a.resource()?, a.u64()?);
    let r = h.read(rep, len)?.map(|bytes| Some(Val::U64(bytes.len() as u64)));
    Ok(Some(h.stream_result(r)))
}

fn in_subscribe(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    h.objects.input_stream(a.resource()?)?;
    Ok(Some(h.pollable(Pollable::Ready)))
}

fn check_write(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let r = h.check_write(a.resource()?)?.map(|n| Some(Val::U64(n)));
    Ok(Some(h.stream_result(r)))
}

fn write(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, bytes) = (a.resource()?, a.bytes()?);
    if bytes.len() as u64 > WRITE_PERMIT {
        return Err(Trap::new(alloc::format!("write of {} bytes, more than check-write permitted", bytes.len())));
    }
    let r = h.write(rep, &bytes)?.map(|()| None);
    Ok(Some(h.stream_result(r)))
}

fn blocking_write_and_flush(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (rep, bytes) = (a.resource()?, a.bytes()?);
    if bytes.len() > BLOCKING_WRITE_MAX {
        return Err(Trap::new(alloc::format!("blocking-write-and-flush of {} bytes (at most {BLOCKING_WRITE_MAX})", bytes.len())));
    }
    let r = h.write(rep, &bytes)?.map(|()| None);
    Ok(Some(h.stream_result(r)))
}

fn write_zeroes(h: &mut WasiHost, a: &mut Args, blocking: bool) -> Result<Option<Val>, Trap> {
    let (rep, len) = (a.resource()?, a.u64()?);
    let max = if blocking { BLOCKING_WRITE_MAX as u64 } else { WRITE_PERMIT };
    if len > max {
        return Err(Trap::new(alloc::format!("write of {len} zeroes, more than {max}")));
    }
    let r = h.write(rep, &alloc::vec![0; len as usize])?.map(|()| None);
    Ok(Some(h.stream_result(r)))
}

fn flush(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let r = h.check_write(a.resource()?)?.map(|_| None);
    Ok(Some(h.stream_result(r)))
}

fn out_subscribe(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    h.objects.output_stream(a.resource()?)?;
    Ok(Some(h.pollable(Pollable::Ready)))
}

fn splice(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (dest, src, len) = (a.resource()?, a.resource()?, a.u64()?);
    let permit = match h.check_write(dest)? {
        Ok(p) => p,
        Err(e) => return Ok(Some(h.stream_result(Err(e)))),
    };
    let r = match h.read(src, len.min(permit))? {
        Ok(bytes) => h.write(dest, &bytes)?.map(|()| Some(Val::U64(bytes.len() as u64))),
        Err(e) => Err(e),
    };
    Ok(Some(h.stream_result(r)))
}

/// The `wasi:io` functions this host offers.
pub(super) const FUNCTIONS: &[(&str, &str, HostFn)] = &[
    ("wasi:io/error", "[method]error.to-debug-string", to_debug_string),
    ("wasi:io/poll", "[method]pollable.ready", pollable_ready),
    ("wasi:io/poll", "[method]pollable.block", pollable_block),
    ("wasi:io/poll", "poll", poll),
    ("wasi:io/streams", "[method]input-stream.read", read),
    ("wasi:io/streams", "[method]input-stream.blocking-read", read),
    ("wasi:io/streams", "[method]input-stream.skip", skip),
    ("wasi:io/streams", "[method]input-stream.blocking-skip", skip),
    ("wasi:io/streams", "[method]input-stream.subscribe", in_subscribe),
    ("wasi:io/streams", "[method]output-stream.check-write", check_write),
    ("wasi:io/streams", "[method]output-stream.write", write),
    ("wasi:io/streams", "[method]output-stream.blocking-write-and-flush", blocking_write_and_flush),
    ("wasi:io/streams", "[method]output-stream.flush", flush),
    ("wasi:io/streams", "[method]output-stream.blocking-flush", flush),
    ("wasi:io/streams", "[method]output-stream.subscribe", out_subscribe),
    ("wasi:io/streams", "[method]output-stream.write-zeroes", |h, a| write_zeroes(h, a, false)),
    ("wasi:io/streams", "[method]output-stream.blocking-write-zeroes-and-flush", |h, a| write_zeroes(h, a, true)),
    ("wasi:io/streams", "[method]output-stream.splice", splice),
    ("wasi:io/streams", "[method]output-stream.blocking-splice", splice),
];

/// The `wasi:io` resource types.
pub(super) const RESOURCES: &[(&str, &str, Kind)] = &[
    ("wasi:io/error", "error", Kind::Error),
    ("wasi:io/poll", "pollable", Kind::Pollable),
    ("wasi:io/streams", "input-stream", Kind::InputStream),
    ("wasi:io/streams", "output-stream", Kind::OutputStream),
];
