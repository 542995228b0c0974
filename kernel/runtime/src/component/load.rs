//! Loading a component as `wasm-tools component new` makes them: wasmparser's validator checks it
//! and resolves every type; then its sections become a plan of core steps (instantiate a module,
//! bundle exports, alias, lower a host function, resource built-ins) that `instance.rs` replays,
//! and its exports become lifted functions. What this runtime does not support is refused here,
//! by name: nested components other than the re-export shims wit-component makes, start functions,
//! non-UTF-8 strings, async, and imports the host does not offer.

use super::names::{semver_compatible, InterfaceName};
use super::types::{Flags, FuncType, Record, ResourceType, Type, Variant};
use super::Host;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use wasmi::{Engine, Module};
use wasmparser::component_types::{ComponentAnyTypeId, ComponentDefinedType, ComponentEntityType, ComponentValType, ResourceId};
use wasmparser::types::Types;
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentExternalKind, ComponentInstance, ComponentType,
    ComponentTypeRef, ExternalKind, Instance, InstantiationArgKind, Parser, Payload, PrimitiveValType, Validator,
    WasmFeatures,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Not a valid component (the validator's message).
    Invalid(String),
    /// Valid, but uses what this runtime does not support (named).
    Unsupported(String),
    /// An import the host does not offer.
    UnknownImport(String),
    /// A core module did not compile or instantiate.
    Instantiate(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Invalid(m) => write!(f, "invalid component: {m}"),
            LoadError::Unsupported(m) => write!(f, "unsupported component feature: {m}"),
            LoadError::UnknownImport(m) => write!(f, "the component imports {m}, which this host does not offer"),
            LoadError::Instantiate(m) => write!(f, "instantiation failed: {m}"),
        }
    }
}

/// Kinds of core items a step can alias or bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CoreKind {
    Func,
    Table,
    Memory,
    Global,
}

/// Canonical options, as core indexes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Options {
    pub memory: Option<u32>,
    pub realloc: Option<u32>,
    pub post_return: Option<u32>,
}

/// A step of instantiation; each adds one item to a core index space, in order.
pub(super) enum Step {
    /// A core instance of `module` with its imports' namespaces given by core instances.
    Instantiate { module: usize, args: Vec<(String, u32)> },
    /// A core instance made of other items.
    Bundle(Vec<(String, CoreKind, u32)>),
    /// A core item exported by a core instance.
    Alias { instance: u32, kind: CoreKind, name: String },
    /// A core function calling host function `host` (`canon lower`).
    Lower { host: u32, name: Arc<str>, ty: Arc<FuncType>, options: Options },
    ResourceNew(u32),
    ResourceRep(u32),
    ResourceDrop(ResourceType),
}

/// A component function the host can call (`canon lift`).
#[derive(Clone)]
pub struct Lifted {
    pub(super) core_func: u32,
    pub(super) ty: Arc<FuncType>,
    pub(super) options: Options,
}

impl Lifted {
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }
}

/// A component function as the loader knows it.
#[derive(Clone)]
enum Func {
    Host { host: u32, name: Arc<str> },
    Lifted(Lifted),
}

/// A component instance as the loader knows it.
#[derive(Clone)]
enum ComponentInst {
    /// An imported interface; `name` as imported (with its version).
    Imported { name: String },
    /// Exports bundled together (what a component exports an interface as).
    Bundle(BTreeMap<String, (ComponentExternalKind, u32)>),
}

/// A validated component, ready to instantiate on `H`.
pub struct Component<H> {
    pub(super) engine: Engine,
    pub(super) modules: Vec<Module>,
    pub(super) steps: Vec<Step>,
    /// The destructor (a core function index) of each resource type the component defines.
    pub(super) guest_dtors: Vec<Option<u32>>,
    /// Lifted functions by export path: `wasi:http/incoming-handler@0.2.6#handle`, or a plain name.
    exports: Vec<(String, Lifted)>,
    /// What it imports, as named.
    pub imports: Vec<String>,
    host: PhantomData<fn() -> H>,
}

impl<H: Host> Component<H> {
    /// Validates `bytes` and prepares its instantiation on `engine`.
    pub fn load(engine: &Engine, bytes: &[u8]) -> Result<Component<H>, LoadError> {
        let types = Validator::new_with_features(features()).validate_all(bytes).map_err(|e| {
            let message = e.message().to_string();
            if message.contains("feature") { LoadError::Unsupported(message) } else { LoadError::Invalid(message) }
        })?;
        let mut loader = Loader::<H> {
            engine: engine.clone(),
            types: &types,
            resolver: Resolver { types: &types, resources: BTreeMap::new(), cache: BTreeMap::new(), nesting: 0 },
            modules: Vec::new(),
            steps: Vec::new(),
            funcs: Vec::new(),
            instances: Vec::new(),
            type_count: 0,
            guest_dtors: Vec::new(),
            exports: Vec::new(),
            imports: Vec::new(),
            shims: Vec::new(),
            host: PhantomData,
        };
        loader.read(bytes)?;
        Ok(Component {
            engine: engine.clone(),
            modules: loader.modules,
            steps: loader.steps,
            guest_dtors: loader.guest_dtors,
            exports: loader.exports,
            imports: loader.imports,
            host: PhantomData,
        })
    }

    /// The lifted function `func` of the exported interface `interface` (any version
    /// semver-compatible with the one given), or of the component itself when `interface` is empty.
    pub fn export(&self, interface: &str, func: &str) -> Option<&Lifted> {
        let wanted = InterfaceName::parse(interface);
        self.exports.iter().find_map(|(path, lifted)| {
            let (iface, name) = path.rsplit_once('#').unwrap_or(("", path));
            let have = InterfaceName::parse(iface);
            let same_version = match (have.version, wanted.version) {
                (Some(h), Some(w)) => semver_compatible(h, w),
                (h, w) => h == w,
            };
            (name == func && have.path == wanted.path && same_version).then_some(lifted)
        })
    }

    /// Every exported function, by path.
    pub fn exports(&self) -> impl Iterator<Item = &str> {
        self.exports.iter().map(|(p, _)| p.as_str())
    }
}

/// The validator's features: the component model without async, threads or values.
fn features() -> WasmFeatures {
    let mut f = WasmFeatures::default();
    f.remove(WasmFeatures::SHARED_EVERYTHING_THREADS | WasmFeatures::CM_ASYNC | WasmFeatures::CM_ASYNC_BUILTINS);
    f.remove(WasmFeatures::CM_ASYNC_STACKFUL | WasmFeatures::CM_VALUES | WasmFeatures::CM_NESTED_NAMES);
    f
}

struct Loader<'t, H> {
    engine: Engine,
    types: &'t Types,
    resolver: Resolver<'t>,
    modules: Vec<Module>,
    steps: Vec<Step>,
    funcs: Vec<Func>,
    instances: Vec<ComponentInst>,
    /// Component types defined so far: the index a resource type definition gets.
    type_count: u32,
    guest_dtors: Vec<Option<u32>>,
    exports: Vec<(String, Lifted)>,
    imports: Vec<String>,
    shims: Vec<Shim>,
    host: PhantomData<fn() -> H>,
}

/// A nested component that only re-exports the functions it imports (and types): what
/// wit-component wraps an exported interface in, to give it its types.
struct Shim {
    /// The names of its function imports, in index order.
    func_imports: Vec<String>,
    /// Its function exports: name and function index.
    func_exports: Vec<(String, u32)>,
}

impl Shim {
    fn read(bytes: &[u8]) -> Result<Shim, LoadError> {
        let invalid = |e: wasmparser::BinaryReaderError| LoadError::Invalid(e.message().to_string());
        let mut shim = Shim { func_imports: Vec::new(), func_exports: Vec::new() };
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(invalid)? {
                Payload::Version { .. } | Payload::End(_) | Payload::CustomSection(_) | Payload::ComponentTypeSection(_) | Payload::ComponentAliasSection(_) => {}
                Payload::ComponentImportSection(reader) => {
                    for import in reader {
                        let import = import.map_err(invalid)?;
                        if let ComponentTypeRef::Func(_) = import.ty {
                            shim.func_imports.push(import.name.0.to_string());
                        }
                    }
                }
                Payload::ComponentExportSection(reader) => {
                    for export in reader {
                        let export = export.map_err(invalid)?;
                        if export.kind == ComponentExternalKind::Func {
                            shim.func_exports.push((export.name.0.to_string(), export.index));
                        }
                    }
                }
                _ => return Err(unsupported("a nested component that does more than re-export what it imports")),
            }
        }
        Ok(shim)
    }

    /// Its exports, given the outer functions passed for its imports.
    fn instantiate(&self, given: &BTreeMap<&str, u32>) -> Result<BTreeMap<String, (ComponentExternalKind, u32)>, LoadError> {
        self.func_exports
            .iter()
            .map(|(name, index)| {
                let import = self.func_imports.get(*index as usize).ok_or_else(|| unsupported("a nested component exporting a function it defines"))?;
                let outer = given.get(import.as_str()).ok_or_else(|| LoadError::Invalid(format!("no function given for {import}")))?;
                Ok((name.clone(), (ComponentExternalKind::Func, *outer)))
            })
            .collect()
    }
}

fn unsupported(what: impl Into<String>) -> LoadError {
    LoadError::Unsupported(what.into())
}

impl<H: Host> Loader<'_, H> {
    fn read(&mut self, bytes: &[u8]) -> Result<(), LoadError> {
        let invalid = |e: wasmparser::BinaryReaderError| LoadError::Invalid(e.message().to_string());
        // Nested modules' own payloads come through too; `depth` skips them (their bytes are taken whole).
        let mut depth = 0u32;
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload.map_err(invalid)?;
            if depth > 0 {
                match payload {
                    Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
                    Payload::End(_) => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match payload {
                Payload::Version { .. } | Payload::CustomSection(_) | Payload::CoreTypeSection(_) | Payload::End(_) => {}
                Payload::ModuleSection { unchecked_range, .. } => {
                    depth += 1;
                    let module = Module::new(&self.engine, &bytes[unchecked_range])
                        .map_err(|e| LoadError::Instantiate(format!("core module {}: {e}", self.modules.len())))?;
                    self.modules.push(module);
                }
                Payload::ComponentSection { unchecked_range, .. } => {
                    depth += 1;
                    self.shims.push(Shim::read(&bytes[unchecked_range])?);
                }
                Payload::ComponentStartSection { .. } => return Err(unsupported("a component start function")),
                Payload::InstanceSection(reader) => {
                    for instance in reader {
                        self.core_instance(instance.map_err(invalid)?)?;
                    }
                }
                Payload::ComponentTypeSection(reader) => {
                    for ty in reader {
                        self.define_type(&ty.map_err(invalid)?)?;
                    }
                }
                Payload::ComponentImportSection(reader) => {
                    for import in reader {
                        let import = import.map_err(invalid)?;
                        self.import(import.name.0, import.ty)?;
                    }
                }
                Payload::ComponentAliasSection(reader) => {
                    for alias in reader {
                        self.alias(alias.map_err(invalid)?)?;
                    }
                }
                Payload::ComponentInstanceSection(reader) => {
                    for instance in reader {
                        match instance.map_err(invalid)? {
                            ComponentInstance::Instantiate { component_index, args } => {
                                let shim = self.shims.get(component_index as usize).ok_or_else(|| LoadError::Invalid("instance of an unknown component".into()))?;
                                let given: BTreeMap<&str, u32> = args.iter().filter(|a| a.kind == ComponentExternalKind::Func).map(|a| (a.name, a.index)).collect();
                                let bundle = shim.instantiate(&given)?;
                                self.instances.push(ComponentInst::Bundle(bundle));
                            }
                            ComponentInstance::FromExports(exports) => {
                                let bundle = exports.iter().map(|e| (e.name.0.to_string(), (e.kind, e.index))).collect();
                                self.instances.push(ComponentInst::Bundle(bundle));
                            }
                        }
                    }
                }
                Payload::ComponentCanonicalSection(reader) => {
                    for canon in reader {
                        self.canonical(canon.map_err(invalid)?)?;
                    }
                }
                Payload::ComponentExportSection(reader) => {
                    for export in reader {
                        let export = export.map_err(invalid)?;
                        self.export(export.name.0, export.kind, export.index)?;
                    }
                }
                other => return Err(unsupported(format!("section {:?}", other.as_section()))),
            }
        }
        Ok(())
    }

    fn core_instance(&mut self, instance: Instance) -> Result<(), LoadError> {
        match instance {
            Instance::Instantiate { module_index, args } => {
                let args = args
                    .iter()
                    .map(|a| match a.kind {
                        InstantiationArgKind::Instance => (a.name.to_string(), a.index),
                    })
                    .collect();
                self.steps.push(Step::Instantiate { module: module_index as usize, args });
            }
            Instance::FromExports(exports) => {
                let items = exports.iter().map(|e| Ok((e.name.to_string(), core_kind(e.kind)?, e.index))).collect::<Result<_, LoadError>>()?;
                self.steps.push(Step::Bundle(items));
            }
        }
        Ok(())
    }

    fn define_type(&mut self, ty: &ComponentType) -> Result<(), LoadError> {
        if let ComponentType::Resource { dtor, .. } = ty {
            let id = self.resource_id_at(self.type_count)?;
            let guest = ResourceType::Guest(self.guest_dtors.len() as u32);
            self.guest_dtors.push(*dtor);
            self.resolver.resources.insert(id, guest);
        }
        self.type_count += 1;
        Ok(())
    }

    fn resource_id_at(&self, type_index: u32) -> Result<ResourceId, LoadError> {
        match self.types.component_any_type_at(type_index) {
            ComponentAnyTypeId::Resource(r) => Ok(r.resource()),
            _ => Err(LoadError::Invalid(format!("type {type_index} is not a resource"))),
        }
    }

    fn import(&mut self, name: &str, ty: ComponentTypeRef) -> Result<(), LoadError> {
        self.imports.push(name.to_string());
        match ty {
            ComponentTypeRef::Instance(_) => {
                let iface = InterfaceName::parse(name);
                let offered = H::interface_version(iface.path).ok_or_else(|| LoadError::UnknownImport(name.to_string()))?;
                if let Some(wanted) = iface.version {
                    if !semver_compatible(offered, wanted) {
                        return Err(LoadError::UnknownImport(format!("{name} (this host implements {}@{offered})", iface.path)));
                    }
                }
                let Some(ComponentEntityType::Instance(id)) = self.types.component_entity_type_of_import(name) else {
                    return Err(LoadError::Invalid(format!("import {name} has no instance type")));
                };
                // Its resource types are the host's: map each to the host's kind.
                for (export, entity) in &self.types[id].exports {
                    if let ComponentEntityType::Type { created: ComponentAnyTypeId::Resource(r), .. } = entity {
                        // A type `use`d from an interface imported before is that interface's.
                        if self.resolver.resources.contains_key(&r.resource()) {
                            continue;
                        }
                        let kind = H::resource(iface.path, export).ok_or_else(|| LoadError::UnknownImport(format!("{name}#{export} (a resource)")))?;
                        self.resolver.resources.insert(r.resource(), ResourceType::Host(kind));
                    }
                }
                self.instances.push(ComponentInst::Imported { name: name.to_string() });
            }
            ComponentTypeRef::Func(_) => {
                let host = H::function("", name).ok_or_else(|| LoadError::UnknownImport(format!("function {name}")))?;
                self.funcs.push(Func::Host { host, name: Arc::from(name) });
            }
            ComponentTypeRef::Type(_) => return Err(unsupported(format!("the type import {name}"))),
            ComponentTypeRef::Module(_) | ComponentTypeRef::Component(_) | ComponentTypeRef::Value(_) => {
                return Err(unsupported(format!("the import {name} of a module, component or value")));
            }
        }
        Ok(())
    }

    fn alias(&mut self, alias: ComponentAlias) -> Result<(), LoadError> {
        match alias {
            ComponentAlias::InstanceExport { kind, instance_index, name } => {
                let instance = self.instances.get(instance_index as usize).cloned().ok_or_else(|| LoadError::Invalid("alias of an unknown instance".into()))?;
                match (kind, instance) {
                    (ComponentExternalKind::Type, _) => self.type_count += 1,
                    (ComponentExternalKind::Func, ComponentInst::Imported { name: iface_name }) => {
                        let iface = InterfaceName::parse(&iface_name);
                        let host = H::function(iface.path, name).ok_or_else(|| LoadError::UnknownImport(format!("{iface_name}#{name}")))?;
                        self.funcs.push(Func::Host { host, name: Arc::from(format!("{iface_name}#{name}").as_str()) });
                    }
                    (ComponentExternalKind::Func, ComponentInst::Bundle(items)) => match items.get(name) {
                        Some((ComponentExternalKind::Func, index)) => {
                            let func = self.funcs.get(*index as usize).cloned().ok_or_else(|| LoadError::Invalid("alias of an unknown function".into()))?;
                            self.funcs.push(func);
                        }
                        _ => return Err(LoadError::Invalid(format!("alias of a missing function {name}"))),
                    },
                    (kind, _) => return Err(unsupported(format!("an alias of an instance's {kind:?} export {name}"))),
                }
            }
            ComponentAlias::CoreInstanceExport { kind, instance_index, name } => {
                self.steps.push(Step::Alias { instance: instance_index, kind: core_kind(kind)?, name: name.to_string() });
            }
            ComponentAlias::Outer { .. } => return Err(unsupported("an outer alias at the component's top level")),
        }
        Ok(())
    }

    fn canonical(&mut self, canon: CanonicalFunction) -> Result<(), LoadError> {
        match canon {
            CanonicalFunction::Lift { core_func_index, type_index, options } => {
                let ComponentAnyTypeId::Func(id) = self.types.component_any_type_at(type_index) else {
                    return Err(LoadError::Invalid(format!("canon lift with type {type_index}, not a function type")));
                };
                let ty = Arc::new(self.resolver.func(&self.types[id])?);
                self.funcs.push(Func::Lifted(Lifted { core_func: core_func_index, ty, options: options_of(&options)? }));
            }
            CanonicalFunction::Lower { func_index, options } => {
                let Some(Func::Host { host, name }) = self.funcs.get(func_index as usize).cloned() else {
                    return Err(unsupported("lowering a function the component itself lifts"));
                };
                let id = self.types.component_function_at(func_index);
                let ty = Arc::new(self.resolver.func(&self.types[id]).map_err(|e| in_function(e, &name))?);
                self.steps.push(Step::Lower { host, name, ty, options: options_of(&options)? });
            }
            CanonicalFunction::ResourceNew { resource } => self.steps.push(Step::ResourceNew(self.guest_resource(resource)?)),
            CanonicalFunction::ResourceRep { resource } => self.steps.push(Step::ResourceRep(self.guest_resource(resource)?)),
            CanonicalFunction::ResourceDrop { resource } => {
                let id = self.resource_id_at(resource)?;
                let ty = *self.resolver.resources.get(&id).ok_or_else(|| LoadError::Invalid("resource.drop of an unknown resource".into()))?;
                self.steps.push(Step::ResourceDrop(ty));
            }
            other => return Err(unsupported(format!("the canonical built-in {other:?}"))),
        }
        Ok(())
    }

    fn guest_resource(&self, type_index: u32) -> Result<u32, LoadError> {
        match self.resolver.resources.get(&self.resource_id_at(type_index)?) {
            Some(ResourceType::Guest(n)) => Ok(*n),
            _ => Err(LoadError::Invalid(format!("type {type_index} is not a resource the component defines"))),
        }
    }

    fn export(&mut self, name: &str, kind: ComponentExternalKind, index: u32) -> Result<(), LoadError> {
        match kind {
            ComponentExternalKind::Func => {
                let func = self.funcs.get(index as usize).cloned().ok_or_else(|| LoadError::Invalid("export of an unknown function".into()))?;
                if let Func::Lifted(lifted) = &func {
                    self.exports.push((name.to_string(), lifted.clone()));
                }
                self.funcs.push(func);
            }
            ComponentExternalKind::Instance => {
                let instance = self.instances.get(index as usize).cloned().ok_or_else(|| LoadError::Invalid("export of an unknown instance".into()))?;
                if let ComponentInst::Bundle(items) = &instance {
                    for (func_name, (kind, func)) in items {
                        if let (ComponentExternalKind::Func, Some(Func::Lifted(lifted))) = (kind, self.funcs.get(*func as usize)) {
                            self.exports.push((format!("{name}#{func_name}"), lifted.clone()));
                        }
                    }
                }
                self.instances.push(instance);
            }
            ComponentExternalKind::Type => self.type_count += 1,
            other => return Err(unsupported(format!("the export {name} of a {other:?}"))),
        }
        Ok(())
    }
}

fn in_function(e: LoadError, name: &str) -> LoadError {
    match e {
        LoadError::Unsupported(m) => LoadError::Unsupported(format!("{m} (in {name})")),
        other => other,
    }
}

fn core_kind(kind: ExternalKind) -> Result<CoreKind, LoadError> {
    Ok(match kind {
        ExternalKind::Func => CoreKind::Func,
        ExternalKind::Table => CoreKind::Table,
        ExternalKind::Memory => CoreKind::Memory,
        ExternalKind::Global => CoreKind::Global,
        ExternalKind::Tag => return Err(unsupported("exception tags")),
    })
}

fn options_of(options: &[CanonicalOption]) -> Result<Options, LoadError> {
    let mut o = Options::default();
    for option in options {
        match option {
            CanonicalOption::UTF8 => {}
            CanonicalOption::UTF16 => return Err(unsupported("string-encoding=utf16 (only UTF-8 strings are)")),
            CanonicalOption::CompactUTF16 => return Err(unsupported("string-encoding=latin1+utf16 (only UTF-8 strings are)")),
            CanonicalOption::Memory(m) => o.memory = Some(*m),
            CanonicalOption::Realloc(f) => o.realloc = Some(*f),
            CanonicalOption::PostReturn(f) => o.post_return = Some(*f),
            other => return Err(unsupported(format!("the canonical option {other:?} (component-model-async)"))),
        }
    }
    Ok(o)
}

/// How deep types may nest (wasmtime's limit, and newer wasmparsers'): lifting, lowering and
/// flattening recurse along a type, and the kernel's stack is small.
const MAX_TYPE_DEPTH: u32 = 100;

fn too_deep() -> LoadError {
    unsupported(format!("types nested more than {MAX_TYPE_DEPTH} deep (as wasmtime refuses them)"))
}

/// wasmparser's types resolved into [`Type`]s, resources mapped to host kinds or guest indexes.
struct Resolver<'t> {
    types: &'t Types,
    resources: BTreeMap<ResourceId, ResourceType>,
    /// Each type resolved so far, and how deep it nests.
    cache: BTreeMap<wasmparser::component_types::ComponentDefinedTypeId, (Type, u32)>,
    /// Types being resolved, one inside the other: the resolver's own recursion.
    nesting: u32,
}

impl Resolver<'_> {
    fn func(&mut self, ty: &wasmparser::component_types::ComponentFuncType) -> Result<FuncType, LoadError> {
        let params = ty.params.iter().map(|(name, t)| Ok((name.to_string(), self.val(t)?))).collect::<Result<_, LoadError>>()?;
        let result = ty.result.as_ref().map(|t| self.val(t)).transpose()?;
        Ok(FuncType::new(params, result))
    }

    fn val(&mut self, ty: &ComponentValType) -> Result<Type, LoadError> {
        self.val_depth(ty).map(|(t, _)| t)
    }

    /// A value type and how deep it nests (0 for a primitive).
    fn val_depth(&mut self, ty: &ComponentValType) -> Result<(Type, u32), LoadError> {
        match ty {
            ComponentValType::Primitive(p) => Ok((primitive(*p)?, 0)),
            ComponentValType::Type(id) => {
                if let Some(t) = self.cache.get(id) {
                    return Ok(t.clone());
                }
                if self.nesting >= MAX_TYPE_DEPTH {
                    return Err(too_deep());
                }
                self.nesting += 1;
                let resolved = self.defined(&self.types[*id]);
                self.nesting -= 1;
                let resolved = resolved?;
                if resolved.1 > MAX_TYPE_DEPTH {
                    return Err(too_deep());
                }
                self.cache.insert(*id, resolved.clone());
                Ok(resolved)
            }
        }
    }

    fn resource(&self, id: ResourceId) -> Result<ResourceType, LoadError> {
        self.resources.get(&id).copied().ok_or_else(|| unsupported("a handle to a resource neither imported nor defined by the component"))
    }

    /// A defined type and how deep it nests: one more than its deepest part.
    fn defined(&mut self, ty: &ComponentDefinedType) -> Result<(Type, u32), LoadError> {
        let mut deepest = 0;
        let mut part = |r: &mut Self, t: &ComponentValType| -> Result<Type, LoadError> {
            let (t, depth) = r.val_depth(t)?;
            deepest = deepest.max(depth);
            Ok(t)
        };
        let ty = match ty {
            ComponentDefinedType::Primitive(p) => primitive(*p)?,
            ComponentDefinedType::Record(r) => {
                let fields = r.fields.iter().map(|(n, t)| Ok((n.to_string(), part(self, t)?))).collect::<Result<_, LoadError>>()?;
                Type::Record(Arc::new(Record::new(fields)))
            }
            ComponentDefinedType::Tuple(t) => {
                let types = t.types.iter().map(|t| part(self, t)).collect::<Result<_, LoadError>>()?;
                Type::Tuple(Arc::new(Record::tuple(types)))
            }
            ComponentDefinedType::Variant(v) => {
                let cases = v.cases.iter().map(|(n, c)| Ok((n.to_string(), c.ty.as_ref().map(|t| part(self, t)).transpose()?))).collect::<Result<_, LoadError>>()?;
                Type::Variant(Arc::new(Variant::new(cases)))
            }
            ComponentDefinedType::List(t) => Type::List(Arc::new(part(self, t)?)),
            ComponentDefinedType::Flags(names) => Type::Flags(Arc::new(Flags { names: names.iter().map(|n| n.to_string()).collect() })),
            ComponentDefinedType::Enum(names) => Type::Enum(Arc::new(Variant::enumeration(names.iter().map(|n| n.to_string()).collect()))),
            ComponentDefinedType::Option(t) => Type::Option(Arc::new(Variant::option(part(self, t)?))),
            ComponentDefinedType::Result { ok, err } => {
                let ok = ok.as_ref().map(|t| part(self, t)).transpose()?;
                let err = err.as_ref().map(|t| part(self, t)).transpose()?;
                Type::Result(Arc::new(Variant::result(ok, err)))
            }
            ComponentDefinedType::Own(r) => Type::Own(self.resource(r.resource())?),
            ComponentDefinedType::Borrow(r) => Type::Borrow(self.resource(r.resource())?),
            ComponentDefinedType::Future(_) | ComponentDefinedType::Stream(_) => return Err(unsupported("future and stream types (component-model-async)")),
        };
        Ok((ty, deepest + 1))
    }
}

fn primitive(p: PrimitiveValType) -> Result<Type, LoadError> {
    Ok(match p {
        PrimitiveValType::Bool => Type::Bool,
        PrimitiveValType::S8 => Type::S8,
        PrimitiveValType::U8 => Type::U8,
        PrimitiveValType::S16 => Type::S16,
        PrimitiveValType::U16 => Type::U16,
        PrimitiveValType::S32 => Type::S32,
        PrimitiveValType::U32 => Type::U32,
        PrimitiveValType::S64 => Type::S64,
        PrimitiveValType::U64 => Type::U64,
        PrimitiveValType::F32 => Type::F32,
        PrimitiveValType::F64 => Type::F64,
        PrimitiveValType::Char => Type::Char,
        PrimitiveValType::String => Type::String,
        PrimitiveValType::ErrorContext => return Err(unsupported("error-context (component-model-async)")),
    })
}
