use std::time::Instant;
use uniwasm_runtime::host::{App, AppConfig, ComponentApp, NoStore};
use uniwasm_runtime::http::{Method, Request};
use uniwasm_runtime::wasi::{ClientError, ClientRequest, ClientResponse, Platform};
struct P(Instant, u64);
impl Platform for P {
    fn monotonic_ns(&self) -> u64 { self.0.elapsed().as_nanos() as u64 }
    fn wall_clock(&self) -> (u64, u32) { (0, 0) }
    fn random(&mut self, b: &mut [u8]) { for x in b { self.1 = self.1.wrapping_mul(6364136223846793005).wrapping_add(1); *x = (self.1 >> 33) as u8; } }
    fn console(&mut self, _: bool, _: &[u8]) {}
    fn wait_until(&mut self, _: u64) {}
    fn send(&mut self, _: ClientRequest) -> Result<ClientResponse, ClientError> { Err(ClientError::ConnectionRefused) }
}
fn req() -> Request { Request { method: Method::Get, uri: "/hello".into(), headers: vec![("host".into(), "x".into()), ("user-agent".into(), "bench".into())], body: None, keep_alive: true } }
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args[2].parse().unwrap();
    let bytes = std::fs::read(&args[3]).unwrap();
    let mut handle: Box<dyn FnMut(&Request) -> u16> = if args[1] == "component" {
        let mut app = ComponentApp::load(&bytes, Box::new(P(Instant::now(), 1)), None, AppConfig::default()).unwrap();
        Box::new(move |r| app.handle(r).status)
    } else {
        let mut app = App::load(&bytes, Box::new(NoStore), AppConfig::default()).unwrap();
        Box::new(move |r| app.handle(r).status)
    };
    for _ in 0..100 { handle(&req()); }
    let t = Instant::now();
    for _ in 0..n { assert_eq!(handle(&req()), 200); }
    println!("{}: {:.1} us/request", args[1], t.elapsed().as_secs_f64() * 1e6 / n as f64);
}
