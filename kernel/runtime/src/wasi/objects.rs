//! The host objects components hold handles to: one table per instance, keyed by the
//! representation the handle table carries, each object tagged with its resource kind.

use super::http::{Fields, IncomingBody, IncomingRequest, OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions};
use super::io::{InputStream, OutputStream, Pollable};
use super::outgoing::{FutureResponse, IncomingResponse};
use crate::component::Trap;
use alloc::string::String;
use alloc::vec::Vec;

/// The resource types the host implements, in the host's numbering (`Host::resource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    Error,
    Pollable,
    InputStream,
    OutputStream,
    Fields,
    IncomingRequest,
    OutgoingRequest,
    RequestOptions,
    ResponseOutparam,
    IncomingResponse,
    IncomingBody,
    FutureTrailers,
    OutgoingResponse,
    OutgoingBody,
    FutureIncomingResponse,
    Descriptor,
    DirectoryEntryStream,
    TerminalInput,
    TerminalOutput,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::Error,
        Kind::Pollable,
        Kind::InputStream,
        Kind::OutputStream,
        Kind::Fields,
        Kind::IncomingRequest,
        Kind::OutgoingRequest,
        Kind::RequestOptions,
        Kind::ResponseOutparam,
        Kind::IncomingResponse,
        Kind::IncomingBody,
        Kind::FutureTrailers,
        Kind::OutgoingResponse,
        Kind::OutgoingBody,
        Kind::FutureIncomingResponse,
        Kind::Descriptor,
        Kind::DirectoryEntryStream,
        Kind::TerminalInput,
        Kind::TerminalOutput,
    ];

    pub fn from_u32(n: u32) -> Option<Kind> {
        Kind::ALL.get(n as usize).copied()
    }
}

pub enum Object {
    /// `wasi:io/error`: its debug string.
    Error(String),
    Pollable(Pollable),
    InputStream(InputStream),
    OutputStream(OutputStream),
    Fields(Fields),
    IncomingRequest(IncomingRequest),
    OutgoingRequest(OutgoingRequest),
    RequestOptions(RequestOptions),
    /// The request (its slot in `Responses`) whose answer it sets.
    ResponseOutparam(u64),
    IncomingResponse(IncomingResponse),
    IncomingBody(IncomingBody),
    /// Trailers never come: requests' and responses' trailers are not kept.
    FutureTrailers,
    OutgoingResponse(OutgoingResponse),
    OutgoingBody(OutgoingBody),
    FutureIncomingResponse(FutureResponse),
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Error(_) => Kind::Error,
            Object::Pollable(_) => Kind::Pollable,
            Object::InputStream(_) => Kind::InputStream,
            Object::OutputStream(_) => Kind::OutputStream,
            Object::Fields(_) => Kind::Fields,
            Object::IncomingRequest(_) => Kind::IncomingRequest,
            Object::OutgoingRequest(_) => Kind::OutgoingRequest,
            Object::RequestOptions(_) => Kind::RequestOptions,
            Object::ResponseOutparam(_) => Kind::ResponseOutparam,
            Object::IncomingResponse(_) => Kind::IncomingResponse,
            Object::IncomingBody(_) => Kind::IncomingBody,
            Object::FutureTrailers => Kind::FutureTrailers,
            Object::OutgoingResponse(_) => Kind::OutgoingResponse,
            Object::OutgoingBody(_) => Kind::OutgoingBody,
            Object::FutureIncomingResponse(_) => Kind::FutureIncomingResponse,
        }
    }
}

#[derive(Default)]
pub struct Objects {
    slots: Vec<Option<Object>>,
    free: Vec<u32>,
}

impl Objects {
    pub fn insert(&mut self, object: Object) -> u32 {
        if let Some(rep) = self.free.pop() {
            self.slots[rep as usize] = Some(object);
            return rep;
        }
        self.slots.push(Some(object));
        self.slots.len() as u32 - 1
    }

    pub fn get(&self, rep: u32) -> Result<&Object, Trap> {
        self.slots.get(rep as usize).and_then(Option::as_ref).ok_or_else(|| gone(rep))
    }

    pub fn get_mut(&mut self, rep: u32) -> Result<&mut Object, Trap> {
        self.slots.get_mut(rep as usize).and_then(Option::as_mut).ok_or_else(|| gone(rep))
    }

    pub fn remove(&mut self, rep: u32) -> Result<Object, Trap> {
        let object = self.slots.get_mut(rep as usize).and_then(Option::take).ok_or_else(|| gone(rep))?;
        self.free.push(rep);
        Ok(object)
    }

    /// How many objects are alive (a leak check for tests).
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn gone(rep: u32) -> Trap {
    Trap::new(alloc::format!("host object {rep} does not exist"))
}

fn wrong(rep: u32, want: Kind, have: Kind) -> Trap {
    Trap::new(alloc::format!("host object {rep} is a {have:?}, not a {want:?}"))
}

/// `objects.$name(rep)`: the object at `rep`, which must be a `$variant`.
macro_rules! accessors {
    ($($name:ident, $name_mut:ident, $variant:ident, $ty:ty;)*) => {
        impl Objects {
            $(
                #[allow(dead_code)]
                pub fn $name(&self, rep: u32) -> Result<&$ty, Trap> {
                    match self.get(rep)? {
                        Object::$variant(o) => Ok(o),
                        other => Err(wrong(rep, Kind::$variant, other.kind())),
                    }
                }

                pub fn $name_mut(&mut self, rep: u32) -> Result<&mut $ty, Trap> {
                    match self.get_mut(rep)? {
                        Object::$variant(o) => Ok(o),
                        other => Err(wrong(rep, Kind::$variant, other.kind())),
                    }
                }
            )*
        }
    };
}

accessors! {
    pollable, pollable_mut, Pollable, Pollable;
    input_stream, input_stream_mut, InputStream, InputStream;
    output_stream, output_stream_mut, OutputStream, OutputStream;
    fields, fields_mut, Fields, Fields;
    incoming_request, incoming_request_mut, IncomingRequest, IncomingRequest;
    outgoing_request, outgoing_request_mut, OutgoingRequest, OutgoingRequest;
    request_options, request_options_mut, RequestOptions, RequestOptions;
    incoming_response, incoming_response_mut, IncomingResponse, IncomingResponse;
    incoming_body, incoming_body_mut, IncomingBody, IncomingBody;
    outgoing_response, outgoing_response_mut, OutgoingResponse, OutgoingResponse;
    outgoing_body, outgoing_body_mut, OutgoingBody, OutgoingBody;
    future_response, future_response_mut, FutureIncomingResponse, FutureResponse;
}

/// An object taken out of the table (an `own` argument consumed), which must be a `$variant`.
pub fn take(objects: &mut Objects, rep: u32, want: Kind) -> Result<Object, Trap> {
    let have = objects.get(rep)?.kind();
    if have != want {
        return Err(wrong(rep, want, have));
    }
    objects.remove(rep)
}
