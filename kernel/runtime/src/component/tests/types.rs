//! Sizes, alignments and flattening against CanonicalABI.md's rules.

use crate::component::types::*;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

fn record(types: Vec<Type>) -> Type {
    Type::Record(Arc::new(Record::tuple(types)))
}

fn variant(cases: Vec<Option<Type>>) -> Type {
    Type::Variant(Arc::new(Variant::new(cases.into_iter().enumerate().map(|(i, t)| (alloc::format!("c{i}"), t)).collect())))
}

#[test]
fn records_pad_fields_to_their_alignment_and_round_up() {
    let r = record(vec![Type::U8, Type::U32, Type::U16]);
    assert_eq!((r.size(), r.align()), (12, 4));
    let Type::Record(inner) = &r else { unreachable!() };
    assert_eq!(inner.offsets, vec![0, 4, 8]);
    assert_eq!(record(vec![Type::U8, Type::U64]).size(), 16);
}

#[test]
fn variants_put_the_payload_after_the_discriminant_at_the_largest_case_alignment() {
    let v = variant(vec![Some(Type::U8), Some(Type::U64), None]);
    let Type::Variant(inner) = &v else { unreachable!() };
    assert_eq!((inner.discriminant_size, inner.payload_offset, v.size(), v.align()), (1, 8, 16, 8));
    let option_string = Type::Option(Arc::new(Variant::option(Type::String)));
    assert_eq!((option_string.size(), option_string.align()), (12, 4));
    let many = Type::Enum(Arc::new(Variant::enumeration((0..300).map(|i| alloc::format!("e{i}")).collect())));
    assert_eq!((many.size(), many.align()), (2, 2));
}

#[test]
fn variant_payload_slots_join_f32_with_i32_and_anything_wider_into_i64() {
    use FlatType::*;
    assert_eq!(variant(vec![Some(Type::F32), Some(Type::U32)]).flat(), vec![I32, I32]);
    assert_eq!(variant(vec![Some(Type::F32), Some(Type::U64)]).flat(), vec![I32, I64]);
    assert_eq!(variant(vec![Some(Type::F64), Some(Type::F64)]).flat(), vec![I32, F64]);
    assert_eq!(variant(vec![Some(Type::String), Some(Type::F32), None]).flat(), vec![I32, I32, I32]);
    let result = Type::Result(Arc::new(Variant::result(None, Some(Type::U8))));
    assert_eq!(result.flat(), vec![I32, I32]);
}

#[test]
fn flags_take_the_smallest_integer_and_words_above_sixteen() {
    let flags = |n: usize| Type::Flags(Arc::new(Flags { names: (0..n).map(|i| alloc::format!("f{i}")).collect() }));
    assert_eq!((flags(3).size(), flags(3).align()), (1, 1));
    assert_eq!((flags(9).size(), flags(9).align()), (2, 2));
    assert_eq!((flags(17).size(), flags(17).align()), (4, 4));
    assert_eq!(flags(33).flat().len(), 2);
}

#[test]
fn functions_spill_params_past_sixteen_and_results_past_one() {
    let many = FuncType::new((0..17).map(|i| (alloc::format!("p{i}"), Type::U32)).collect(), None);
    assert_eq!(crate::component::canonical::core_signature(&many, true), (vec![FlatType::I32], vec![]));
    let string_result = FuncType::new(vec![], Some(Type::String));
    assert_eq!(crate::component::canonical::core_signature(&string_result, true), (vec![FlatType::I32], vec![]));
    assert_eq!(crate::component::canonical::core_signature(&string_result, false), (vec![], vec![FlatType::I32]));
}

#[test]
fn types_print_as_wit() {
    let t = Type::List(Arc::new(Type::Tuple(Arc::new(Record::tuple(vec![Type::String, Type::List(Arc::new(Type::U8))])))));
    assert_eq!(alloc::format!("{t}"), "list<tuple<string, list<u8>>>");
    let r = Type::Result(Arc::new(Variant::result(Some(Type::Own(ResourceType::Host(2))), None)));
    assert_eq!(alloc::format!("{r}"), "result<own<host#2>, _>");
}
