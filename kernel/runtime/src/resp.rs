//! RESP2: a sans-I/O codec and two small Redis clients.
//!
//! The codec never does I/O: [`encode_command`] appends a command to a
//! buffer, and [`Decoder`] takes bytes in chunks of any size and hands back
//! whole replies. [`Client`] drives a blocking [`Transport`] (a `std` socket:
//! the Linux baseline and the tests) with timeouts, AUTH, and reconnect
//! with exponential backoff; [`Queued`] does the same for a poll loop over a
//! non-blocking [`Socket`] (the kernel's): its operations finish later.

mod queued;

pub use queued::{Queued, Socket};

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Integer(i64),
    /// `None` is the null bulk string (`$-1`).
    Bulk(Option<Vec<u8>>),
    /// `None` is the null array (`*-1`).
    Array(Option<Vec<Value>>),
}

/// Why a reply could not be decoded. The stream is unusable afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The first byte of a reply is not one of `+ - : $ *`.
    BadType(u8),
    /// A bulk or array length is not a decimal number ≥ -1.
    BadLength,
    /// An integer reply is not a decimal `i64`.
    BadInteger,
    /// A line or bulk string is not terminated by CRLF.
    MissingCrlf,
    /// A line, bulk string or array is over the decoder's limits.
    TooLarge,
    /// Arrays nest deeper than the decoder's limit.
    TooDeep,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadType(b) => write!(f, "bad RESP type byte 0x{b:02x}"),
            DecodeError::BadLength => f.write_str("bad RESP length"),
            DecodeError::BadInteger => f.write_str("bad RESP integer"),
            DecodeError::MissingCrlf => f.write_str("RESP line not terminated by CRLF"),
            DecodeError::TooLarge => f.write_str("RESP reply over the size limit"),
            DecodeError::TooDeep => f.write_str("RESP arrays nested too deep"),
        }
    }
}

/// Bounds on what the decoder accepts, so a bad server cannot exhaust memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest simple string, error or integer line (without CRLF).
    pub max_line: usize,
    /// Longest bulk string.
    pub max_bulk: usize,
    /// Most elements in one array.
    pub max_array: usize,
    /// Deepest array nesting (1 = arrays of scalars).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_line: 64 * 1024, max_bulk: 16 * 1024 * 1024, max_array: 1024 * 1024, max_depth: 8 }
    }
}

/// Appends `args` as a RESP command (an array of bulk strings; binary-safe).
pub fn encode_command(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// The `SCAN … MATCH` glob of every key that starts with `prefix`.
pub fn keys_pattern(prefix: &[u8]) -> Vec<u8> {
    let mut pattern = glob_escape(prefix);
    pattern.push(b'*');
    pattern
}

/// Escapes the glob characters of `literal` for a `SCAN … MATCH` pattern.
pub fn glob_escape(literal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(literal.len());
    for &b in literal {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// An incremental reply decoder: [`feed`](Decoder::feed) bytes as they
/// arrive, then take whole replies with [`decode`](Decoder::decode).
pub struct Decoder {
    buf: Vec<u8>,
    limits: Limits,
}

impl Decoder {
    pub fn new(limits: Limits) -> Self {
        Decoder { buf: Vec::new(), limits }
    }

    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Forgets buffered bytes (after a reconnect).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The next whole reply, `Ok(None)` if more bytes are needed.
    ///
    /// Replies are re-parsed from their start on each call: an incomplete
    /// bulk string is detected from its header in O(1), so only large arrays
    /// pay for this, and it keeps the decoder free of partial-parse state.
    pub fn decode(&mut self) -> Result<Option<Value>, DecodeError> {
        match parse(&self.buf, 0, &self.limits)? {
            Some((value, used)) => {
                self.buf.drain(..used);
                Ok(Some(value))
            }
            None => Ok(None),
        }
    }
}

type Parsed<T> = Result<Option<(T, usize)>, DecodeError>;

/// Parses one reply at the start of `buf`: the reply and the bytes it used.
fn parse(buf: &[u8], depth: usize, limits: &Limits) -> Parsed<Value> {
    let Some(&kind) = buf.first() else { return Ok(None) };
    // Check the type byte before waiting for its line, so garbage fails fast.
    if !matches!(kind, b'+' | b'-' | b':' | b'$' | b'*') {
        return Err(DecodeError::BadType(kind));
    }
    let Some((line, mut used)) = line(&buf[1..], limits)? else { return Ok(None) };
    used += 1;
    let value = match kind {
        b'+' => Value::Simple(line.to_vec()),
        b'-' => Value::Error(line.to_vec()),
        b':' => Value::Integer(integer(line).ok_or(DecodeError::BadInteger)?),
        b'$' => match length(line, limits.max_bulk)? {
            None => Value::Bulk(None),
            Some(len) => {
                let rest = &buf[used..];
                // Check the terminator as soon as its bytes are here, so a
                // bad stream fails at the same point for every chunking.
                let have = rest.len().min(len + 2);
                if have > len && rest[len] != b'\r' || have > len + 1 && rest[len + 1] != b'\n' {
                    return Err(DecodeError::MissingCrlf);
                }
                if have < len + 2 {
                    return Ok(None);
                }
                used += len + 2;
                Value::Bulk(Some(rest[..len].to_vec()))
            }
        },
        b'*' => match length(line, limits.max_array)? {
            None => Value::Array(None),
            Some(len) => {
                if depth + 1 > limits.max_depth {
                    return Err(DecodeError::TooDeep);
                }
                // The count comes from the peer: don't trust it for capacity.
                let mut items = Vec::with_capacity(len.min(1024));
                for _ in 0..len {
                    let Some((item, n)) = parse(&buf[used..], depth + 1, limits)? else {
                        return Ok(None);
                    };
                    items.push(item);
                    used += n;
                }
                Value::Array(Some(items))
            }
        },
        other => return Err(DecodeError::BadType(other)),
    };
    Ok(Some((value, used)))
}

/// A CRLF-terminated line at the start of `buf` (without the CRLF) and its
/// length with the CRLF. A lone CR or LF is an error. The length is checked
/// first: a prefix of an overlong line is already too large, whatever ends it.
fn line<'a>(buf: &'a [u8], limits: &Limits) -> Parsed<&'a [u8]> {
    match buf.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(i) if i > limits.max_line => Err(DecodeError::TooLarge),
        Some(i) if buf[i] == b'\n' => Err(DecodeError::MissingCrlf),
        Some(i) => match buf.get(i + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some((&buf[..i], i + 2))),
            Some(_) => Err(DecodeError::MissingCrlf),
        },
        None if buf.len() > limits.max_line => Err(DecodeError::TooLarge),
        None => Ok(None),
    }
}

/// A strict decimal `i64`: optional `-`, then 1 to 19 digits.
fn integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        let d = i64::from(d - b'0');
        value = value.checked_mul(10)?;
        value = if negative { value.checked_sub(d)? } else { value.checked_add(d)? };
    }
    Some(value)
}

/// A bulk or array length: `None` for -1 (null), else at most `max`.
fn length(text: &[u8], max: usize) -> Result<Option<usize>, DecodeError> {
    match integer(text) {
        Some(-1) => Ok(None),
        Some(n) if n < 0 => Err(DecodeError::BadLength),
        Some(n) => match usize::try_from(n) {
            Ok(n) if n <= max => Ok(Some(n)),
            _ => Err(DecodeError::TooLarge),
        },
        None => Err(DecodeError::BadLength),
    }
}

/// Why a transport operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoError {
    /// The deadline passed.
    TimedOut,
    /// Anything else: refused, reset, closed by the peer, no route, …
    Failed(String),
}

/// A blocking byte stream to the Redis server. Deadlines are in milliseconds
/// on the clock of [`now_ms`](Transport::now_ms).
pub trait Transport {
    /// Opens a new connection, dropping any previous one.
    fn connect(&mut self, deadline: u64) -> Result<(), IoError>;
    /// Sends all of `data`.
    fn send(&mut self, data: &[u8], deadline: u64) -> Result<(), IoError>;
    /// Reads at least one byte into `buf`; `Ok(0)` means the peer closed.
    fn recv(&mut self, buf: &mut [u8], deadline: u64) -> Result<usize, IoError>;
    /// Drops the connection, if any.
    fn close(&mut self);
    /// A monotonic clock in milliseconds.
    fn now_ms(&self) -> u64;
}

/// Why a client command failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// No connection: connect failed, the connection broke, or the client is
    /// waiting out its reconnect backoff.
    Unavailable(String),
    /// The server did not answer before the command's deadline.
    Timeout,
    /// AUTH was refused, or the server wants AUTH and none is configured.
    Auth(String),
    /// The server answered with an error reply.
    Server(String),
    /// The reply could not be decoded, or had an unexpected shape.
    Protocol(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Unavailable(m) => write!(f, "redis unavailable: {m}"),
            ClientError::Timeout => f.write_str("redis timed out"),
            ClientError::Auth(m) => write!(f, "redis authentication failed: {m}"),
            ClientError::Server(m) => write!(f, "redis error: {m}"),
            ClientError::Protocol(m) => write!(f, "redis protocol error: {m}"),
        }
    }
}

/// How the client connects and retries.
#[derive(Debug, Clone)]
pub struct Config {
    /// Sent as `AUTH [username] password` after each connect.
    pub password: Option<String>,
    pub username: Option<String>,
    /// Deadline of a connect, and of each command's round trip.
    pub timeout_ms: u64,
    /// First wait after a failed connect; doubles up to `backoff_max_ms`.
    pub backoff_min_ms: u64,
    pub backoff_max_ms: u64,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            password: None,
            username: None,
            timeout_ms: 2000,
            backoff_min_ms: 50,
            backoff_max_ms: 5000,
            limits: Limits::default(),
        }
    }
}

/// A blocking Redis client over a [`Transport`].
///
/// It connects lazily. When a connect fails it does not block to wait: the
/// commands of the next backoff period fail at once with
/// [`ClientError::Unavailable`] (so HTTP handlers answer 503 quickly), and
/// the first command after it tries again. A command that fails on a
/// connection that had already served commands is retried once on a fresh
/// one, because idle connections may have been closed by the server; the
/// commands of this client (GET, SET, DEL, SCAN, PING) are idempotent.
pub struct Client<T: Transport> {
    transport: T,
    config: Config,
    decoder: Decoder,
    connected: bool,
    backoff_ms: u64,
    retry_at: u64,
}

impl<T: Transport> Client<T> {
    pub fn new(transport: T, config: Config) -> Self {
        let decoder = Decoder::new(config.limits);
        Client { transport, decoder, connected: false, backoff_ms: config.backoff_min_ms, retry_at: 0, config }
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends one command and returns its reply. Error replies become
    /// [`ClientError::Server`] (or `Auth` for NOAUTH/WRONGPASS).
    pub fn command(&mut self, args: &[&[u8]]) -> Result<Value, ClientError> {
        let reused = self.connected;
        self.ensure_connected()?;
        match self.round_trip(args) {
            Err(ClientError::Unavailable(_)) if reused => {
                self.ensure_connected()?;
                self.round_trip(args)
            }
            result => result,
        }
        .and_then(reply_error)
    }

    pub fn ping(&mut self) -> Result<(), ClientError> {
        match self.command(&[b"PING"])? {
            Value::Simple(s) if s == b"PONG" => Ok(()),
            other => Err(unexpected("PING", &other)),
        }
    }

    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, ClientError> {
        get_reply(self.command(&[b"GET", key])?)
    }

    pub fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), ClientError> {
        set_reply(self.command(&[b"SET", key, value])?)
    }

    /// Deletes `key`; returns how many keys were removed (0 or 1).
    pub fn del(&mut self, key: &[u8]) -> Result<i64, ClientError> {
        del_reply(self.command(&[b"DEL", key])?)
    }

    /// Every key matching the glob `pattern`, by iterating SCAN (never KEYS,
    /// which blocks the server). Sorted, without the duplicates SCAN may give.
    pub fn scan(&mut self, pattern: &[u8]) -> Result<Vec<Vec<u8>>, ClientError> {
        let mut scan = Scan::new(pattern);
        loop {
            let reply = self.command(&scan.command())?;
            if let Some(keys) = scan.step(reply)? {
                return Ok(keys);
            }
        }
    }

    fn ensure_connected(&mut self) -> Result<(), ClientError> {
        if self.connected {
            return Ok(());
        }
        let now = self.transport.now_ms();
        if now < self.retry_at {
            return Err(ClientError::Unavailable(format!("reconnecting in {} ms", self.retry_at - now)));
        }
        self.decoder.clear();
        let deadline = now + self.config.timeout_ms;
        let result = match self.transport.connect(deadline) {
            Ok(()) => {
                self.connected = true;
                self.authenticate()
            }
            Err(IoError::TimedOut) => Err(ClientError::Unavailable("connect timed out".into())),
            Err(IoError::Failed(m)) => Err(ClientError::Unavailable(m)),
        };
        match result {
            Ok(()) => self.backoff_ms = self.config.backoff_min_ms,
            Err(_) => {
                self.disconnect();
                self.retry_at = self.transport.now_ms() + self.backoff_ms;
                self.backoff_ms = (self.backoff_ms * 2).min(self.config.backoff_max_ms);
            }
        }
        result
    }

    fn authenticate(&mut self) -> Result<(), ClientError> {
        let Some(auth) = auth_command(&self.config) else { return Ok(()) };
        let args: Vec<&[u8]> = auth.iter().map(Vec::as_slice).collect();
        auth_reply(self.round_trip(&args)?)
    }

    /// Sends a command and reads its reply; any failure drops the
    /// connection, since the reply stream is then out of step.
    fn round_trip(&mut self, args: &[&[u8]]) -> Result<Value, ClientError> {
        let result = self.try_round_trip(args);
        if result.is_err() {
            self.disconnect();
        }
        result
    }

    fn try_round_trip(&mut self, args: &[&[u8]]) -> Result<Value, ClientError> {
        let deadline = self.transport.now_ms() + self.config.timeout_ms;
        let mut out = Vec::new();
        encode_command(args, &mut out);
        self.transport.send(&out, deadline).map_err(io_error)?;
        let mut chunk = [0u8; 2048];
        loop {
            match self.decoder.decode() {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => {}
                Err(e) => return Err(ClientError::Protocol(format!("{e}"))),
            }
            match self.transport.recv(&mut chunk, deadline).map_err(io_error)? {
                0 => return Err(ClientError::Unavailable("connection closed by the server".into())),
                n => self.decoder.feed(&chunk[..n]),
            }
        }
    }

    fn disconnect(&mut self) {
        self.transport.close();
        self.decoder.clear();
        self.connected = false;
    }
}

fn io_error(e: IoError) -> ClientError {
    match e {
        IoError::TimedOut => ClientError::Timeout,
        IoError::Failed(m) => ClientError::Unavailable(m),
    }
}

/// Turns an error reply into an error; NOAUTH and WRONGPASS mean AUTH.
fn reply_error(value: Value) -> Result<Value, ClientError> {
    match value {
        Value::Error(e) => {
            let text: String = String::from_utf8_lossy(&e).into();
            if text.starts_with("NOAUTH") || text.starts_with("WRONGPASS") {
                Err(ClientError::Auth(text))
            } else {
                Err(ClientError::Server(text))
            }
        }
        value => Ok(value),
    }
}

fn unexpected(command: &str, reply: &Value) -> ClientError {
    ClientError::Protocol(format!("unexpected reply to {command}: {reply:?}"))
}

/// `AUTH [username] password` for `config`, `None` without a password.
fn auth_command(config: &Config) -> Option<Vec<Vec<u8>>> {
    let password = config.password.as_ref()?.as_bytes().to_vec();
    Some(match &config.username {
        Some(user) => alloc::vec![b"AUTH".to_vec(), user.as_bytes().to_vec(), password],
        None => alloc::vec![b"AUTH".to_vec(), password],
    })
}

/// AUTH's reply, before [`reply_error`]: an error reply is an authentication failure.
fn auth_reply(reply: Value) -> Result<(), ClientError> {
    match reply {
        Value::Simple(s) if s == b"OK" => Ok(()),
        Value::Error(e) => Err(ClientError::Auth(String::from_utf8_lossy(&e).into())),
        other => Err(unexpected("AUTH", &other)),
    }
}

fn get_reply(reply: Value) -> Result<Option<Vec<u8>>, ClientError> {
    match reply {
        Value::Bulk(value) => Ok(value),
        other => Err(unexpected("GET", &other)),
    }
}

fn set_reply(reply: Value) -> Result<(), ClientError> {
    match reply {
        Value::Simple(s) if s == b"OK" => Ok(()),
        other => Err(unexpected("SET", &other)),
    }
}

fn del_reply(reply: Value) -> Result<i64, ClientError> {
    match reply {
        Value::Integer(n) => Ok(n),
        other => Err(unexpected("DEL", &other)),
    }
}

/// A SCAN iteration over the keys matching a glob pattern: its next command, and its replies.
struct Scan {
    pattern: Vec<u8>,
    cursor: Vec<u8>,
    keys: Vec<Vec<u8>>,
}

impl Scan {
    fn new(pattern: &[u8]) -> Scan {
        Scan { pattern: pattern.to_vec(), cursor: b"0".to_vec(), keys: Vec::new() }
    }

    fn command(&self) -> [&[u8]; 6] {
        [b"SCAN", &self.cursor, b"MATCH", &self.pattern, b"COUNT", b"100"]
    }

    /// Takes the reply to [`command`](Scan::command): every key once the cursor is back at 0
    /// (sorted, without the duplicates SCAN may give), else `None` and the next command is due.
    fn step(&mut self, reply: Value) -> Result<Option<Vec<Vec<u8>>>, ClientError> {
        let Value::Array(Some(mut parts)) = reply else { return Err(unexpected("SCAN", &reply)) };
        let (Some(Value::Array(Some(batch))), Some(Value::Bulk(Some(next))), None) = (parts.pop(), parts.pop(), parts.pop())
        else {
            return Err(ClientError::Protocol("SCAN reply is not [cursor, keys]".into()));
        };
        for key in batch {
            match key {
                Value::Bulk(Some(k)) => self.keys.push(k),
                other => return Err(unexpected("SCAN", &other)),
            }
        }
        if next != b"0" {
            self.cursor = next;
            return Ok(None);
        }
        let mut keys = core::mem::take(&mut self.keys);
        keys.sort_unstable();
        keys.dedup();
        Ok(Some(keys))
    }
}

#[cfg(test)]
mod tests;
