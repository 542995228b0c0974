//! The Redis client of a poll loop: KeyValue operations queued, sent one at a time over a non-blocking socket, each finished when its reply arrives or its deadline passes.
//!
//! [`Client`](super::Client) blocks until its reply; this one never waits (but in
//! [`KeyValueStore`]'s blocking methods, for `init`): [`KeyValueStore::start`] queues an
//! operation and returns its ticket, and each [`KeyValueStore::finished`] moves the socket on and
//! hands back the operations that ended. Its rules are the blocking client's: a connect that fails
//! fails the operations of the next backoff period at once, each command has the config's
//! deadline (a timeout drops the connection, whose replies are then out of step), AUTH follows
//! every connect, and an operation that fails on a connection that had served others is retried
//! once on a fresh one. One command at a time: Redis answers a connection in order anyway, and
//! one in flight keeps a failure to the operation it hit.

use super::{auth_command, auth_reply, del_reply, encode_command, get_reply, keys_pattern, reply_error, set_reply};
use super::{ClientError, Config, Decoder, IoError, Scan, Value};
use crate::kv::{KeyValueStore, KvDone, KvError, KvOp, KvResult, Started};
use alloc::collections::VecDeque;
use alloc::format;
use alloc::vec::Vec;

/// A non-blocking byte stream to the Redis server: no call waits but [`wait`](Socket::wait).
pub trait Socket {
    /// Starts a new connection, dropping any previous one.
    fn connect(&mut self) -> Result<(), IoError>;
    /// Whether the connection is made: `None` while it is being made.
    fn connected(&mut self) -> Option<Result<(), IoError>>;
    /// Queues what fits of `data`; the number of bytes taken.
    fn send(&mut self, data: &[u8]) -> Result<usize, IoError>;
    /// What has arrived, into `buf`: `Ok(None)` when nothing has, `Ok(Some(0))` once the peer closed.
    fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>, IoError>;
    /// Drops the connection, if any.
    fn close(&mut self);
    /// A monotonic clock in milliseconds.
    fn now_ms(&self) -> u64;
    /// Runs the network until something may have changed (a frame, a timer).
    fn wait(&mut self);
}

/// The connection.
enum Link {
    Down,
    Connecting { deadline: u64 },
    /// AUTH is in flight.
    Authenticating,
    Up,
}

/// The operation at the head of the queue, being worked on.
struct Head {
    ticket: u64,
    op: KvOp,
    /// `Keys`'s iteration.
    scan: Option<Scan>,
    /// Whether its command is in flight.
    sent: bool,
    /// Whether it already failed once on a reused connection.
    retried: bool,
}

/// See the module documentation.
pub struct Queued<S: Socket> {
    socket: S,
    config: Config,
    decoder: Decoder,
    link: Link,
    /// Whether the connection has served an operation (its failure is then retried once).
    reused: bool,
    backoff_ms: u64,
    retry_at: u64,
    head: Option<Head>,
    queue: VecDeque<(u64, KvOp)>,
    /// Bytes of the command in flight not yet taken by the socket, and its deadline.
    out: Vec<u8>,
    deadline: u64,
    finished: Vec<(u64, KvResult)>,
    next_ticket: u64,
}

impl<S: Socket> Queued<S> {
    pub fn new(socket: S, config: Config) -> Self {
        Queued {
            decoder: Decoder::new(config.limits),
            backoff_ms: config.backoff_min_ms,
            config,
            socket,
            link: Link::Down,
            reused: false,
            retry_at: 0,
            head: None,
            queue: VecDeque::new(),
            out: Vec::new(),
            deadline: 0,
            finished: Vec::new(),
            next_ticket: 0,
        }
    }

    pub fn socket_mut(&mut self) -> &mut S {
        &mut self.socket
    }

    /// Moves the queue on as far as it goes without waiting.
    pub fn poll(&mut self) {
        loop {
            if self.head.is_none() {
                let Some((ticket, op)) = self.queue.pop_front() else { return };
                self.head = Some(Head { ticket, op, scan: None, sent: false, retried: false });
            }
            let progressed = match self.link {
                Link::Down => self.connect(),
                Link::Connecting { deadline } => self.poll_connect(deadline),
                Link::Authenticating => match self.exchange() {
                    None => false,
                    Some(reply) => {
                        match reply.and_then(auth_reply) {
                            Ok(()) => self.link = Link::Up,
                            Err(e) => self.connect_failed(e),
                        }
                        true
                    }
                },
                Link::Up => self.poll_head(),
            };
            if !progressed {
                return;
            }
        }
    }

    /// Starts a connection, unless the backoff says to fail the head at once.
    fn connect(&mut self) -> bool {
        let now = self.socket.now_ms();
        if now < self.retry_at {
            let wait = self.retry_at - now;
            self.finish(Err(ClientError::Unavailable(format!("reconnecting in {wait} ms"))));
            return true;
        }
        self.decoder.clear();
        self.reused = false;
        match self.socket.connect() {
            Ok(()) => self.link = Link::Connecting { deadline: now + self.config.timeout_ms },
            Err(e) => self.connect_failed(connect_error(e)),
        }
        true
    }

    fn poll_connect(&mut self, deadline: u64) -> bool {
        match self.socket.connected() {
            None if self.socket.now_ms() < deadline => return false,
            None => self.connect_failed(ClientError::Unavailable("connect timed out".into())),
            Some(Err(e)) => self.connect_failed(connect_error(e)),
            Some(Ok(())) => match auth_command(&self.config) {
                Some(auth) => {
                    let args: Vec<&[u8]> = auth.iter().map(Vec::as_slice).collect();
                    self.send_command(&args);
                    self.link = Link::Authenticating;
                }
                None => self.link = Link::Up,
            },
        }
        if matches!(self.link, Link::Up) {
            self.backoff_ms = self.config.backoff_min_ms;
        }
        true
    }

    /// The connect (or its AUTH) failed: the head fails with `error`, and the next connect waits
    /// out the backoff.
    fn connect_failed(&mut self, error: ClientError) {
        self.disconnect();
        self.retry_at = self.socket.now_ms() + self.backoff_ms;
        self.backoff_ms = (self.backoff_ms * 2).min(self.config.backoff_max_ms);
        self.finish(Err(error));
    }

    /// Sends the head's command, or takes its reply.
    fn poll_head(&mut self) -> bool {
        let head = self.head.as_mut().expect("poll set the head");
        if !head.sent {
            head.sent = true;
            let command = command(&head.op, &mut head.scan);
            let args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
            self.send_command(&args);
        }
        let Some(reply) = self.exchange() else { return false };
        let head = self.head.as_mut().expect("poll set the head");
        head.sent = false;
        let reused = self.reused;
        self.reused |= reply.is_ok();
        let result = reply.and_then(reply_error).and_then(|reply| step(&head.op, &mut head.scan, reply));
        match result {
            Ok(None) => {} // SCAN goes on
            Ok(Some(done)) => self.finish(Ok(done)),
            Err(ClientError::Unavailable(_)) if reused && !head.retried => {
                head.retried = true;
                head.scan = None;
                self.disconnect();
            }
            Err(e) => self.finish(Err(e)),
        }
        true
    }

    fn send_command(&mut self, args: &[&[u8]]) {
        self.out.clear();
        encode_command(args, &mut self.out);
        self.deadline = self.socket.now_ms() + self.config.timeout_ms;
    }

    /// Sends what is left of the command in flight and reads its reply: `None` while it has not
    /// come. Any failure drops the connection: the reply stream is then out of step.
    fn exchange(&mut self) -> Option<Result<Value, ClientError>> {
        let result = self.try_exchange()?;
        if result.is_err() {
            self.disconnect();
        }
        Some(result)
    }

    fn try_exchange(&mut self) -> Option<Result<Value, ClientError>> {
        if !self.out.is_empty() {
            match self.socket.send(&self.out) {
                Ok(n) => drop(self.out.drain(..n)),
                Err(e) => return Some(Err(io_error(e))),
            }
        }
        let mut chunk = [0u8; 2048];
        loop {
            match self.decoder.decode() {
                Ok(Some(value)) => return Some(Ok(value)),
                Ok(None) => {}
                Err(e) => return Some(Err(ClientError::Protocol(format!("{e}")))),
            }
            match self.socket.recv(&mut chunk) {
                Ok(Some(0)) => return Some(Err(ClientError::Unavailable("connection closed by the server".into()))),
                Ok(Some(n)) => self.decoder.feed(&chunk[..n]),
                Ok(None) if self.socket.now_ms() >= self.deadline => return Some(Err(ClientError::Timeout)),
                Ok(None) => return None,
                Err(e) => return Some(Err(io_error(e))),
            }
        }
    }

    /// The head is done with `result`.
    fn finish(&mut self, result: Result<KvDone, ClientError>) {
        let head = self.head.take().expect("poll set the head");
        self.finished.push((head.ticket, result.map_err(KvError::from)));
    }

    fn disconnect(&mut self) {
        self.socket.close();
        self.decoder.clear();
        self.out.clear();
        self.link = Link::Down;
    }

    /// Queues `op` and waits for its result; the results of other operations stay for
    /// [`finished`](KeyValueStore::finished).
    fn block_on(&mut self, op: KvOp) -> KvResult {
        let Started::Queued(ticket) = self.start(op) else { unreachable!("a queued store queues") };
        loop {
            self.poll();
            if let Some(i) = self.finished.iter().position(|(t, _)| *t == ticket) {
                return self.finished.remove(i).1;
            }
            self.socket.wait();
        }
    }
}

/// The command for `op`; `scan` keeps `Keys`'s iteration between commands.
fn command(op: &KvOp, scan: &mut Option<Scan>) -> Vec<Vec<u8>> {
    let words: Vec<&[u8]> = match op {
        KvOp::Get(key) => alloc::vec![b"GET", key],
        KvOp::Set(key, value) => alloc::vec![b"SET", key, value],
        KvOp::Delete(key) => alloc::vec![b"DEL", key],
        KvOp::Keys(prefix) => {
            let scan = scan.get_or_insert_with(|| Scan::new(&keys_pattern(prefix)));
            return scan.command().iter().map(|w| w.to_vec()).collect();
        }
    };
    words.iter().map(|w| w.to_vec()).collect()
}

/// What `reply` to `op`'s command means: `None` when `Keys` needs another SCAN.
fn step(op: &KvOp, scan: &mut Option<Scan>, reply: Value) -> Result<Option<KvDone>, ClientError> {
    Ok(Some(match op {
        KvOp::Get(_) => KvDone::Value(get_reply(reply)?),
        KvOp::Set(..) => set_reply(reply).map(|()| KvDone::Unit)?,
        KvOp::Delete(_) => del_reply(reply).map(|_| KvDone::Unit)?,
        KvOp::Keys(_) => match scan.as_mut().expect("command started the scan").step(reply)? {
            Some(keys) => KvDone::Keys(keys),
            None => return Ok(None),
        },
    }))
}

fn connect_error(e: IoError) -> ClientError {
    match e {
        IoError::TimedOut => ClientError::Unavailable("connect timed out".into()),
        IoError::Failed(m) => ClientError::Unavailable(m),
    }
}

fn io_error(e: IoError) -> ClientError {
    match e {
        IoError::TimedOut => ClientError::Timeout,
        IoError::Failed(m) => ClientError::Unavailable(m),
    }
}

impl<S: Socket> KeyValueStore for Queued<S> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        match self.block_on(KvOp::Get(key.to_vec()))? {
            KvDone::Value(value) => Ok(value),
            _ => unreachable!("step answers Get with a value"),
        }
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.block_on(KvOp::Set(key.to_vec(), value.to_vec())).map(|_| ())
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), KvError> {
        self.block_on(KvOp::Delete(key.to_vec())).map(|_| ())
    }
    fn keys_with_prefix(&mut self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        match self.block_on(KvOp::Keys(prefix.to_vec()))? {
            KvDone::Keys(keys) => Ok(keys),
            _ => unreachable!("step answers Keys with keys"),
        }
    }

    fn start(&mut self, op: KvOp) -> Started {
        self.next_ticket += 1;
        self.queue.push_back((self.next_ticket, op));
        self.poll(); // the command leaves with the network's next poll
        Started::Queued(self.next_ticket)
    }

    fn finished(&mut self) -> Vec<(u64, KvResult)> {
        self.poll();
        core::mem::take(&mut self.finished)
    }

    fn wait(&mut self) {
        self.socket.wait();
    }
}

#[cfg(test)]
mod tests;
