//! The Wasm host, driven through its public surface with the hand-written
//! guest of tests/guests/demo.wat (written from docs/ABI.md alone) and small
//! broken modules.

mod common;

use common::Lines;

use std::cell::Cell;
use std::rc::Rc;
use uniwasm_runtime::host::{App, AppConfig, LoadError};
use uniwasm_runtime::http::{Connection, Limits, Method, Request, Response};
use uniwasm_runtime::kv::{KeyValueStore, KvError, MemoryStore};
use uniwasm_runtime::resp;

fn demo() -> Vec<u8> {
    wat::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests/demo.wat")).unwrap()
}

fn load(store: Box<dyn KeyValueStore>) -> App {
    App::load(&demo(), store, AppConfig { request_fuel: 1_000_000, ..AppConfig::default() }).unwrap()
}

fn request(method: Method, uri: &str, body: Option<&[u8]>) -> Request {
    Request {
        method,
        uri: uri.into(),
        headers: vec![("Host".into(), "test".into())],
        body: body.map(<[u8]>::to_vec),
        keep_alive: true,
    }
}

fn get(app: &mut App, uri: &str) -> Response {
    app.handle(&request(Method::Get, uri, None))
}

fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// A memory store that can be switched off, as if Redis went away.
struct Flaky {
    inner: MemoryStore,
    up: Rc<Cell<bool>>,
}

impl Flaky {
    fn check(&self) -> Result<(), KvError> {
        if self.up.get() {
            Ok(())
        } else {
            Err(KvError::Connection("redis is down".into()))
        }
    }
}

impl KeyValueStore for Flaky {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.check()?;
        self.inner.get(key)
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.check()?;
        self.inner.set(key, value)
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), KvError> {
        self.check()?;
        self.inner.delete(key)
    }
    fn keys_with_prefix(&mut self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        self.check()?;
        self.inner.keys_with_prefix(prefix)
    }
}

#[test]
fn boots_and_lists_routes() {
    let app = load(Box::new(MemoryStore::default()));
    assert_eq!(app.address(), Some("0.0.0.0:3000"));
    assert_eq!(app.port(), Some(3000));
    let routes = app.routes();
    assert_eq!(routes.len(), 5);
    assert_eq!(routes[0], (Method::Get, "/hello".into(), "handle-hello".into()));
    assert_eq!(routes[2], (Method::Put, "/kv/:key".into(), "kv-put".into()));
}

#[test]
fn serves_hello() {
    let mut app = load(Box::new(MemoryStore::default()));
    let r = get(&mut app, "/hello?x=1");
    assert_eq!((r.status, text(&r).as_str()), (200, "hello, world"));
    assert_eq!(r.headers, vec![("content-type".into(), "text/plain".into())]);
}

#[test]
fn key_value_routes() {
    let mut app = load(Box::new(MemoryStore::default()));
    let r = app.handle(&request(Method::Put, "/kv/gr%C3%BC%C3%9F", Some(b"bin\0ary")));
    assert_eq!((r.status, text(&r).as_str()), (200, "stored"));
    let r = get(&mut app, "/kv/gr%C3%BC%C3%9F");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"bin\0ary"[..]));
    assert_eq!(app.store_mut().get("demo:grüß".as_bytes()).unwrap(), Some(b"bin\0ary".to_vec()));
    // key-not-found becomes status-error(404) in the guest.
    assert_eq!(get(&mut app, "/kv/missing").status, 404);
    // A PUT without a body stores an empty value.
    assert_eq!(app.handle(&request(Method::Put, "/kv/empty", None)).status, 200);
    assert_eq!(get(&mut app, "/kv/empty").body, b"");
}

#[test]
fn router_misses() {
    let mut app = load(Box::new(MemoryStore::default()));
    assert_eq!(get(&mut app, "/nope").status, 404);
    let r = app.handle(&request(Method::Delete, "/hello", None));
    assert_eq!(r.status, 405);
    assert!(r.headers.contains(&("Allow".into(), "GET, HEAD".into())));
    assert_eq!(app.handle(&request(Method::Post, "/kv/a", None)).status, 405);
    assert_eq!(get(&mut app, "/kv/%ff").status, 400);
}

#[test]
fn a_trap_is_500_and_the_next_request_gets_a_fresh_instance() {
    let mut app = load(Box::new(MemoryStore::default()));
    app.handle(&request(Method::Put, "/kv/k", Some(b"v")));
    let r = get(&mut app, "/trap");
    assert_eq!(r.status, 500);
    assert!(text(&r).contains("trapped"), "{}", text(&r));
    assert_eq!(get(&mut app, "/hello").status, 200);
    // The store outlives the instance.
    assert_eq!(get(&mut app, "/kv/k").body, b"v");
    for _ in 0..20 {
        assert_eq!(get(&mut app, "/trap").status, 500);
    }
    assert_eq!(get(&mut app, "/hello").status, 200);
}

#[test]
fn running_out_of_fuel_is_504() {
    let mut app = load(Box::new(MemoryStore::default()));
    let r = get(&mut app, "/spin");
    assert_eq!(r.status, 504);
    assert_eq!(get(&mut app, "/hello").status, 200);
}

#[test]
fn store_unavailable_is_503() {
    let up = Rc::new(Cell::new(true));
    let mut app = load(Box::new(Flaky { inner: MemoryStore::default(), up: up.clone() }));
    app.handle(&request(Method::Put, "/kv/k", Some(b"v")));
    up.set(false);
    let r = get(&mut app, "/kv/k");
    assert_eq!(r.status, 503);
    up.set(true);
    assert_eq!(get(&mut app, "/kv/k").status, 200);
}

/// A store that refuses our credentials, as Redis does with a wrong password.
struct Refusing;

impl KeyValueStore for Refusing {
    fn get(&mut self, _: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Err(KvError::Authentication("WRONGPASS".into()))
    }
    fn set(&mut self, _: &[u8], _: &[u8]) -> Result<(), KvError> {
        Err(KvError::Authentication("WRONGPASS".into()))
    }
    fn delete(&mut self, _: &[u8]) -> Result<(), KvError> {
        Err(KvError::Authentication("WRONGPASS".into()))
    }
    fn keys_with_prefix(&mut self, _: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        Err(KvError::Authentication("WRONGPASS".into()))
    }
}

#[test]
fn store_refusing_credentials_is_503() {
    let mut app = load(Box::new(Refusing));
    assert_eq!(app.handle(&request(Method::Put, "/kv/k", Some(b"v"))).status, 503);
    assert_eq!(get(&mut app, "/hello").status, 200);
}

#[test]
fn serves_through_an_http_connection() {
    let mut app = load(Box::new(MemoryStore::default()));
    let mut conn = Connection::new(Limits::default());
    let mut out = Vec::new();
    let wire = b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\nHEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n\
PUT /kv/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /kv/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    assert!(!conn.receive(wire, &mut out, |req| app.handle(req)));
    let out = String::from_utf8(out).unwrap();
    let expected = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\nhello, world\
HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n\
HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nstored\
HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
    assert_eq!(out, expected);
}

#[test]
fn demo_guest_on_real_redis() {
    let redis = common::Redis::start(&[]);
    let client = resp::Client::new(common::local_tcp(redis.port), resp::Config::default());
    let mut app = load(Box::new(client));
    assert_eq!(app.handle(&request(Method::Put, "/kv/a", Some(b"1"))).status, 200);
    assert_eq!(get(&mut app, "/kv/a").body, b"1");
    assert_eq!(app.store_mut().get(b"demo:a").unwrap(), Some(b"1".to_vec()));
    drop(redis);
    assert_eq!(get(&mut app, "/kv/a").status, 503);
}

/// The demo guest with `from` replaced by `to` in its source.
fn patched(from: &str, to: &str) -> Vec<u8> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests/demo.wat")).unwrap();
    assert!(src.contains(from), "{from}");
    wat::parse_str(src.replacen(from, to, 1)).unwrap()
}

fn load_err(wasm: &[u8]) -> LoadError {
    match App::load(wasm, Box::new(MemoryStore::default()), AppConfig::default()) {
        Ok(_) => panic!("loaded"),
        Err(e) => e,
    }
}

#[test]
fn load_errors_name_the_problem() {
    assert!(matches!(load_err(b"not wasm"), LoadError::Invalid(_)));
    let e = load_err(&patched("[method]keyvalue.get\"", "[method]keyvalue.frob\""));
    assert_eq!(
        e.to_string(),
        "unknown import spiderlightning:slight/keyvalue#[method]keyvalue.frob of type func (i32, i32, i32, i32) -> ()"
    );
    let mistyped = "(func $router_drop (param i32)))\n(import \"spiderlightning:slight/keyvalue\" \"[method]keyvalue.keys\" (func (param i32 i32) (result i32)))";
    let e = load_err(&patched("(func $router_drop (param i32)))", mistyped));
    assert_eq!(
        e,
        LoadError::ImportType {
            module: "spiderlightning:slight/keyvalue".into(),
            field: "[method]keyvalue.keys".into(),
            expected: "func (i32, i32) -> ()".into(),
            found: "func (i32, i32) -> (i32)".into(),
        }
    );
    let e = load_err(&patched("(import \"spiderlightning:slight/keyvalue\" \"[static]keyvalue.open\"", "(import \"wasi_snapshot_preview1\" \"fd_write\""));
    assert!(e.to_string().starts_with("unknown import wasi_snapshot_preview1#fd_write"), "{e}");
    assert_eq!(load_err(&patched("(export \"memory\")", "")), LoadError::MissingExport { name: "memory", expected: "memory" });
    assert!(matches!(load_err(&patched("(export \"init\")", "")), LoadError::MissingExport { name: "init", .. }));
    let e = load_err(&patched("(export \"cabi_realloc\") (param $old i32)", "(export \"cabi_realloc\") (param $old i64)"));
    assert!(e.to_string().contains("export cabi_realloc has type func (i64, i32, i32, i32) -> (i32)"), "{e}");
}

#[test]
fn init_failures() {
    // init returns err(message): serve a bad address, whose error is passed on.
    let e = load_err(&patched("(i32.const 144) (i32.const 12) (local.get $router)", "(i32.const 144) (i32.const 7) (local.get $router)"));
    assert_eq!(e, LoadError::InitFailed("address \"0.0.0.0\" is not host:port".into()));
    // A port other than the platform's: served on another port before (with a warning in the
    // console only); now the app hears it from `serve` (unexpected-error) and init fails with it.
    let on_8080 = patched("\"0.0.0.0:3000\"", "\"0.0.0.0:8080\"");
    assert_eq!(
        load_err(&on_8080),
        LoadError::InitFailed("cannot serve 0.0.0.0:8080: the kernel listens on port 3000; serve on port 3000, or boot with the kernel argument port=8080".into())
    );
    let app = App::load(&on_8080, Box::new(MemoryStore::default()), AppConfig { port: 8080, ..AppConfig::default() }).unwrap();
    assert_eq!(app.port(), Some(8080), "served when the platform listens on the port the app asks for");
    // A route naming a missing export: invalid-handler.
    let e = load_err(&patched("(i32.const 48) (i32.const 12)", "(i32.const 48) (i32.const 11)"));
    assert_eq!(e, LoadError::InitFailed("no export named \"handle-hell\"".into()));
    // A handler string naming an export of another type.
    let e = load_err(&patched("(i32.const 48) (i32.const 12)", "(i32.const 16) (i32.const 4)"));
    assert!(matches!(&e, LoadError::InitFailed(m) if m.contains("no export named \"demo\"")), "{e}");
    // A bad route.
    let e = load_err(&patched("(i32.const 32) (i32.const 6)", "(i32.const 33) (i32.const 5)"));
    assert!(matches!(&e, LoadError::InitFailed(m) if m.contains("must start with '/'")), "{e}");
    // init returns without serving.
    let e = load_err(&patched("(call $serve (i32.const 144) (i32.const 12) (local.get $router) (i32.const 512))", ""));
    assert_eq!(e, LoadError::NotServing);
}

#[test]
fn guest_abi_violations_trap_cleanly() {
    // Dropping the router twice: the second drop traps init.
    let e = load_err(&patched("(call $router_drop (local.get $router))", "(call $router_drop (local.get $router)) (call $router_drop (local.get $router))"));
    assert!(matches!(&e, LoadError::InitTrap(m) if m.contains("unknown resource handle")), "{e}");
    // The server handle (3) used as a container, and a handle never made.
    for (handle, message) in [("3", "resource handle 3 is a server, not a keyvalue"), ("99", "unknown resource handle 99")] {
        let wasm = patched("(global.set $kv (i32.load (i32.const 516)))", &format!("(global.set $kv (i32.const {handle}))"));
        let mut app = App::load(&wasm, Box::new(MemoryStore::default()), AppConfig::default()).unwrap();
        let r = get(&mut app, "/kv/x");
        assert_eq!(r.status, 500);
        assert!(text(&r).contains(message), "{}", text(&r));
    }
    // An out-of-bounds string passed to an import.
    let e = load_err(&patched("(call $kv_open (i32.const 16) (i32.const 4)", "(call $kv_open (i32.const 65534) (i32.const 4)"));
    assert!(matches!(&e, LoadError::InitTrap(m) if m.contains("out of bounds")), "{e}");
    // A misaligned return area.
    let e = load_err(&patched("(call $router_new (i32.const 512))", "(call $router_new (i32.const 513))"));
    assert!(matches!(&e, LoadError::InitTrap(m) if m.contains("not 4-aligned")), "{e}");
    // A handler returning an out-of-bounds result pointer: 500, and the app recovers.
    let wasm = patched("(call $respond (i32.const 200) (i32.const 160) (i32.const 12))", "(i32.const 65532)");
    let mut app = App::load(&wasm, Box::new(MemoryStore::default()), AppConfig::default()).unwrap();
    let r = get(&mut app, "/hello");
    assert_eq!(r.status, 500);
    assert!(text(&r).contains("out of bounds"), "{}", text(&r));
    // A handler whose body pointer is out of bounds.
    let wasm = patched("(call $respond (i32.const 200) (i32.const 160) (i32.const 12))", "(call $respond (i32.const 200) (i32.const 160) (i32.const -1))");
    let mut app = App::load(&wasm, Box::new(MemoryStore::default()), AppConfig::default()).unwrap();
    assert_eq!(get(&mut app, "/hello").status, 500);
    assert_eq!(get(&mut app, "/kv/x").status, 404, "other routes still work");
}

#[test]
fn traces_requests_and_keyvalue_calls() {
    let lines = Rc::new(std::cell::RefCell::new(Vec::new()));
    let config = AppConfig { request_fuel: 1_000_000, ..AppConfig::default() };
    let mut app =
        App::load_traced(&demo(), Box::new(MemoryStore::default()), Some(Box::new(Lines(lines.clone()))), config).unwrap();
    // init opened the container, outside any request.
    assert_eq!(
        lines.borrow().as_slice(),
        [r#"{"type":"kv","iface":"spiderlightning:slight/keyvalue","fn":"[static]keyvalue.open","container":"demo","ok":true,"dur_us":0}"#]
    );
    lines.borrow_mut().clear();
    assert_eq!(app.handle(&request(Method::Put, "/kv/k", Some(b"<v>"))).status, 200);
    assert_eq!(get(&mut app, "/kv/gone").status, 404);
    assert_eq!(get(&mut app, "/nope").status, 404);
    app.trace_rejected(400);
    let lines = lines.borrow();
    assert_eq!(lines.len(), 9, "{lines:#?}");
    // Each request the app handles opens with its `http_start`; the refused one has none.
    assert_eq!(lines[0], r#"{"type":"http_start","id":1,"method":"PUT","path":"/kv/k"}"#);
    assert_eq!(
        lines[1],
        r#"{"type":"kv","req":1,"iface":"spiderlightning:slight/keyvalue","fn":"[method]keyvalue.set","container":"demo","key":"k","value_bytes":3,"value_b64":"PHY+","ok":true,"dur_us":0}"#
    );
    assert_eq!(
        lines[2],
        r#"{"type":"http","id":1,"method":"PUT","path":"/kv/k","status":200,"req_bytes":3,"resp_bytes":6,"dur_us":0,"handler":"kv-put","req_headers":["Host","test"],"resp_headers":["content-type","text/plain"],"req_body_b64":"PHY+","resp_body_b64":"c3RvcmVk"}"#
    );
    assert_eq!(lines[3], r#"{"type":"http_start","id":2,"method":"GET","path":"/kv/gone"}"#);
    assert!(lines[4].contains(r#""req":2,"#) && lines[4].contains(r#""ok":false,"err":"key-not-found","err_msg":"gone""#));
    assert!(lines[5].starts_with(r#"{"type":"http","id":2,"method":"GET","path":"/kv/gone","status":404,"#));
    assert_eq!(lines[6], r#"{"type":"http_start","id":3,"method":"GET","path":"/nope"}"#);
    assert!(lines[7].contains(r#""id":3,"method":"GET","path":"/nope","status":404,"#) && lines[7].contains(r#""handler":"""#));
    assert!(lines[8].starts_with(r#"{"type":"http","id":4,"method":"","path":"","status":400,"#));
}
