//! The handle table: index 0 is never a handle, freed slots are reused, types are checked, a
//! leaking guest meets a limit.

use crate::component::handles::*;
use crate::component::types::ResourceType;

const T: ResourceType = ResourceType::Host(1);

#[test]
fn handles_start_at_one_and_freed_indexes_are_reused() {
    let mut table = HandleTable::default();
    let a = table.add(Handle { ty: T, rep: 10, own: true }).unwrap();
    let b = table.add(Handle { ty: T, rep: 11, own: false }).unwrap();
    assert_eq!((a, b), (1, 2));
    assert_eq!(table.remove(a).unwrap().rep, 10);
    assert!(table.get(a, T).is_err());
    assert_eq!(table.add(Handle { ty: T, rep: 12, own: true }).unwrap(), 1);
    assert!(table.get(0, T).is_err());
    assert!(table.remove_own(b, T).unwrap_err().0.contains("borrowed"));
    assert!(table.get(b, ResourceType::Guest(0)).unwrap_err().0.contains("not a guest#0"));
    assert_eq!(table.live(), 2);
}

#[test]
fn a_guest_cannot_hold_more_than_the_limit() {
    let mut table = HandleTable::default();
    for i in 0..MAX_HANDLES {
        table.add(Handle { ty: T, rep: i as u32, own: true }).unwrap();
    }
    assert!(table.add(Handle { ty: T, rep: 0, own: true }).unwrap_err().0.contains("limit"));
}
