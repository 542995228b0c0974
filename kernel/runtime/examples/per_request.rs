//! The runtime's own cost per request, natively (no QEMU): GET /hello on a core-module app or a
//! component, N times after a warm-up, with the allocations each request makes. Run under
//! `valgrind --tool=callgrind` for instruction counts (bench/RESULTS.md says how).
//! usage: cargo run --release --example per_request -- core|component N APP.wasm

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use uniwasm_runtime::host::{App, AppConfig, ComponentApp, NoStore};
use uniwasm_runtime::http::{Method, Request};
use uniwasm_runtime::wasi::{ClientError, ClientRequest, ClientResponse, Platform};

/// Counts allocations (and reallocations) on top of the system allocator.
struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A platform that does nothing the measured path needs.
struct Quiet(Instant, u64);

impl Platform for Quiet {
    fn monotonic_ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
    fn wall_clock(&self) -> (u64, u32) {
        (0, 0)
    }
    fn random(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.1 = self.1.wrapping_mul(6364136223846793005).wrapping_add(1);
            *b = (self.1 >> 33) as u8;
        }
    }
    fn console(&mut self, _: bool, _: &[u8]) {}
    fn wait_until(&mut self, _: u64) {}
    fn send(&mut self, _: ClientRequest) -> Result<ClientResponse, ClientError> {
        Err(ClientError::ConnectionRefused)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, kind, count, path] = &args[..] else { panic!("usage: per_request core|component N APP.wasm") };
    let n: u64 = count.parse().expect("N");
    let bytes = std::fs::read(path).expect("APP.wasm");
    let mut handle: Box<dyn FnMut(&Request) -> u16> = match kind.as_str() {
        "component" => {
            let mut app = ComponentApp::load(&bytes, Box::new(Quiet(Instant::now(), 1)), None, AppConfig::default()).expect("component");
            Box::new(move |r| app.handle(r).status)
        }
        _ => {
            let mut app = App::load(&bytes, Box::new(NoStore), AppConfig::default()).expect("core module");
            Box::new(move |r| app.handle(r).status)
        }
    };
    let request = Request {
        method: Method::Get,
        uri: "/hello".into(),
        headers: vec![("host".into(), "x".into()), ("user-agent".into(), "bench".into())],
        body: None,
        keep_alive: true,
    };
    for _ in 0..100 {
        handle(&request);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let started = Instant::now();
    for _ in 0..n {
        assert_eq!(handle(&request), 200);
    }
    let elapsed = started.elapsed();
    println!("{kind}: {:.1} µs and {} allocations a request", elapsed.as_secs_f64() * 1e6 / n as f64, (ALLOCATIONS.load(Ordering::Relaxed) - allocations) / n);
}
