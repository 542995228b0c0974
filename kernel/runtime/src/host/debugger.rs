//! The Wasm-level debugger's hooks in a running app (docs/DEBUGGING.md), for any kind of app.
//!
//! The logic of stops lives in [`crate::debug`]; here is what ties it to wasmi: the probe import,
//! the "ready" stop before any Wasm runs, the `in_wasm` flag around each call into the module, and
//! the memory and globals a stop shows.

use crate::debug::{self, DebugPort, Snapshot};
use alloc::vec::Vec;
use wasmi::{AsContext, Caller, Global, Instance, Linker, Memory, Module};

/// What a debugger stop shows of an instance besides the stack, and the port it stops through.
#[derive(Default)]
pub(super) struct Debugged {
    pub port: Option<DebugPort>,
    /// Linear memory 0, once instantiated.
    pub memory: Option<Memory>,
    /// The globals the instrumented module exports, once instantiated.
    pub globals: Vec<Global>,
}

impl Debugged {
    pub fn new(port: Option<DebugPort>) -> Debugged {
        Debugged { port, ..Debugged::default() }
    }

    /// A call into the module failed with `e`: under a debugger, a trap stop with the stack as it was.
    pub fn trapped(&self, ctx: impl AsContext, e: &wasmi::Error) {
        if let Some(port) = self.port {
            port.trapped(debug::trap_code(e), |snapshot| self.snapshot(&ctx, snapshot));
        }
    }

    /// What a stop shows besides the stack: linear memory and the globals' bits.
    fn snapshot(&self, ctx: impl AsContext, snapshot: &mut Snapshot<'_>) {
        let ctx = ctx.as_context();
        if let Some(memory) = self.memory {
            snapshot.memory = (memory.data_ptr(ctx) as u64, memory.data_size(ctx) as u64);
        }
        for (bits, global) in snapshot.globals.iter_mut().zip(&self.globals) {
            *bits = debug::value_bits(&global.get(ctx));
        }
    }
}

/// The globals an instance of the instrumented `module` exports for the debugger.
pub(super) fn exported_globals(ctx: impl AsContext, module: &Module, instance: &Instance) -> Vec<Global> {
    (0..debug::global_count(module) as usize).filter_map(|i| instance.get_global(&ctx, &debug::global_export(i))).collect()
}

/// Runs `call`, one host → Wasm call, telling the debugger when it begins and ends.
pub(super) fn in_wasm<R>(port: Option<DebugPort>, call: impl FnOnce() -> R) -> R {
    port.inspect(|port| port.in_wasm(true));
    let result = call();
    port.inspect(|port| port.in_wasm(false));
    result
}

/// Fills the mailbox for `module` and stops "ready": the debugger sets its breakpoints there,
/// before any Wasm runs.
pub(super) fn ready(port: DebugPort, module: &Module) {
    port.set_up(debug::global_count(module));
    port.ready();
}

/// Defines the probe import the instrumenter adds; `debugged` finds the hooks in the store's data.
pub(super) fn link_probe<T: 'static>(linker: &mut Linker<T>, port: DebugPort, debugged: fn(&T) -> &Debugged) {
    let probe = move |caller: Caller<'_, T>, site: i32| port.probe(site as u32, |s| debugged(caller.data()).snapshot(&caller, s));
    linker.func_wrap(debug::PROBE_MODULE, debug::PROBE_FIELD, probe).expect("the probe is defined once");
}
