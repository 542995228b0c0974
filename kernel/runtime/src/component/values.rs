//! Component values as the host sees them between lifting and lowering, and the checked
//! accessors host functions take their arguments with.

use super::Trap;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Bool(bool),
    S8(i8),
    U8(u8),
    S16(i16),
    U16(u16),
    S32(i32),
    U32(u32),
    S64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Char(char),
    String(String),
    /// A `list<u8>`: bodies and header values are bytes, kept as one buffer, not one value each.
    Bytes(Vec<u8>),
    List(Vec<Val>),
    Record(Vec<Val>),
    Tuple(Vec<Val>),
    /// A case of a variant, enum, option or result (by index) and its payload.
    Variant(u32, Option<Box<Val>>),
    /// Flags as bits, flag `i` at bit `i % 32` of word `i / 32`.
    Flags(Vec<u32>),
    /// A resource's representation: the host's object key, or the guest's `rep`.
    Own(u32),
    Borrow(u32),
}

impl Val {
    pub fn none() -> Val {
        Val::Variant(0, None)
    }

    pub fn some(v: Val) -> Val {
        Val::Variant(1, Some(Box::new(v)))
    }

    pub fn option(v: Option<Val>) -> Val {
        v.map_or_else(Val::none, Val::some)
    }

    pub fn ok(v: Option<Val>) -> Val {
        Val::Variant(0, v.map(Box::new))
    }

    pub fn err(v: Option<Val>) -> Val {
        Val::Variant(1, v.map(Box::new))
    }

    pub fn result(r: Result<Option<Val>, Option<Val>>) -> Val {
        match r {
            Ok(v) => Val::ok(v),
            Err(e) => Val::err(e),
        }
    }

    /// An enum case, by index.
    pub fn case(index: u32) -> Val {
        Val::Variant(index, None)
    }

    fn kind(&self) -> &'static str {
        match self {
            Val::Bool(_) => "bool",
            Val::S8(_) => "s8",
            Val::U8(_) => "u8",
            Val::S16(_) => "s16",
            Val::U16(_) => "u16",
            Val::S32(_) => "s32",
            Val::U32(_) => "u32",
            Val::S64(_) => "s64",
            Val::U64(_) => "u64",
            Val::F32(_) => "f32",
            Val::F64(_) => "f64",
            Val::Char(_) => "char",
            Val::String(_) => "string",
            Val::Bytes(_) => "list<u8>",
            Val::List(_) => "list",
            Val::Record(_) => "record",
            Val::Tuple(_) => "tuple",
            Val::Variant(..) => "variant",
            Val::Flags(_) => "flags",
            Val::Own(_) => "own",
            Val::Borrow(_) => "borrow",
        }
    }

    fn mismatch(&self, want: &str) -> Trap {
        Trap::new(alloc::format!("the host expected a {want}, the call passed a {}", self.kind()))
    }
}

/// Arguments of one host call, taken in order with their expected shape. Up to
/// [`INLINE_ARGS`] of them live inline: a call is on every request's path, and WASI's functions
/// take at most six.
pub struct Args {
    inline: [Option<Val>; INLINE_ARGS],
    extra: Vec<Option<Val>>,
    len: usize,
    next: usize,
}

pub const INLINE_ARGS: usize = 8;

impl Default for Args {
    fn default() -> Args {
        Args { inline: [const { None }; INLINE_ARGS], extra: Vec::new(), len: 0, next: 0 }
    }
}

impl Args {
    pub fn new(args: Vec<Val>) -> Args {
        let mut out = Args::default();
        args.into_iter().for_each(|v| out.push(v));
        out
    }

    pub fn push(&mut self, value: Val) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = Some(value),
            None => self.extra.push(Some(value)),
        }
        self.len += 1;
    }

    pub fn take(&mut self) -> Result<Val, Trap> {
        let at = self.next;
        let slot = if at < INLINE_ARGS { self.inline.get_mut(at) } else { self.extra.get_mut(at - INLINE_ARGS) };
        self.next += 1;
        slot.and_then(Option::take).ok_or_else(|| Trap::new("the call passed fewer arguments than the host function takes"))
    }

    pub fn u8(&mut self) -> Result<u8, Trap> {
        match self.take()? {
            Val::U8(v) => Ok(v),
            v => Err(v.mismatch("u8")),
        }
    }

    pub fn u16(&mut self) -> Result<u16, Trap> {
        match self.take()? {
            Val::U16(v) => Ok(v),
            v => Err(v.mismatch("u16")),
        }
    }

    pub fn u32(&mut self) -> Result<u32, Trap> {
        match self.take()? {
            Val::U32(v) => Ok(v),
            v => Err(v.mismatch("u32")),
        }
    }

    pub fn u64(&mut self) -> Result<u64, Trap> {
        match self.take()? {
            Val::U64(v) => Ok(v),
            v => Err(v.mismatch("u64")),
        }
    }

    pub fn string(&mut self) -> Result<String, Trap> {
        match self.take()? {
            Val::String(v) => Ok(v),
            v => Err(v.mismatch("string")),
        }
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>, Trap> {
        match self.take()? {
            Val::Bytes(v) => Ok(v),
            v => Err(v.mismatch("list<u8>")),
        }
    }

    pub fn list(&mut self) -> Result<Vec<Val>, Trap> {
        match self.take()? {
            Val::List(v) => Ok(v),
            v => Err(v.mismatch("list")),
        }
    }

    /// A resource argument, owned or borrowed: its representation.
    pub fn resource(&mut self) -> Result<u32, Trap> {
        match self.take()? {
            Val::Own(rep) | Val::Borrow(rep) => Ok(rep),
            v => Err(v.mismatch("resource handle")),
        }
    }

    /// An option: `None`, or `Some` of its payload.
    pub fn option(&mut self) -> Result<Option<Val>, Trap> {
        match self.take()? {
            Val::Variant(0, None) => Ok(None),
            Val::Variant(1, Some(v)) => Ok(Some(*v)),
            v => Err(v.mismatch("option")),
        }
    }

    /// A variant or enum: its case index and payload.
    pub fn variant(&mut self) -> Result<(u32, Option<Val>), Trap> {
        match self.take()? {
            Val::Variant(case, payload) => Ok((case, payload.map(|b| *b))),
            v => Err(v.mismatch("variant")),
        }
    }
}

/// Checked views of a value that arrived inside another (a list's element, a tuple's field).
impl Val {
    pub fn into_string(self) -> Result<String, Trap> {
        Args::new(alloc::vec![self]).string()
    }

    pub fn into_bytes(self) -> Result<Vec<u8>, Trap> {
        Args::new(alloc::vec![self]).bytes()
    }

    pub fn into_fields(self) -> Result<Vec<Val>, Trap> {
        match self {
            Val::Tuple(v) | Val::Record(v) => Ok(v),
            v => Err(v.mismatch("tuple")),
        }
    }
}
