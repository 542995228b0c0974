//! The canonical ABI, generic over the component's types (CanonicalABI.md): lifting core values
//! and linear memory into [`Val`]s, lowering `Val`s back, and the two function-level directions
//! (a guest calling a host import; the host calling a guest export). UTF-8 strings only.
//!
//! Everything the guest hands over is checked: bounds and alignment of every pointer (64-bit
//! arithmetic, so nothing wraps), discriminants, chars, UTF-8, handles and their types. A lifted
//! call has a byte budget, so a small guest memory cannot make the host allocate without end.

use super::handles::{Handle, HandleTable};
use super::types::{FlatType, FuncType, ResourceType, Type, Variant, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS};
use super::values::{Args, Val};
use super::Trap;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

/// A core Wasm value of the flattened ABI; floats as their bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flat {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

/// Flat values of one call, on the stack: a host call passes at most [`MAX_FLAT_PARAMS`] values
/// and a return pointer, and a call is on every request's path.
#[derive(Clone, Copy)]
pub struct FlatBuf {
    values: [Flat; MAX_FLAT_PARAMS + 1],
    len: usize,
}

impl Default for FlatBuf {
    fn default() -> Self {
        FlatBuf { values: [Flat::I32(0); MAX_FLAT_PARAMS + 1], len: 0 }
    }
}

impl FlatBuf {
    pub fn as_slice(&self) -> &[Flat] {
        &self.values[..self.len]
    }
}

/// Where lowered flat values go: a growable list, or a call's [`FlatBuf`].
pub trait FlatSink {
    fn put(&mut self, value: Flat) -> Result<(), Trap>;
}

impl FlatSink for Vec<Flat> {
    fn put(&mut self, value: Flat) -> Result<(), Trap> {
        self.push(value);
        Ok(())
    }
}

impl FlatSink for FlatBuf {
    fn put(&mut self, value: Flat) -> Result<(), Trap> {
        let slot = self.values.get_mut(self.len).ok_or_else(|| Trap::new("more flat values than a call passes"))?;
        *slot = value;
        self.len += 1;
        Ok(())
    }
}

/// A guest's linear memory and its `realloc` (the `memory` and `realloc` canonical options).
pub trait Memory {
    /// The memory as it is now (a `realloc` may grow it).
    fn bytes(&mut self) -> &mut [u8];
    /// `realloc(0, 0, align, size)`: a fresh allocation in the guest.
    fn alloc(&mut self, align: u32, size: u32) -> Result<u32, Trap>;
}

/// Most bytes one lift may produce (strings, lists, values): a guest's small memory pointing many
/// list elements at one long string, or listing many records of empty fields (size 0 in memory,
/// one `Val` each once lifted), must not exhaust the kernel's heap.
pub const LIFT_BUDGET: u64 = 16 << 20;
/// What each lifted value costs of the budget besides its payload bytes: where it lives (a list's
/// or record's slot, a variant's box).
const VAL_COST: u64 = core::mem::size_of::<Val>() as u64;

/// The state one call's lifting and lowering needs.
pub struct Cx<'a> {
    /// Absent when the function's types need no memory (no strings, lists or spilled values).
    pub memory: Option<&'a mut dyn Memory>,
    pub handles: &'a mut HandleTable,
    /// Bytes lifting may still produce in this call.
    pub budget: u64,
    /// Borrowed handles lowered into the guest for this call (it must drop them before returning).
    pub borrows: u32,
}

impl<'a> Cx<'a> {
    pub fn new(memory: Option<&'a mut dyn Memory>, handles: &'a mut HandleTable) -> Cx<'a> {
        Cx { memory, handles, budget: LIFT_BUDGET, borrows: 0 }
    }

    fn memory(&mut self) -> Result<&mut dyn Memory, Trap> {
        match &mut self.memory {
            Some(m) => Ok(&mut **m),
            None => Err(Trap::new("the function's types need a memory, and its canonical options name none")),
        }
    }

    fn charge(&mut self, bytes: u64) -> Result<(), Trap> {
        self.budget = self.budget.checked_sub(bytes).ok_or_else(over_budget)?;
        Ok(())
    }

    fn range(&mut self, ptr: u32, len: u64, align: u32) -> Result<&mut [u8], Trap> {
        if !ptr.is_multiple_of(align) {
            return Err(Trap::new(alloc::format!("guest pointer {ptr:#x} is not {align}-aligned")));
        }
        let mem = self.memory()?.bytes();
        let end = u64::from(ptr) + len;
        if end > mem.len() as u64 {
            return Err(Trap::new(alloc::format!("guest range {ptr:#x}+{len} is out of bounds")));
        }
        Ok(&mut mem[ptr as usize..end as usize])
    }

    fn read<const N: usize>(&mut self, ptr: u32) -> Result<[u8; N], Trap> {
        let mut out = [0; N];
        out.copy_from_slice(self.range(ptr, N as u64, 1)?);
        Ok(out)
    }

    fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Trap> {
        self.range(ptr, bytes.len() as u64, 1)?.copy_from_slice(bytes);
        Ok(())
    }

    fn read_uint(&mut self, ptr: u32, size: u32) -> Result<u32, Trap> {
        Ok(match size {
            1 => self.read::<1>(ptr)?[0].into(),
            2 => u16::from_le_bytes(self.read(ptr)?).into(),
            _ => u32::from_le_bytes(self.read(ptr)?),
        })
    }

    fn write_uint(&mut self, ptr: u32, size: u32, value: u32) -> Result<(), Trap> {
        self.write(ptr, &value.to_le_bytes()[..size as usize])
    }

    fn alloc(&mut self, align: u32, size: u64) -> Result<u32, Trap> {
        let size = u32::try_from(size).map_err(|_| Trap::new("a value too large for a 32-bit memory"))?;
        let ptr = self.memory()?.alloc(align, size)?;
        self.range(ptr, size.into(), align)?; // the allocation must be aligned and in bounds
        Ok(ptr)
    }
}

// ---- lifting: guest → host ----

/// Core values of one lift, taken in order; variant payloads read through coercions.
pub struct FlatIter<'v> {
    values: core::slice::Iter<'v, Flat>,
}

impl<'v> FlatIter<'v> {
    pub fn new(values: &'v [Flat]) -> FlatIter<'v> {
        FlatIter { values: values.iter() }
    }

    fn next(&mut self) -> Result<Flat, Trap> {
        self.values.next().copied().ok_or_else(|| Trap::new("too few core values for the type"))
    }

    fn i32(&mut self) -> Result<i32, Trap> {
        match self.next()? {
            Flat::I32(v) => Ok(v),
            other => Err(Trap::new(alloc::format!("expected an i32 core value, found {other:?}"))),
        }
    }

    fn i64(&mut self) -> Result<i64, Trap> {
        match self.next()? {
            Flat::I64(v) => Ok(v),
            other => Err(Trap::new(alloc::format!("expected an i64 core value, found {other:?}"))),
        }
    }
}

fn f32_of(bits: u32) -> f32 {
    let v = f32::from_bits(bits);
    if v.is_nan() { f32::NAN } else { v } // canonical NaN (CanonicalABI.md `canonicalize_nan32`)
}

fn f64_of(bits: u64) -> f64 {
    let v = f64::from_bits(bits);
    if v.is_nan() { f64::NAN } else { v }
}

fn char_of(code: u32) -> Result<char, Trap> {
    char::from_u32(code).ok_or_else(|| Trap::new(alloc::format!("{code:#x} is not a Unicode scalar value")))
}

fn over_budget() -> Trap {
    Trap::new(alloc::format!("the call passes the host more than {LIFT_BUDGET} bytes"))
}

/// One value from flat core values (CanonicalABI.md `lift_flat`).
pub fn lift_flat(cx: &mut Cx, vi: &mut FlatIter, ty: &Type) -> Result<Val, Trap> {
    cx.charge(VAL_COST)?;
    Ok(match ty {
        Type::Bool => Val::Bool(vi.i32()? != 0),
        Type::S8 => Val::S8(vi.i32()? as i8),
        Type::U8 => Val::U8(vi.i32()? as u8),
        Type::S16 => Val::S16(vi.i32()? as i16),
        Type::U16 => Val::U16(vi.i32()? as u16),
        Type::S32 => Val::S32(vi.i32()?),
        Type::U32 => Val::U32(vi.i32()? as u32),
        Type::S64 => Val::S64(vi.i64()?),
        Type::U64 => Val::U64(vi.i64()? as u64),
        Type::F32 => match vi.next()? {
            Flat::F32(bits) => Val::F32(f32_of(bits)),
            other => return Err(Trap::new(alloc::format!("expected an f32 core value, found {other:?}"))),
        },
        Type::F64 => match vi.next()? {
            Flat::F64(bits) => Val::F64(f64_of(bits)),
            other => return Err(Trap::new(alloc::format!("expected an f64 core value, found {other:?}"))),
        },
        Type::Char => Val::Char(char_of(vi.i32()? as u32)?),
        Type::String => {
            let (ptr, len) = (vi.i32()? as u32, vi.i32()? as u32);
            load_string(cx, ptr, len)?
        }
        Type::List(elem) => {
            let (ptr, len) = (vi.i32()? as u32, vi.i32()? as u32);
            load_list(cx, ptr, len, elem)?
        }
        Type::Record(r) | Type::Tuple(r) => {
            let fields = r.fields.iter().map(|(_, t)| lift_flat(cx, vi, t)).collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, Type::Tuple(_)) { Val::Tuple(fields) } else { Val::Record(fields) }
        }
        Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v) => lift_flat_variant(cx, vi, v)?,
        Type::Flags(f) => {
            let words = (0..f.words()).map(|_| vi.i32().map(|w| w as u32)).collect::<Result<Vec<_>, _>>()?;
            flags_val(words, f.names.len())
        }
        Type::Own(rt) => lift_own(cx, vi.i32()? as u32, *rt)?,
        Type::Borrow(rt) => lift_borrow(cx, vi.i32()? as u32, *rt)?,
    })
}

fn lift_flat_variant(cx: &mut Cx, vi: &mut FlatIter, v: &Variant) -> Result<Val, Trap> {
    let case = vi.i32()? as u32;
    let (_, case_ty) = v.cases.get(case as usize).ok_or_else(|| bad_case(case, v))?;
    // The case reads its own flat types out of the joined slots, then the unused slots are skipped.
    let mut slots = v.payload_flat.iter();
    let payload = match case_ty {
        Some(t) => {
            let mut coerced = FlatBuf::default();
            for &want in &v.case_flat[case as usize] {
                let have = *slots.next().ok_or_else(|| Trap::new("variant payload wider than its slots"))?;
                coerced.put(coerce_in(vi.next()?, have, want)?)?;
            }
            Some(Box::new(lift_flat(cx, &mut FlatIter::new(coerced.as_slice()), t)?))
        }
        None => None,
    };
    for _ in slots {
        vi.next()?;
    }
    Ok(Val::Variant(case, payload))
}

/// A joined slot's core value as the case's own flat type (CanonicalABI.md `CoerceValueIter`).
fn coerce_in(value: Flat, have: FlatType, want: FlatType) -> Result<Flat, Trap> {
    let as_have = match (have, value) {
        (FlatType::I32, Flat::I32(_)) | (FlatType::I64, Flat::I64(_)) | (FlatType::F32, Flat::F32(_)) | (FlatType::F64, Flat::F64(_)) => value,
        _ => return Err(Trap::new(alloc::format!("variant slot of type {have:?} holds {value:?}"))),
    };
    Ok(match (as_have, want) {
        (v, w) if flat_type(v) == w => v,
        (Flat::I32(x), FlatType::F32) => Flat::F32(x as u32),
        (Flat::I64(x), FlatType::I32) => Flat::I32(x as i32),
        (Flat::I64(x), FlatType::F32) => Flat::F32(x as u32),
        (Flat::I64(x), FlatType::F64) => Flat::F64(x as u64),
        (v, w) => return Err(Trap::new(alloc::format!("cannot read {w:?} from variant slot {v:?}"))),
    })
}

fn flat_type(v: Flat) -> FlatType {
    match v {
        Flat::I32(_) => FlatType::I32,
        Flat::I64(_) => FlatType::I64,
        Flat::F32(_) => FlatType::F32,
        Flat::F64(_) => FlatType::F64,
    }
}

fn bad_case(case: u32, v: &Variant) -> Trap {
    Trap::new(alloc::format!("variant case {case} out of range (it has {})", v.cases.len()))
}

fn flags_val(mut words: Vec<u32>, count: usize) -> Val {
    // Bits past the last flag are not flags (CanonicalABI.md `unpack_flags_from_int` ignores them).
    if let Some(last) = words.last_mut() {
        let used = count % 32;
        if used != 0 {
            *last &= (1u32 << used) - 1;
        }
    }
    Val::Flags(words)
}

fn lift_own(cx: &mut Cx, index: u32, ty: ResourceType) -> Result<Val, Trap> {
    Ok(Val::Own(cx.handles.remove_own(index, ty)?.rep))
}

fn lift_borrow(cx: &mut Cx, index: u32, ty: ResourceType) -> Result<Val, Trap> {
    Ok(Val::Borrow(cx.handles.get(index, ty)?.rep))
}

fn load_string(cx: &mut Cx, ptr: u32, len: u32) -> Result<Val, Trap> {
    cx.charge(len.into())?;
    let bytes = cx.range(ptr, len.into(), 1)?;
    let text = core::str::from_utf8(bytes).map_err(|_| Trap::new(alloc::format!("guest string at {ptr:#x} is not UTF-8")))?;
    Ok(Val::String(String::from(text)))
}

fn load_list(cx: &mut Cx, ptr: u32, len: u32, elem: &Type) -> Result<Val, Trap> {
    let size = u64::from(elem.size());
    if *elem == Type::U8 {
        cx.charge(len.into())?;
        return Ok(Val::Bytes(cx.range(ptr, len.into(), 1)?.to_vec()));
    }
    // Each element charges its own cost as it is loaded; a list that cannot fit is refused first.
    if u64::from(len) * VAL_COST > cx.budget {
        return Err(over_budget());
    }
    cx.range(ptr, u64::from(len) * size, elem.align())?;
    let mut items = Vec::with_capacity(len as usize);
    for i in 0..len {
        items.push(load(cx, ptr + i * size as u32, elem)?);
    }
    Ok(Val::List(items))
}

/// One value from linear memory at `ptr` (CanonicalABI.md `load`).
pub fn load(cx: &mut Cx, ptr: u32, ty: &Type) -> Result<Val, Trap> {
    cx.charge(VAL_COST)?;
    cx.range(ptr, ty.size().into(), ty.align())?;
    Ok(match ty {
        Type::Bool => Val::Bool(cx.read::<1>(ptr)?[0] != 0),
        Type::S8 => Val::S8(cx.read::<1>(ptr)?[0] as i8),
        Type::U8 => Val::U8(cx.read::<1>(ptr)?[0]),
        Type::S16 => Val::S16(i16::from_le_bytes(cx.read(ptr)?)),
        Type::U16 => Val::U16(u16::from_le_bytes(cx.read(ptr)?)),
        Type::S32 => Val::S32(i32::from_le_bytes(cx.read(ptr)?)),
        Type::U32 => Val::U32(u32::from_le_bytes(cx.read(ptr)?)),
        Type::S64 => Val::S64(i64::from_le_bytes(cx.read(ptr)?)),
        Type::U64 => Val::U64(u64::from_le_bytes(cx.read(ptr)?)),
        Type::F32 => Val::F32(f32_of(u32::from_le_bytes(cx.read(ptr)?))),
        Type::F64 => Val::F64(f64_of(u64::from_le_bytes(cx.read(ptr)?))),
        Type::Char => Val::Char(char_of(u32::from_le_bytes(cx.read(ptr)?))?),
        Type::String => {
            let (p, n) = (u32::from_le_bytes(cx.read(ptr)?), u32::from_le_bytes(cx.read(ptr + 4)?));
            load_string(cx, p, n)?
        }
        Type::List(elem) => {
            let (p, n) = (u32::from_le_bytes(cx.read(ptr)?), u32::from_le_bytes(cx.read(ptr + 4)?));
            load_list(cx, p, n, elem)?
        }
        Type::Record(r) | Type::Tuple(r) => {
            let fields = r.fields.iter().zip(&r.offsets).map(|((_, t), off)| load(cx, ptr + off, t)).collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, Type::Tuple(_)) { Val::Tuple(fields) } else { Val::Record(fields) }
        }
        Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v) => {
            let case = cx.read_uint(ptr, v.discriminant_size)?;
            let (_, case_ty) = v.cases.get(case as usize).ok_or_else(|| bad_case(case, v))?;
            let payload = match case_ty {
                Some(t) => Some(Box::new(load(cx, ptr + v.payload_offset, t)?)),
                None => None,
            };
            Val::Variant(case, payload)
        }
        Type::Flags(f) => {
            let words = if ty.size() <= 4 {
                alloc::vec![cx.read_uint(ptr, ty.size())?]
            } else {
                (0..f.words() as u32).map(|i| cx.read_uint(ptr + 4 * i, 4)).collect::<Result<Vec<_>, _>>()?
            };
            flags_val(words, f.names.len())
        }
        Type::Own(rt) => {
            let index = u32::from_le_bytes(cx.read(ptr)?);
            lift_own(cx, index, *rt)?
        }
        Type::Borrow(rt) => {
            let index = u32::from_le_bytes(cx.read(ptr)?);
            lift_borrow(cx, index, *rt)?
        }
    })
}

// ---- lowering: host → guest ----

fn mismatch(val: &Val, ty: &Type) -> Trap {
    Trap::new(alloc::format!("the host produced {val:?} for a value of type {ty}"))
}

/// One value as flat core values, appended to `out` (CanonicalABI.md `lower_flat`).
pub fn lower_flat(cx: &mut Cx, val: Val, ty: &Type, out: &mut impl FlatSink) -> Result<(), Trap> {
    match (ty, val) {
        (Type::Bool, Val::Bool(b)) => out.put(Flat::I32(b.into()))?,
        (Type::S8, Val::S8(v)) => out.put(Flat::I32(v.into()))?,
        (Type::U8, Val::U8(v)) => out.put(Flat::I32(v.into()))?,
        (Type::S16, Val::S16(v)) => out.put(Flat::I32(v.into()))?,
        (Type::U16, Val::U16(v)) => out.put(Flat::I32(v.into()))?,
        (Type::S32, Val::S32(v)) => out.put(Flat::I32(v))?,
        (Type::U32, Val::U32(v)) => out.put(Flat::I32(v as i32))?,
        (Type::S64, Val::S64(v)) => out.put(Flat::I64(v))?,
        (Type::U64, Val::U64(v)) => out.put(Flat::I64(v as i64))?,
        (Type::F32, Val::F32(v)) => out.put(Flat::F32(v.to_bits()))?,
        (Type::F64, Val::F64(v)) => out.put(Flat::F64(v.to_bits()))?,
        (Type::Char, Val::Char(c)) => out.put(Flat::I32(c as i32))?,
        (Type::String, Val::String(s)) => {
            let (ptr, len) = store_string(cx, &s)?;
            out.put(Flat::I32(ptr as i32))?;
            out.put(Flat::I32(len as i32))?;
        }
        (Type::List(elem), val @ (Val::List(_) | Val::Bytes(_))) => {
            let (ptr, len) = store_list(cx, val, elem)?;
            out.put(Flat::I32(ptr as i32))?;
            out.put(Flat::I32(len as i32))?;
        }
        (Type::Record(r), Val::Record(fields)) | (Type::Tuple(r), Val::Tuple(fields)) if fields.len() == r.fields.len() => {
            for ((_, t), v) in r.fields.iter().zip(fields) {
                lower_flat(cx, v, t, out)?;
            }
        }
        (Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v), Val::Variant(case, payload)) => {
            let case_ty = case_type(v, case, payload.is_some(), ty)?;
            out.put(Flat::I32(case as i32))?;
            let mut own = FlatBuf::default();
            if let (Some(t), Some(p)) = (case_ty, payload) {
                lower_flat(cx, *p, t, &mut own)?;
            }
            let mut own = own.as_slice().iter();
            for &slot in &v.payload_flat {
                out.put(match own.next() {
                    Some(&value) => coerce_out(value, slot),
                    None => zero(slot),
                })?;
            }
        }
        (Type::Flags(f), Val::Flags(words)) if words.len() == f.words() => {
            for w in words {
                out.put(Flat::I32(w as i32))?;
            }
        }
        (Type::Own(rt), Val::Own(rep)) => out.put(Flat::I32(lower_own(cx, rep, *rt)? as i32))?,
        (Type::Borrow(rt), Val::Borrow(rep)) => out.put(Flat::I32(lower_borrow(cx, rep, *rt)? as i32))?,
        (ty, val) => return Err(mismatch(&val, ty)),
    }
    Ok(())
}

/// The type of case `case`, checking that the host gave a payload exactly when the case has one.
fn case_type<'t>(v: &'t Variant, case: u32, has_payload: bool, ty: &Type) -> Result<Option<&'t Type>, Trap> {
    let (_, case_ty) = v.cases.get(case as usize).ok_or_else(|| bad_case(case, v))?;
    if case_ty.is_some() != has_payload {
        return Err(Trap::new(alloc::format!("the host gave case {case} of {ty} a payload it does not have, or none")));
    }
    Ok(case_ty.as_ref())
}

/// A case's own core value widened into the joined slot (CanonicalABI.md `lower_flat_variant`).
fn coerce_out(value: Flat, slot: FlatType) -> Flat {
    match (value, slot) {
        (Flat::F32(bits), FlatType::I32) => Flat::I32(bits as i32),
        (Flat::I32(x), FlatType::I64) => Flat::I64(x as u32 as i64),
        (Flat::F32(bits), FlatType::I64) => Flat::I64(bits as i64),
        (Flat::F64(bits), FlatType::I64) => Flat::I64(bits as i64),
        (v, _) => v,
    }
}

fn zero(slot: FlatType) -> Flat {
    match slot {
        FlatType::I32 => Flat::I32(0),
        FlatType::I64 => Flat::I64(0),
        FlatType::F32 => Flat::F32(0),
        FlatType::F64 => Flat::F64(0),
    }
}

fn lower_own(cx: &mut Cx, rep: u32, ty: ResourceType) -> Result<u32, Trap> {
    cx.handles.add(Handle { ty, rep, own: true })
}

fn lower_borrow(cx: &mut Cx, rep: u32, ty: ResourceType) -> Result<u32, Trap> {
    // A component lent its own resource gets its representation itself (CanonicalABI.md `lower_borrow`).
    if let ResourceType::Guest(_) = ty {
        return Ok(rep);
    }
    cx.borrows += 1;
    cx.handles.add(Handle { ty, rep, own: false })
}

fn store_string(cx: &mut Cx, s: &str) -> Result<(u32, u32), Trap> {
    let ptr = cx.alloc(1, s.len() as u64)?;
    cx.write(ptr, s.as_bytes())?;
    Ok((ptr, s.len() as u32))
}

fn store_list(cx: &mut Cx, val: Val, elem: &Type) -> Result<(u32, u32), Trap> {
    match val {
        Val::Bytes(bytes) if *elem == Type::U8 => {
            let ptr = cx.alloc(1, bytes.len() as u64)?;
            cx.write(ptr, &bytes)?;
            Ok((ptr, bytes.len() as u32))
        }
        Val::List(items) => {
            let size = elem.size();
            let ptr = cx.alloc(elem.align(), items.len() as u64 * u64::from(size))?;
            let len = items.len() as u32;
            for (i, item) in items.into_iter().enumerate() {
                store(cx, item, elem, ptr + i as u32 * size)?;
            }
            Ok((ptr, len))
        }
        val => Err(mismatch(&val, &Type::List(alloc::sync::Arc::new(elem.clone())))),
    }
}

/// One value into linear memory at `ptr` (CanonicalABI.md `store`).
pub fn store(cx: &mut Cx, val: Val, ty: &Type, ptr: u32) -> Result<(), Trap> {
    cx.range(ptr, ty.size().into(), ty.align())?;
    match (ty, val) {
        (Type::Bool, Val::Bool(b)) => cx.write(ptr, &[b.into()]),
        (Type::S8, Val::S8(v)) => cx.write(ptr, &v.to_le_bytes()),
        (Type::U8, Val::U8(v)) => cx.write(ptr, &[v]),
        (Type::S16, Val::S16(v)) => cx.write(ptr, &v.to_le_bytes()),
        (Type::U16, Val::U16(v)) => cx.write(ptr, &v.to_le_bytes()),
        (Type::S32, Val::S32(v)) => cx.write(ptr, &v.to_le_bytes()),
        (Type::U32, Val::U32(v)) => cx.write(ptr, &v.to_le_bytes()),
        (Type::S64, Val::S64(v)) => cx.write(ptr, &v.to_le_bytes()),
        (Type::U64, Val::U64(v)) => cx.write(ptr, &v.to_le_bytes()),
        (Type::F32, Val::F32(v)) => cx.write(ptr, &v.to_bits().to_le_bytes()),
        (Type::F64, Val::F64(v)) => cx.write(ptr, &v.to_bits().to_le_bytes()),
        (Type::Char, Val::Char(c)) => cx.write(ptr, &(c as u32).to_le_bytes()),
        (Type::String, Val::String(s)) => {
            let (p, n) = store_string(cx, &s)?;
            cx.write(ptr, &p.to_le_bytes())?;
            cx.write(ptr + 4, &n.to_le_bytes())
        }
        (Type::List(elem), val @ (Val::List(_) | Val::Bytes(_))) => {
            let (p, n) = store_list(cx, val, elem)?;
            cx.write(ptr, &p.to_le_bytes())?;
            cx.write(ptr + 4, &n.to_le_bytes())
        }
        (Type::Record(r), Val::Record(fields)) | (Type::Tuple(r), Val::Tuple(fields)) if fields.len() == r.fields.len() => {
            for (((_, t), off), v) in r.fields.iter().zip(&r.offsets).zip(fields) {
                store(cx, v, t, ptr + off)?;
            }
            Ok(())
        }
        (Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v), Val::Variant(case, payload)) => {
            let case_ty = case_type(v, case, payload.is_some(), ty)?;
            cx.write_uint(ptr, v.discriminant_size, case)?;
            match (case_ty, payload) {
                (Some(t), Some(p)) => store(cx, *p, t, ptr + v.payload_offset),
                _ => Ok(()),
            }
        }
        (Type::Flags(f), Val::Flags(words)) if words.len() == f.words() => {
            if ty.size() <= 4 {
                cx.write_uint(ptr, ty.size(), words[0])
            } else {
                words.iter().enumerate().try_for_each(|(i, w)| cx.write_uint(ptr + 4 * i as u32, 4, *w))
            }
        }
        (Type::Own(rt), Val::Own(rep)) => {
            let index = lower_own(cx, rep, *rt)?;
            cx.write(ptr, &index.to_le_bytes())
        }
        (Type::Borrow(rt), Val::Borrow(rep)) => {
            let index = lower_borrow(cx, rep, *rt)?;
            cx.write(ptr, &index.to_le_bytes())
        }
        (ty, val) => Err(mismatch(&val, ty)),
    }
}

// ---- functions ----

/// A guest called a host import (`canon lower`): its arguments, lifted from `core_args`.
pub fn lift_import_args(cx: &mut Cx, ft: &FuncType, core_args: &[Flat], args: &mut Args) -> Result<(), Trap> {
    let mut vi = FlatIter::new(core_args);
    if ft.flat_params_len > MAX_FLAT_PARAMS {
        let ptr = vi.i32()? as u32;
        load(cx, ptr, &ft.params_tuple())?.into_fields()?.into_iter().for_each(|v| args.push(v));
        return Ok(());
    }
    for (_, t) in &ft.params {
        args.push(lift_flat(cx, &mut vi, t)?);
    }
    Ok(())
}

/// The host import's result lowered for the guest: flat, or stored at the guest's return pointer
/// (the last core argument) when it does not fit in one core value.
pub fn lower_import_result(cx: &mut Cx, ft: &FuncType, result: Option<Val>, core_args: &[Flat], out: &mut FlatBuf) -> Result<(), Trap> {
    let (ty, val) = match (&ft.result, result) {
        (None, None) => return Ok(()),
        (Some(ty), Some(val)) => (ty, val),
        _ => return Err(Trap::new("the host function's result does not match its type")),
    };
    if ft.flat_result_len > MAX_FLAT_RESULTS {
        let retptr = match core_args.last() {
            Some(Flat::I32(p)) => *p as u32,
            _ => return Err(Trap::new("missing return pointer")),
        };
        store(cx, val, ty, retptr)?;
    } else {
        lower_flat(cx, val, ty, out)?;
    }
    Ok(())
}

/// The host calls a guest export (`canon lift`): the arguments as core values; spilled into a
/// fresh allocation in the guest when they do not fit in [`MAX_FLAT_PARAMS`] values.
pub fn lower_export_args(cx: &mut Cx, ft: &FuncType, args: Vec<Val>) -> Result<Vec<Flat>, Trap> {
    if args.len() != ft.params.len() {
        return Err(Trap::new("the host passed the export a wrong number of arguments"));
    }
    let mut out = Vec::new();
    if ft.flat_params_len > MAX_FLAT_PARAMS {
        let tuple = ft.params_tuple();
        let ptr = cx.alloc(tuple.align(), tuple.size().into())?;
        store(cx, Val::Tuple(args), &tuple, ptr)?;
        out.push(Flat::I32(ptr as i32));
    } else {
        for ((_, t), v) in ft.params.iter().zip(args) {
            lower_flat(cx, v, t, &mut out)?;
        }
    }
    Ok(out)
}

/// The guest export's result, lifted from its core results (a pointer to it when it is spilled).
pub fn lift_export_result(cx: &mut Cx, ft: &FuncType, core_results: &[Flat]) -> Result<Option<Val>, Trap> {
    let Some(ty) = &ft.result else { return Ok(None) };
    let mut vi = FlatIter::new(core_results);
    if ft.flat_result_len > MAX_FLAT_RESULTS {
        let ptr = vi.i32()? as u32;
        return load(cx, ptr, ty).map(Some);
    }
    lift_flat(cx, &mut vi, ty).map(Some)
}

/// The core signature of a function lowered for a guest, or lifted from one.
pub fn core_signature(ft: &FuncType, lowered: bool) -> (Vec<FlatType>, Vec<FlatType>) {
    let mut params = ft.flat_params();
    if params.len() > MAX_FLAT_PARAMS {
        params = alloc::vec![FlatType::I32];
    }
    let mut results = ft.flat_results();
    if results.len() > MAX_FLAT_RESULTS {
        if lowered {
            params.push(FlatType::I32); // the guest's return pointer
            results.clear();
        } else {
            results = alloc::vec![FlatType::I32]; // a pointer to the result in the guest's memory
        }
    }
    (params, results)
}
