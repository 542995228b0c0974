//! Hostile components against the real WASI host through `ComponentApp`: a component that traps,
//! loops, never answers, misuses its `response-outparam`, grows memory, lifts too much, leaks
//! handles or host memory (tests/guests/hostile-component.wat), and components the loader must
//! refuse. Each ends in a status or a `LoadError` whose message names the problem, and the app
//! keeps serving, on a fresh instance after a trap.

mod common;

use common::counting::{peak_during, Counting};
use common::platform::FakePlatform;
use std::cell::RefCell;
use std::rc::Rc;
use uniwasm_runtime::host::{AppConfig, ComponentApp};
use uniwasm_runtime::http::{Method, Request, Response};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const GUEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests/hostile-component.wat");

/// The hostile component's source with each `from` replaced by its `to`, compiled.
fn patched(edits: &[(&str, &str)]) -> Vec<u8> {
    let mut src = std::fs::read_to_string(GUEST).unwrap();
    for (from, to) in edits {
        assert!(src.contains(from), "{from}");
        src = src.replacen(from, to, 1);
    }
    wat::parse_str(src).unwrap()
}

fn load(bytes: &[u8], config: AppConfig) -> Result<ComponentApp, String> {
    let platform = FakePlatform::new(Rc::new(RefCell::new(Vec::new())));
    ComponentApp::load(bytes, Box::new(platform), None, config).map_err(|e| e.to_string())
}

/// The kernel's limits, with less fuel so the runaway cases end sooner.
fn config() -> AppConfig {
    AppConfig { init_fuel: 1_000_000, request_fuel: 5_000_000, ..AppConfig::default() }
}

fn app() -> ComponentApp {
    load(&wat::parse_file(GUEST).unwrap(), config()).unwrap()
}

fn get(app: &mut ComponentApp, path: &str) -> Response {
    let request = Request { method: Method::Get, uri: path.into(), headers: vec![("host".into(), "test".into())], body: None, keep_alive: true };
    app.handle(&request)
}

fn text(r: &Response) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

/// A 4-byte little-endian body.
fn number(r: &Response) -> u32 {
    assert_eq!((r.status, r.body.len()), (200, 4), "{}", String::from_utf8_lossy(&r.body));
    u32::from_le_bytes(r.body[..].try_into().unwrap())
}

/// `path` answers `status` with a body containing `message`.
fn answers(app: &mut ComponentApp, path: &str, status: u16, message: &str) {
    let r = get(app, path);
    assert_eq!(r.status, status, "{path}: {}", text(&r));
    assert!(text(&r).contains(message), "{path}: {:?} lacks {message:?}", text(&r));
}

/// The app serves again, on a fresh instance (its request count restarted).
fn serves_on_a_fresh_instance(app: &mut ComponentApp) {
    assert_eq!(number(&get(app, "/count")), 1, "a fresh instance");
    answers(app, "/hello", 200, "hello from a component");
}

#[test]
fn the_component_serves_and_keeps_its_instance_between_requests() {
    let mut app = app();
    answers(&mut app, "/hello", 200, "hello from a component\n");
    assert_eq!(number(&get(&mut app, "/count")), 2);
    answers(&mut app, "/zzz", 404, "");
}

#[test]
fn returning_without_setting_a_response_is_500_and_the_instance_stays() {
    let mut app = app();
    answers(&mut app, "/none", 500, "the component returned without setting a response");
    assert_eq!(number(&get(&mut app, "/count")), 2, "no trap, the same instance");
}

#[test]
fn a_response_body_never_finished_is_500() {
    let mut app = app();
    answers(&mut app, "/unfinished", 500, "the component did not finish its response body");
}

#[test]
fn a_trap_is_500_and_the_next_request_gets_a_fresh_instance() {
    let mut app = app();
    get(&mut app, "/hello");
    answers(&mut app, "/trap", 500, "the handler trapped: ");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn setting_the_response_twice_traps_on_the_consumed_outparam_handle() {
    let mut app = app();
    answers(&mut app, "/double", 500, "wasi:http/types@0.2.0#[static]response-outparam.set: unknown resource handle 2");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn setting_a_dropped_outparam_traps() {
    let mut app = app();
    answers(&mut app, "/xdropped", 500, "wasi:http/types@0.2.0#[static]response-outparam.set: unknown resource handle 2");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn a_loop_without_end_is_504_and_the_next_request_gets_a_fresh_instance() {
    let mut app = app();
    get(&mut app, "/hello");
    answers(&mut app, "/spin", 504, "the handler ran out of fuel");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn memory_grows_to_the_64_mib_limit_and_no_further() {
    let mut app = app();
    assert_eq!(number(&get(&mut app, "/grow")), 1024, "64 MiB in 64 KiB pages");
    answers(&mut app, "/hello", 200, "hello from a component");
}

#[test]
fn an_allocation_refused_traps_and_the_next_request_gets_a_fresh_instance() {
    let mut app = app();
    answers(&mut app, "/oom", 500, "unreachable");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn a_list_larger_than_the_lift_budget_traps_before_the_host_copies_it() {
    let mut app = app();
    let (r, peak) = peak_during(|| get(&mut app, "/big"));
    assert_eq!(r.status, 500);
    assert!(text(&r).contains("wasi:io/streams@0.2.0#[method]output-stream.blocking-write-and-flush: the call passes the host more than 16777216 bytes"), "{}", text(&r));
    assert!(peak < 8 << 20, "the host allocated {peak} bytes");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn more_handles_than_the_limit_trap() {
    let mut app = load(&wat::parse_file(GUEST).unwrap(), AppConfig { request_fuel: 50_000_000, ..config() }).unwrap();
    answers(&mut app, "/leak", 500, "wasi:http/types@0.2.0#[constructor]fields: the guest holds 65536 resource handles, the host's limit");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn a_realloc_answering_out_of_bounds_traps_naming_the_range() {
    let mut app = app();
    answers(&mut app, "/realloc", 500, "wasi:http/types@0.2.0#[method]incoming-request.path-with-query: guest range 0xfffffff0+8 is out of bounds");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn an_outparam_kept_from_an_earlier_request_cannot_answer_a_later_one() {
    let mut app = app();
    answers(&mut app, "/keep", 500, "the component returned without setting a response");
    answers(&mut app, "/answer-kept", 500, "the response-outparam of an earlier request");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn host_objects_cloned_without_end_meet_the_host_memory_limit() {
    let mut app = load(&wat::parse_file(GUEST).unwrap(), AppConfig { request_fuel: 50_000_000, ..config() }).unwrap();
    let (r, peak) = peak_during(|| get(&mut app, "/fat"));
    assert_eq!(r.status, 500, "{}", text(&r));
    assert!(text(&r).contains("wasi:http/types@0.2.0#[method]fields.clone: the instance's host objects would exceed"), "{}", text(&r));
    assert!(peak < 80 << 20, "the host allocated {peak} bytes");
    serves_on_a_fresh_instance(&mut app);
}

#[test]
fn requests_the_component_keeps_meet_the_host_memory_limit_at_its_next_host_call() {
    // The component never drops its incoming-request: each keeps its 1 MiB body on the host.
    let mut app = app();
    let body = vec![b'x'; 1 << 20];
    let mut post = |path: &str| {
        let request = Request { method: Method::Post, uri: path.into(), headers: vec![], body: Some(body.clone()), keep_alive: true };
        app.handle(&request)
    };
    let answers: Vec<Response> = (0..65).map(|_| post("/none")).collect();
    let limit = answers.iter().position(|r| text(r).contains("the instance's host objects would exceed 67108864 bytes"));
    assert_eq!(limit, Some(64), "the 65th request takes the host past 64 MiB");
    assert!(answers[..64].iter().all(|r| text(r).contains("returned without setting a response")));
    assert!(text(&answers[64]).starts_with("the handler trapped: wasi:http/types@0.2.0#[method]incoming-request.path-with-query: "));
    serves_on_a_fresh_instance(&mut app);
}

// ---- components the loader refuses ----

fn refused(bytes: &[u8]) -> String {
    load(bytes, config()).err().expect("the load fails")
}

#[test]
fn garbage_is_not_a_valid_component() {
    let garbage: Vec<u8> = b"\0asm\x0d\0\x01\0".iter().copied().chain((0..4096u32).map(|i| (i * 7919 + 13) as u8)).collect();
    let e = refused(&garbage);
    assert!(e.starts_with("invalid component: "), "{e}");
    let e = refused(b"not wasm at all");
    assert!(e.starts_with("invalid component: ") && e.contains("magic header"), "{e}");
}

#[test]
fn an_interface_the_host_does_not_offer_is_named() {
    let e = refused(&patched(&[("(component $C\n", "(component $C\n  (import \"wasi:sockets/tcp@0.2.0\" (instance))\n")]));
    assert_eq!(e, "the component imports wasi:sockets/tcp@0.2.0, which this host does not offer");
}

#[test]
fn a_function_the_host_does_not_offer_is_named() {
    const FIELDS_NEW: &str = "(export \"[constructor]fields\" (func (result (own $fields))))";
    const ALIAS: &str = "(alias export $types \"[constructor]fields\" (func $fields-new))";
    // Declared in the import, and used: only what a component aliases must exist.
    let e = refused(&patched(&[
        (FIELDS_NEW, &format!("{FIELDS_NEW}\n    (export \"frobnicate\" (func))")),
        (ALIAS, &format!("{ALIAS}\n  (alias export $types \"frobnicate\" (func))")),
    ]));
    assert_eq!(e, "the component imports wasi:http/types@0.2.0#frobnicate, which this host does not offer");
    let e = refused(&patched(&[("(component $C\n", "(component $C\n  (import \"frobnicate\" (func))\n")]));
    assert_eq!(e, "the component imports function frobnicate, which this host does not offer");
}

#[test]
fn an_interface_version_the_host_cannot_serve_is_named() {
    let e = refused(&patched(&[("wasi:http/types@0.2.0", "wasi:http/types@0.3.0")]));
    assert_eq!(e, "the component imports wasi:http/types@0.3.0 (this host implements wasi:http/types@0.2.12), which this host does not offer");
}

#[test]
fn utf16_strings_are_refused_by_name() {
    let e = refused(&patched(&[("(realloc $realloc) string-encoding=utf8", "(realloc $realloc) string-encoding=utf16")]));
    assert_eq!(e, "unsupported component feature: string-encoding=utf16 (only UTF-8 strings are)");
}

#[test]
fn async_is_refused_by_name() {
    let e = refused(&patched(&[("(component $C\n", "(component $C\n  (type (future u8))\n")]));
    assert!(e.starts_with("unsupported component feature: ") && e.contains("async"), "{e}");
    let e = refused(&patched(&[("(canon lift (core func $main \"handle\"))", "(canon lift (core func $main \"handle\") async)")]));
    assert!(e.starts_with("unsupported component feature: ") && e.contains("async"), "{e}");
}

#[test]
fn a_component_without_the_handler_is_named() {
    let e = refused(&patched(&[("(export \"wasi:http/incoming-handler@0.2.0\" (instance $handler))", "(export \"run\" (func $handle))")]));
    assert!(e.starts_with("the component does not export wasi:http/incoming-handler@0.2.0#handle") && e.ends_with("it exports run"), "{e}");
}
