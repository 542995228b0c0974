//! HTTP/1.1 request parsing over arbitrary byte splits.
//!
//! Input: a flags byte (bit 0: small limits, so every limit is in reach), a
//! chunking seed (see `uniwasm_fuzz::chunks`), then the bytes a client sent.
//!
//! Checked: no panic; the parser finds the same requests, and stops on an
//! error or not, whether the bytes come at once or in pieces; `Connection`
//! answers each request exactly once with a well-framed response (the handler echoes
//! the request's headers back, as a careless app might, and the writer must
//! keep the framing intact) and stays closed after closing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uniwasm_runtime::http::{Connection, Limits, Method, Request, Response};
use uniwasm_runtime::testing::parse_chunks;

const SMALL: Limits = Limits { max_head: 256, max_headers: 8, max_uri: 64, max_body: 128 };


/// An app that echoes the request's headers and answers with its URI.
fn echo(request: &Request) -> Response {
    Response { status: 200, headers: request.headers.clone(), body: request.uri.as_bytes().to_vec() }
}

/// Reads the responses back from what the connection wrote: one per
/// (head only, body) expected, each with a Content-Length that frames it.
fn check_responses(mut out: &[u8], expected: &[(bool, Vec<u8>)]) {
    for (head_only, body) in expected {
        let mut slots = [httparse::EMPTY_HEADER; 80];
        let mut response = httparse::Response::new(&mut slots);
        let head = match response.parse(out) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!("unparsable response ({other:?}): {:?}", String::from_utf8_lossy(out)),
        };
        let length = response
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map(|h| std::str::from_utf8(h.value).unwrap().parse::<usize>().unwrap())
            .collect::<Vec<_>>();
        assert_eq!(length.len(), 1, "one Content-Length");
        assert_eq!(length[0], body.len());
        let sent = if *head_only { 0 } else { body.len() };
        assert_eq!(&out[head..head + sent], &body[..sent]);
        out = &out[head + sent..];
    }
    assert!(out.is_empty(), "bytes after the last response: {:?}", String::from_utf8_lossy(out));
}

fuzz_target!(|data: &[u8]| {
    let [flags, seed, wire @ ..] = data else { return };
    let limits = if flags & 1 == 1 { SMALL } else { Limits::default() };
    let pieces = uniwasm_fuzz::chunks(*seed, wire);

    // The split never changes the requests. It may change which error a bad
    // head gets (an overlong line is refused as too long before its malformed
    // byte arrives), but not the statuses decided on a whole head (411
    // Transfer-Encoding, 413 body too large); and a head that breaks a limit
    // may be refused (414, 431) while it is still incomplete in pieces, when
    // all at once it is only incomplete.
    let whole = parse_chunks([wire], limits);
    let split = parse_chunks(pieces.iter().copied(), limits);
    assert_eq!(split.0, whole.0, "the split changed the requests");
    match (split.1, whole.1) {
        (Some(a), Some(b)) => assert!(a == b || ![a, b].iter().any(|s| [411, 413].contains(s)), "{a} split, {b} whole"),
        (Some(a), None) => assert!([414, 431].contains(&a), "{a} split, incomplete whole"),
        (None, Some(b)) => panic!("incomplete split, {b} whole"),
        (None, None) => {}
    }

    let mut conn = Connection::new(limits);
    let mut out = Vec::new();
    let mut open = true;
    let mut answered = Vec::new();
    for piece in &pieces {
        let before = out.len();
        let still_open = conn.receive(piece, &mut out, |request| {
            let response = echo(request);
            answered.push((request.method == Method::Head, response.body.clone()));
            response
        });
        if !open {
            assert!(!still_open && out.len() == before, "a closed connection answered");
        }
        open = still_open;
    }
    // The connection answers up to the first request that closes it.
    let (requests, error) = split;
    let closing = requests.iter().position(|r| !r.keep_alive);
    assert_eq!(answered.len(), closing.map_or(requests.len(), |i| i + 1));
    match (closing, error) {
        (Some(_), _) => assert!(!open, "open after Connection: close"),
        (None, Some(status)) => {
            answered.push((false, Response::status(status).body));
            assert!(!open, "open after an error");
        }
        (None, None) => assert!(open, "closed without a reason"),
    }
    check_responses(&out, &answered);
});
