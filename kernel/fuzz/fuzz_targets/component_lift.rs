//! The generic canonical ABI (`component::canonical`) over types the fuzzer builds, a guest
//! memory it writes and core values it picks.
//!
//! Input (`arbitrary`): a type tree (depth at most 5, at most 8 fields or cases a level, enums
//! up to 300 cases so discriminants take two bytes, flags up to 64), a guest memory, then
//! operations: `load` at any pointer, `lift_flat` of any core values, and round trips of a value
//! generated to match the type.
//!
//! Checked: no panic; a hostile lift allocates at most the lift budget; a value stored then
//! loaded, lowered flat then lifted flat, and passed as an export's arguments then read back as
//! an import's comes back equal, its own handles leaving the table as they came in.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use uniwasm_fuzz::counting::{peak_during, Counting};
use uniwasm_runtime::component::canonical::{self, Cx, Flat, FlatIter, Memory, LIFT_BUDGET};
use uniwasm_runtime::component::handles::{Handle, HandleTable};
use uniwasm_runtime::component::types::{Flags, FuncType, Record, ResourceType, Type, Variant};
use uniwasm_runtime::component::{Args, Trap, Val};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A type as the fuzzer describes it; `build` bounds it.
#[derive(Arbitrary, Debug)]
enum Shape {
    /// One of [`PRIMITIVES`].
    Primitive(u8),
    List(Box<Shape>),
    Record(Vec<Shape>),
    Tuple(Vec<Shape>),
    Variant(Vec<Option<Shape>>),
    Enum(u16),
    Option(Box<Shape>),
    Result(Option<Box<Shape>>, Option<Box<Shape>>),
    Flags(u8),
    Own(u8),
    Borrow(u8),
}

const PRIMITIVES: [Type; 13] = [
    Type::Bool, Type::S8, Type::U8, Type::S16, Type::U16, Type::S32, Type::U32, Type::S64, Type::U64, Type::F32, Type::F64,
    Type::Char, Type::String,
];

const RESOURCES: [ResourceType; 4] = [ResourceType::Host(0), ResourceType::Host(1), ResourceType::Guest(0), ResourceType::Guest(1)];

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("n{i}")).collect()
}

fn build(shape: &Shape, depth: u32) -> Type {
    let inner = |s: &Shape| build(s, depth + 1);
    let few = |v: &[Shape]| v.iter().take(8).map(inner).collect::<Vec<_>>();
    if depth >= 5 && !matches!(shape, Shape::Primitive(_) | Shape::Own(_) | Shape::Borrow(_) | Shape::Enum(_) | Shape::Flags(_)) {
        return Type::U8;
    }
    match shape {
        Shape::Primitive(n) => PRIMITIVES[usize::from(*n) % PRIMITIVES.len()].clone(),
        Shape::List(e) => Type::List(Arc::new(inner(e))),
        Shape::Record(f) => Type::Record(Arc::new(Record::new(names(f.len().min(8)).into_iter().zip(few(f)).collect()))),
        Shape::Tuple(f) => Type::Tuple(Arc::new(Record::tuple(few(f)))),
        Shape::Variant(cases) => {
            let cases = cases.iter().take(8).enumerate().map(|(i, c)| (format!("c{i}"), c.as_ref().map(inner)));
            Type::Variant(Arc::new(Variant::new(cases.collect())))
        }
        Shape::Enum(n) => Type::Enum(Arc::new(Variant::enumeration(names(usize::from(*n) % 300 + 1)))),
        Shape::Option(t) => Type::Option(Arc::new(Variant::option(inner(t)))),
        Shape::Result(ok, err) => Type::Result(Arc::new(Variant::result(ok.as_deref().map(inner), err.as_deref().map(inner)))),
        Shape::Flags(n) => Type::Flags(Arc::new(Flags { names: names(usize::from(*n) % 64 + 1) })),
        Shape::Own(r) => Type::Own(RESOURCES[usize::from(*r) % 4]),
        // A component lent its own resource gets its representation, not a handle: that does not
        // round-trip through the host, so borrows here are of host resources.
        Shape::Borrow(r) => Type::Borrow(RESOURCES[usize::from(*r) % 2]),
    }
}

/// A value of type `ty`, with floats that are not NaN (NaN is never equal to itself).
fn value(ty: &Type, u: &mut Unstructured, handles: &mut Vec<u32>) -> Result<Val> {
    let bounded = |u: &mut Unstructured| u.int_in_range(0..=4usize);
    Ok(match ty {
        Type::Bool => Val::Bool(u.arbitrary()?),
        Type::S8 => Val::S8(u.arbitrary()?),
        Type::U8 => Val::U8(u.arbitrary()?),
        Type::S16 => Val::S16(u.arbitrary()?),
        Type::U16 => Val::U16(u.arbitrary()?),
        Type::S32 => Val::S32(u.arbitrary()?),
        Type::U32 => Val::U32(u.arbitrary()?),
        Type::S64 => Val::S64(u.arbitrary()?),
        Type::U64 => Val::U64(u.arbitrary()?),
        Type::F32 => Val::F32(Some(u.arbitrary::<f32>()?).filter(|f| !f.is_nan()).unwrap_or(0.5)),
        Type::F64 => Val::F64(Some(u.arbitrary::<f64>()?).filter(|f| !f.is_nan()).unwrap_or(0.5)),
        Type::Char => Val::Char(u.arbitrary()?),
        Type::String => Val::String(u.arbitrary()?),
        Type::List(elem) if **elem == Type::U8 => Val::Bytes(u.arbitrary()?),
        Type::List(elem) => Val::List((0..bounded(u)?).map(|_| value(elem, u, handles)).collect::<Result<_>>()?),
        Type::Record(r) => Val::Record(r.fields.iter().map(|(_, t)| value(t, u, handles)).collect::<Result<_>>()?),
        Type::Tuple(r) => Val::Tuple(r.fields.iter().map(|(_, t)| value(t, u, handles)).collect::<Result<_>>()?),
        Type::Variant(v) | Type::Enum(v) | Type::Option(v) | Type::Result(v) => {
            let case = u.choose_index(v.cases.len())?;
            let payload = v.cases[case].1.as_ref().map(|t| value(t, u, handles)).transpose()?;
            Val::Variant(case as u32, payload.map(Box::new))
        }
        Type::Flags(f) => {
            let mut words: Vec<u32> = (0..f.words()).map(|_| u.arbitrary()).collect::<Result<_>>()?;
            let used = f.names.len() % 32;
            if used != 0 {
                *words.last_mut().unwrap() &= (1 << used) - 1;
            }
            Val::Flags(words)
        }
        Type::Own(_) | Type::Borrow(_) => {
            let rep = u.arbitrary()?;
            handles.push(rep);
            if matches!(ty, Type::Own(_)) { Val::Own(rep) } else { Val::Borrow(rep) }
        }
    })
}

/// A guest memory with a bump allocator, or one that answers the pointers the fuzzer chose.
struct GuestMemory {
    bytes: Vec<u8>,
    next: u64,
    hostile: Option<Vec<u32>>,
}

impl Memory for GuestMemory {
    fn bytes(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    fn alloc(&mut self, align: u32, size: u32) -> std::result::Result<u32, Trap> {
        if let Some(ptrs) = &mut self.hostile {
            return ptrs.pop().ok_or_else(|| Trap::new("no more pointers"));
        }
        let ptr = self.next.next_multiple_of(align.into());
        self.next = ptr + u64::from(size);
        if self.next > 1 << 24 {
            return Err(Trap::new("the fuzz memory is full"));
        }
        if self.next > self.bytes.len() as u64 {
            self.bytes.resize(self.next.next_multiple_of(65536) as usize, 0);
        }
        Ok(ptr as u32)
    }
}

#[derive(Arbitrary, Debug)]
enum ArbFlat {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// A guest's memory read as the type at this pointer (near the memory, or anywhere).
    Load(u16, Option<u32>),
    /// The fuzzer's core values read as the type.
    LiftFlat(Vec<ArbFlat>),
    /// A generated value through memory, flat values and a function's arguments, with the
    /// realloc sane or answering these pointers.
    RoundTrip(Option<Vec<u32>>),
}

/// A handle table holding handles of every resource type, own and borrowed.
fn handle_table() -> HandleTable {
    let mut table = HandleTable::default();
    for i in 0..8u32 {
        table.add(Handle { ty: RESOURCES[i as usize % 4], rep: 100 + i, own: i % 3 != 0 }).unwrap();
    }
    table
}

/// Checks a hostile lift allocates within the budget (the memory and the table are already held).
fn within_budget<T>(lift: impl FnOnce() -> T) -> T {
    let (result, peak) = peak_during(lift);
    assert!(peak as u64 <= LIFT_BUDGET, "a lift allocated {peak} bytes");
    result
}

fn round_trip(ty: &Type, u: &mut Unstructured, hostile: Option<Vec<u32>>) -> Result<()> {
    let mut reps = Vec::new();
    let val = value(ty, u, &mut reps)?;
    let sane = hostile.is_none();
    // The value's own slot first, so what its strings and lists allocate comes after it.
    let mut memory = GuestMemory { bytes: vec![0; 65536], next: 0, hostile: None };
    let at = memory.alloc(ty.align(), ty.size()).expect("a 64 KiB slot");
    memory.hostile = hostile;
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(Some(&mut memory), &mut handles);

    // Through memory.
    let stored = canonical::store(&mut cx, val.clone(), ty, at).and_then(|()| canonical::load(&mut cx, at, ty));
    // Through flat values.
    let mut flat = Vec::new();
    let flat_back = canonical::lower_flat(&mut cx, val.clone(), ty, &mut flat)
        .and_then(|()| canonical::lift_flat(&mut cx, &mut FlatIter::new(&flat), ty));
    // As the parameters of a function, spilled to memory past 16 core values.
    let ft = FuncType::new(vec![("a".into(), ty.clone()), ("b".into(), ty.clone())], None);
    let args = vec![val.clone(), val.clone()];
    let args_back = canonical::lower_export_args(&mut cx, &ft, args.clone()).and_then(|core| {
        let mut lifted = Args::default();
        canonical::lift_import_args(&mut cx, &ft, &core, &mut lifted)?;
        (0..ft.params.len()).map(|_| lifted.take()).collect::<Result<Vec<_>, _>>()
    });
    drop(cx);
    if sane {
        assert_eq!(stored.as_ref(), Ok(&val), "through memory");
        assert_eq!(flat_back.as_ref(), Ok(&val), "through flat values");
        assert_eq!(args_back.as_ref(), Ok(&args), "as a function's arguments");
        // Borrowed handles stay for the call; owned ones were passed back and left the table.
        let borrows = reps.len() * 4 - own_count(&val) * 4;
        assert_eq!(handles.live(), borrows, "handles left in the table");
    }
    Ok(())
}

fn own_count(val: &Val) -> usize {
    match val {
        Val::Own(_) => 1,
        Val::List(v) | Val::Record(v) | Val::Tuple(v) => v.iter().map(own_count).sum(),
        Val::Variant(_, Some(p)) => own_count(p),
        _ => 0,
    }
}

fn run(u: &mut Unstructured) -> Result<()> {
    let ty = build(&u.arbitrary::<Shape>()?, 0);
    let bytes: Vec<u8> = u.arbitrary()?;
    let ops: Vec<Op> = u.arbitrary()?;
    for op in ops {
        match op {
            Op::Load(near, anywhere) => {
                let mut memory = GuestMemory { bytes: bytes.clone(), next: 0, hostile: Some(Vec::new()) };
                let mut handles = handle_table();
                let ptr = anywhere.unwrap_or(near.into());
                let _ = within_budget(|| canonical::load(&mut Cx::new(Some(&mut memory), &mut handles), ptr, &ty));
            }
            Op::LiftFlat(values) => {
                let flat: Vec<Flat> = values
                    .into_iter()
                    .map(|v| match v {
                        ArbFlat::I32(x) => Flat::I32(x),
                        ArbFlat::I64(x) => Flat::I64(x),
                        ArbFlat::F32(x) => Flat::F32(x),
                        ArbFlat::F64(x) => Flat::F64(x),
                    })
                    .collect();
                let mut memory = GuestMemory { bytes: bytes.clone(), next: 0, hostile: Some(Vec::new()) };
                let mut handles = handle_table();
                let _ = within_budget(|| canonical::lift_flat(&mut Cx::new(Some(&mut memory), &mut handles), &mut FlatIter::new(&flat), &ty));
            }
            Op::RoundTrip(hostile) => round_trip(&ty, u, hostile)?,
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
