//! The RESP client and the Redis-backed key-value store against a real
//! `redis-server`, started by each test on 127.0.0.1 on a free port.

mod common;

use common::{local_tcp, Redis, StdTcp};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use uniwasm_runtime::kv::{KeyValueStore, KvError};
use uniwasm_runtime::resp::{Client, ClientError, Config, Value};

fn client(port: u16, config: Config) -> Client<StdTcp> {
    Client::new(local_tcp(port), config)
}

#[test]
fn commands_against_redis() {
    let redis = Redis::start(&[]);
    let mut c = client(redis.port, Config::default());
    c.ping().unwrap();
    let value: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    c.set(b"bin\r\nkey\0", &value).unwrap();
    assert_eq!(c.get(b"bin\r\nkey\0").unwrap(), Some(value));
    assert_eq!(c.get(b"missing").unwrap(), None);
    assert_eq!(c.del(b"bin\r\nkey\0").unwrap(), 1);
    assert_eq!(c.del(b"bin\r\nkey\0").unwrap(), 0);
    assert!(matches!(c.command(&[b"NOSUCHCOMMAND"]), Err(ClientError::Server(m)) if m.starts_with("ERR")));
    assert!(matches!(c.command(&[b"LPUSH", b"list", b"x"]), Ok(Value::Integer(1))));
    assert!(matches!(c.get(b"list"), Err(ClientError::Server(m)) if m.starts_with("WRONGTYPE")));
    // Many keys: SCAN needs several round trips at COUNT 100.
    for i in 0..1000 {
        c.set(format!("many:{i}").as_bytes(), b"x").unwrap();
    }
    assert_eq!(c.scan(b"many:*").unwrap().len(), 1000);
}

#[test]
fn key_value_store_on_redis() {
    let redis = Redis::start(&[]);
    let mut store = client(redis.port, Config::default());
    store.set(b"c:a", b"1").unwrap();
    store.set(b"c:b", b"2").unwrap();
    store.set(b"c*:x", b"3").unwrap();
    store.set(b"cc:y", b"4").unwrap();
    assert_eq!(store.keys_with_prefix(b"c:").unwrap(), vec![b"c:a".to_vec(), b"c:b".to_vec()]);
    // Glob characters in a container name are literal.
    assert_eq!(store.keys_with_prefix(b"c*:").unwrap(), vec![b"c*:x".to_vec()]);
    KeyValueStore::delete(&mut store, b"c:a").unwrap();
    KeyValueStore::delete(&mut store, b"c:a").unwrap();
    assert_eq!(KeyValueStore::get(&mut store, b"c:a").unwrap(), None);
    assert_eq!(KeyValueStore::get(&mut store, b"c:b").unwrap(), Some(b"2".to_vec()));
}

#[test]
fn auth_against_redis() {
    let redis = Redis::start(&["--requirepass", "s3cret"]);
    let mut none = client(redis.port, Config::default());
    assert!(matches!(none.get(b"k"), Err(ClientError::Auth(_))));
    let mut wrong = client(redis.port, Config { password: Some("nope".into()), ..Config::default() });
    assert!(matches!(KeyValueStore::get(&mut wrong, b"k"), Err(KvError::Authentication(_))));
    let mut right = client(redis.port, Config { password: Some("s3cret".into()), ..Config::default() });
    right.set(b"k", b"v").unwrap();
    assert_eq!(right.get(b"k").unwrap(), Some(b"v".to_vec()));
}

#[test]
fn reconnects_after_redis_restarts() {
    let redis = Redis::start(&[]);
    let port = redis.port;
    let config = Config { backoff_min_ms: 200, backoff_max_ms: 400, ..Config::default() };
    let mut c = client(port, config);
    c.set(b"k", b"v").unwrap();
    drop(redis);
    // The server is gone: the broken connection is retried once, fails to
    // connect, and the store reports a connection error.
    assert!(matches!(KeyValueStore::get(&mut c, b"k"), Err(KvError::Connection(_))));
    // Within the backoff window the client fails fast, without connecting.
    let started = Instant::now();
    assert!(matches!(c.get(b"k"), Err(ClientError::Unavailable(m)) if m.contains("reconnecting")));
    assert!(started.elapsed() < Duration::from_millis(50));
    let _redis = Redis::start_on(port, &[]);
    std::thread::sleep(Duration::from_millis(250));
    // A fresh server (no persistence): connected again, the key is gone.
    assert_eq!(c.get(b"k").unwrap(), None);
    c.set(b"k", b"w").unwrap();
    assert_eq!(c.get(b"k").unwrap(), Some(b"w".to_vec()));
}

#[test]
fn times_out_on_a_silent_server() {
    // A listener that accepts (via the backlog) but never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut c = client(port, Config { timeout_ms: 200, ..Config::default() });
    let started = Instant::now();
    assert_eq!(c.ping(), Err(ClientError::Timeout));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(190) && took < Duration::from_secs(2), "{took:?}");
}
