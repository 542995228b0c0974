//! The example `wasi:http` components (built from C and from Rust by `examples/`), served by the
//! runtime's component host with a fake platform: the answers wasmtime gives, and the component's
//! failures turned into statuses while the app keeps serving.

mod common;

use common::platform::FakePlatform;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use uniwasm_runtime::host::{AppConfig, ComponentApp};
use uniwasm_runtime::http::{Method, Request, Response};

/// The built component of `examples/<name>` (scripts/test.sh builds the examples first).
fn component(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name).join("build").join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (build it: node dist/cli.js build --app examples/{name})", path.display()))
}

fn app(name: &str) -> (ComponentApp, Rc<RefCell<Vec<u8>>>) {
    let console = Rc::new(RefCell::new(Vec::new()));
    let platform = FakePlatform::new(console.clone());
    let app = ComponentApp::load(&component(name), Box::new(platform), None, AppConfig::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    (app, console)
}

/// A request as clients send it: with a `host` header first.
fn request(method: Method, uri: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Request {
    let host = [("host", "10.0.2.15:3000")];
    Request {
        method,
        uri: uri.into(),
        headers: host.iter().chain(headers).map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        body: body.map(<[u8]>::to_vec),
        keep_alive: true,
    }
}

fn header<'r>(r: &'r Response, name: &str) -> Vec<&'r str> {
    r.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
}

fn text(r: &Response) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

/// What both example components answer (their README lists the routes).
fn serves_the_demo_routes(name: &str) {
    let (mut app, _) = app(name);
    let hello = app.handle(&request(Method::Get, "/hello", &[], None));
    assert_eq!((hello.status, text(&hello)), (200, "hello, world\n"), "{name}");
    assert_eq!(header(&hello, "content-type"), ["text/plain; charset=utf-8"]);
    let nothing = app.handle(&request(Method::Get, "/foo", &[], None));
    assert_eq!((nothing.status, text(&nothing)), (404, "key not found\n"), "{name}: nothing stored yet");
    assert_eq!(app.handle(&request(Method::Put, "/bar", &[], Some(b"stored"))).status, 200);
    let stored = app.handle(&request(Method::Get, "/foo", &[], None));
    assert_eq!((stored.status, text(&stored)), (200, "stored"), "{name}: the instance keeps the value");
    let unknown = app.handle(&request(Method::Get, "/nope", &[], None));
    assert_eq!(unknown.status, 404);
    let wrong = app.handle(&request(Method::Delete, "/hello", &[], None));
    assert_eq!((wrong.status, header(&wrong, "allow")), (405, vec!["GET, HEAD"]));
}

#[test]
fn the_c_component_serves_the_demo_routes() {
    serves_the_demo_routes("http-component-c");
}

#[test]
fn the_rust_component_serves_the_demo_routes() {
    serves_the_demo_routes("http-component-rust");
}

#[test]
fn a_megabyte_streams_back_byte_for_byte() {
    for name in ["http-component-c", "http-component-rust"] {
        let (mut app, _) = app(name);
        let body: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
        let echo = app.handle(&request(Method::Post, "/echo", &[("content-type", "application/x-test")], Some(&body)));
        assert_eq!(echo.status, 200, "{name}: {}", String::from_utf8_lossy(&echo.body));
        assert!(echo.body == body, "{name}: echoed {} bytes", echo.body.len());
        assert_eq!(header(&echo, "content-type"), ["application/x-test"]);
    }
}

#[test]
fn headers_arrive_without_connection_management_and_repeated_ones_go_out() {
    let (mut app, _) = app("http-component-c");
    let sent = [("x-first", "1"), ("x-dup", "a"), ("connection", "keep-alive"), ("x-dup", "b")];
    let r = app.handle(&request(Method::Get, "/headers", &sent, None));
    assert_eq!(text(&r), "x-first: 1\nx-dup: a\nx-dup: b\n");
    assert_eq!(header(&r, "x-repeat"), ["one", "two"]);
}

#[test]
fn a_trap_answers_500_and_the_next_request_gets_a_fresh_instance() {
    let (mut app, _) = app("http-component-c");
    app.handle(&request(Method::Put, "/bar", &[], Some(b"before")));
    let trapped = app.handle(&request(Method::Get, "/trap", &[], None));
    assert_eq!(trapped.status, 500);
    assert!(text(&trapped).contains("trapped"), "{}", text(&trapped));
    assert_eq!(app.handle(&request(Method::Get, "/hello", &[], None)).status, 200);
    assert_eq!(app.handle(&request(Method::Get, "/foo", &[], None)).status, 404, "a fresh instance has no stored value");
}

#[test]
fn the_component_writes_to_stderr_through_the_platform_console() {
    let (mut app, console) = app("http-component-c");
    app.handle(&request(Method::Get, "/nope", &[], None));
    app.handle(&request(Method::Get, "/trap", &[], None));
    let written = String::from_utf8(console.borrow().clone()).unwrap();
    assert!(written.contains("GET /nope 404\n") && written.contains("GET /trap: trapping on purpose\n"), "{written:?}");
}
