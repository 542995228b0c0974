//! The generic canonical ABI: values round-trip through memory and through flat core values, and
//! everything a guest can get wrong is a trap, not a panic or a wrong value.

use crate::component::canonical::*;
use crate::component::handles::{Handle, HandleTable};
use crate::component::types::*;
use crate::component::values::{Args, Val};
use crate::component::Trap;
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// A guest memory with a bump allocator.
pub struct TestMemory {
    pub bytes: Vec<u8>,
    next: u32,
}

impl TestMemory {
    pub fn new(size: usize) -> TestMemory {
        TestMemory { bytes: vec![0; size], next: 16 }
    }
}

impl Memory for TestMemory {
    fn bytes(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    fn alloc(&mut self, align: u32, size: u32) -> Result<u32, Trap> {
        let ptr = self.next.div_ceil(align) * align;
        self.next = ptr + size;
        Ok(ptr)
    }
}

fn list(t: Type) -> Type {
    Type::List(Arc::new(t))
}

fn tuple(types: Vec<Type>) -> Type {
    Type::Tuple(Arc::new(Record::tuple(types)))
}

fn option(t: Type) -> Type {
    Type::Option(Arc::new(Variant::option(t)))
}

fn result(ok: Option<Type>, err: Option<Type>) -> Type {
    Type::Result(Arc::new(Variant::result(ok, err)))
}

/// A type with every kind of value in it, and a value of it.
fn everything() -> (Type, Val) {
    let flags = Type::Flags(Arc::new(Flags { names: (0..20).map(|i| alloc::format!("f{i}")).collect() }));
    let enumeration = Type::Enum(Arc::new(Variant::enumeration(vec!["a".into(), "b".into(), "c".into()])));
    let mixed = Type::Variant(Arc::new(Variant::new(vec![
        ("float".into(), Some(Type::F32)),
        ("wide".into(), Some(Type::U64)),
        ("text".into(), Some(Type::String)),
        ("nothing".into(), None),
    ])));
    let record = Type::Record(Arc::new(Record::new(vec![
        ("b".into(), Type::Bool),
        ("s8".into(), Type::S8),
        ("u16".into(), Type::U16),
        ("s64".into(), Type::S64),
        ("f64".into(), Type::F64),
        ("c".into(), Type::Char),
        ("names".into(), list(Type::String)),
        ("bytes".into(), list(Type::U8)),
        ("pairs".into(), list(tuple(vec![Type::String, list(Type::U8)]))),
        ("maybe".into(), option(Type::U32)),
        ("outcome".into(), result(Some(Type::S32), Some(enumeration.clone()))),
        ("kinds".into(), list(mixed)),
        ("flags".into(), flags),
        ("e".into(), enumeration),
    ])));
    let value = Val::Record(vec![
        Val::Bool(true),
        Val::S8(-5),
        Val::U16(65535),
        Val::S64(-1 << 40),
        Val::F64(1.5),
        Val::Char('é'),
        Val::List(vec![Val::String("héllo".into()), Val::String(String::new())]),
        Val::Bytes(vec![0, 1, 255]),
        Val::List(vec![Val::Tuple(vec![Val::String("x-repeat".into()), Val::Bytes(b"1".to_vec())])]),
        Val::some(Val::U32(7)),
        Val::err(Some(Val::case(2))),
        Val::List(vec![
            Val::Variant(0, Some(Box::new(Val::F32(-2.5)))),
            Val::Variant(1, Some(Box::new(Val::U64(u64::MAX)))),
            Val::Variant(2, Some(Box::new(Val::String("t".into())))),
            Val::Variant(3, None),
        ]),
        Val::Flags(vec![0b1000_0000_0000_0001_0001]),
        Val::case(1),
    ]);
    (record, value)
}

#[test]
fn every_kind_of_value_round_trips_through_memory() {
    let (ty, value) = everything();
    let mut mem = TestMemory::new(4096);
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(Some(&mut mem), &mut handles);
    let at = 1024;
    store(&mut cx, value.clone(), &ty, at).unwrap();
    assert_eq!(load(&mut cx, at, &ty).unwrap(), value);
}

#[test]
fn every_kind_of_value_round_trips_through_flat_values() {
    let (ty, value) = everything();
    let mut mem = TestMemory::new(4096);
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(Some(&mut mem), &mut handles);
    let mut flat = Vec::new();
    lower_flat(&mut cx, value.clone(), &ty, &mut flat).unwrap();
    assert_eq!(flat.len(), ty.flat().len());
    assert_eq!(lift_flat(&mut cx, &mut FlatIter::new(&flat), &ty).unwrap(), value);
}

#[test]
fn a_variant_case_reads_its_own_type_out_of_a_joined_slot() {
    // variant { a(f32), b(u64) }: the payload slot is an i64; case a's f32 sits in its low bits.
    let ty = Type::Variant(Arc::new(Variant::new(vec![("a".into(), Some(Type::F32)), ("b".into(), Some(Type::U64))])));
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(None, &mut handles);
    let mut flat = Vec::new();
    lower_flat(&mut cx, Val::Variant(0, Some(Box::new(Val::F32(1.0)))), &ty, &mut flat).unwrap();
    assert_eq!(flat, vec![Flat::I32(0), Flat::I64(1.0f32.to_bits() as i64)]);
}

#[test]
fn the_layout_in_memory_is_the_canonical_one() {
    // record { a: u8, b: string }: a at 0, b's (ptr, len) at 4 and 8.
    let ty = Type::Record(Arc::new(Record::new(vec![("a".into(), Type::U8), ("b".into(), Type::String)])));
    let mut mem = TestMemory::new(256);
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(Some(&mut mem), &mut handles);
    store(&mut cx, Val::Record(vec![Val::U8(9), Val::String("hi".into())]), &ty, 64).unwrap();
    let m = &mem.bytes;
    assert_eq!(m[64], 9);
    let ptr = u32::from_le_bytes(m[68..72].try_into().unwrap()) as usize;
    assert_eq!(u32::from_le_bytes(m[72..76].try_into().unwrap()), 2);
    assert_eq!(&m[ptr..ptr + 2], b"hi");
}

fn lift_err(ty: &Type, bytes: &[(u32, &[u8])], at: u32) -> String {
    let mut mem = TestMemory::new(256);
    for (ptr, b) in bytes {
        mem.bytes[*ptr as usize..*ptr as usize + b.len()].copy_from_slice(b);
    }
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(Some(&mut mem), &mut handles);
    load(&mut cx, at, ty).unwrap_err().0
}

#[test]
fn what_a_guest_gets_wrong_is_a_trap_with_a_reason() {
    let e = Type::Enum(Arc::new(Variant::enumeration(vec!["a".into(), "b".into()])));
    assert!(lift_err(&e, &[(8, &[2])], 8).contains("case 2 out of range"));
    assert!(lift_err(&Type::Char, &[(8, &0xd800u32.to_le_bytes())], 8).contains("not a Unicode scalar value"));
    assert!(lift_err(&Type::U32, &[], 6).contains("not 4-aligned"));
    assert!(lift_err(&Type::U64, &[], 256).contains("out of bounds"));
    let s = [100u32.to_le_bytes(), 2u32.to_le_bytes()].concat();
    assert!(lift_err(&Type::String, &[(8, &s), (100, &[0xff, 0xfe])], 8).contains("not UTF-8"));
    let past_end = [250u32.to_le_bytes(), 10u32.to_le_bytes()].concat();
    assert!(lift_err(&Type::String, &[(8, &past_end)], 8).contains("out of bounds"));
    let wrapping = [u32::MAX.to_le_bytes(), 2u32.to_le_bytes()].concat();
    assert!(lift_err(&list(Type::U8), &[(8, &wrapping)], 8).contains("out of bounds"));
    let misaligned_list = [101u32.to_le_bytes(), 1u32.to_le_bytes()].concat();
    assert!(lift_err(&list(Type::U32), &[(8, &misaligned_list)], 8).contains("not 4-aligned"));
}

#[test]
fn a_small_memory_cannot_make_the_host_allocate_without_bound() {
    // 4 M list elements, each a string pointing at the same 200 bytes: 800 MB if lifted.
    let mut mem = TestMemory::new(1 << 16);
    let elems = 1u32 << 22;
    mem.bytes[8..16].copy_from_slice(&[0u32.to_le_bytes(), elems.to_le_bytes()].concat());
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(Some(&mut mem), &mut handles);
    let err = load(&mut cx, 8, &list(Type::String)).unwrap_err();
    assert!(err.0.contains("more than"), "{err}");
}

#[test]
fn every_lifted_value_is_charged_even_those_of_size_zero_in_memory() {
    // 100,000 records of 1,000 empty tuples take no guest memory, and 100 M values once lifted:
    // the budget charged only list elements (3.2 MB), not their fields (3.2 GB).
    let empty = tuple(vec![]);
    let wide = Type::Record(Arc::new(Record::new((0..1000).map(|i| (alloc::format!("f{i}"), empty.clone())).collect())));
    let mut mem = TestMemory::new(64);
    mem.bytes[8..16].copy_from_slice(&[0u32.to_le_bytes(), 100_000u32.to_le_bytes()].concat());
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(Some(&mut mem), &mut handles);
    let err = load(&mut cx, 8, &list(wide.clone())).unwrap_err();
    assert_eq!(err.0, "the call passes the host more than 16777216 bytes");
    let flat = [Flat::I32(0), Flat::I32(100_000)];
    let err = lift_flat(&mut cx, &mut FlatIter::new(&flat), &list(wide)).unwrap_err();
    assert_eq!(err.0, "the call passes the host more than 16777216 bytes");
}

#[test]
fn handles_lift_as_their_representation_and_own_ones_leave_the_table() {
    let rt = ResourceType::Host(3);
    let mut handles = HandleTable::default();
    let own = handles.add(Handle { ty: rt, rep: 42, own: true }).unwrap();
    let mut cx = Cx::new(None, &mut handles);
    let borrowed = lift_flat(&mut cx, &mut FlatIter::new(&[Flat::I32(own as i32)]), &Type::Borrow(rt)).unwrap();
    assert_eq!(borrowed, Val::Borrow(42));
    let wrong = lift_flat(&mut cx, &mut FlatIter::new(&[Flat::I32(own as i32)]), &Type::Own(ResourceType::Host(4)));
    assert!(wrong.unwrap_err().0.contains("not a host#4"));
    let owned = lift_flat(&mut cx, &mut FlatIter::new(&[Flat::I32(own as i32)]), &Type::Own(rt)).unwrap();
    assert_eq!(owned, Val::Own(42));
    let again = lift_flat(&mut cx, &mut FlatIter::new(&[Flat::I32(own as i32)]), &Type::Own(rt));
    assert!(again.unwrap_err().0.contains("unknown resource handle"));
    assert_eq!(handles.live(), 0);
}

#[test]
fn borrows_lowered_into_the_guest_are_counted_and_its_own_resources_lent_as_rep() {
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(None, &mut handles);
    let mut flat = Vec::new();
    lower_flat(&mut cx, Val::Borrow(7), &Type::Borrow(ResourceType::Host(1)), &mut flat).unwrap();
    lower_flat(&mut cx, Val::Borrow(9), &Type::Borrow(ResourceType::Guest(0)), &mut flat).unwrap();
    assert_eq!(cx.borrows, 1);
    assert_eq!(flat[1], Flat::I32(9));
}

#[test]
fn a_host_value_of_the_wrong_shape_is_refused_not_lowered() {
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(None, &mut handles);
    let mut flat = Vec::new();
    assert!(lower_flat(&mut cx, Val::U8(1), &Type::U32, &mut flat).is_err());
    let opt = option(Type::U8);
    assert!(lower_flat(&mut cx, Val::Variant(1, None), &opt, &mut flat).unwrap_err().0.contains("payload"));
}

#[test]
fn functions_spill_many_params_and_wide_results_through_memory() {
    let ft = FuncType::new((0..17).map(|i| (alloc::format!("p{i}"), Type::U32)).collect(), Some(Type::String));
    let args: Vec<Val> = (0..17).map(Val::U32).collect();
    let mut mem = TestMemory::new(4096);
    let mut handles = HandleTable::default();
    let mut cx = Cx::new(Some(&mut mem), &mut handles);
    // The host calls an export: the arguments go to memory, one pointer is passed.
    let core = lower_export_args(&mut cx, &ft, args.clone()).unwrap();
    assert_eq!(core.len(), 1);
    // The same arguments read back as a guest calling an import with them would pass them.
    let retptr = 2048;
    let mut lifted = Args::default();
    lift_import_args(&mut cx, &ft, &[core[0], Flat::I32(retptr)], &mut lifted).unwrap();
    assert_eq!((0..17).map(|_| lifted.take().unwrap()).collect::<Vec<_>>(), args);
    assert!(lifted.take().is_err(), "no more than the function takes");
    let mut none = FlatBuf::default();
    lower_import_result(&mut cx, &ft, Some(Val::String("ok".into())), &[core[0], Flat::I32(retptr)], &mut none).unwrap();
    assert!(none.as_slice().is_empty());
    assert_eq!(lift_export_result(&mut cx, &ft, &[Flat::I32(retptr)]).unwrap(), Some(Val::String("ok".into())));
}
