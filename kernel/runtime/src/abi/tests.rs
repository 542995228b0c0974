use super::*;
use alloc::string::ToString;
use alloc::vec;

/// A memory with a bump allocator; `bad` makes realloc misbehave.
struct TestMem {
    mem: Vec<u8>,
    next: u32,
    bad: Option<u32>,
}

impl TestMem {
    fn new(size: usize) -> Self {
        TestMem { mem: vec![0; size], next: 64, bad: None }
    }
}

impl GuestMemory for TestMem {
    fn bytes(&mut self) -> &mut [u8] {
        &mut self.mem
    }
    fn realloc(&mut self, align: u32, size: u32) -> AbiResult<u32> {
        if let Some(ptr) = self.bad {
            return Ok(ptr);
        }
        let ptr = self.next.next_multiple_of(align);
        self.next = ptr + size;
        Ok(ptr)
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn pairs_round_trip() {
    let mut g = TestMem::new(4096);
    let items = pairs(&[("content-type", "text/plain"), ("", ""), ("x-ü", "ünïcode")]);
    let (ptr, len) = lower_pairs(&mut g, &items).unwrap();
    assert_eq!(ptr % 4, 0);
    assert_eq!(lift_pairs(&g.mem, ptr, len).unwrap(), items);
    let (ptr, len) = lower_pairs(&mut g, &[]).unwrap();
    assert_eq!(lift_pairs(&g.mem, ptr, len).unwrap(), vec![]);
}

/// Found by tests/hostile.rs: elements aliasing one long string made a
/// small memory lift to any size.
#[test]
fn aliased_pairs_are_bounded() {
    let mut mem = vec![b'x'; 65536];
    // 16 elements, each naming the 32 KiB at 32768 twice: 1 MiB + 256 bytes.
    for i in 0..16u32 {
        for offset in [0, 8] {
            store_u32(&mut mem, i * 16 + offset, 32768).unwrap();
            store_u32(&mut mem, i * 16 + offset + 4, 32768).unwrap();
        }
    }
    let too_large = AbiError::TooLarge { ty: "list<tuple<string, string>>", limit: MAX_PAIRS_BYTES };
    assert_eq!(lift_pairs(&mem, 0, 16), Err(too_large.clone()));
    // The elements alone count: 65536 empty pairs are 1 MiB.
    assert_eq!(lift_pairs(&vec![0; 1 << 20], 0, 65536).map(|p| p.len()), Ok(65536));
    assert_eq!(lift_pairs(&vec![0; 1 << 21], 0, 65537), Err(too_large));
    // Within the limit they lift.
    store_u32(&mut mem, 15 * 16 + 12, 32768 - 256).unwrap();
    assert_eq!(lift_pairs(&mem, 0, 16).unwrap().len(), 16);
}

/// Found by a hostile guest: a 64 MiB response body, copied, took the
/// kernel's whole heap.
#[test]
fn lifted_values_are_bounded() {
    let mem = vec![b'a'; MAX_LIFT_BYTES as usize + 1];
    assert_eq!(lift_bytes(&mem, 0, MAX_LIFT_BYTES).map(|b| b.len()), Ok(MAX_LIFT_BYTES as usize));
    assert_eq!(lift_string(&mem, 1, MAX_LIFT_BYTES).map(|s| s.len()), Ok(MAX_LIFT_BYTES as usize));
    let limit = MAX_LIFT_BYTES.into();
    assert_eq!(lift_bytes(&mem, 0, MAX_LIFT_BYTES + 1), Err(AbiError::TooLarge { ty: "list<u8>", limit }));
    assert_eq!(lift_string(&mem, 0, MAX_LIFT_BYTES + 1), Err(AbiError::TooLarge { ty: "string", limit }));
    // Out of bounds is still named first.
    assert_eq!(lift_bytes(&mem, 1, MAX_LIFT_BYTES + 1), Err(AbiError::OutOfBounds { ptr: 1, len: u64::from(MAX_LIFT_BYTES) + 1 }));
}

#[test]
fn strings_and_bytes_round_trip() {
    let mut g = TestMem::new(4096);
    let (ptr, len) = lower_bytes(&mut g, b"\0\xffbinary").unwrap();
    assert_eq!(lift_bytes(&g.mem, ptr, len).unwrap(), b"\0\xffbinary");
    let keys = vec!["a".to_string(), "".to_string(), "ccc".to_string()];
    let (list, n) = lower_strings(&mut g, &keys).unwrap();
    assert_eq!(n, 3);
    let lifted: Vec<String> = (0..n)
        .map(|i| lift_string(&g.mem, load_u32(&g.mem, list + 8 * i).unwrap(), load_u32(&g.mem, list + 8 * i + 4).unwrap()))
        .collect::<AbiResult<_>>()
        .unwrap();
    assert_eq!(lifted, keys);
}

#[test]
fn request_lowers_to_ten_flat_values() {
    let mut g = TestMem::new(4096);
    let request = GuestRequest {
        method: Method::Put,
        uri: "/items/1?x".into(),
        headers: pairs(&[("host", "a")]),
        params: pairs(&[("id", "1")]),
        body: Some(b"data".to_vec()),
    };
    let flat = lower_request(&mut g, &request).unwrap();
    assert_eq!(flat[0], 2, "put is case 2 of method");
    assert_eq!(lift_string(&g.mem, flat[1], flat[2]).unwrap(), request.uri);
    assert_eq!(lift_pairs(&g.mem, flat[3], flat[4]).unwrap(), request.headers);
    assert_eq!(lift_pairs(&g.mem, flat[5], flat[6]).unwrap(), request.params);
    assert_eq!(flat[7], 1);
    assert_eq!(lift_bytes(&g.mem, flat[8], flat[9]).unwrap(), b"data");
    let flat = lower_request(&mut g, &GuestRequest { body: None, method: Method::Options, ..request }).unwrap();
    assert_eq!((flat[0], flat[7], flat[8], flat[9]), (6, 0, 0, 0));
}

/// Writes a handler's `result<response, http-error>` by hand, as a guest
/// would, and returns its address.
fn write_response(g: &mut TestMem, status: u16, headers: Option<&[(&str, &str)]>, body: Option<&[u8]>) -> u32 {
    let area = 1024;
    g.mem[area as usize] = 0;
    g.mem[area as usize + 4..area as usize + 6].copy_from_slice(&status.to_le_bytes());
    if let Some(h) = headers {
        let (ptr, len) = lower_pairs(g, &pairs(h)).unwrap();
        store_u8(&mut g.mem, area + 8, 1).unwrap();
        store_u32(&mut g.mem, area + 12, ptr).unwrap();
        store_u32(&mut g.mem, area + 16, len).unwrap();
    }
    if let Some(b) = body {
        let (ptr, len) = lower_bytes(g, b).unwrap();
        store_u8(&mut g.mem, area + 20, 1).unwrap();
        store_u32(&mut g.mem, area + 24, ptr).unwrap();
        store_u32(&mut g.mem, area + 28, len).unwrap();
    }
    area
}

#[test]
fn lifts_handler_results() {
    let mut g = TestMem::new(4096);
    let ptr = write_response(&mut g, 201, Some(&[("a", "b")]), Some(b"hi"));
    let expected = GuestResponse { status: 201, headers: Some(pairs(&[("a", "b")])), body: Some(b"hi".to_vec()) };
    assert_eq!(lift_handler_result(&g.mem, ptr).unwrap(), Ok(expected));
    let mut g = TestMem::new(4096);
    let ptr = write_response(&mut g, 204, None, None);
    assert_eq!(lift_handler_result(&g.mem, ptr).unwrap(), Ok(GuestResponse { status: 204, headers: None, body: None }));
    // Errors: status-error carries a u16 at +8, the others a string.
    let mut g = TestMem::new(4096);
    g.mem[1024] = 1;
    g.mem[1028] = 3;
    g.mem[1032..1034].copy_from_slice(&418u16.to_le_bytes());
    assert_eq!(lift_handler_result(&g.mem, 1024).unwrap(), Err(GuestHttpError::StatusError(418)));
    let (ptr, len) = lower_bytes(&mut g, b"boom").unwrap();
    g.mem[1028] = 4;
    store_u32(&mut g.mem, 1032, ptr).unwrap();
    store_u32(&mut g.mem, 1036, len).unwrap();
    assert_eq!(lift_handler_result(&g.mem, 1024).unwrap(), Err(GuestHttpError::UnexpectedError("boom".into())));
    g.mem[1028] = 0;
    assert_eq!(lift_handler_result(&g.mem, 1024).unwrap(), Err(GuestHttpError::InvalidUrl("boom".into())));
}

#[test]
fn rejects_bad_handler_results() {
    let mut g = TestMem::new(4096);
    let ptr = write_response(&mut g, 200, Some(&[("a", "b")]), Some(b"hi"));
    let lift = |mem: &[u8], ptr| lift_handler_result(mem, ptr).unwrap_err();
    assert_eq!(lift(&g.mem, 4095), AbiError::Misaligned { ptr: 4095, align: 4 });
    assert_eq!(lift(&g.mem, 4088), AbiError::OutOfBounds { ptr: 4088, len: 32 });
    assert_eq!(lift(&g.mem, u32::MAX - 3), AbiError::OutOfBounds { ptr: u32::MAX - 3, len: 32 });
    let mut bad = g.mem.clone();
    bad[ptr as usize] = 2;
    assert_eq!(lift(&bad, ptr), AbiError::BadDiscriminant { ty: "result<response, http-error>", value: 2 });
    let mut bad = g.mem.clone();
    bad[ptr as usize + 8] = 7;
    assert_eq!(lift(&bad, ptr), AbiError::BadDiscriminant { ty: "option<headers>", value: 7 });
    let mut bad = g.mem.clone();
    store_u32(&mut bad, ptr + 28, u32::MAX).unwrap();
    assert!(matches!(lift(&bad, ptr), AbiError::OutOfBounds { .. }));
    let mut bad = g.mem.clone();
    store_u32(&mut bad, ptr + 12, 2).unwrap();
    assert_eq!(lift(&bad, ptr), AbiError::Misaligned { ptr: 2, align: 4 });
    // A header list so long that len * 16 overflows 32 bits.
    let mut bad = g.mem.clone();
    store_u32(&mut bad, ptr + 16, u32::MAX).unwrap();
    assert!(matches!(lift(&bad, ptr), AbiError::OutOfBounds { .. }));
    // A header name that is not UTF-8.
    let mut bad = g.mem.clone();
    let header_list = load_u32(&bad, ptr + 12).unwrap();
    let name = load_u32(&bad, header_list).unwrap();
    bad[name as usize] = 0xff;
    assert_eq!(lift(&bad, ptr), AbiError::InvalidUtf8 { ptr: name });
    let mut bad = g.mem.clone();
    bad[ptr as usize] = 1;
    bad[ptr as usize + 4] = 5;
    assert_eq!(lift(&bad, ptr), AbiError::BadDiscriminant { ty: "http-error", value: 5 });
}

#[test]
fn lifts_init_results() {
    let mut g = TestMem::new(256);
    assert_eq!(lift_init_result(&g.mem, 0).unwrap(), Ok(()));
    let (ptr, len) = lower_bytes(&mut g, b"no redis").unwrap();
    g.mem[0] = 1;
    store_u32(&mut g.mem, 4, ptr).unwrap();
    store_u32(&mut g.mem, 8, len).unwrap();
    assert_eq!(lift_init_result(&g.mem, 0).unwrap(), Err("no redis".into()));
    assert!(lift_init_result(&g.mem, 250).is_err());
    assert!(lift_init_result(&g.mem, 2).is_err());
}

#[test]
fn checks_what_realloc_returns() {
    let mut g = TestMem::new(256);
    g.bad = Some(3);
    assert!(matches!(lower_pairs(&mut g, &pairs(&[("a", "b")])), Err(AbiError::Realloc(m)) if m.contains("aligned")));
    g.bad = Some(250);
    assert!(matches!(lower_bytes(&mut g, b"0123456789"), Err(AbiError::Realloc(m)) if m.contains("out of bounds")));
}

#[test]
fn stores_import_results() {
    let mut mem = vec![0xaa; 64];
    store_ok(&mut mem, 16, OkPayload::Handle(7)).unwrap();
    assert_eq!((mem[16], load_u32(&mem, 20).unwrap()), (0, 7));
    store_ok(&mut mem, 16, OkPayload::List(40, 3)).unwrap();
    assert_eq!((load_u32(&mem, 20).unwrap(), load_u32(&mem, 24).unwrap()), (40, 3));
    store_err(&mut mem, 16, 3, (44, 5)).unwrap();
    assert_eq!((mem[16], mem[20], load_u32(&mem, 24).unwrap(), load_u32(&mem, 28).unwrap()), (1, 3, 44, 5));
    assert_eq!(store_ok(&mut mem, 18, OkPayload::Unit), Err(AbiError::Misaligned { ptr: 18, align: 4 }));
    assert_eq!(store_ok(&mut mem, 52, OkPayload::Unit), Err(AbiError::OutOfBounds { ptr: 52, len: 16 }));
}

#[derive(Debug, PartialEq)]
enum Res {
    Store(&'static str),
    Router,
}

impl ResourceKind for Res {
    fn kind(&self) -> &'static str {
        match self {
            Res::Store(_) => "keyvalue",
            Res::Router => "router",
        }
    }
}

#[test]
fn resource_table_checks_handles() {
    let mut t = ResourceTable::default();
    let a = t.insert(Res::Store("a"));
    let r = t.insert(Res::Router);
    assert_eq!((a, r), (1, 2), "handles start at 1");
    assert_eq!(t.get_mut(a, "keyvalue").unwrap(), &mut Res::Store("a"));
    assert_eq!(t.get_mut(r, "keyvalue"), Err(AbiError::WrongHandleType { handle: 2, expected: "keyvalue", found: "router" }));
    assert_eq!(t.get_mut(0, "keyvalue"), Err(AbiError::UnknownHandle(0)));
    assert_eq!(t.get_mut(99, "keyvalue"), Err(AbiError::UnknownHandle(99)));
    assert_eq!(t.remove(r, "keyvalue"), Err(AbiError::WrongHandleType { handle: 2, expected: "keyvalue", found: "router" }));
    assert_eq!(t.remove(a, "keyvalue"), Ok(Res::Store("a")));
    assert_eq!(t.remove(a, "keyvalue"), Err(AbiError::UnknownHandle(1)), "double drop");
    assert_eq!(t.get_mut(a, "keyvalue"), Err(AbiError::UnknownHandle(1)), "use after drop");
    assert_eq!(t.insert(Res::Store("b")), 1, "freed handles are reused");
    assert!(t.remove(r, "router").is_ok());
}
