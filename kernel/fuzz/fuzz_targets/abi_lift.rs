//! The canonical ABI over a guest memory the fuzzer writes, with pointers
//! and lengths it picks, and a `cabi_realloc` it controls.
//!
//! Checked: no panic; lifting a string or list gives exactly the bytes at
//! the pointer, or the error its bounds and UTF-8 call for; a store into a
//! return area writes those 16 bytes or nothing; lowering a request with a
//! sane allocator lifts back to the same request, and with a hostile one
//! never writes outside the memory (the slice would panic); the resource
//! table behaves like a map from handles to values.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use uniwasm_runtime::abi::{
    self, AbiError, AbiResult, GuestMemory, GuestRequest, OkPayload, ResourceKind, ResourceTable,
};
use uniwasm_runtime::http::Method;

/// A guest pointer: mostly near the memory (so in bounds or just past it),
/// sometimes anywhere.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ptr {
    Near(u16),
    Any(u32),
}

impl Ptr {
    fn get(self) -> u32 {
        match self {
            Ptr::Near(p) => p.into(),
            Ptr::Any(p) => p,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    String(Ptr, Ptr),
    Bytes(Ptr, Ptr),
    Pairs(Ptr, Ptr),
    HandlerResult(Ptr),
    InitResult(Ptr),
    StoreOk(Ptr, u8, u32, u32),
    StoreErr(Ptr, u8, u32, u32),
    LowerRequest(Request, Allocator),
    Table(Vec<TableOp>),
}

#[derive(Arbitrary, Debug)]
struct Request {
    method: u8,
    uri: String,
    headers: Vec<(String, String)>,
    params: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

/// How the guest's `cabi_realloc` behaves.
#[derive(Arbitrary, Debug)]
enum Allocator {
    /// A bump allocator that grows the memory by whole pages.
    Bump,
    /// Returns these pointers in turn (then fails): misaligned, out of
    /// bounds, overlapping, anything.
    Hostile(Vec<Ptr>),
}

#[derive(Arbitrary, Debug)]
enum TableOp {
    Insert(bool),
    Get(u8, bool),
    Remove(u8, bool),
}

struct Memory {
    bytes: Vec<u8>,
    allocator: Allocator,
    next: u64,
}

impl GuestMemory for Memory {
    fn bytes(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    fn realloc(&mut self, align: u32, size: u32) -> AbiResult<u32> {
        match &mut self.allocator {
            Allocator::Bump => {
                let ptr = self.next.next_multiple_of(align.into());
                self.next = ptr + u64::from(size);
                if self.next > 1 << 24 {
                    return Err(AbiError::Realloc("fuzz memory is full".into()));
                }
                // Wasm memory only grows, by 64 KiB pages.
                if self.next > self.bytes.len() as u64 {
                    self.bytes.resize(self.next.next_multiple_of(65536) as usize, 0);
                }
                Ok(ptr as u32)
            }
            Allocator::Hostile(ptrs) => match ptrs.pop() {
                Some(p) => Ok(p.get()),
                None => Err(AbiError::Realloc("no more pointers".into())),
            },
        }
    }
}

/// The expected result of lifting (ptr, len) from `mem`: the bytes, or
/// whether it is out of bounds.
fn expected_range(mem: &[u8], ptr: u32, len: u32) -> Option<&[u8]> {
    mem.get(ptr as usize..(ptr as usize).checked_add(len as usize)?)
}

const TOO_LARGE: u64 = abi::MAX_LIFT_BYTES as u64;

fn check_lift_string(mem: &[u8], ptr: u32, len: u32) {
    let lifted = abi::lift_string(mem, ptr, len);
    match expected_range(mem, ptr, len) {
        None => assert_eq!(lifted, Err(AbiError::OutOfBounds { ptr, len: len.into() })),
        Some(_) if len > abi::MAX_LIFT_BYTES => {
            assert_eq!(lifted, Err(AbiError::TooLarge { ty: "string", limit: TOO_LARGE }))
        }
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(s) => assert_eq!(lifted.as_deref(), Ok(s)),
            Err(_) => assert_eq!(lifted, Err(AbiError::InvalidUtf8 { ptr })),
        },
    }
}

fn check_lift_bytes(mem: &[u8], ptr: u32, len: u32) {
    let lifted = abi::lift_bytes(mem, ptr, len);
    match expected_range(mem, ptr, len) {
        None => assert_eq!(lifted, Err(AbiError::OutOfBounds { ptr, len: len.into() })),
        Some(_) if len > abi::MAX_LIFT_BYTES => {
            assert_eq!(lifted, Err(AbiError::TooLarge { ty: "list<u8>", limit: TOO_LARGE }))
        }
        Some(bytes) => assert_eq!(lifted.as_deref(), Ok(bytes)),
    }
}

/// A successful lift read an aligned area of `size` bytes inside memory.
fn check_area<T>(mem: &[u8], ptr: u32, size: u64, lifted: &AbiResult<T>) {
    if lifted.is_ok() {
        assert!(ptr.is_multiple_of(4) && u64::from(ptr) + size <= mem.len() as u64, "lifted from {ptr:#x}");
    }
}

/// A store into a return area writes within its 16 bytes, or nothing.
fn check_store(mem: &mut [u8], retptr: u32, store: impl FnOnce(&mut [u8]) -> AbiResult<()>) {
    let before = mem.to_vec();
    let stored = store(mem);
    let area = retptr as usize..retptr as usize + 16;
    for (i, (a, b)) in before.iter().zip(mem.iter()).enumerate() {
        assert!(a == b || (stored.is_ok() && area.contains(&i)), "byte {i} changed");
    }
}

/// Lowers `request`, then lifts its parts back when the allocator is sane.
fn check_lower_request(mem: Vec<u8>, request: Request, allocator: Allocator) {
    let sane = matches!(allocator, Allocator::Bump);
    let mut guest = Memory { next: mem.len() as u64, bytes: mem, allocator };
    let request = GuestRequest {
        method: Method::ALL[usize::from(request.method) % Method::ALL.len()],
        uri: request.uri,
        headers: request.headers,
        params: request.params,
        body: request.body,
    };
    let flat = abi::lower_request(&mut guest, &request);
    if !sane {
        return;
    }
    let Ok([method, uri, uri_len, headers, headers_len, params, params_len, has_body, body, body_len]) = flat else {
        // Only a request over the fuzz memory's 16 MiB may fail.
        return;
    };
    let mem = &guest.bytes;
    assert_eq!(Method::ALL[method as usize], request.method);
    assert_eq!(abi::lift_string(mem, uri, uri_len).unwrap(), request.uri);
    assert_eq!(abi::lift_pairs(mem, headers, headers_len).unwrap(), request.headers);
    assert_eq!(abi::lift_pairs(mem, params, params_len).unwrap(), request.params);
    let lifted_body = (has_body == 1).then(|| abi::lift_bytes(mem, body, body_len).unwrap());
    assert_eq!(lifted_body, request.body);
}

#[derive(Debug, PartialEq)]
struct Thing(bool, u32);

impl ResourceKind for Thing {
    fn kind(&self) -> &'static str {
        if self.0 {
            "a"
        } else {
            "b"
        }
    }
}

/// Runs `ops` on a table and on a map of the live handles.
fn check_table(ops: Vec<TableOp>) {
    let mut table = ResourceTable::default();
    let mut model: HashMap<u32, Thing> = HashMap::new();
    let kind = |a: bool| if a { "a" } else { "b" };
    for (serial, op) in (0u32..).zip(ops) {
        match op {
            TableOp::Insert(a) => {
                let handle = table.insert(Thing(a, serial));
                assert!(handle != 0 && !model.contains_key(&handle), "handle {handle} reused while live");
                model.insert(handle, Thing(a, serial));
            }
            TableOp::Get(handle, a) | TableOp::Remove(handle, a) => {
                let handle = u32::from(handle);
                let expected = match model.get(&handle) {
                    None => Err(AbiError::UnknownHandle(handle)),
                    Some(t) if t.0 == a => Ok(Thing(t.0, t.1)),
                    Some(t) => Err(AbiError::WrongHandleType { handle, expected: kind(a), found: t.kind() }),
                };
                let got = if matches!(op, TableOp::Remove(..)) {
                    let removed = table.remove(handle, kind(a));
                    if removed.is_ok() {
                        model.remove(&handle);
                    }
                    removed
                } else {
                    table.get_mut(handle, kind(a)).map(|t| Thing(t.0, t.1))
                };
                assert_eq!(got, expected);
            }
        }
    }
}

fuzz_target!(|input: (Vec<u8>, Vec<Op>)| {
    let (mut mem, ops) = input;
    for op in ops {
        match op {
            Op::String(p, l) => check_lift_string(&mem, p.get(), l.get()),
            Op::Bytes(p, l) => check_lift_bytes(&mem, p.get(), l.get()),
            Op::Pairs(p, l) => {
                let lifted = abi::lift_pairs(&mem, p.get(), l.get());
                check_area(&mem, p.get(), u64::from(l.get()) * 16, &lifted);
            }
            Op::HandlerResult(p) => check_area(&mem, p.get(), 32, &abi::lift_handler_result(&mem, p.get())),
            Op::InitResult(p) => check_area(&mem, p.get(), 12, &abi::lift_init_result(&mem, p.get())),
            Op::StoreOk(p, kind, a, b) => {
                let payload = match kind % 3 {
                    0 => OkPayload::Unit,
                    1 => OkPayload::Handle(a),
                    _ => OkPayload::List(a, b),
                };
                check_store(&mut mem, p.get(), |m| abi::store_ok(m, p.get(), payload));
            }
            Op::StoreErr(p, case, a, b) => check_store(&mut mem, p.get(), |m| abi::store_err(m, p.get(), case, (a, b))),
            Op::LowerRequest(request, allocator) => check_lower_request(mem.clone(), request, allocator),
            Op::Table(ops) => check_table(ops),
        }
    }
});
