//! Outgoing HTTP from a component: the C example's `/fetch` route through the WASI host, with a
//! platform that sends over std TCP with the runtime's client codec (as the kernel's transport
//! does over smoltcp) to a server thread, or fails as told.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::thread;
use uniwasm_runtime::host::{AppConfig, ComponentApp};
use uniwasm_runtime::http::{Method, Request, Response};
use uniwasm_runtime::http_client::{write_request, Host, Limits, ResponseReader, Target};
use uniwasm_runtime::wasi::{ClientError, ClientRequest, ClientResponse, Platform};

/// A platform whose `send` goes over std TCP, or fails with `failure`.
struct StdClient {
    failure: Option<ClientError>,
}

impl Platform for StdClient {
    fn monotonic_ns(&self) -> u64 {
        0
    }
    fn wall_clock(&self) -> (u64, u32) {
        (0, 0)
    }
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(4);
    }
    fn console(&mut self, _: bool, _: &[u8]) {}
    fn wait_until(&mut self, _: u64) {}
    fn send(&mut self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        match &self.failure {
            Some(failure) => Err(failure.clone()),
            None => send_over_tcp(&request),
        }
    }
}

/// What the kernel's transport does, over std: connect, write, read in small pieces until done.
fn send_over_tcp(request: &ClientRequest) -> Result<ClientResponse, ClientError> {
    let target = Target::parse(&request.authority)?;
    let Host::Ipv4(addr) = target.host else { panic!("the test fetches IPv4 literals only") };
    let mut stream = TcpStream::connect((Ipv4Addr::from(addr), target.port)).map_err(|_| ClientError::ConnectionRefused)?;
    let mut bytes = Vec::new();
    write_request(request, &mut bytes)?;
    stream.write_all(&bytes).unwrap();
    let mut reader = ResponseReader::new(&request.method, Limits::default());
    let mut piece = [0u8; 7];
    while !reader.done() {
        match stream.read(&mut piece).unwrap() {
            0 => break,
            n => reader.push(&piece[..n])?,
        }
    }
    reader.finish()
}

fn c_component(failure: Option<ClientError>) -> ComponentApp {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/http-component-c/build/http-component-c.wasm");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (build it: node dist/cli.js build --app examples/http-component-c)", path.display()));
    ComponentApp::load(&bytes, Box::new(StdClient { failure }), None, AppConfig::default()).unwrap()
}

fn fetch(app: &mut ComponentApp, url: &str) -> Response {
    let request = Request {
        method: Method::Get,
        uri: format!("/fetch?url={url}"),
        headers: vec![("host".into(), "10.0.2.15:3000".into())],
        body: None,
        keep_alive: true,
    };
    app.handle(&request)
}

fn answer(r: &Response) -> (u16, &str) {
    (r.status, std::str::from_utf8(&r.body).unwrap())
}

/// A server for one connection: returns its port, and the request it read once joined.
fn serve_once(response: &'static [&'static [u8]]) -> (u16, thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            request.push(byte[0]);
        }
        for piece in response {
            stream.write_all(piece).unwrap();
            stream.flush().unwrap();
        }
        String::from_utf8(request).unwrap()
    });
    (port, server)
}

#[test]
fn a_component_fetches_a_chunked_response_over_tcp() {
    let (port, server) = serve_once(&[
        b"HTTP/1.1 203 Non-Authoritative\r\nContent-Type: text/x-origin\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"f\r\nfrom t",
        b"he origin\r\n0\r\n\r\n",
    ]);
    let mut app = c_component(None);
    let r = fetch(&mut app, &format!("http://127.0.0.1:{port}/a/b?c=d"));
    assert_eq!(answer(&r), (203, "from the origin"));
    assert!(r.headers.iter().any(|(n, v)| n == "content-type" && v == "text/x-origin"), "{:?}", r.headers);
    assert_eq!(server.join().unwrap(), format!("GET /a/b?c=d HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"));
}

#[test]
fn a_body_that_ends_with_the_connection_is_whole() {
    let (port, server) = serve_once(&[b"HTTP/1.0 200 OK\r\n\r\nuntil ", b"the close"]);
    let mut app = c_component(None);
    assert_eq!(answer(&fetch(&mut app, &format!("http://127.0.0.1:{port}/"))), (200, "until the close"));
    server.join().unwrap();
}

#[test]
fn a_response_cut_short_is_incomplete_and_garbage_a_protocol_error() {
    let (port, server) = serve_once(&[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"]);
    let mut app = c_component(None);
    assert_eq!(answer(&fetch(&mut app, &format!("http://127.0.0.1:{port}/"))), (502, "HTTP-response-incomplete\n"));
    server.join().unwrap();
    let (port, server) = serve_once(&[b"SSH-2.0-OpenSSH_9.2\r\n\r\n"]);
    assert_eq!(answer(&fetch(&mut app, &format!("http://127.0.0.1:{port}/"))), (502, "HTTP-protocol-error\n"));
    server.join().unwrap();
}

#[test]
fn the_platform_errors_reach_the_component_as_error_codes() {
    let cases = [
        (ClientError::Dns(None), "DNS-error\n"),
        (ClientError::ConnectionRefused, "connection-refused\n"),
        (ClientError::ConnectionTerminated, "connection-terminated\n"),
        (ClientError::ConnectionTimeout, "connection-timeout\n"),
        (ClientError::ResponseIncomplete, "HTTP-response-incomplete\n"),
        (ClientError::Protocol, "HTTP-protocol-error\n"),
        (ClientError::Internal("the response body exceeds the host's limit".into()), "internal-error: the response body exceeds the host's limit\n"),
    ];
    for (failure, expected) in cases {
        let mut app = c_component(Some(failure));
        assert_eq!(answer(&fetch(&mut app, "http://example.com/")), (502, expected));
    }
}

#[test]
fn https_is_refused_before_the_platform_and_a_bad_url_never_leaves() {
    // The platform would say connection-refused: the host answers first.
    let mut app = c_component(Some(ClientError::ConnectionRefused));
    assert_eq!(answer(&fetch(&mut app, "https://example.com/")), (502, "HTTP-request-denied\n"));
    assert_eq!(answer(&fetch(&mut app, "ftp://example.com/")), (502, "HTTP-request-URI-invalid\n"));
    let mut app = c_component(None);
    assert_eq!(answer(&fetch(&mut app, "http://[::1]:80/")).0, 502);
    assert!(answer(&fetch(&mut app, "http://[::1]:80/")).1.contains("IPv6 addresses are not supported"));
}
