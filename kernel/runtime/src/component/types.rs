//! Component value types as the canonical ABI needs them: a resolved tree whose compound nodes
//! carry their size, alignment and flattening, computed once when the component is loaded
//! (CanonicalABI.md: `alignment`, `elem_size`, `flatten_type`, despecialization).

use alloc::sync::Arc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A resource type as the component's handle table knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceType {
    /// Implemented by the host; the number is the host's own resource kind.
    Host(u32),
    /// Defined by the component (`resource.new`); the number indexes its guest resources.
    Guest(u32),
}

/// A core Wasm value type of the flattened ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlatType {
    I32,
    I64,
    F32,
    F64,
}

impl FlatType {
    /// CanonicalABI.md `join`: the type two variant cases share in one flat slot.
    fn join(self, other: FlatType) -> FlatType {
        use FlatType::*;
        match (self, other) {
            (a, b) if a == b => a,
            (I32, F32) | (F32, I32) => I32,
            _ => I64,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List(Arc<Type>),
    Record(Arc<Record>),
    Tuple(Arc<Record>),
    Variant(Arc<Variant>),
    Enum(Arc<Variant>),
    /// Despecialized to a variant `none | some(T)`.
    Option(Arc<Variant>),
    /// Despecialized to a variant `ok(T?) | error(E?)`.
    Result(Arc<Variant>),
    Flags(Arc<Flags>),
    Own(ResourceType),
    Borrow(ResourceType),
}

/// A record or tuple: fields at fixed offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub fields: Vec<(String, Type)>,
    pub offsets: Vec<u32>,
    size: u32,
    align: u32,
    flat: Vec<FlatType>,
}

/// A variant (and what despecializes to one): a discriminant, then the case's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub cases: Vec<(String, Option<Type>)>,
    /// Bytes of the discriminant: 1, 2 or 4.
    pub discriminant_size: u32,
    /// Where the payload starts in memory.
    pub payload_offset: u32,
    size: u32,
    align: u32,
    /// The joined payload slots, without the discriminant's.
    pub payload_flat: Vec<FlatType>,
    /// Each case's own flat types (empty without a payload), read out of the joined slots.
    pub case_flat: Vec<Vec<FlatType>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flags {
    pub names: Vec<String>,
}

const fn align_to(n: u32, align: u32) -> u32 {
    n.div_ceil(align) * align
}

impl Record {
    pub fn new(fields: Vec<(String, Type)>) -> Record {
        let align = fields.iter().map(|(_, t)| t.align()).max().unwrap_or(1);
        let mut offsets = Vec::with_capacity(fields.len());
        let mut size = 0;
        let mut flat = Vec::new();
        for (_, t) in &fields {
            size = align_to(size, t.align());
            offsets.push(size);
            size += t.size();
            flat.extend(t.flat());
        }
        Record { fields, offsets, size: align_to(size, align), align, flat }
    }

    /// A tuple's fields, named by position.
    pub fn tuple(types: Vec<Type>) -> Record {
        Record::new(types.into_iter().enumerate().map(|(i, t)| (alloc::format!("{i}"), t)).collect())
    }
}

impl Variant {
    pub fn new(cases: Vec<(String, Option<Type>)>) -> Variant {
        let n = cases.len() as u64;
        let discriminant_size = if n <= 1 << 8 { 1 } else if n <= 1 << 16 { 2 } else { 4 };
        let case_align = cases.iter().filter_map(|(_, t)| t.as_ref().map(Type::align)).max().unwrap_or(1);
        let align = discriminant_size.max(case_align);
        let payload_offset = align_to(discriminant_size, case_align);
        let case_size = cases.iter().filter_map(|(_, t)| t.as_ref().map(Type::size)).max().unwrap_or(0);
        let size = align_to(payload_offset + case_size, align);
        let case_flat: Vec<Vec<FlatType>> = cases.iter().map(|(_, t)| t.as_ref().map(Type::flat).unwrap_or_default()).collect();
        let mut payload_flat: Vec<FlatType> = Vec::new();
        for flat in &case_flat {
            for (i, &ft) in flat.iter().enumerate() {
                match payload_flat.get_mut(i) {
                    Some(slot) => *slot = slot.join(ft),
                    None => payload_flat.push(ft),
                }
            }
        }
        Variant { cases, discriminant_size, payload_offset, size, align, payload_flat, case_flat }
    }

    pub fn option(some: Type) -> Variant {
        Variant::new(alloc::vec![("none".into(), None), ("some".into(), Some(some))])
    }

    pub fn result(ok: Option<Type>, err: Option<Type>) -> Variant {
        Variant::new(alloc::vec![("ok".into(), ok), ("error".into(), err)])
    }

    pub fn enumeration(names: Vec<String>) -> Variant {
        Variant::new(names.into_iter().map(|n| (n, None)).collect())
    }
}

impl Flags {
    /// Bytes in memory: CanonicalABI.md `elem_size_flags`.
    fn size(&self) -> u32 {
        match self.names.len() {
            0..=8 => 1,
            9..=16 => 2,
            n => 4 * (n as u32).div_ceil(32),
        }
    }

    /// How many i32 the flags flatten to (and 32-bit words they take in memory above 16 flags).
    pub fn words(&self) -> usize {
        self.names.len().div_ceil(32).max(1)
    }
}

impl Type {
    pub fn align(&self) -> u32 {
        match self {
            Type::Bool | Type::S8 | Type::U8 => 1,
            Type::S16 | Type::U16 => 2,
            Type::S32 | Type::U32 | Type::F32 | Type::Char | Type::String | Type::List(_) => 4,
            Type::Own(_) | Type::Borrow(_) => 4,
            Type::S64 | Type::U64 | Type::F64 => 8,
            Type::Record(r) | Type::Tuple(r) => r.align,
            Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v) => v.align,
            Type::Flags(f) => f.size().min(4),
        }
    }

    pub fn size(&self) -> u32 {
        match self {
            Type::Bool | Type::S8 | Type::U8 => 1,
            Type::S16 | Type::U16 => 2,
            Type::S32 | Type::U32 | Type::F32 | Type::Char | Type::Own(_) | Type::Borrow(_) => 4,
            Type::S64 | Type::U64 | Type::F64 | Type::String | Type::List(_) => 8,
            Type::Record(r) | Type::Tuple(r) => r.size,
            Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v) => v.size,
            Type::Flags(f) => f.size(),
        }
    }

    /// The core values this type takes as a parameter or result (CanonicalABI.md `flatten_type`).
    pub fn flat(&self) -> Vec<FlatType> {
        use FlatType::*;
        match self {
            Type::Bool | Type::S8 | Type::U8 | Type::S16 | Type::U16 | Type::S32 | Type::U32 | Type::Char => alloc::vec![I32],
            Type::Own(_) | Type::Borrow(_) => alloc::vec![I32],
            Type::S64 | Type::U64 => alloc::vec![I64],
            Type::F32 => alloc::vec![F32],
            Type::F64 => alloc::vec![F64],
            Type::String | Type::List(_) => alloc::vec![I32, I32],
            Type::Record(r) | Type::Tuple(r) => r.flat.clone(),
            Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v) => {
                let mut flat = alloc::vec![I32];
                flat.extend_from_slice(&v.payload_flat);
                flat
            }
            Type::Flags(f) => alloc::vec![I32; f.words()],
        }
    }

    /// How many core values [`flat`](Type::flat) gives, without building them.
    pub fn flat_len(&self) -> usize {
        match self {
            Type::String | Type::List(_) => 2,
            Type::Record(r) | Type::Tuple(r) => r.flat.len(),
            Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v) => 1 + v.payload_flat.len(),
            Type::Flags(f) => f.words(),
            _ => 1,
        }
    }

    /// The variant this type despecializes to, if it is one.
    pub fn as_variant(&self) -> Option<&Variant> {
        match self {
            Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v) => Some(v),
            _ => None,
        }
    }
}

/// A function type: named parameters and at most one result (WIT's functions), with the lengths
/// of its flattening computed once (each call needs them).
#[derive(Debug, Clone, PartialEq)]
pub struct FuncType {
    pub params: Vec<(String, Type)>,
    pub result: Option<Type>,
    /// Core values of all parameters flattened (more than [`MAX_FLAT_PARAMS`]: they are spilled).
    pub flat_params_len: usize,
    /// Core values of the result flattened (more than [`MAX_FLAT_RESULTS`]: it is spilled).
    pub flat_result_len: usize,
}

/// CanonicalABI.md's limits on flattening a function's signature.
pub const MAX_FLAT_PARAMS: usize = 16;
pub const MAX_FLAT_RESULTS: usize = 1;

impl FuncType {
    pub fn new(params: Vec<(String, Type)>, result: Option<Type>) -> FuncType {
        let flat_params_len = params.iter().map(|(_, t)| t.flat_len()).sum();
        let flat_result_len = result.as_ref().map_or(0, Type::flat_len);
        FuncType { params, result, flat_params_len, flat_result_len }
    }

    pub fn flat_params(&self) -> Vec<FlatType> {
        self.params.iter().flat_map(|(_, t)| t.flat()).collect()
    }

    pub fn flat_results(&self) -> Vec<FlatType> {
        self.result.as_ref().map(Type::flat).unwrap_or_default()
    }

    /// The parameters as one tuple: how they sit in memory when they do not fit in flat values.
    pub fn params_tuple(&self) -> Type {
        Type::Tuple(Arc::new(Record::tuple(self.params.iter().map(|(_, t)| t.clone()).collect())))
    }
}

impl fmt::Display for Type {
    /// WIT-like text, for messages (`list<tuple<string, u8>>`, `borrow<host#3>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: &mut dyn Iterator<Item = String>| {
            let items: Vec<String> = items.collect();
            f.write_str(&items.join(", "))
        };
        match self {
            Type::Bool => f.write_str("bool"),
            Type::S8 => f.write_str("s8"),
            Type::U8 => f.write_str("u8"),
            Type::S16 => f.write_str("s16"),
            Type::U16 => f.write_str("u16"),
            Type::S32 => f.write_str("s32"),
            Type::U32 => f.write_str("u32"),
            Type::S64 => f.write_str("s64"),
            Type::U64 => f.write_str("u64"),
            Type::F32 => f.write_str("f32"),
            Type::F64 => f.write_str("f64"),
            Type::Char => f.write_str("char"),
            Type::String => f.write_str("string"),
            Type::List(t) => write!(f, "list<{t}>"),
            Type::Tuple(r) => {
                f.write_str("tuple<")?;
                list(f, &mut r.fields.iter().map(|(_, t)| alloc::format!("{t}")))?;
                f.write_str(">")
            }
            Type::Record(r) => {
                f.write_str("record { ")?;
                list(f, &mut r.fields.iter().map(|(n, t)| alloc::format!("{n}: {t}")))?;
                f.write_str(" }")
            }
            Type::Variant(v) => {
                f.write_str("variant { ")?;
                list(f, &mut v.cases.iter().map(|(n, t)| match t {
                    Some(t) => alloc::format!("{n}({t})"),
                    None => n.clone(),
                }))?;
                f.write_str(" }")
            }
            Type::Enum(v) => {
                f.write_str("enum { ")?;
                list(f, &mut v.cases.iter().map(|(n, _)| n.clone()))?;
                f.write_str(" }")
            }
            Type::Option(v) => match &v.cases[1].1 {
                Some(t) => write!(f, "option<{t}>"),
                None => f.write_str("option<_>"),
            },
            Type::Result(v) => {
                let part = |t: &Option<Type>| t.as_ref().map_or_else(|| String::from("_"), |t| alloc::format!("{t}"));
                write!(f, "result<{}, {}>", part(&v.cases[0].1), part(&v.cases[1].1))
            }
            Type::Flags(fl) => {
                f.write_str("flags { ")?;
                list(f, &mut fl.names.iter().cloned())?;
                f.write_str(" }")
            }
            Type::Own(r) => write!(f, "own<{r}>"),
            Type::Borrow(r) => write!(f, "borrow<{r}>"),
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceType::Host(k) => write!(f, "host#{k}"),
            ResourceType::Guest(k) => write!(f, "guest#{k}"),
        }
    }
}
