//! SpiderLightning's KeyValue imports (`spiderlightning:slight/keyvalue`) on the platform's store, each call traced.

use super::slight_imports::{field_of, lift_string, guest, Import, Payload, Resource, Returned, SlightState, KEYVALUE};
use super::tracing::{self, KvCall, KvReturned};
use crate::abi::{self, GuestMemory};
use crate::kv::{scoped_key, KeyValueStore, KvError};
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
pub(super) fn call(import: KvImport, ctx: &mut Caller<'_, SlightState>, a: &[u32]) -> abi::AbiResult<Returned> {
    let started = tracing::now_us(&ctx.data().tracer);
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
            returned(state, result)
        }
        KvImport::Get | KvImport::Set | KvImport::Delete => {
            // Lift string arguments first: nothing has been allocated in the guest yet.
            let key = lift_string(ctx, a[1], a[2])?;
            let value = match import {
                KvImport::Set => {
                    let mut g = guest(ctx)?;
                    abi::lift_bytes(g.bytes(), a[3], a[4])?
                }
                _ => Vec::new(),
            };
            let state = ctx.data_mut();
            let container = container(state, a[0])?;
            let result = if key.is_empty() {
                Err(KvError::InvalidKey("empty key".into()))
            } else {
                let skey = scoped_key(&container, &key);
                match import {
                    KvImport::Get => match state.kv.get(&skey) {
                        Ok(Some(v)) => Ok(Payload::Bytes(v)),
                        Ok(None) => Err(KvError::KeyNotFound(key.clone())),
                        Err(e) => Err(e),
                    },
                    KvImport::Set => state.kv.set(&skey, &value).map(|()| Payload::Unit),
                    _ => state.kv.delete(&skey).map(|()| Payload::Unit),
                }
            };
            let value = (import == KvImport::Set).then_some(value.as_slice());
            trace(state, KvCall { key: Some(&key), value, ..kv_call(import, &container) }, &result, started);
            returned(state, result)
        }
        KvImport::Keys => {
            let state = ctx.data_mut();
            let container = container(state, a[0])?;
            let prefix = scoped_key(&container, "");
            let result = state.kv.keys_with_prefix(&prefix).map(|keys| {
                // Keys set by others may not be UTF-8; a WIT string must be.
                let strip = |k: Vec<u8>| String::from_utf8_lossy(&k[prefix.len().min(k.len())..]).into_owned();
                Payload::Strings(keys.into_iter().map(strip).collect())
            });
            trace(state, kv_call(import, &container), &result, started);
            returned(state, result)
        }
        KvImport::Drop => {
            ctx.data_mut().table.remove(a[0], "keyvalue")?;
            Returned::Nothing
        }
    })
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
    let Some(tracer) = state.tracer.as_mut() else { return };
    let result = result.as_ref().map(|payload| match payload {
        Payload::Bytes(bytes) => KvReturned::Value(bytes),
        Payload::Strings(keys) => KvReturned::Keys(keys),
        Payload::Unit | Payload::Handle(_) => KvReturned::Nothing,
    });
    tracing::kv(&mut **tracer, request, call, result, started);
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
