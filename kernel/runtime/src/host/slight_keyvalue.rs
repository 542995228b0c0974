//! SpiderLightning's KeyValue imports (`spiderlightning:slight/keyvalue`) on the platform's store, each call traced; in a handler, a call the store answers later suspends the guest until it does.

use super::slight_imports::{field_of, lift_string, guest, Import, Payload, Resource, Returned, SlightState, KEYVALUE};
use super::tracing::{self, KvCall, KvReturned};
use crate::abi::{self, GuestMemory};
use crate::kv::{self, scoped_key, KeyValueStore, KvDone, KvError, KvOp, KvResult, Started};
use alloc::string::String;
use alloc::vec::Vec;
use wasmi::Caller;

/// The functions of the `keyvalue` resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KvImport {
    Open,
    Get,
    Set,
    Keys,
    Delete,
    Drop,
}

/// A store for when none is configured: every call is a connection error.
pub struct NoStore;

impl KeyValueStore for NoStore {
    fn get(&mut self, _: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Err(no_store())
    }
    fn set(&mut self, _: &[u8], _: &[u8]) -> Result<(), KvError> {
        Err(no_store())
    }
    fn delete(&mut self, _: &[u8]) -> Result<(), KvError> {
        Err(no_store())
    }
    fn keys_with_prefix(&mut self, _: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        Err(no_store())
    }
}

fn no_store() -> KvError {
    KvError::Connection("no key-value store is configured".into())
}

/// Runs KeyValue import `import` with its flat arguments `a` (the last one the return area).
/// `None`: the store answers later, the call is in `state.pending` and the guest is suspended.
pub(super) fn call(import: KvImport, ctx: &mut Caller<'_, SlightState>, a: &[u32]) -> abi::AbiResult<Option<Returned>> {
    let started = ctx.data().tracer.now_us();
    let retptr = a.last().copied().unwrap_or(0);
    Ok(match import {
        KvImport::Open => {
            let name = lift_string(ctx, a[0], a[1])?;
            let state = ctx.data_mut();
            let result = if name.is_empty() {
                Err(KvError::InvalidKey("empty container name".into()))
            } else {
                Ok(Payload::Handle(state.table.insert(Resource::Keyvalue { container: name.clone() })))
            };
            trace(state, kv_call(import, &name), &result, started);
            Some(returned(state, result))
        }
        KvImport::Get | KvImport::Set | KvImport::Delete => {
            // Lift string arguments first: nothing has been allocated in the guest yet.
            let key = lift_string(ctx, a[1], a[2])?;
            let value = match import {
                KvImport::Set => {
                    let mut g = guest(ctx)?;
                    Some(abi::lift_bytes(g.bytes(), a[3], a[4])?)
                }
                _ => None,
            };
            let state = ctx.data_mut();
            let container = container(state, a[0])?;
            let skey = scoped_key(&container, &key);
            let op = match (import, &value) {
                (KvImport::Get, _) => KvOp::Get(skey),
                (KvImport::Set, Some(value)) => KvOp::Set(skey, value.clone()),
                _ => KvOp::Delete(skey),
            };
            let call = StoreCall { import, container, key, value, started };
            if call.key.is_empty() {
                Some(call.end(state, Err(KvError::InvalidKey("empty key".into()))))
            } else {
                start(state, call, op, retptr)
            }
        }
        KvImport::Keys => {
            let state = ctx.data_mut();
            let container = container(state, a[0])?;
            let op = KvOp::Keys(scoped_key(&container, ""));
            start(state, StoreCall { import, container, key: String::new(), value: None, started }, op, retptr)
        }
        KvImport::Drop => {
            ctx.data_mut().table.remove(a[0], "keyvalue")?;
            Some(Returned::Nothing)
        }
    })
}

/// A KeyValue call waiting for the store, and what its end needs.
pub(super) struct PendingKv {
    /// The store's ticket for its operation.
    pub ticket: u64,
    call: StoreCall,
    /// The guest's return area.
    retptr: u32,
}

impl PendingKv {
    /// Ends the call with the store's `result`: what it returns to the guest, the import, and the
    /// return area to lower it into.
    pub fn end(self, state: &mut SlightState, result: KvResult) -> (Returned, Import, u32) {
        let import = Import::KeyValue(self.call.import);
        (self.call.end(state, result), import, self.retptr)
    }
}

/// A get, set, delete or keys call, its arguments lifted.
struct StoreCall {
    import: KvImport,
    container: String,
    /// Empty for `keys`.
    key: String,
    /// `set`'s value.
    value: Option<Vec<u8>>,
    started: u64,
}

impl StoreCall {
    /// What the call returns to the guest, once the store gave `result`; traced.
    fn end(self, state: &mut SlightState, result: KvResult) -> Returned {
        let result = match result {
            Ok(KvDone::Value(Some(v))) => Ok(Payload::Bytes(v)),
            Ok(KvDone::Value(None)) => Err(KvError::KeyNotFound(self.key.clone())),
            Ok(KvDone::Unit) => Ok(Payload::Unit),
            Ok(KvDone::Keys(keys)) => {
                // Keys set by others may not be UTF-8; a WIT string must be.
                let prefix = self.container.len() + 1;
                let strip = |k: Vec<u8>| String::from_utf8_lossy(&k[prefix.min(k.len())..]).into_owned();
                Ok(Payload::Strings(keys.into_iter().map(strip).collect()))
            }
            Err(e) => Err(e),
        };
        let key = (self.import != KvImport::Keys).then_some(self.key.as_str());
        let call = KvCall { key, value: self.value.as_deref(), ..kv_call(self.import, &self.container) };
        trace(state, call, &result, self.started);
        returned(state, result)
    }
}

/// Starts `op` for `call`: done at once, or (in a handler, with a store over the network) pending.
fn start(state: &mut SlightState, call: StoreCall, op: KvOp, retptr: u32) -> Option<Returned> {
    let started = {
        let mut kv = state.kv.borrow_mut();
        if state.suspendable { kv.start(op) } else { Started::Done(kv::run(&mut **kv, op)) }
    };
    match started {
        Started::Done(result) => Some(call.end(state, result)),
        Started::Queued(ticket) => {
            state.pending = Some(PendingKv { ticket, call, retptr });
            None
        }
    }
}

/// The container name of the `keyvalue` handle `handle`.
fn container(state: &mut SlightState, handle: u32) -> abi::AbiResult<String> {
    match state.table.get_mut(handle, "keyvalue")? {
        Resource::Keyvalue { container } => Ok(container.clone()),
        _ => unreachable!("get_mut checked the kind"),
    }
}

/// A call of `import` on `container`, for its trace event.
fn kv_call(import: KvImport, container: &str) -> KvCall<'_> {
    KvCall { iface: KEYVALUE, func: field_of(Import::KeyValue(import)), container, key: None, value: None }
}

/// Emits the `kv` event of a call that returned `result` (docs/TRACE.md).
fn trace(state: &mut SlightState, call: KvCall<'_>, result: &Result<Payload, KvError>, started: u64) {
    let request = state.request_id;
    let result = result.as_ref().map(|payload| match payload {
        Payload::Bytes(bytes) => KvReturned::Value(bytes),
        Payload::Strings(keys) => KvReturned::Keys(keys),
        Payload::Unit | Payload::Handle(_) => KvReturned::Nothing,
    });
    state.tracer.emit(|tracer| tracing::kv(tracer, request, call, result, started));
}

fn returned(state: &mut SlightState, result: Result<Payload, KvError>) -> Returned {
    match result {
        Ok(payload) => Returned::Ok(payload),
        Err(e) => {
            // Unreachable or refusing our credentials: either way the store is not there for the app.
            if matches!(e, KvError::Connection(_) | KvError::Authentication(_)) {
                state.kv_unavailable = true;
            }
            Returned::Err(e.into())
        }
    }
}
