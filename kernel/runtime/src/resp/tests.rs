use super::*;
use crate::testing::decode_chunks;
use alloc::collections::VecDeque;
use alloc::vec;

fn bulk(s: &[u8]) -> Value {
    Value::Bulk(Some(s.to_vec()))
}


fn decode_all(bytes: &[u8]) -> (Vec<Value>, Option<DecodeError>) {
    decode_chunks([bytes], Limits::default())
}

/// A stream holding every kind of reply, including nulls and nesting.
const STREAM: &[u8] = b"+OK\r\n-ERR wrong type\r\n:0\r\n:-42\r\n:9223372036854775807\r\n\
$5\r\nhello\r\n$0\r\n\r\n$-1\r\n$4\r\na\r\nb\r\n*0\r\n*-1\r\n\
*3\r\n$3\r\nfoo\r\n:7\r\n*2\r\n+x\r\n$-1\r\n*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n";

fn stream_values() -> Vec<Value> {
    vec![
        Value::Simple(b"OK".to_vec()),
        Value::Error(b"ERR wrong type".to_vec()),
        Value::Integer(0),
        Value::Integer(-42),
        Value::Integer(i64::MAX),
        bulk(b"hello"),
        bulk(b""),
        Value::Bulk(None),
        bulk(b"a\r\nb"),
        Value::Array(Some(vec![])),
        Value::Array(None),
        Value::Array(Some(vec![
            bulk(b"foo"),
            Value::Integer(7),
            Value::Array(Some(vec![Value::Simple(b"x".to_vec()), Value::Bulk(None)])),
        ])),
        Value::Array(Some(vec![bulk(b"0"), Value::Array(Some(vec![bulk(b"a"), bulk(b"bc")]))])),
    ]
}

#[test]
fn encodes_commands_binary_safe() {
    let mut out = Vec::new();
    encode_command(&[b"SET", b"k\r\n", b"\0\xff"], &mut out);
    assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n\0\xff\r\n");
    // What we encode, the decoder reads back as an array of bulk strings.
    let (values, err) = decode_all(&out);
    assert_eq!(err, None);
    assert_eq!(values, vec![Value::Array(Some(vec![bulk(b"SET"), bulk(b"k\r\n"), bulk(b"\0\xff")]))]);
}

#[test]
fn decodes_every_kind_of_reply() {
    assert_eq!(decode_all(STREAM), (stream_values(), None));
}

#[test]
fn decodes_at_every_split_point() {
    for i in 0..=STREAM.len() {
        let (a, b) = STREAM.split_at(i);
        assert_eq!(decode_chunks([a, b], Limits::default()), (stream_values(), None), "split at {i}");
        for j in i..=STREAM.len() {
            let chunks = [&STREAM[..i], &STREAM[i..j], &STREAM[j..]];
            assert_eq!(decode_chunks(chunks, Limits::default()), (stream_values(), None), "split at {i},{j}");
        }
    }
    let bytes = STREAM.chunks(1);
    assert_eq!(decode_chunks(bytes, Limits::default()), (stream_values(), None));
}

/// A small deterministic PRNG (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    let bytes = |rng: &mut Rng| (0..rng.below(40)).map(|_| rng.next() as u8).collect::<Vec<u8>>();
    match rng.below(if depth < 3 { 7 } else { 5 }) {
        0 => Value::Simple(b"simple string".to_vec()),
        1 => Value::Error(b"ERR some error".to_vec()),
        2 => Value::Integer(rng.next() as i64),
        3 => Value::Bulk(Some(bytes(rng))),
        4 => Value::Bulk(None),
        5 => Value::Array(None),
        _ => Value::Array(Some((0..rng.below(5)).map(|_| random_value(rng, depth + 1)).collect())),
    }
}

fn encode_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Simple(s) => out.extend([b"+", &s[..], b"\r\n"].concat()),
        Value::Error(s) => out.extend([b"-", &s[..], b"\r\n"].concat()),
        Value::Integer(n) => out.extend(format!(":{n}\r\n").bytes()),
        Value::Bulk(None) => out.extend(b"$-1\r\n"),
        Value::Bulk(Some(b)) => {
            out.extend(format!("${}\r\n", b.len()).bytes());
            out.extend(b);
            out.extend(b"\r\n");
        }
        Value::Array(None) => out.extend(b"*-1\r\n"),
        Value::Array(Some(items)) => {
            out.extend(format!("*{}\r\n", items.len()).bytes());
            items.iter().for_each(|i| encode_value(i, out));
        }
    }
}

#[test]
fn decodes_random_replies_in_random_chunks() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let values: Vec<Value> = (0..rng.below(8) + 1).map(|_| random_value(&mut rng, 0)).collect();
        let mut bytes = Vec::new();
        values.iter().for_each(|v| encode_value(v, &mut bytes));
        let mut chunks = Vec::new();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let (a, b) = rest.split_at(rng.below(rest.len().min(16)) + 1);
            chunks.push(a);
            rest = b;
        }
        assert_eq!(decode_chunks(chunks, Limits::default()), (values, None));
    }
}

/// Checks that `bytes` fails with `expected` however it is chunked.
fn assert_rejects(bytes: &[u8], limits: Limits, expected: DecodeError) {
    let (_, err) = decode_chunks([bytes], limits);
    assert_eq!(err, Some(expected), "whole: {:?}", String::from_utf8_lossy(bytes));
    let (_, err) = decode_chunks(bytes.chunks(1), limits);
    assert_eq!(err, Some(expected), "bytewise: {:?}", String::from_utf8_lossy(bytes));
}

#[test]
fn rejects_bad_replies() {
    let d = Limits::default();
    assert_rejects(b"!oops\r\n", d, DecodeError::BadType(b'!'));
    assert_rejects(b"+OK\r\nhello\r\n", d, DecodeError::BadType(b'h'));
    assert_rejects(b"*2\r\n:1\r\n?\r\n", d, DecodeError::BadType(b'?'));
    assert_rejects(b"$-2\r\n", d, DecodeError::BadLength);
    assert_rejects(b"$abc\r\n", d, DecodeError::BadLength);
    assert_rejects(b"$\r\n", d, DecodeError::BadLength);
    assert_rejects(b"$+3\r\nabc\r\n", d, DecodeError::BadLength);
    assert_rejects(b"*-5\r\n", d, DecodeError::BadLength);
    assert_rejects(b":12a\r\n", d, DecodeError::BadInteger);
    assert_rejects(b":\r\n", d, DecodeError::BadInteger);
    assert_rejects(b":-\r\n", d, DecodeError::BadInteger);
    assert_rejects(b":9223372036854775808\r\n", d, DecodeError::BadInteger);
    assert_rejects(b"$3\r\nabcd\r\n", d, DecodeError::MissingCrlf);
    assert_rejects(b"$3\r\nabc\rX", d, DecodeError::MissingCrlf);
    assert_rejects(b"+OK\n", d, DecodeError::MissingCrlf);
    assert_rejects(b"+O\rK\r\n", d, DecodeError::MissingCrlf);
    let small = Limits { max_line: 8, max_bulk: 4, max_array: 2, max_depth: 2 };
    assert_rejects(b"+123456789\r\n", small, DecodeError::TooLarge);
    assert_rejects(b"+123456789", small, DecodeError::TooLarge);
    // An overlong line is too large whatever ends it (found by fuzzing: a
    // lone LF made it MissingCrlf when whole, TooLarge when chunked).
    assert_rejects(b"+123456789\n", small, DecodeError::TooLarge);
    assert_rejects(b"$5\r\n", small, DecodeError::TooLarge);
    assert_rejects(b"$99999999999999999999\r\n", d, DecodeError::BadLength);
    assert_rejects(b"*3\r\n", small, DecodeError::TooLarge);
    assert_rejects(b"*1\r\n*1\r\n*1\r\n:1\r\n", small, DecodeError::TooDeep);
    // Within the limits, the same replies decode.
    assert_eq!(decode_chunks([&b"$4\r\nabcd\r\n*1\r\n*1\r\n:1\r\n"[..]], small).1, None);
}

#[test]
fn escapes_glob_patterns() {
    assert_eq!(glob_escape(b"a*b?[c]\\d"), b"a\\*b\\?\\[c\\]\\\\d");
}

/// A scripted transport on a fake clock. Each `connect` pops a result from
/// `connects`; each `recv` pops the next reply chunk of the current
/// connection, or fails as scripted.
#[derive(Default)]
struct Script {
    now: u64,
    connects: VecDeque<Result<(), IoError>>,
    replies: VecDeque<Result<Vec<u8>, IoError>>,
    sent: Vec<Vec<u8>>,
    connected: bool,
    connect_count: usize,
}

impl Transport for Script {
    fn connect(&mut self, _deadline: u64) -> Result<(), IoError> {
        self.connect_count += 1;
        let r = self.connects.pop_front().unwrap_or(Ok(()));
        self.connected = r.is_ok();
        r
    }
    fn send(&mut self, data: &[u8], _deadline: u64) -> Result<(), IoError> {
        assert!(self.connected, "send without a connection");
        self.sent.push(data.to_vec());
        Ok(())
    }
    fn recv(&mut self, buf: &mut [u8], deadline: u64) -> Result<usize, IoError> {
        assert!(self.connected, "recv without a connection");
        match self.replies.pop_front() {
            Some(Ok(bytes)) => {
                buf[..bytes.len()].copy_from_slice(&bytes);
                Ok(bytes.len())
            }
            Some(Err(IoError::TimedOut)) => {
                self.now = deadline;
                Err(IoError::TimedOut)
            }
            Some(Err(e)) => Err(e),
            None => Ok(0),
        }
    }
    fn close(&mut self) {
        self.connected = false;
    }
    fn now_ms(&self) -> u64 {
        self.now
    }
}

fn client(script: Script, password: Option<&str>) -> Client<Script> {
    Client::new(script, Config { password: password.map(Into::into), ..Config::default() })
}

fn cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command(args, &mut out);
    out
}

fn replies(chunks: &[&[u8]]) -> VecDeque<Result<Vec<u8>, IoError>> {
    chunks.iter().map(|c| Ok(c.to_vec())).collect()
}

#[test]
fn client_commands_and_replies() {
    let script = Script {
        replies: replies(&[b"+PONG\r\n", b"+OK\r\n", b"$3\r\n", b"v\0v\r\n", b"$-1\r\n", b":1\r\n", b"-ERR bad\r\n"]),
        ..Default::default()
    };
    let mut c = client(script, None);
    c.ping().unwrap();
    c.set(b"k", b"v\0v").unwrap();
    assert_eq!(c.get(b"k").unwrap(), Some(b"v\0v".to_vec()));
    assert_eq!(c.get(b"missing").unwrap(), None);
    assert_eq!(c.del(b"k").unwrap(), 1);
    assert_eq!(c.get(b"x"), Err(ClientError::Server("ERR bad".into())));
    let t = c.transport_mut();
    assert_eq!(t.connect_count, 1, "an error reply keeps the connection");
    assert_eq!(t.sent[1], cmd(&[b"SET", b"k", b"v\0v"]));
}

#[test]
fn scan_iterates_the_cursor_and_dedups() {
    let script = Script {
        replies: replies(&[
            b"*2\r\n$2\r\n17\r\n*2\r\n$3\r\nc:b\r\n$3\r\nc:a\r\n",
            b"*2\r\n$1\r\n0\r\n*1\r\n$3\r\nc:b\r\n",
        ]),
        ..Default::default()
    };
    let mut c = client(script, None);
    assert_eq!(c.scan(b"c:*").unwrap(), vec![b"c:a".to_vec(), b"c:b".to_vec()]);
    let sent = &c.transport_mut().sent;
    assert_eq!(sent[0], cmd(&[b"SCAN", b"0", b"MATCH", b"c:*", b"COUNT", b"100"]));
    assert_eq!(sent[1], cmd(&[b"SCAN", b"17", b"MATCH", b"c:*", b"COUNT", b"100"]));
}

#[test]
fn unexpected_reply_shapes_are_protocol_errors() {
    let script = Script { replies: replies(&[b":1\r\n", b"*1\r\n$1\r\n0\r\n", b"+OK\r\n"]), ..Default::default() };
    let mut c = client(script, None);
    assert!(matches!(c.get(b"k"), Err(ClientError::Protocol(_))));
    assert!(matches!(c.scan(b"*"), Err(ClientError::Protocol(_))));
    assert!(matches!(c.del(b"k"), Err(ClientError::Protocol(_))));
}

#[test]
fn bad_reply_bytes_drop_the_connection() {
    let script = Script { replies: replies(&[b"%3\r\n", b"+PONG\r\n"]), ..Default::default() };
    let mut c = client(script, None);
    assert!(matches!(c.ping(), Err(ClientError::Protocol(_))));
    c.ping().unwrap();
    assert_eq!(c.transport_mut().connect_count, 2);
}

#[test]
fn timeout_drops_the_connection_and_next_command_reconnects() {
    let mut script = Script { replies: replies(&[b"+PO"]), ..Default::default() };
    script.replies.push_back(Err(IoError::TimedOut));
    script.replies.push_back(Ok(b"+PONG\r\n".to_vec()));
    let mut c = client(script, None);
    assert_eq!(c.ping(), Err(ClientError::Timeout));
    // The half reply of the dead connection must not leak into the next one.
    c.ping().unwrap();
    assert_eq!(c.transport_mut().connect_count, 2);
}

#[test]
fn connect_failures_back_off_exponentially() {
    let refused = || Err(IoError::Failed("refused".into()));
    let script = Script { connects: [refused(), refused(), refused()].into(), ..Default::default() };
    let mut c = Client::new(script, Config { backoff_min_ms: 100, backoff_max_ms: 250, ..Config::default() });
    assert_eq!(c.ping(), Err(ClientError::Unavailable("refused".into())));
    // Inside the backoff window: fail fast, without trying to connect.
    c.transport_mut().now = 99;
    assert!(matches!(c.ping(), Err(ClientError::Unavailable(m)) if m.contains("reconnecting")));
    assert_eq!(c.transport_mut().connect_count, 1);
    c.transport_mut().now = 100;
    assert!(c.ping().is_err());
    assert_eq!(c.transport_mut().connect_count, 2);
    // Waits double (100, 200) and stop at the maximum (250).
    c.transport_mut().now = 299;
    assert!(c.ping().is_err());
    assert_eq!(c.transport_mut().connect_count, 2);
    c.transport_mut().now = 300;
    assert!(c.ping().is_err());
    c.transport_mut().now = 549;
    assert!(c.ping().is_err());
    assert_eq!(c.transport_mut().connect_count, 3);
    // The next connect succeeds, which resets the backoff.
    c.transport_mut().now = 550;
    c.transport_mut().replies = replies(&[b"+PONG\r\n"]);
    c.ping().unwrap();
    assert_eq!(c.transport_mut().connect_count, 4);
}

#[test]
fn a_reused_connection_that_broke_is_retried_once() {
    let mut script = Script { replies: replies(&[b"+PONG\r\n"]), ..Default::default() };
    script.replies.push_back(Err(IoError::Failed("reset".into())));
    script.replies.push_back(Ok(b"+PONG\r\n".to_vec()));
    let mut c = client(script, None);
    c.ping().unwrap();
    c.ping().unwrap();
    assert_eq!(c.transport_mut().connect_count, 2);
    // A fresh connection that breaks is not retried: the server is down.
    c.transport_mut().replies = [Err(IoError::Failed("reset".into()))].into();
    c.transport_mut().connects = [Err(IoError::Failed("refused".into()))].into();
    assert!(matches!(c.ping(), Err(ClientError::Unavailable(_))));
    assert_eq!(c.transport_mut().connect_count, 3);
}

#[test]
fn auth_is_sent_on_every_connect() {
    let script = Script { replies: replies(&[b"+OK\r\n", b"+PONG\r\n"]), ..Default::default() };
    let mut c = Client::new(
        script,
        Config { username: Some("app".into()), password: Some("pw".into()), ..Config::default() },
    );
    c.ping().unwrap();
    assert_eq!(c.transport_mut().sent[0], cmd(&[b"AUTH", b"app", b"pw"]));
}

#[test]
fn auth_failures_are_auth_errors() {
    let script = Script { replies: replies(&[b"-WRONGPASS invalid password\r\n"]), ..Default::default() };
    let mut c = client(script, Some("bad"));
    assert!(matches!(c.ping(), Err(ClientError::Auth(m)) if m.contains("WRONGPASS")));
    // Without a password, the server's NOAUTH reply is an auth error too.
    let script = Script { replies: replies(&[b"-NOAUTH Authentication required.\r\n"]), ..Default::default() };
    let mut c = client(script, None);
    assert!(matches!(c.get(b"k"), Err(ClientError::Auth(_))));
}
