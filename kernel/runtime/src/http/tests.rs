use super::*;
use crate::testing::parse_chunks;

fn parse_one(bytes: &[u8]) -> Result<Request, u16> {
    match parse_chunks([bytes], Limits::default()) {
        (mut r, None) if r.len() == 1 => Ok(r.remove(0)),
        (_, Some(status)) => Err(status),
        (r, None) => panic!("expected one request, got {r:?}"),
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
}

const PIPELINE: &[u8] = b"GET /hello?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  spaced  \r\n\r\n\
PUT /items/42 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab\r\nc\
DELETE /items/%2F HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

#[test]
fn parses_pipelined_requests() {
    let (requests, err) = parse_chunks([PIPELINE], Limits::default());
    assert_eq!(err, None);
    assert_eq!(requests.len(), 3);
    let [get, put, delete] = &requests[..] else { unreachable!() };
    assert_eq!((get.method, get.uri.as_str(), get.path()), (Method::Get, "/hello?x=1", "/hello"));
    assert_eq!(header(get, "x-thing").as_deref(), Some("spaced"));
    assert_eq!(get.body, None);
    assert!(get.keep_alive);
    assert_eq!((put.method, put.body.as_deref()), (Method::Put, Some(&b"ab\r\nc"[..])));
    assert_eq!(delete.method, Method::Delete);
    assert!(!delete.keep_alive);
}

#[test]
fn parses_at_every_split_point() {
    let (expected, _) = parse_chunks([PIPELINE], Limits::default());
    for i in 0..=PIPELINE.len() {
        let (a, b) = PIPELINE.split_at(i);
        assert_eq!(parse_chunks([a, b], Limits::default()), (expected.clone(), None), "split at {i}");
    }
    assert_eq!(parse_chunks(PIPELINE.chunks(1), Limits::default()), (expected, None));
}

#[test]
fn keep_alive_follows_version_and_connection() {
    let ka = |req: &[u8]| parse_one(req).unwrap().keep_alive;
    assert!(ka(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert!(!ka(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n"));
    assert!(!ka(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\n\r\n"));
    assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
    assert!(ka(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    // HTTP/1.0 needs no Host header.
    assert!(parse_one(b"GET / HTTP/1.0\r\n\r\n").is_ok());
}

#[test]
fn rejects_bad_requests_with_their_status() {
    let small = Limits { max_head: 200, max_headers: 4, max_uri: 40, max_body: 10 };
    let cases: &[(&[u8], u16)] = &[
        (b"GET / HTTP/1.1\r\n\r\n", 400),                                   // no Host
        (b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400),               // two Hosts (RFC 9112 §3.2)
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),               // even alike
        (b"\x00\x01garbage\r\n\r\n", 400),
        (b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: \xff\xfe\r\n\r\n", 400),          // not UTF-8
        (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (b"GET ftp://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n", 413),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 413),
        (b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        (b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 414),
        (b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: a\r\nA: 11111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111\r\n", 431),
        (b"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 501),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ];
    for (bytes, status) in cases {
        let shown = String::from_utf8_lossy(bytes);
        assert_eq!(parse_chunks([*bytes], small).1, Some(*status), "whole: {shown:?}");
        assert_eq!(parse_chunks(bytes.chunks(1), small).1, Some(*status), "bytewise: {shown:?}");
    }
    // The same limits let requests within them through.
    let ok = b"POST /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nContent-Length: 10\r\n\r\n0123456789";
    assert_eq!(parse_chunks([&ok[..]], small).0.len(), 1);
}

/// `requests` with a generator and `http.client` with a file object send bodies chunked: they are
/// accepted with the same size limit, extensions and trailers dropped (RFC 9112 §7.1).
#[test]
fn chunked_request_bodies_are_decoded() {
    let wire = b"PUT /bar HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n05\r\npedia\r\nE \r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    for (how, requests) in [("whole", parse_chunks([&wire[..]], Limits::default()).0), ("bytewise", parse_chunks(wire.chunks(1), Limits::default()).0)] {
        assert_eq!(requests.len(), 2, "{how}");
        assert_eq!(requests[0].body.as_deref(), Some(&b"Wikipedia in\r\n\r\nchunks."[..]), "{how}");
        assert_eq!(requests[1].uri, "/next", "{how}: the next request starts after the trailers");
    }
    let small = Limits { max_body: 9, ..Limits::default() };
    let nine = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n0\r\n\r\n";
    assert_eq!(parse_chunks([&nine[..]], small).0[0].body.as_deref(), Some(&b"123456789"[..]));
}

/// Found by fuzzing: a head with bare-LF line ends (which httparse accepts)
/// longer than the URI limit was answered 414 when it came in pieces.
#[test]
fn bare_lf_heads_are_judged_alike_in_pieces() {
    let small = Limits { max_head: 200, max_headers: 4, max_uri: 40, max_body: 10 };
    let head = format!("GET / HTTP/1.1\nHost: a\nX: {}\n\n", "x".repeat(100));
    let (requests, error) = parse_chunks(head.as_bytes().chunks(1), small);
    assert_eq!((requests.len(), error), (1, None));
}

#[test]
fn accepts_absolute_form_targets() {
    let uri = |t: &str| parse_one(format!("GET {t} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes()).map(|r| r.uri);
    assert_eq!(uri("http://example.test/a/b?c").unwrap(), "/a/b?c");
    assert_eq!(uri("HTTPS://example.test").unwrap(), "/");
    assert_eq!(uri("http://example.test?q").unwrap(), "/?q");
}

fn written(response: &Response, head_only: bool, keep_alive: bool) -> String {
    let mut out = Vec::new();
    write_response(response, head_only, keep_alive, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn writes_responses_with_framing() {
    let response = Response {
        status: 201,
        headers: vec![
            ("X-A".into(), "1".into()),
            ("content-length".into(), "999".into()),
            ("Transfer-Encoding".into(), "chunked".into()),
            ("X-Evil".into(), "a\r\nSet-Cookie: x".into()),
            ("Bad Name".into(), "x".into()),
            ("".into(), "x".into()),
        ],
        body: b"hi".to_vec(),
    };
    assert_eq!(
        written(&response, false, true),
        "HTTP/1.1 201 Created\r\nX-A: 1\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi"
    );
    assert_eq!(
        written(&response, true, false),
        "HTTP/1.1 201 Created\r\nX-A: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
    );
    let no_content = Response { status: 204, headers: vec![], body: b"ignored".to_vec() };
    assert_eq!(written(&no_content, false, true), "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
    assert!(written(&Response::status(599), false, true).starts_with("HTTP/1.1 599 \r\n"));
}

fn router() -> Router {
    let mut r = Router::new();
    r.add(Method::Get, "/hello", "handle-hello").unwrap();
    r.add(Method::Get, "/items/:id", "get-item").unwrap();
    r.add(Method::Put, "/items/:id", "put-item").unwrap();
    r.add(Method::Get, "/items/special", "never-reached").unwrap();
    r.add(Method::Get, "/a/:x/b/:y", "two").unwrap();
    r.add(Method::Post, "/", "root").unwrap();
    r
}

fn found<'a>(handler: &'a str, params: &[(&str, &str)]) -> RouteMatch<'a> {
    RouteMatch::Found { handler, params: params.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect() }
}

#[test]
fn routes_with_parameters() {
    let r = router();
    assert_eq!(r.find(Method::Get, "/hello"), found("handle-hello", &[]));
    assert_eq!(r.find(Method::Get, "/items/42"), found("get-item", &[("id", "42")]));
    assert_eq!(r.find(Method::Put, "/items/a%20b%2Fc"), found("put-item", &[("id", "a b/c")]));
    // Routes are tried in order: the parameter route wins.
    assert_eq!(r.find(Method::Get, "/items/special"), found("get-item", &[("id", "special")]));
    assert_eq!(r.find(Method::Get, "/a/1/b/2"), found("two", &[("x", "1"), ("y", "2")]));
    assert_eq!(r.find(Method::Post, "/"), found("root", &[]));
    // HEAD uses GET routes.
    assert_eq!(r.find(Method::Head, "/hello"), found("handle-hello", &[]));
}

#[test]
fn route_misses_are_404_405_or_400() {
    let r = router();
    assert_eq!(r.find(Method::Get, "/nope"), RouteMatch::NotFound);
    assert_eq!(r.find(Method::Get, "/hello/"), RouteMatch::NotFound);
    assert_eq!(r.find(Method::Get, "/items/"), RouteMatch::NotFound, "a parameter is never empty");
    assert_eq!(r.find(Method::Get, "/items/1/2"), RouteMatch::NotFound);
    let not_allowed = r.find(Method::Delete, "/items/1");
    assert_eq!(not_allowed, RouteMatch::MethodNotAllowed(vec![Method::Get, Method::Put, Method::Head]));
    let response = route_error_response(&not_allowed).unwrap();
    assert_eq!(response.status, 405);
    assert!(response.headers.contains(&("Allow".into(), "GET, PUT, HEAD".into())));
    assert_eq!(r.find(Method::Get, "/items/%zz"), RouteMatch::BadPath);
    assert_eq!(r.find(Method::Get, "/items/%ff"), RouteMatch::BadPath, "not UTF-8");
    assert_eq!(r.find(Method::Get, "/items/%4"), RouteMatch::BadPath);
    assert_eq!(r.find(Method::Get, "nope"), RouteMatch::BadPath);
    assert_eq!(route_error_response(&RouteMatch::NotFound).unwrap().status, 404);
    assert_eq!(route_error_response(&RouteMatch::BadPath).unwrap().status, 400);
    assert_eq!(route_error_response(&found("x", &[])), None);
}

#[test]
fn rejects_bad_routes() {
    let mut r = router();
    for bad in ["", "hello", "/a/:", "/a/:x/:x", "/a?b", "/a#b", "/a\nb"] {
        assert!(r.add(Method::Get, bad, "h").is_err(), "{bad:?}");
    }
    assert!(r.add(Method::Get, "/hello", "again").is_err(), "duplicate");
    assert!(r.add(Method::Get, "/items/:other", "again").is_err(), "same shape");
    assert!(r.add(Method::Delete, "/hello", "del").is_ok(), "other method");
    let routes: Vec<_> = r.routes().map(|(m, p, h)| (m, p, h.to_string())).collect();
    assert_eq!(routes[1], (Method::Get, "/items/:id".into(), "get-item".into()));
    assert_eq!(r.handlers().count(), 7);
}

fn echo(req: &Request) -> Response {
    Response::text(200, &format!("{} {}", req.method.as_str(), req.uri))
}

#[test]
fn connection_answers_pipelined_requests_then_closes() {
    let mut conn = Connection::new(Limits::default());
    let mut out = Vec::new();
    assert!(!conn.receive(PIPELINE, &mut out, echo));
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3);
    assert!(text.ends_with("Connection: close\r\n\r\nDELETE /items/%2F\n"));
    // After closing, nothing more is handled.
    let mut out = Vec::new();
    assert!(!conn.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut out, echo));
    assert!(out.is_empty());
}

#[test]
fn connection_answers_errors_and_closes() {
    let mut conn = Connection::new(Limits::default());
    let mut out = Vec::new();
    assert!(conn.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nBR", &mut out, echo));
    assert_eq!(conn.rejected(), None);
    assert!(!conn.receive(b"EW / HTTP/1.1\r\nHost: a\r\n\r\n", &mut out, echo));
    assert_eq!(conn.rejected(), Some(501));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("HTTP/1.1 200 OK"));
    assert!(text.contains("HTTP/1.1 501 Not Implemented\r\n"), "{text}");
    assert!(text.ends_with("Connection: close\r\n\r\nNot Implemented\n"));
}

#[test]
fn a_request_answered_later_holds_the_pipelined_ones_until_it_completes() {
    let mut conn = Connection::new(Limits::default());
    let mut out = Vec::new();
    let later = |req: &Request| if req.uri == "/slow" { Reply::Later } else { Reply::Now(echo(req)) };
    let wire = b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\nHEAD /next HTTP/1.1\r\nHost: a\r\n\r\n";
    assert!(conn.receive(wire, &mut out, later));
    assert!(conn.awaiting() && out.is_empty(), "nothing is written before the slow request's response");
    assert!(conn.receive(b"GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &mut out, later));
    assert!(out.is_empty());
    assert!(!conn.complete(&Response::text(503, "slow"), &mut out, later), "the last request said close");
    let text = String::from_utf8(out).unwrap();
    let statuses: Vec<&str> = text.lines().filter(|l| l.starts_with("HTTP/1.1")).collect();
    assert_eq!(statuses, ["HTTP/1.1 503 Service Unavailable", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"], "in order: {text}");
    assert!(text.contains("\r\n\r\nslow\n") && text.ends_with("GET /last\n"));
    assert!(!text.contains("HEAD /next"), "a HEAD response has no body");
}

#[test]
fn head_responses_have_no_body() {
    let mut conn = Connection::new(Limits::default());
    let mut out = Vec::new();
    conn.receive(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &mut out, echo);
    assert!(String::from_utf8(out).unwrap().ends_with("Content-Length: 7\r\nConnection: keep-alive\r\n\r\n"));
}

#[test]
fn random_input_never_panics() {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet: &[u8] = b"GET POST /:%2fz\r\n\r\nHTTP/1.1 Host: Content-Length: 3 12 Connection: close \x00\xff";
    for round in 0..3000 {
        let mut bytes: Vec<u8> = if round % 2 == 0 {
            PIPELINE.to_vec()
        } else {
            (0..next() % 200).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect()
        };
        // Mutate a few bytes of the valid pipeline.
        for _ in 0..next() % 4 {
            if !bytes.is_empty() {
                let i = (next() % bytes.len() as u64) as usize;
                bytes[i] = next() as u8;
            }
        }
        let mut conn = Connection::new(Limits { max_head: 100, max_headers: 3, max_uri: 20, max_body: 8 });
        let r = router();
        let mut out = Vec::new();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let (a, b) = rest.split_at(((next() % 16) as usize + 1).min(rest.len()));
            rest = b;
            let open = conn.receive(a, &mut out, |req| {
                let found = r.find(req.method, req.path());
                route_error_response(&found).unwrap_or_else(|| Response::status(200))
            });
            if !open {
                break;
            }
        }
    }
}

/// curl -T and --data @file over 1 KB send `Expect: 100-continue` and wait (1 s) for it; it was
/// never answered.
#[test]
fn expect_100_continue_is_answered_once_before_the_body() {
    let mut conn = Connection::new(Limits::default());
    let mut out = Vec::new();
    let ok = |_: &Request| Response::text(200, "stored");
    let head = b"PUT /bar HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
    assert!(conn.receive(head, &mut out, ok));
    assert_eq!(out, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(conn.receive(b"da", &mut out, ok));
    assert_eq!(out, b"HTTP/1.1 100 Continue\r\n\r\n", "once per request");
    assert!(conn.receive(b"ta", &mut out, ok));
    assert!(String::from_utf8_lossy(&out).ends_with("stored\n"));
    // A body over the limit is refused at once, without inviting it.
    let mut out = Vec::new();
    let big = b"PUT /bar HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n";
    assert!(!Connection::new(Limits::default()).receive(big, &mut out, ok));
    assert!(out.starts_with(b"HTTP/1.1 413"), "{}", String::from_utf8_lossy(&out));
    // A body sent along with the head needs no invitation; HTTP/1.0 clients get none.
    for wire in [&b"PUT /bar HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok"[..], b"PUT /bar HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"] {
        let mut out = Vec::new();
        Connection::new(Limits::default()).receive(wire, &mut out, ok);
        assert!(!String::from_utf8_lossy(&out).contains("100 Continue"));
    }
}

#[test]
fn an_expectation_other_than_100_continue_is_417() {
    let wire = b"PUT /bar HTTP/1.1\r\nHost: a\r\nExpect: coffee\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(parse_chunks([&wire[..]], Limits::default()).1, Some(417));
}

/// The default limits, chosen on purpose (docs/ABI.md): 8 MiB bodies (it was 1 MiB; `max_body=`
/// lifts it to the ABI's 16 MiB), 100 header fields, an 8 KiB target; one more of each is refused.
#[test]
fn default_limits_let_common_requests_through() {
    let with_body = |len: usize| [format!("PUT /bar HTTP/1.1\r\nHost: a\r\nContent-Length: {len}\r\n\r\n").into_bytes(), vec![7u8; len]].concat();
    let two_mib = parse_one(&with_body(2 << 20)).unwrap();
    assert_eq!(two_mib.body.map(|b| b.len()), Some(2 << 20));
    assert_eq!(parse_one(&with_body(8 << 20)).unwrap().body.map(|b| b.len()), Some(8 << 20));
    assert_eq!(parse_one(format!("PUT /bar HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n", (8 << 20) + 1).as_bytes()), Err(413));
    let largest = Limits { max_body: Limits::MAX_BODY, ..Limits::default() };
    let (requests, refused) = parse_chunks([&with_body(16 << 20)[..]], largest);
    assert_eq!((requests[0].body.as_ref().map(Vec::len), refused), (Some(16 << 20), None), "max_body=16M");
    let fields = |n: usize| format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", "X: 1\r\n".repeat(n - 1));
    assert!(parse_one(fields(100).as_bytes()).is_ok());
    assert_eq!(parse_one(fields(101).as_bytes()), Err(431));
    let target = |len: usize| format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "t".repeat(len - 1));
    assert_eq!(parse_one(target(8192).as_bytes()).unwrap().uri.len(), 8192);
    assert_eq!(parse_one(target(8193).as_bytes()), Err(414));
}

/// A body arriving in pieces is taken whole and exact, and what follows it stays for the next request.
#[test]
fn a_body_in_pieces_is_moved_out_whole() {
    let mut parser = RequestParser::new(Limits::default());
    parser.push(b"PUT /bar HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n");
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    for piece in body.chunks(4096) {
        assert_eq!(parser.next_request(), Ok(None));
        parser.push(piece);
    }
    parser.push(b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(parser.next_request().unwrap().unwrap().body, Some(body));
    assert_eq!(parser.next_request().unwrap().unwrap().uri, "/next");
    assert!(!parser.has_partial_request());
}

/// A client that starts a request and does not finish it in time (a slow client sending a byte per
/// 100 ms was dropped without a word) is told 408 before the connection closes, and one whose body
/// the platform has no memory for 503; an idle keep-alive connection is closed silently, as
/// clients expect (RFC 9112 §9.5).
#[test]
fn a_request_abandoned_midway_is_answered_408_or_503() {
    let partials = [&b"GET /hello HTTP/1.1\r\nHost: a\r\nX-Slow: sss"[..], b"PUT /bar HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc"];
    for (partial, (status, reason)) in partials.into_iter().zip([(408, "Request Timeout"), (503, "Service Unavailable")]) {
        let mut conn = Connection::new(Limits::default());
        let mut out = Vec::new();
        assert!(conn.receive(partial, &mut out, echo));
        assert_eq!(conn.buffered(), partial.len());
        assert!(conn.abandon(status, &mut out));
        assert_eq!((conn.rejected(), conn.buffered()), (Some(status), 0), "what was received is dropped");
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(&format!("HTTP/1.1 {status} {reason}\r\n")) && text.contains("Connection: close\r\n"), "{text}");
        assert!(!conn.receive(b"rest", &mut Vec::new(), echo), "closed after the {status}");
    }
    let mut conn = Connection::new(Limits::default());
    let mut out = Vec::new();
    assert!(conn.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut out, echo));
    let answered = out.len();
    assert!(!conn.abandon(408, &mut out));
    assert_eq!((out.len(), conn.rejected()), (answered, None), "an idle connection closes without a word");
    assert!(!conn.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut Vec::new(), echo));
}
