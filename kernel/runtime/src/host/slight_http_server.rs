//! SpiderLightning's HTTP-server imports (`spiderlightning:slight/http-server`): the router an app builds in `init`, and `server.serve`.

use super::slight_imports::{lift_string, GuestError, Payload, Resource, Returned, SlightState};
use super::slight_load::{extern_type, sig};
use crate::abi;
use crate::http::{Method, Router};
use alloc::format;
use alloc::string::String;
use wasmi::{Caller, Extern, ExternType, FuncType, ValType};

/// The functions of the `router` and `server` resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HttpImport {
    RouterNew,
    RouterAdd(Method),
    RouterDrop,
    ServerServe,
    ServerStop,
    ServerDrop,
}

/// What `server.serve` registered.
pub(super) struct Serving {
    pub address: String,
    pub router: Router,
}

/// `http-router-error` cases.
const INVALID_ROUTE: u8 = 0;
const INVALID_HANDLER: u8 = 1;
const ADDRESS_IN_USE: u8 = 2;
const UNEXPECTED: u8 = 3;

/// Runs HTTP-server import `import` with its flat arguments `a` (the last one the return area).
pub(super) fn call(import: HttpImport, ctx: &mut Caller<'_, SlightState>, a: &[u32]) -> abi::AbiResult<Returned> {
    Ok(match import {
        HttpImport::RouterNew => {
            Returned::Ok(Payload::Handle(ctx.data_mut().table.insert(Resource::Router(Router::new()))))
        }
        HttpImport::RouterAdd(method) => {
            // Lift string arguments first: nothing has been allocated in the guest yet.
            let route = lift_string(ctx, a[1], a[2])?;
            let handler = lift_string(ctx, a[3], a[4])?;
            let export = handler_export(ctx, &handler);
            let Resource::Router(router) = ctx.data_mut().table.get_mut(a[0], "router")? else {
                unreachable!("get_mut checked the kind")
            };
            match export {
                Err(why) => Returned::Err(GuestError(INVALID_HANDLER, why)),
                Ok(export) => match router.add(method, &route, &export) {
                    Ok(()) => Returned::Ok(Payload::Unit),
                    Err(e) => Returned::Err(GuestError(INVALID_ROUTE, e.0)),
                },
            }
        }
        HttpImport::RouterDrop => {
            ctx.data_mut().table.remove(a[0], "router")?;
            Returned::Nothing
        }
        HttpImport::ServerServe => {
            let address = lift_string(ctx, a[0], a[1])?;
            let state = ctx.data_mut();
            let Resource::Router(router) = state.table.get_mut(a[2], "router")? else {
                unreachable!("get_mut checked the kind")
            };
            let router = router.clone();
            if state.serving.is_some() {
                Returned::Err(GuestError(ADDRESS_IN_USE, "this app already serves".into()))
            } else if let Some(why) = unservable(&address, state.port) {
                Returned::Err(GuestError(UNEXPECTED, why))
            } else {
                state.serving = Some(Serving { address, router });
                Returned::Ok(Payload::Handle(state.table.insert(Resource::Server)))
            }
        }
        HttpImport::ServerStop => {
            let state = ctx.data_mut();
            state.table.get_mut(a[0], "server")?;
            state.serving = None;
            Returned::Ok(Payload::Unit)
        }
        HttpImport::ServerDrop => {
            ctx.data_mut().table.remove(a[0], "server")?;
            Returned::Nothing
        }
    })
}

/// Why `address` cannot be served by a platform listening on `port`, if it cannot.
fn unservable(address: &str, port: u16) -> Option<String> {
    match port_of(address) {
        None => Some(format!("address {address:?} is not host:port")),
        Some(asked) if asked != port => Some(format!(
            "cannot serve {address}: the kernel listens on port {port}; serve on port {port}, or boot with the kernel argument port={asked}"
        )),
        Some(_) => None,
    }
}

/// The port of a `host:port` address.
pub(super) fn port_of(address: &str) -> Option<u16> {
    let (host, port) = address.rsplit_once(':')?;
    (!host.is_empty()).then_some(())?;
    port.parse().ok()
}

/// The export a handler string names: the string itself, or, for names
/// written in SpiderLightning's Rust style (`handle_hello`), the kebab-case
/// export wit-bindgen makes of it (`handle-hello`). It must have the type of
/// `handle-http`.
fn handler_export(caller: &mut Caller<'_, SlightState>, handler: &str) -> Result<String, String> {
    let kebab = handler.replace('_', "-");
    let found = [handler, kebab.as_str()].into_iter().find_map(|name| match caller.get_export(name)? {
        Extern::Func(f) => Some((name, ExternType::Func(f.ty(&*caller)))),
        other => Some((name, other.ty(&*caller))),
    });
    match found {
        None => Err(format!("no export named {handler:?}")),
        Some((name, ExternType::Func(ty))) if ty == handler_type() => Ok(name.into()),
        Some((name, ty)) => Err(format!(
            "export {name:?} is {}, expected func {}",
            extern_type(&ty),
            sig(&handler_type())
        )),
    }
}

/// The type of a handler export: the 10 flat values of a `request`, returning a pointer to its
/// `result<response, http-error>`.
fn handler_type() -> FuncType {
    FuncType::new([ValType::I32; 10], [ValType::I32])
}
