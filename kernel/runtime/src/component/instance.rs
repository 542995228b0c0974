//! A running component: its core instances built by replaying the loader's plan on one wasmi
//! store, host functions lowered into it, the resource built-ins, and calls of its lifted exports.

use super::canonical::{self, Cx, Flat, FlatBuf, FlatSink, Memory as GuestMemory};
use super::handles::{Handle, HandleTable};
use super::load::{Component, CoreKind, LoadError, Options, Step};
use super::types::{FlatType, FuncType, ResourceType};
use super::values::{Args, Val};
use super::{Host, Lifted, Trap};
use crate::debug::{PROBE_FIELD, PROBE_MODULE};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use wasmi::{AsContextMut, Caller, Extern, Func, Global, Memory, Module, Store, StoreLimits, StoreLimitsBuilder, Table, TrapCode};

/// What a store's host functions and built-ins see.
pub struct State<H> {
    pub host: H,
    handles: HandleTable,
    limits: StoreLimits,
    /// False while the host runs `realloc` or `post-return` in the guest: those may not call out
    /// (CanonicalABI.md `may_leave`).
    may_leave: bool,
    /// Set when a call back into the guest (realloc, a destructor) ran out of fuel: wasmi reports that
    /// as the host function's error, not as the out-of-fuel trap.
    pub out_of_fuel: bool,
    guest_dtors: Vec<Option<Func>>,
}

/// Limits of one instance.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest linear memory, in bytes.
    pub max_memory: usize,
    /// Fuel for instantiation (core start functions such as `_initialize`).
    pub init_fuel: u64,
}

/// How a call into the component ended, when it did not return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The guest trapped (with wasmi's trap code), a host function failed or the canonical ABI was broken (no code).
    Trap(String, Option<TrapCode>),
    OutOfFuel,
}

/// Makes, on the instance's store, the function linked to the debugger's probe import
/// (docs/DEBUGGING.md, "Components").
pub type MakeProbe<'a, H> = &'a dyn Fn(&mut Store<State<H>>) -> Func;

/// A core instance: a module's, or exports bundled together.
enum CoreInstance {
    Module(wasmi::Instance),
    Bundle(BTreeMap<String, Extern>),
}

pub struct Instance<H> {
    pub store: Store<State<H>>,
    funcs: Vec<Func>,
    memories: Vec<Memory>,
    probed: Option<wasmi::Instance>,
}

impl<H> Component<H> {
    /// The core module that imports the debugger's probe: the one the instrumenter rewrote.
    pub fn probed_module(&self) -> Option<&Module> {
        self.modules.iter().find(|m| m.imports().any(|i| (i.module(), i.name()) == (PROBE_MODULE, PROBE_FIELD)))
    }
}

impl<H: Host> Instance<H> {
    /// Instantiates `component` with `host`: runs every core module's start function. A core
    /// module instrumented for the debugger is refused: it runs only under [`Instance::with_probe`].
    pub fn new(component: &Component<H>, host: H, limits: Limits) -> Result<Instance<H>, LoadError> {
        Instance::with_probe(component, host, limits, None)
    }

    /// [`Instance::new`], linking `probe`'s function into the core module that imports the
    /// debugger's probe. The instrumented component passes that module a stand-in instance for
    /// the import (so that it validates); the stand-in is never linked.
    pub fn with_probe(component: &Component<H>, host: H, limits: Limits, probe: Option<MakeProbe<'_, H>>) -> Result<Instance<H>, LoadError> {
        let state = State {
            host,
            handles: HandleTable::default(),
            limits: StoreLimitsBuilder::new().memory_size(limits.max_memory).instances(64).memories(16).tables(64).build(),
            may_leave: true,
            out_of_fuel: false,
            guest_dtors: Vec::new(),
        };
        let mut store = Store::new(&component.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_fuel(limits.init_fuel).map_err(|e| LoadError::Instantiate(e.to_string()))?;
        let mut spaces = Spaces { instances: Vec::new(), funcs: Vec::new(), tables: Vec::new(), memories: Vec::new(), globals: Vec::new(), probe, probed: None };
        for step in &component.steps {
            spaces.run(&mut store, component, step)?;
        }
        let dtors = component.guest_dtors.iter().map(|d| d.map(|i| spaces.funcs.get(i as usize).copied()).flatten()).collect();
        store.data_mut().guest_dtors = dtors;
        Ok(Instance { store, funcs: spaces.funcs, memories: spaces.memories, probed: spaces.probed })
    }

    /// The core instance the probe was linked into (see [`Instance::with_probe`]).
    pub fn probed(&self) -> Option<wasmi::Instance> {
        self.probed
    }

    /// Calls the lifted function with `args`; its post-return runs before this returns.
    pub fn call(&mut self, lifted: &Lifted, args: Vec<Val>) -> Result<Option<Val>, CallError> {
        let store = &mut self.store;
        store.data_mut().out_of_fuel = false;
        let func = *self.funcs.get(lifted.core_func as usize).ok_or_else(|| CallError::Trap("no such function".into(), None))?;
        let options = resolve(&self.funcs, &self.memories, &lifted.options).map_err(|t| CallError::Trap(t.0, None))?;
        let flat = with_cx(store, &options, |cx| canonical::lower_export_args(cx, &lifted.ty, args)).map_err(|t| trap_of(store, t))?;
        let params: Vec<wasmi::Val> = flat.iter().map(|f| to_wasmi(*f)).collect();
        let (_, result_types) = canonical::core_signature(&lifted.ty, false);
        let mut results: Vec<wasmi::Val> = result_types.iter().map(|t| to_wasmi(zero(*t))).collect();
        func.call(&mut *store, &params, &mut results).map_err(|e| failed(store, &e))?;
        let flat_results: Vec<Flat> = results.iter().map(from_wasmi).collect::<Result<_, _>>().map_err(|t| CallError::Trap(t.0, None))?;
        let value = with_cx(store, &options, |cx| canonical::lift_export_result(cx, &lifted.ty, &flat_results));
        if let Some(post) = lifted.options.post_return.and_then(|i| self.funcs.get(i as usize).copied()) {
            store.data_mut().may_leave = false;
            let done = post.call(&mut *store, &results, &mut []);
            store.data_mut().may_leave = true;
            done.map_err(|e| failed(store, &e))?;
        }
        value.map_err(|t| trap_of(store, t))
    }

    /// The instance's handle table (for tests and for checking what a call left behind).
    pub fn handles(&self) -> &HandleTable {
        &self.store.data().handles
    }
}

fn trap_of<H>(store: &Store<State<H>>, t: Trap) -> CallError {
    if store.data().out_of_fuel { CallError::OutOfFuel } else { CallError::Trap(t.0, None) }
}

fn failed<H>(store: &Store<State<H>>, e: &wasmi::Error) -> CallError {
    if e.as_trap_code() == Some(TrapCode::OutOfFuel) || store.data().out_of_fuel {
        CallError::OutOfFuel
    } else {
        CallError::Trap(e.to_string(), e.as_trap_code())
    }
}

/// The core index spaces as the plan fills them.
struct Spaces<'p, H> {
    instances: Vec<CoreInstance>,
    funcs: Vec<Func>,
    tables: Vec<Table>,
    memories: Vec<Memory>,
    globals: Vec<Global>,
    probe: Option<MakeProbe<'p, H>>,
    /// The instance that got the probe.
    probed: Option<wasmi::Instance>,
}

impl<H: Host> Spaces<'_, H> {
    fn run(&mut self, store: &mut Store<State<H>>, component: &Component<H>, step: &Step) -> Result<(), LoadError> {
        let missing = |what: &str| LoadError::Instantiate(format!("the plan refers to a missing {what}"));
        match step {
            Step::Instantiate { module: index, args } => {
                let module = component.modules.get(*index).ok_or_else(|| missing("module"))?;
                let mut imports = Vec::new();
                let mut probed = false;
                for import in module.imports() {
                    let (ns, name) = (import.module(), import.name());
                    if (ns, name) == (PROBE_MODULE, PROBE_FIELD) {
                        let make = self.probe.ok_or_else(|| {
                            LoadError::Instantiate(format!("core module {index} imports {ns}#{name}: it is instrumented for the Wasm-level debugger, and runs only under it (wasm_debug)"))
                        })?;
                        imports.push(Extern::Func(make(store)));
                        probed = true;
                        continue;
                    }
                    let arg = args.iter().find(|(n, _)| n == ns).ok_or_else(|| LoadError::Instantiate(format!("no instance given for import {ns}#{name}")))?;
                    let instance = self.instances.get(arg.1 as usize).ok_or_else(|| missing("core instance"))?;
                    imports.push(export_of(store, instance, name).ok_or_else(|| LoadError::Instantiate(format!("{ns} does not export {name}")))?);
                }
                let instance = wasmi::Instance::new(&mut *store, module, &imports).map_err(|e| {
                    let why = if store.data().out_of_fuel || e.as_trap_code() == Some(TrapCode::OutOfFuel) { "ran out of fuel".to_string() } else { e.to_string() };
                    LoadError::Instantiate(why)
                })?;
                if probed {
                    self.probed = Some(instance);
                }
                self.instances.push(CoreInstance::Module(instance));
            }
            Step::Bundle(items) => {
                let mut bundle = BTreeMap::new();
                for (name, kind, index) in items {
                    let item = match kind {
                        CoreKind::Func => self.funcs.get(*index as usize).map(|f| Extern::Func(*f)),
                        CoreKind::Table => self.tables.get(*index as usize).map(|t| Extern::Table(*t)),
                        CoreKind::Memory => self.memories.get(*index as usize).map(|m| Extern::Memory(*m)),
                        CoreKind::Global => self.globals.get(*index as usize).map(|g| Extern::Global(*g)),
                    };
                    bundle.insert(name.clone(), item.ok_or_else(|| missing("core item"))?);
                }
                self.instances.push(CoreInstance::Bundle(bundle));
            }
            Step::Alias { instance, kind, name } => {
                let instance = self.instances.get(*instance as usize).ok_or_else(|| missing("core instance"))?;
                let item = export_of(store, instance, name).ok_or_else(|| LoadError::Instantiate(format!("no core export {name}")))?;
                match (kind, item) {
                    (CoreKind::Func, Extern::Func(f)) => self.funcs.push(f),
                    (CoreKind::Table, Extern::Table(t)) => self.tables.push(t),
                    (CoreKind::Memory, Extern::Memory(m)) => self.memories.push(m),
                    (CoreKind::Global, Extern::Global(g)) => self.globals.push(g),
                    _ => return Err(LoadError::Instantiate(format!("core export {name} is not a {kind:?}"))),
                }
            }
            Step::Lower { host, name, ty, options } => {
                let options = resolve(&self.funcs, &self.memories, options).map_err(|t| LoadError::Instantiate(format!("{name}: {t}")))?;
                self.funcs.push(lower::<H>(store, *host, name.clone(), ty.clone(), options));
            }
            Step::ResourceNew(n) => {
                let ty = ResourceType::Guest(*n);
                self.funcs.push(builtin(store, true, move |state, rep| state.handles.add(Handle { ty, rep, own: true }).map(Some)));
            }
            Step::ResourceRep(n) => {
                let ty = ResourceType::Guest(*n);
                self.funcs.push(builtin(store, true, move |state, index| state.handles.get(index, ty).map(|h| Some(h.rep))));
            }
            Step::ResourceDrop(ty) => self.funcs.push(resource_drop::<H>(store, *ty)),
        }
        Ok(())
    }
}

fn export_of<H>(store: &Store<State<H>>, instance: &CoreInstance, name: &str) -> Option<Extern> {
    match instance {
        CoreInstance::Module(i) => i.get_export(store, name),
        CoreInstance::Bundle(items) => items.get(name).copied(),
    }
}

/// Canonical options as the store's items.
#[derive(Clone, Copy)]
struct Resolved {
    memory: Option<Memory>,
    realloc: Option<Func>,
}

fn resolve(funcs: &[Func], memories: &[Memory], o: &Options) -> Result<Resolved, Trap> {
    let memory = o.memory.map(|i| memories.get(i as usize).copied().ok_or_else(|| Trap::new("a missing memory"))).transpose()?;
    let realloc = o.realloc.map(|i| funcs.get(i as usize).copied().ok_or_else(|| Trap::new("a missing realloc"))).transpose()?;
    Ok(Resolved { memory, realloc })
}

/// The guest's memory through a store context; `alloc` calls its `realloc`.
struct Guest<'c, C> {
    ctx: &'c mut C,
    memory: Memory,
    realloc: Option<Func>,
}

impl<H: 'static, C: AsContextMut<Data = State<H>>> GuestMemory for Guest<'_, C> {
    fn bytes(&mut self) -> &mut [u8] {
        self.memory.data_mut(&mut *self.ctx)
    }

    fn alloc(&mut self, align: u32, size: u32) -> Result<u32, Trap> {
        let realloc = self.realloc.ok_or_else(|| Trap::new("the function needs a realloc, and its canonical options name none"))?;
        let mut ctx = self.ctx.as_context_mut();
        ctx.data_mut().may_leave = false;
        let args = [wasmi::Val::I32(0), wasmi::Val::I32(0), wasmi::Val::I32(align as i32), wasmi::Val::I32(size as i32)];
        let mut out = [wasmi::Val::I32(0)];
        let done = realloc.call(&mut ctx, &args, &mut out);
        ctx.data_mut().may_leave = true;
        if let Err(e) = done {
            if e.as_trap_code() == Some(TrapCode::OutOfFuel) {
                ctx.data_mut().out_of_fuel = true;
            }
            return Err(Trap::new(format!("realloc: {e}")));
        }
        match out[0] {
            wasmi::Val::I32(p) => Ok(p as u32),
            _ => Err(Trap::new("realloc returned a non-i32")),
        }
    }
}

/// Runs `f` with a lifting/lowering context over the store's memory and handle table.
fn with_cx<H: 'static, C: AsContextMut<Data = State<H>>, R>(ctx: &mut C, options: &Resolved, f: impl FnOnce(&mut Cx) -> Result<R, Trap>) -> Result<R, Trap> {
    // The table is taken out while memory is borrowed; `may_leave` keeps a realloc from calling
    // back into the host meanwhile.
    let mut handles = core::mem::take(&mut ctx.as_context_mut().data_mut().handles);
    let result = match options.memory {
        Some(memory) => {
            let mut guest = Guest { ctx: &mut *ctx, memory, realloc: options.realloc };
            f(&mut Cx::new(Some(&mut guest), &mut handles))
        }
        None => f(&mut Cx::new(None, &mut handles)),
    };
    ctx.as_context_mut().data_mut().handles = handles;
    result
}

fn wasmi_type(t: FlatType) -> wasmi::ValType {
    match t {
        FlatType::I32 => wasmi::ValType::I32,
        FlatType::I64 => wasmi::ValType::I64,
        FlatType::F32 => wasmi::ValType::F32,
        FlatType::F64 => wasmi::ValType::F64,
    }
}

fn to_wasmi(f: Flat) -> wasmi::Val {
    match f {
        Flat::I32(v) => wasmi::Val::I32(v),
        Flat::I64(v) => wasmi::Val::I64(v),
        Flat::F32(bits) => wasmi::Val::F32(f32::from_bits(bits).into()),
        Flat::F64(bits) => wasmi::Val::F64(f64::from_bits(bits).into()),
    }
}

fn from_wasmi(v: &wasmi::Val) -> Result<Flat, Trap> {
    Ok(match v {
        wasmi::Val::I32(x) => Flat::I32(*x),
        wasmi::Val::I64(x) => Flat::I64(*x),
        wasmi::Val::F32(x) => Flat::F32(x.to_bits()),
        wasmi::Val::F64(x) => Flat::F64(x.to_bits()),
        _ => return Err(Trap::new("a reference value where the canonical ABI has numbers")),
    })
}

fn zero(t: FlatType) -> Flat {
    match t {
        FlatType::I32 => Flat::I32(0),
        FlatType::I64 => Flat::I64(0),
        FlatType::F32 => Flat::F32(0),
        FlatType::F64 => Flat::F64(0),
    }
}

/// A host function as a lowered core function calls it.
struct Lowered {
    host: u32,
    name: Arc<str>,
    ty: Arc<FuncType>,
    options: Resolved,
}

impl Lowered {
    /// Lifts the core arguments `flat`, runs the host function, lowers its result into `out`.
    fn call<H: Host>(&self, caller: &mut Caller<'_, State<H>>, flat: &[Flat], out: &mut FlatBuf) -> Result<(), wasmi::Error> {
        self.run(caller, flat, out).map_err(|t| wasmi::Error::new(format!("{}: {t}", self.name)))
    }

    fn run<H: Host>(&self, caller: &mut Caller<'_, State<H>>, flat: &[Flat], out: &mut FlatBuf) -> Result<(), Trap> {
        if !caller.data().may_leave {
            return Err(Trap::new("called during realloc or post-return, which may not call out"));
        }
        let mut args = Args::default();
        with_cx(caller, &self.options, |cx| canonical::lift_import_args(cx, &self.ty, flat, &mut args))?;
        let result = caller.data_mut().host.call(self.host, &mut args)?;
        with_cx(caller, &self.options, |cx| canonical::lower_import_result(cx, &self.ty, result, flat, out))
    }
}

/// A core function the guest calls to reach host function `host` (`canon lower`). Signatures of
/// i32s only (most of WASI's) get a typed closure, which wasmi calls without boxing values (every
/// request makes a dozen such calls); the others go through wasmi's dynamically typed one.
fn lower<H: Host>(store: &mut Store<State<H>>, host: u32, name: Arc<str>, ty: Arc<FuncType>, options: Resolved) -> Func {
    let (params, results) = canonical::core_signature(&ty, true);
    let lowered = Lowered { host, name, ty, options };
    let all_i32 = params.iter().chain(&results).all(|t| *t == FlatType::I32);
    if all_i32 && params.len() <= 8 && results.len() <= 1 {
        return typed(store, lowered, params.len(), results.len() == 1);
    }
    let core_ty = wasmi::FuncType::new(params.into_iter().map(wasmi_type), results.into_iter().map(wasmi_type));
    Func::new(&mut *store, core_ty, move |mut caller: Caller<'_, State<H>>, params, results| {
        let mut flat = FlatBuf::default();
        for param in params {
            flat.put(from_wasmi(param).map_err(|t| wasmi::Error::new(t.0))?).map_err(|t| wasmi::Error::new(t.0))?;
        }
        let mut out = FlatBuf::default();
        lowered.call(&mut caller, flat.as_slice(), &mut out)?;
        for (slot, value) in results.iter_mut().zip(out.as_slice()) {
            *slot = to_wasmi(*value);
        }
        Ok(())
    })
}

/// The typed closure of an i32-only signature of `arity` (at most 8) parameters and no or one result.
fn typed<H: Host>(store: &mut Store<State<H>>, lowered: Lowered, arity: usize, returns: bool) -> Func {
    macro_rules! wrap {
        ($($p:ident),*) => {
            if returns {
                Func::wrap(&mut *store, move |mut caller: Caller<'_, State<H>>, $($p: i32),*| -> Result<i32, wasmi::Error> {
                    let mut out = FlatBuf::default();
                    lowered.call(&mut caller, &[$(Flat::I32($p)),*], &mut out)?;
                    match out.as_slice() {
                        [Flat::I32(v)] => Ok(*v),
                        _ => Err(wasmi::Error::new(format!("{}: the result is not one i32", lowered.name))),
                    }
                })
            } else {
                Func::wrap(&mut *store, move |mut caller: Caller<'_, State<H>>, $($p: i32),*| -> Result<(), wasmi::Error> {
                    lowered.call(&mut caller, &[$(Flat::I32($p)),*], &mut FlatBuf::default())
                })
            }
        };
    }
    match arity {
        0 => wrap!(),
        1 => wrap!(a),
        2 => wrap!(a, b),
        3 => wrap!(a, b, c),
        4 => wrap!(a, b, c, d),
        5 => wrap!(a, b, c, d, e),
        6 => wrap!(a, b, c, d, e, f),
        7 => wrap!(a, b, c, d, e, f, g),
        _ => wrap!(a, b, c, d, e, f, g, h),
    }
}

/// A built-in of type `(i32) -> (i32)` (or `-> ()` when `returns` is false) over the store's state.
fn builtin<H: Host>(store: &mut Store<State<H>>, returns: bool, f: impl Fn(&mut State<H>, u32) -> Result<Option<u32>, Trap> + Send + Sync + 'static) -> Func {
    let results = if returns { vec![wasmi::ValType::I32] } else { vec![] };
    let ty = wasmi::FuncType::new([wasmi::ValType::I32], results);
    Func::new(&mut *store, ty, move |mut caller: Caller<'_, State<H>>, params, results| {
        let arg = match params.first() {
            Some(wasmi::Val::I32(x)) => *x as u32,
            _ => return Err(wasmi::Error::new("a resource built-in takes one i32")),
        };
        let out = f(caller.data_mut(), arg).map_err(|t| wasmi::Error::new(t.0))?;
        if let (Some(slot), Some(v)) = (results.first_mut(), out) {
            *slot = wasmi::Val::I32(v as i32);
        }
        Ok(())
    })
}

/// `resource.drop`: an owned handle's resource is destroyed (by the host, or by the guest's
/// destructor); a borrowed one is only forgotten.
fn resource_drop<H: Host>(store: &mut Store<State<H>>, ty: ResourceType) -> Func {
    let core_ty = wasmi::FuncType::new([wasmi::ValType::I32], []);
    Func::new(&mut *store, core_ty, move |mut caller: Caller<'_, State<H>>, params, _| {
        let index = match params.first() {
            Some(wasmi::Val::I32(x)) => *x as u32,
            _ => return Err(wasmi::Error::new("resource.drop takes one i32")),
        };
        let handles = &mut caller.data_mut().handles;
        let handle = handles.get(index, ty).and_then(|_| handles.remove(index)).map_err(|t| wasmi::Error::new(t.0))?;
        if !handle.own {
            return Ok(());
        }
        match ty {
            ResourceType::Host(kind) => caller.data_mut().host.drop_resource(kind, handle.rep).map_err(|t| wasmi::Error::new(t.0)),
            ResourceType::Guest(n) => match caller.data().guest_dtors.get(n as usize).copied().flatten() {
                Some(dtor) => dtor.call(&mut caller, &[wasmi::Val::I32(handle.rep as i32)], &mut []),
                None => Ok(()),
            },
        }
    })
}
