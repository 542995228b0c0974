//! Handlers suspended in KeyValue calls that the store answers later (as Redis does over the
//! kernel's network): other requests run meanwhile on other instances, the handler resumes with
//! the store's answer, requests wait for an instance when the pool is full, and trace events keep
//! their request ids. The guest is tests/guests/demo.wat.

mod common;

use common::Lines;
use std::cell::RefCell;
use std::rc::Rc;
use uniwasm_runtime::host::{Answer, App, AppConfig};
use uniwasm_runtime::http::{Method, Request, Response};
use uniwasm_runtime::kv::{self, KeyValueStore, KvError, KvOp, KvResult, MemoryStore, Started};

fn demo() -> Vec<u8> {
    wat::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests/demo.wat")).unwrap()
}

fn request(method: Method, uri: &str, body: Option<&[u8]>) -> Request {
    Request { method, uri: uri.into(), headers: vec![("Host".into(), "test".into())], body: body.map(<[u8]>::to_vec), keep_alive: true }
}

fn get(uri: &str) -> Request {
    request(Method::Get, uri, None)
}

fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// What the test lets the store do with the operations queued so far.
#[derive(Clone, Copy, PartialEq)]
enum Gate {
    Hold,
    Answer,
    /// As if Redis went away.
    Fail,
}

/// A memory store that queues what handlers ask, and answers when the test opens its gate.
struct Deferred {
    inner: MemoryStore,
    gate: Rc<RefCell<Gate>>,
    queued: Vec<(u64, KvOp)>,
    next_ticket: u64,
}

impl KeyValueStore for Deferred {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.inner.get(key)
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.inner.set(key, value)
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), KvError> {
        self.inner.delete(key)
    }
    fn keys_with_prefix(&mut self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        self.inner.keys_with_prefix(prefix)
    }
    fn start(&mut self, op: KvOp) -> Started {
        self.next_ticket += 1;
        self.queued.push((self.next_ticket, op));
        Started::Queued(self.next_ticket)
    }
    fn finished(&mut self) -> Vec<(u64, KvResult)> {
        let gate = *self.gate.borrow();
        if gate == Gate::Hold {
            return Vec::new();
        }
        let queued = std::mem::take(&mut self.queued);
        let mut answer = |op| if gate == Gate::Fail { Err(KvError::Connection("redis is gone".into())) } else { kv::run(&mut self.inner, op) };
        queued.into_iter().map(|(ticket, op)| (ticket, answer(op))).collect()
    }
}

/// The demo on a deferred store holding `demo:a = A`, with at most `instances` instances.
fn app(instances: usize, tracer: Option<Box<dyn uniwasm_runtime::trace::Tracer>>) -> (App, Rc<RefCell<Gate>>) {
    app_of(&demo(), instances, tracer)
}

fn app_of(wasm: &[u8], instances: usize, tracer: Option<Box<dyn uniwasm_runtime::trace::Tracer>>) -> (App, Rc<RefCell<Gate>>) {
    let gate = Rc::new(RefCell::new(Gate::Hold));
    let mut inner = MemoryStore::default();
    inner.set(b"demo:a", b"A").unwrap();
    let store = Deferred { inner, gate: gate.clone(), queued: Vec::new(), next_ticket: 0 };
    let config = AppConfig { request_fuel: 1_000_000, instances, ..AppConfig::default() };
    (App::load_traced(wasm, Box::new(store), tracer, config).unwrap(), gate)
}

fn later(answer: Answer) -> u64 {
    match answer {
        Answer::Later(id) => id,
        Answer::Now(r) => panic!("answered at once: {} {}", r.status, text(&r)),
    }
}

fn now(answer: Answer) -> Response {
    match answer {
        Answer::Now(r) => r,
        Answer::Later(id) => panic!("request {id} waits"),
    }
}

#[test]
fn a_request_waiting_for_the_store_lets_others_run_and_resumes_with_its_answer() {
    let (mut app, gate) = app(4, None);
    let waiting = later(app.start(&get("/kv/a")));
    assert_eq!(app.poll(), vec![], "the store has not answered");
    let hello = now(app.start(&get("/hello")));
    assert_eq!((hello.status, text(&hello).as_str()), (200, "hello, world"));
    assert_eq!(app.instances(), 2, "/hello ran on a second instance");

    *gate.borrow_mut() = Gate::Answer;
    let answered = app.poll();
    assert_eq!(answered.len(), 1);
    assert_eq!((answered[0].0, answered[0].1.status, text(&answered[0].1).as_str()), (waiting, 200, "A"));
    // The instance is free again: a request after it runs there, without a third instance.
    let put = later(app.start(&request(Method::Put, "/kv/b", Some(b"B"))));
    assert_eq!(app.poll().iter().map(|(id, r)| (*id, r.status)).collect::<Vec<_>>(), vec![(put, 200)]);
    assert_eq!(app.instances(), 2);
    assert_eq!(app.store_mut().get(b"demo:b").unwrap(), Some(b"B".to_vec()));
}

#[test]
fn with_every_instance_waiting_requests_wait_their_turn_in_order() {
    let (mut app, gate) = app(1, None);
    let first = later(app.start(&get("/kv/a")));
    let second = later(app.start(&get("/hello")));
    let third = later(app.start(&get("/kv/missing")));
    assert_eq!(app.poll(), vec![]);
    assert_eq!(app.instances(), 1);
    *gate.borrow_mut() = Gate::Answer;
    // The first resumes; /hello runs on its freed instance at once, /kv/missing suspends there.
    let answered: Vec<(u64, u16)> = app.poll().iter().map(|(id, r)| (*id, r.status)).collect();
    assert_eq!(answered, vec![(first, 200), (second, 200)]);
    let answered: Vec<(u64, u16)> = app.poll().iter().map(|(id, r)| (*id, r.status)).collect();
    assert_eq!(answered, vec![(third, 404)]);
}

#[test]
fn a_store_that_fails_while_the_handler_waits_is_503() {
    let (mut app, gate) = app(4, None);
    let waiting = later(app.start(&get("/kv/a")));
    *gate.borrow_mut() = Gate::Fail;
    let answered = app.poll();
    assert_eq!((answered[0].0, answered[0].1.status), (waiting, 503), "{}", text(&answered[0].1));
    // A failed store call is no trap: the instance serves on.
    *gate.borrow_mut() = Gate::Answer;
    assert_eq!(app.handle(&get("/kv/a")).status, 200);
    assert_eq!(app.instances(), 1);
}

#[test]
fn a_trap_after_resuming_is_500_and_that_instance_restarts() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests/demo.wat")).unwrap();
    let answer_value = "(call $respond (i32.const 200) (i32.load (i32.const 516)) (i32.load (i32.const 520)))";
    assert!(src.contains(answer_value));
    // kv-get traps once its get returned.
    let (mut app, gate) = app_of(&wat::parse_str(src.replacen(answer_value, "unreachable", 1)).unwrap(), 4, None);
    let waiting = later(app.start(&get("/kv/a")));
    assert_eq!(now(app.start(&get("/hello"))).status, 200);
    *gate.borrow_mut() = Gate::Answer;
    let answered = app.poll();
    assert_eq!((answered[0].0, answered[0].1.status), (waiting, 500));
    assert!(text(&answered[0].1).contains("unreachable"), "{}", text(&answered[0].1));
    // Both instances serve on, the trapped one restarted.
    assert_eq!(now(app.start(&get("/hello"))).status, 200);
    assert_eq!(now(app.start(&get("/hello"))).status, 200);
    assert_eq!(app.instances(), 2);
}

#[test]
fn trace_events_of_interleaved_requests_keep_their_ids() {
    let lines = Rc::new(RefCell::new(Vec::new()));
    let (mut app, gate) = app(4, Some(Box::new(Lines(lines.clone()))));
    lines.borrow_mut().clear(); // init's open
    later(app.start(&get("/kv/a")));
    now(app.start(&get("/hello")));
    *gate.borrow_mut() = Gate::Answer;
    app.poll();
    let lines = lines.borrow();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert_eq!(lines[0], r#"{"type":"http_start","id":1,"method":"GET","path":"/kv/a"}"#);
    // The second instance's init, outside any request: no `req`.
    assert!(lines[1].starts_with(r#"{"type":"kv","iface":"spiderlightning:slight/keyvalue","fn":"[static]keyvalue.open","#), "{}", lines[1]);
    assert_eq!(lines[2], r#"{"type":"http_start","id":2,"method":"GET","path":"/hello"}"#);
    assert!(lines[3].starts_with(r#"{"type":"http","id":2,"method":"GET","path":"/hello","status":200,"#), "{}", lines[3]);
    assert!(lines[4].starts_with(r#"{"type":"kv","req":1,"#) && lines[4].contains(r#""fn":"[method]keyvalue.get","container":"demo","key":"a","value_bytes":1,"#), "{}", lines[4]);
    assert!(lines[5].starts_with(r#"{"type":"http","id":1,"method":"GET","path":"/kv/a","status":200,"#), "{}", lines[5]);
}
