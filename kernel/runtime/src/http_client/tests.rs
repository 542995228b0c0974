use super::*;
use crate::wasi::ClientResponse;

fn target(authority: &str) -> Result<(Host, u16), ClientError> {
    Target::parse(authority).map(|t| (t.host, t.port))
}

fn name(n: &str) -> Host {
    Host::Name(n.into())
}

#[test]
fn authorities_give_host_and_port() {
    assert_eq!(target("10.0.2.2:8080"), Ok((Host::Ipv4([10, 0, 2, 2]), 8080)));
    assert_eq!(target("10.0.2.2"), Ok((Host::Ipv4([10, 0, 2, 2]), 80)));
    assert_eq!(target("example.com"), Ok((name("example.com"), 80)));
    assert_eq!(target("example.com:"), Ok((name("example.com"), 80)));
    assert_eq!(target("my-host.local.:65535"), Ok((name("my-host.local."), 65535)));
    // Not dotted quads: names, which the resolver then refuses.
    assert_eq!(target("256.1.1.1"), Ok((name("256.1.1.1"), 80)));
    assert_eq!(target("1.2.3"), Ok((name("1.2.3"), 80)));
    assert_eq!(target("1.2.3.4.5"), Ok((name("1.2.3.4.5"), 80)));
    assert_eq!(target("010.0.0.1"), Ok((name("010.0.0.1"), 80)));
}

#[test]
fn bad_authorities_are_refused_with_a_reason() {
    for (authority, why) in [
        ("", "IPv4 address or a DNS name"),
        (":80", "IPv4 address or a DNS name"),
        ("[::1]:80", "IPv6"),
        ("user@host", "IPv4 address or a DNS name"),
        ("host:0", "1-65535"),
        ("host:65536", "1-65535"),
        ("host:+80", "1-65535"),
        ("host:http", "1-65535"),
        ("a b", "IPv4 address or a DNS name"),
        ("host/path", "IPv4 address or a DNS name"),
    ] {
        match target(authority) {
            Err(ClientError::Internal(m)) => assert!(m.contains(why), "{authority:?}: {m}"),
            other => panic!("{authority:?} gave {other:?}"),
        }
    }
}

fn request(method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> ClientRequest {
    ClientRequest {
        method: method.into(),
        authority: "10.0.2.2:8080".into(),
        path_with_query: path.into(),
        headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_vec())).collect(),
        body: body.to_vec(),
        connect_timeout: None,
        first_byte_timeout: None,
    }
}

fn written(request: &ClientRequest) -> Result<String, ClientError> {
    let mut out = Vec::new();
    write_request(request, &mut out).map(|()| String::from_utf8(out).unwrap())
}

#[test]
fn writes_a_get_with_host_and_close() {
    let get = request("GET", "/a/b?c=d", &[("accept", b"text/plain"), ("x-dup", b"1"), ("x-dup", b"2")], b"");
    assert_eq!(
        written(&get).unwrap(),
        "GET /a/b?c=d HTTP/1.1\r\nHost: 10.0.2.2:8080\r\naccept: text/plain\r\nx-dup: 1\r\nx-dup: 2\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn writes_the_body_with_its_length_over_the_components() {
    let post = request("POST", "/items", &[("content-length", b"99"), ("content-type", b"text/plain")], b"hello");
    assert_eq!(
        written(&post).unwrap(),
        "POST /items HTTP/1.1\r\nHost: 10.0.2.2:8080\r\ncontent-type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
    );
    // A method that gives content a meaning says its length even when it is zero; GET does not.
    assert!(written(&request("PUT", "/", &[], b"")).unwrap().contains("\r\nContent-Length: 0\r\n"));
    assert!(!written(&request("GET", "/", &[], b"")).unwrap().contains("Content-Length"));
    // Framing and host headers are the writer's, whatever the component set.
    let framing = request("GET", "/", &[("Host", b"evil"), ("Transfer-Encoding", b"chunked"), ("Connection", b"keep-alive")], b"");
    assert_eq!(written(&framing).unwrap(), "GET / HTTP/1.1\r\nHost: 10.0.2.2:8080\r\nConnection: close\r\n\r\n");
}

#[test]
fn an_empty_path_or_a_bare_query_gets_a_slash() {
    assert!(written(&request("GET", "", &[], b"")).unwrap().starts_with("GET / HTTP/1.1\r\n"));
    assert!(written(&request("GET", "?q=1", &[], b"")).unwrap().starts_with("GET /?q=1 HTTP/1.1\r\n"));
    assert!(written(&request("OPTIONS", "*", &[], b"")).unwrap().starts_with("OPTIONS * HTTP/1.1\r\n"));
}

#[test]
fn refuses_what_could_split_the_request() {
    let cases = [
        request("GE T", "/", &[], b""),
        request("", "/", &[], b""),
        request("GET", "/a b", &[], b""),
        request("GET", "/a\r\nX: y", &[], b""),
        request("GET", "relative", &[], b""),
        request("GET", "/caf\u{e9}", &[], b""),
        request("GET", "/", &[("x-a", b"1\r\nX-Injected: 2")], b""),
        request("GET", "/", &[("bad name", b"1")], b""),
        ClientRequest { authority: "a\r\nb".into(), ..request("GET", "/", &[], b"") },
    ];
    for case in cases {
        assert!(matches!(written(&case), Err(ClientError::Internal(m)) if m.contains("not valid HTTP/1.1")), "{case:?}");
    }
}

/// Reads `chunks` in order, then the server's close if the reader is not done by then.
fn read(method: &str, chunks: &[&[u8]], limits: Limits) -> Result<ClientResponse, ClientError> {
    let mut reader = ResponseReader::new(method, limits);
    for chunk in chunks {
        reader.push(chunk)?;
    }
    reader.finish()
}

/// Reads `bytes` in one piece, at every split into two, and byte by byte: all must agree.
fn read_split(method: &str, bytes: &[u8]) -> Result<ClientResponse, ClientError> {
    let whole = read(method, &[bytes], Limits::default());
    for at in 0..=bytes.len() {
        let (a, b) = bytes.split_at(at);
        assert_eq!(read(method, &[a, b], Limits::default()), whole, "split at {at}");
    }
    let bytes_one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(read(method, &bytes_one_by_one, Limits::default()), whole, "byte by byte");
    whole
}

/// Whether the reader is done with `bytes` before any close.
fn done_without_close(method: &str, bytes: &[u8]) -> bool {
    let mut reader = ResponseReader::new(method, Limits::default());
    reader.push(bytes).unwrap();
    reader.done()
}

fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> ClientResponse {
    ClientResponse { status, headers: headers.iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect(), body: body.to_vec() }
}

const WITH_LENGTH: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Dup: a\r\nX-Dup: b\r\nContent-Length: 12\r\n\r\nhello, world";

#[test]
fn reads_a_content_length_body_at_every_split() {
    let expected =
        response(200, &[("Content-Type", "text/plain"), ("X-Dup", "a"), ("X-Dup", "b"), ("Content-Length", "12")], b"hello, world");
    assert_eq!(read_split("GET", WITH_LENGTH), Ok(expected));
    assert!(done_without_close("GET", WITH_LENGTH));
    assert!(!done_without_close("GET", &WITH_LENGTH[..WITH_LENGTH.len() - 1]));
}

const CHUNKED: &[u8] = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n\
5\r\nhello\r\n1;ext=\"x\"\r\n,\r\nD \r\n chunked body\r\n0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n";

#[test]
fn reads_a_chunked_body_at_every_split() {
    assert_eq!(read_split("GET", CHUNKED), Ok(response(201, &[("Transfer-Encoding", "chunked")], b"hello, chunked body")));
    assert!(done_without_close("GET", CHUNKED));
    // The last CRLF ends the body: without it the response is not done.
    assert!(!done_without_close("GET", &CHUNKED[..CHUNKED.len() - 1]));
    let no_trailers = b"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    assert_eq!(read_split("GET", no_trailers).unwrap().body, b"abc");
}

#[test]
fn a_body_without_length_ends_with_the_connection() {
    let bytes = b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of this, until the close";
    assert_eq!(read_split("GET", bytes), Ok(response(200, &[("Server", "old")], b"all of this, until the close")));
    assert!(!done_without_close("GET", bytes));
}

#[test]
fn some_responses_have_no_body_whatever_they_say() {
    let with_length = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    assert_eq!(read_split("HEAD", with_length), Ok(response(200, &[("Content-Length", "5")], b"")));
    assert!(done_without_close("HEAD", with_length));
    let chunked_head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert!(done_without_close("HEAD", chunked_head));
    for status in ["204 No Content", "304 Not Modified"] {
        let bytes = format!("HTTP/1.1 {status}\r\nContent-Length: 7\r\n\r\n");
        assert!(done_without_close("GET", bytes.as_bytes()), "{status}");
        assert_eq!(read("GET", &[bytes.as_bytes()], Limits::default()).unwrap().body, b"");
    }
    assert!(done_without_close("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
}

#[test]
fn interim_responses_are_skipped() {
    let bytes = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    assert_eq!(read_split("GET", bytes), Ok(response(200, &[("Content-Length", "2")], b"ok")));
}

#[test]
fn bytes_after_the_response_are_ignored() {
    let mut bytes = WITH_LENGTH.to_vec();
    bytes.extend_from_slice(b"HTTP/1.1 500 Surprise\r\n\r\n");
    assert_eq!(read("GET", &[&bytes], Limits::default()).unwrap().body, b"hello, world");
}

#[test]
fn malformed_responses_are_protocol_errors() {
    let cases: &[&[u8]] = &[
        b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n",
    ];
    for bytes in cases {
        assert_eq!(read("GET", &[bytes], Limits::default()), Err(ClientError::Protocol), "{}", String::from_utf8_lossy(bytes));
    }
    // Repeated equal lengths are one length.
    let repeated = b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok";
    assert_eq!(read_split("GET", repeated).unwrap().body, b"ok");
    // A chunk-size line that never ends is not waited for.
    let mut endless = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;".to_vec();
    endless.resize(endless.len() + 2000, b'x');
    assert_eq!(read("GET", &[&endless], Limits::default()), Err(ClientError::Protocol));
}

#[test]
fn responses_cut_short_are_incomplete() {
    assert_eq!(read("GET", &[], Limits::default()), Err(ClientError::ConnectionTerminated));
    assert_eq!(read("GET", &[b""], Limits::default()), Err(ClientError::ConnectionTerminated));
    for bytes in [&WITH_LENGTH[..5], &WITH_LENGTH[..WITH_LENGTH.len() - 1], &CHUNKED[..CHUNKED.len() - 3], &CHUNKED[..60]] {
        assert_eq!(read("GET", &[bytes], Limits::default()), Err(ClientError::ResponseIncomplete), "{}", String::from_utf8_lossy(bytes));
    }
    let mut reader = ResponseReader::new("GET", Limits::default());
    assert!(!reader.started());
    assert_eq!(reader.cut_short(), ClientError::ConnectionTerminated);
    reader.push(b"H").unwrap();
    assert!(reader.started());
    assert_eq!(reader.cut_short(), ClientError::ResponseIncomplete);
}

fn is_limit(result: Result<ClientResponse, ClientError>, what: &str) -> bool {
    matches!(result, Err(ClientError::Internal(m)) if m.contains(what))
}

#[test]
fn heads_over_the_limits_are_refused() {
    let small = Limits { max_head: 100, max_headers: 3, max_body: 10 };
    let long_head = format!("HTTP/1.1 200 OK\r\nX-Long: {}\r\n\r\n", "a".repeat(100));
    assert!(is_limit(read("GET", &[long_head.as_bytes()], small), "header section exceeds the host's limit of 100 bytes"));
    // Refused as soon as the bytes in hand break the limit, before the head ends.
    assert!(is_limit(read("GET", &[&long_head.as_bytes()[..101]], small), "limit of 100 bytes"));
    assert!(read("GET", &[&long_head.as_bytes()[..100]], small) == Err(ClientError::ResponseIncomplete));
    let many = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
    assert!(is_limit(read("GET", &[many], small), "limit of 3 header fields"));
    let long_trailers = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: {}\r\n\r\n", "t".repeat(100));
    assert!(is_limit(read("GET", &[long_trailers.as_bytes()], small), "limit of 100 bytes"));
}

#[test]
fn bodies_over_the_limit_are_refused() {
    let small = Limits { max_head: 100, max_headers: 8, max_body: 10 };
    let body_limit = "body exceeds the host's limit of 10 bytes";
    // A declared length over the limit is refused before the body comes.
    assert!(is_limit(read("GET", &[b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"], small), body_limit));
    assert!(is_limit(read("GET", &[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n"], small), body_limit));
    assert!(is_limit(read("GET", &[b"HTTP/1.1 200 OK\r\n\r\n0123456789", b"a"], small), body_limit));
    // Exactly the limit is fine.
    assert_eq!(read("GET", &[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"], small).unwrap().body, b"0123456789");
    assert_eq!(read("GET", &[b"HTTP/1.1 200 OK\r\n\r\n0123456789"], small).unwrap().body, b"0123456789");
    assert_eq!(Limits::default().max_body, 16 << 20);
}

#[test]
fn a_large_body_in_small_reads_is_read_whole() {
    let body: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(3000) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let mut reader = ResponseReader::new("GET", Limits::default());
    for read in chunked.chunks(1460) {
        reader.push(read).unwrap();
    }
    assert!(reader.done());
    assert_eq!(reader.finish().unwrap().body, body);
}
