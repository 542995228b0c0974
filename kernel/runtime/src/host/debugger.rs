//! The Wasm-level debugger's hooks in a running app (docs/DEBUGGING.md), for any kind of app.
//!
//! The logic of stops lives in [`crate::debug`]; here is what ties it to wasmi: the probe import,
//! the "ready" stop before any Wasm runs, the `in_wasm` flag around each call into the module, and
//! the memory and globals a stop shows, read from the instrumented module's exports.

use crate::debug::{self, DebugPort, Snapshot};
use wasmi::{AsContext, Caller, Extern, Instance, Linker, Module, TrapCode};

/// The debugger's port, and the instance of the instrumented module once there is one.
#[derive(Default)]
pub(super) struct Debugged {
    pub port: Option<DebugPort>,
    pub instance: Option<Instance>,
}

impl Debugged {
    pub fn new(port: Option<DebugPort>) -> Debugged {
        Debugged { port, instance: None }
    }

    /// A call into the module failed (`code`: the Wasm trap, none when a host function failed):
    /// under a debugger, a trap stop with the stack as it was.
    pub fn trapped(&self, ctx: impl AsContext, code: Option<TrapCode>) {
        if let Some(port) = self.port {
            port.trapped(debug::trap_code(code), |s| {
                if let Some(instance) = self.instance {
                    snapshot(|name| instance.get_export(&ctx, name), &ctx, s);
                }
            });
        }
    }
}

/// What a stop shows besides the stack, from the instrumented module's exports: linear memory
/// (`memory`) and the bits of the globals it exports for the debugger.
fn snapshot(export: impl Fn(&str) -> Option<Extern>, ctx: impl AsContext, snapshot: &mut Snapshot<'_>) {
    let ctx = ctx.as_context();
    let memory = |name| match export(name) {
        Some(Extern::Memory(memory)) => (memory.data_ptr(ctx) as u64, memory.data_size(ctx) as u64),
        _ => (0, 0),
    };
    snapshot.memory = memory("memory");
    snapshot.values = memory(debug::VALUES_EXPORT);
    for (i, bits) in snapshot.globals.iter_mut().enumerate() {
        if let Some(Extern::Global(global)) = export(&debug::global_export(i)) {
            *bits = debug::value_bits(&global.get(ctx));
        }
    }
}

/// Runs `call`, one host → Wasm call, telling the debugger when it begins and ends.
pub(super) fn in_wasm<R>(port: Option<DebugPort>, call: impl FnOnce() -> R) -> R {
    port.inspect(|port| port.in_wasm(true));
    let result = call();
    port.inspect(|port| port.in_wasm(false));
    result
}

/// Fills the mailbox for the instrumented `module` and stops "ready": the debugger sets its
/// breakpoints there, before any Wasm runs.
pub(super) fn ready(port: DebugPort, module: Option<&Module>) {
    port.set_up(module.map_or(0, debug::global_count));
    port.ready();
}

/// The function behind the probe import the instrumenter adds. Only the instrumented module
/// imports it, so the caller's exports are that module's.
pub(super) fn probe<T: 'static>(port: DebugPort) -> impl Fn(Caller<'_, T>, i32) -> i32 + Send + Sync + 'static {
    move |caller: Caller<'_, T>, site: i32| port.probe(site as u32, |s| snapshot(|name| caller.get_export(name), &caller, s)) as i32
}

/// Defines the probe import in `linker`.
pub(super) fn link_probe<T: 'static>(linker: &mut Linker<T>, port: DebugPort) {
    linker.func_wrap(debug::PROBE_MODULE, debug::PROBE_FIELD, probe(port)).expect("the probe is defined once");
}
