//! The SpiderLightning imports this host provides (docs/ABI.md), the state they see, and the lowering of what they return.

use super::debugger::Debugged;
use super::slight_http_server::{self, HttpImport, Serving};
use super::slight_keyvalue::{self, KvImport, PendingKv};
use super::tracing::SharedTracer;
use super::AppConfig;
use crate::abi::{self, AbiError, GuestMemory, OkPayload, ResourceKind, ResourceTable};
use crate::http::{Method, Router};
use crate::kv::{KeyValueStore, KvError};
use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use wasmi::{AsContextMut, Caller, Memory, StoreLimits, StoreLimitsBuilder, TrapCode, TypedFunc};

pub const KEYVALUE: &str = "spiderlightning:slight/keyvalue";
pub const HTTP_SERVER: &str = "spiderlightning:slight/http-server";

/// Every import the host provides. All take only i32 parameters (the last
/// one the return area, where there is a result) and return nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Import {
    KeyValue(KvImport),
    HttpServer(HttpImport),
}

/// (module, field, number of i32 parameters, import).
pub(super) const IMPORTS: [(&str, &str, usize, Import); 15] = [
    (KEYVALUE, "[static]keyvalue.open", 3, Import::KeyValue(KvImport::Open)),
    (KEYVALUE, "[method]keyvalue.get", 4, Import::KeyValue(KvImport::Get)),
    (KEYVALUE, "[method]keyvalue.set", 6, Import::KeyValue(KvImport::Set)),
    (KEYVALUE, "[method]keyvalue.keys", 2, Import::KeyValue(KvImport::Keys)),
    (KEYVALUE, "[method]keyvalue.delete", 4, Import::KeyValue(KvImport::Delete)),
    (KEYVALUE, "[resource-drop]keyvalue", 1, Import::KeyValue(KvImport::Drop)),
    (HTTP_SERVER, "[static]router.new", 1, Import::HttpServer(HttpImport::RouterNew)),
    (HTTP_SERVER, "[method]router.get", 6, Import::HttpServer(HttpImport::RouterAdd(Method::Get))),
    (HTTP_SERVER, "[method]router.put", 6, Import::HttpServer(HttpImport::RouterAdd(Method::Put))),
    (HTTP_SERVER, "[method]router.post", 6, Import::HttpServer(HttpImport::RouterAdd(Method::Post))),
    (HTTP_SERVER, "[method]router.delete", 6, Import::HttpServer(HttpImport::RouterAdd(Method::Delete))),
    (HTTP_SERVER, "[static]server.serve", 4, Import::HttpServer(HttpImport::ServerServe)),
    (HTTP_SERVER, "[method]server.stop", 2, Import::HttpServer(HttpImport::ServerStop)),
    (HTTP_SERVER, "[resource-drop]router", 1, Import::HttpServer(HttpImport::RouterDrop)),
    (HTTP_SERVER, "[resource-drop]server", 1, Import::HttpServer(HttpImport::ServerDrop)),
];

/// The field name of `import`, for trace events.
pub(super) fn field_of(import: Import) -> &'static str {
    IMPORTS.iter().find(|i| i.3 == import).map_or("", |i| i.1)
}

/// The error that traps the guest when `import` failed with `error`.
pub(super) fn import_error(import: Import, error: AbiError) -> wasmi::Error {
    let module = IMPORTS.iter().find(|i| i.3 == import).map_or("", |i| i.0);
    wasmi::Error::new(format!("{module}#{}: {error}", field_of(import)))
}

pub(super) type ReallocFunc = TypedFunc<(i32, i32, i32, i32), i32>;

/// A host resource the guest holds a handle to.
pub(super) enum Resource {
    Keyvalue { container: String },
    Router(Router),
    Server,
}

impl ResourceKind for Resource {
    fn kind(&self) -> &'static str {
        match self {
            Resource::Keyvalue { .. } => "keyvalue",
            Resource::Router(_) => "router",
            Resource::Server => "server",
        }
    }
}

/// The key-value store, shared by the app's instances.
pub(super) type SharedStore = Rc<RefCell<Box<dyn KeyValueStore>>>;

/// The state host functions see.
pub(super) struct SlightState {
    pub kv: SharedStore,
    pub limits: StoreLimits,
    pub table: ResourceTable<Resource>,
    /// The guest's memory and allocator, once instantiated.
    pub guest: Option<(Memory, ReallocFunc)>,
    pub serving: Option<Serving>,
    /// The port `server.serve` must name ([`AppConfig::port`]).
    pub port: u16,
    /// Set when the store reported `connection-error` during this call.
    pub kv_unavailable: bool,
    /// Set when a call back into the guest (cabi_realloc) ran out of fuel.
    pub out_of_fuel: bool,
    pub tracer: SharedTracer,
    /// The id of the request being handled, for the `req` of `kv` trace events.
    pub request_id: Option<u64>,
    pub debugged: Debugged,
    /// Whether a KeyValue call may suspend the call into the guest until the store answers (a
    /// handler, called resumably) rather than wait for it (`init`).
    pub suspendable: bool,
    /// The KeyValue call the guest is suspended in.
    pub pending: Option<PendingKv>,
}

impl SlightState {
    pub fn new(kv: SharedStore, tracer: SharedTracer, config: &AppConfig) -> Self {
        SlightState {
            kv,
            tracer,
            suspendable: false,
            pending: None,
            request_id: None,
            limits: StoreLimitsBuilder::new().memory_size(config.max_memory).instances(1).build(),
            table: ResourceTable::default(),
            guest: None,
            serving: None,
            port: config.port,
            kv_unavailable: false,
            out_of_fuel: false,
            debugged: Debugged::new(config.debug),
        }
    }
}

/// The guest memory seen through a store context.
pub(super) struct Guest<'c, C> {
    pub ctx: &'c mut C,
    pub memory: Memory,
    pub realloc: ReallocFunc,
}

impl<C: AsContextMut<Data = SlightState>> GuestMemory for Guest<'_, C> {
    fn bytes(&mut self) -> &mut [u8] {
        self.memory.data_mut(&mut *self.ctx)
    }

    fn realloc(&mut self, align: u32, size: u32) -> abi::AbiResult<u32> {
        match self.realloc.call(&mut *self.ctx, (0, 0, align as i32, size as i32)) {
            Ok(ptr) => Ok(ptr as u32),
            Err(e) => {
                if e.as_trap_code() == Some(TrapCode::OutOfFuel) {
                    self.ctx.as_context_mut().data_mut().out_of_fuel = true;
                }
                Err(AbiError::Realloc(e.to_string()))
            }
        }
    }
}

pub(super) fn guest<C: AsContextMut<Data = SlightState>>(ctx: &mut C) -> Result<Guest<'_, C>, AbiError> {
    let (memory, realloc) = ctx
        .as_context_mut()
        .data()
        .guest
        .ok_or_else(|| AbiError::Realloc("called before the instance was ready".into()))?;
    Ok(Guest { ctx, memory, realloc })
}

/// A string argument at (`ptr`, `len`) in the guest's memory.
pub(super) fn lift_string(ctx: &mut Caller<'_, SlightState>, ptr: u32, len: u32) -> abi::AbiResult<String> {
    let mut g = guest(ctx)?;
    abi::lift_string(g.bytes(), ptr, len)
}

/// An error for the guest: a case of `keyvalue-error` or
/// `http-router-error` (all carry a string).
pub(super) struct GuestError(pub u8, pub String);

impl From<KvError> for GuestError {
    fn from(e: KvError) -> Self {
        let (case, message) = e.case();
        GuestError(case, message.into())
    }
}

/// What an import returns to the guest, before lowering.
pub(super) enum Returned {
    Nothing,
    Ok(Payload),
    Err(GuestError),
}

pub(super) enum Payload {
    Unit,
    Handle(u32),
    Bytes(Vec<u8>),
    Strings(Vec<String>),
}

/// Runs import `import` with its flat arguments `a`; lowers its result into the return area (the
/// last argument). `Ok(false)`: the call is suspended until the key-value store answers
/// (`SlightState::pending`). `Err` traps the guest.
pub(super) fn call_import(import: Import, ctx: &mut Caller<'_, SlightState>, a: &[u32]) -> abi::AbiResult<bool> {
    let returned = match import {
        Import::KeyValue(call) => slight_keyvalue::call(call, ctx, a)?,
        Import::HttpServer(call) => Some(slight_http_server::call(call, ctx, a)?),
    };
    let Some(returned) = returned else { return Ok(false) };
    lower(ctx, a.last().copied().unwrap_or(0), returned)?;
    Ok(true)
}

/// Lowers what an import returned into the guest, at the return area `retptr`.
pub(super) fn lower<C: AsContextMut<Data = SlightState>>(ctx: &mut C, retptr: u32, returned: Returned) -> abi::AbiResult<()> {
    let mut g = guest(ctx)?;
    match returned {
        Returned::Nothing => Ok(()),
        Returned::Ok(payload) => {
            let payload = match payload {
                Payload::Unit => OkPayload::Unit,
                Payload::Handle(h) => OkPayload::Handle(h),
                Payload::Bytes(b) => {
                    let (ptr, len) = abi::lower_bytes(&mut g, &b)?;
                    OkPayload::List(ptr, len)
                }
                Payload::Strings(s) => {
                    let (ptr, len) = abi::lower_strings(&mut g, &s)?;
                    OkPayload::List(ptr, len)
                }
            };
            abi::store_ok(g.bytes(), retptr, payload)
        }
        Returned::Err(GuestError(case, message)) => {
            let lowered = abi::lower_bytes(&mut g, message.as_bytes())?;
            abi::store_err(g.bytes(), retptr, case, lowered)
        }
    }
}
