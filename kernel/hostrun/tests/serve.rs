//! uniwasm-host end to end: the real binary serving the demo app (built from examples/ by its
//! build script) to real HTTP clients, with a real redis-server behind it or the in-memory store.

#[path = "../../runtime/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use common::Redis;

/// The demo app, built once per test run (its build script is idempotent and fast).
fn demo_app() -> &'static PathBuf {
    static APP: OnceLock<PathBuf> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/http-server-demo"));
        let status = Command::new("bash").arg(dir.join("build.sh")).stdout(Stdio::null()).status().unwrap();
        assert!(status.success(), "the demo app did not build");
        dir.join("build/http-server-demo.wasm")
    })
}

/// A running uniwasm-host, killed on drop.
struct Host {
    child: Child,
    port: u16,
}

impl Host {
    /// Starts the binary on a port the OS picks, learnt from its "listening on" line: no race
    /// between choosing a free port and binding it.
    fn start(redis: Option<u16>) -> Host {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_uniwasm-host"));
        cmd.arg("--app").arg(demo_app()).args(["--listen", "127.0.0.1:0"]);
        if let Some(port) = redis {
            cmd.args(["--redis", &format!("127.0.0.1:{port}")]);
        }
        let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let port = loop {
            let line = lines.next().expect("uniwasm-host exited before listening").unwrap();
            if let Some(addr) = line.strip_prefix("uniwasm-host: listening on ") {
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        Host { child, port }
    }

    /// Sends `raw` on a new connection and returns everything until the server closes it.
    fn exchange(&self, raw: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    /// One request with `Connection: close`; returns (status, body).
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let answer = self.exchange(&format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ));
        let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("bad answer {answer:?}"));
        let (_, body) = answer.split_once("\r\n\r\n").unwrap();
        (status, body.to_string())
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET `key` straight from Redis, in RESP.
fn redis_get(port: u16, key: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).unwrap();
    let mut reply = [0u8; 256];
    let n = stream.read(&mut reply).unwrap();
    String::from_utf8_lossy(&reply[..n]).into_owned()
}

#[test]
fn serves_the_demo_app_with_redis() {
    let redis = Redis::start(&[]);
    let host = Host::start(Some(redis.port));
    assert_eq!(host.request("GET", "/hello", ""), (200, "hello, world\n".to_string()));
    assert_eq!(host.request("GET", "/foo", "").0, 404, "no value stored yet");
    assert_eq!(host.request("PUT", "/bar", "from the host").0, 200);
    assert_eq!(host.request("GET", "/foo", ""), (200, "from the host".to_string()));
    // The value really went to Redis, under the container's scoped key.
    assert_eq!(redis_get(redis.port, "my-container:key"), "$13\r\nfrom the host\r\n");
    assert_eq!(host.request("GET", "/nowhere", "").0, 404);
}

#[test]
fn answers_pipelined_requests_in_order_on_one_connection() {
    let host = Host::start(None);
    let answer = host.exchange(concat!(
        "PUT /bar HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nv1",
        "GET /foo HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    ));
    let statuses: Vec<&str> = answer.match_indices("HTTP/1.1 ").map(|(i, _)| &answer[i + 9..i + 12]).collect();
    assert_eq!(statuses, ["200", "200", "200"], "{answer}");
    assert!(answer.contains("\r\n\r\nv1HTTP/1.1"), "GET /foo reads the in-memory store: {answer}");
    assert!(answer.ends_with("hello, world\n"), "{answer}");
}

#[test]
fn answers_503_while_redis_is_down_and_recovers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let host = Host::start(Some(port));
    assert_eq!(host.request("GET", "/hello", "").0, 200, "routes without KeyValue still work");
    assert_eq!(host.request("GET", "/foo", "").0, 503);
    let _redis = Redis::start_on(port, &[]);
    // The client waits out its reconnect backoff (50 ms at first) before trying again.
    let started = std::time::Instant::now();
    while host.request("PUT", "/bar", "back").0 != 200 {
        assert!(started.elapsed().as_secs() < 10, "never reconnected");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(host.request("GET", "/foo", ""), (200, "back".to_string()));
}

#[test]
fn refuses_bad_arguments_and_bad_apps() {
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_uniwasm-host")).args(args).output().unwrap();
    let out = run(&["--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--app is required"));
    let not_wasm = std::env::temp_dir().join(format!("uniwasm-host-test-{}.wasm", std::process::id()));
    std::fs::write(&not_wasm, b"not wasm").unwrap();
    let out = run(&["--app", not_wasm.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    std::fs::remove_file(&not_wasm).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid Wasm module"), "{out:?}");
}
