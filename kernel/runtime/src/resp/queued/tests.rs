use super::*;
use crate::resp::Limits;

/// A socket whose server the test plays: what the client sent, and the bytes to hand it.
#[derive(Default)]
struct Server {
    now: u64,
    /// Whether connects complete (`Some`) or hang (`None`).
    accept: Option<Result<(), IoError>>,
    connects: usize,
    open: bool,
    sent: Vec<u8>,
    inbox: VecDeque<Vec<u8>>,
    /// Bytes that arrive only when the client waits.
    later: VecDeque<Vec<u8>>,
}

impl Socket for Server {
    fn connect(&mut self) -> Result<(), IoError> {
        self.connects += 1;
        self.open = true;
        Ok(())
    }
    fn connected(&mut self) -> Option<Result<(), IoError>> {
        self.accept.clone()
    }
    fn send(&mut self, data: &[u8]) -> Result<usize, IoError> {
        assert!(self.open, "send without a connection");
        self.sent.extend_from_slice(data);
        Ok(data.len())
    }
    fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>, IoError> {
        assert!(self.open, "recv without a connection");
        Ok(self.inbox.pop_front().map(|bytes| {
            buf[..bytes.len()].copy_from_slice(&bytes);
            bytes.len()
        }))
    }
    fn close(&mut self) {
        self.open = false;
        self.inbox.clear();
    }
    fn now_ms(&self) -> u64 {
        self.now
    }
    fn wait(&mut self) {
        let next = self.later.pop_front().expect("the test gives a reply to wait for");
        self.inbox.push_back(next);
    }
}

fn queued(password: Option<&str>) -> Queued<Server> {
    let server = Server { accept: Some(Ok(())), ..Server::default() };
    Queued::new(server, Config { password: password.map(Into::into), limits: Limits::default(), ..Config::default() })
}

fn cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command(args, &mut out);
    out
}

/// What the client sent since the last call.
fn sent(q: &mut Queued<Server>) -> Vec<u8> {
    core::mem::take(&mut q.socket_mut().sent)
}

fn reply(q: &mut Queued<Server>, bytes: &[u8]) {
    q.socket_mut().inbox.push_back(bytes.to_vec());
}

#[test]
fn operations_are_sent_one_at_a_time_and_finish_in_order() {
    let mut q = queued(None);
    assert_eq!(q.start(KvOp::Get(b"c:k".to_vec())), Started::Queued(1));
    assert_eq!(q.start(KvOp::Set(b"c:k".to_vec(), b"v".to_vec())), Started::Queued(2));
    assert_eq!(sent(&mut q), cmd(&[b"GET", b"c:k"]), "only the first command is in flight");
    assert_eq!(q.finished(), vec![], "nothing has come back");
    reply(&mut q, b"$2\r\nv0\r\n");
    assert_eq!(q.finished(), vec![(1, Ok(KvDone::Value(Some(b"v0".to_vec()))))]);
    assert_eq!(sent(&mut q), cmd(&[b"SET", b"c:k", b"v"]));
    reply(&mut q, b"+OK\r\n");
    q.start(KvOp::Delete(b"c:k".to_vec()));
    reply(&mut q, b":1\r\n");
    assert_eq!(q.finished(), vec![(2, Ok(KvDone::Unit)), (3, Ok(KvDone::Unit))]);
    assert_eq!(q.socket_mut().connects, 1);
}

#[test]
fn keys_scan_until_the_cursor_is_back_at_zero() {
    let mut q = queued(None);
    q.start(KvOp::Keys(b"c:".to_vec()));
    assert_eq!(sent(&mut q), cmd(&[b"SCAN", b"0", b"MATCH", b"c:*", b"COUNT", b"100"]));
    reply(&mut q, b"*2\r\n$2\r\n17\r\n*1\r\n$3\r\nc:b\r\n");
    assert_eq!(q.finished(), vec![]);
    assert_eq!(sent(&mut q), cmd(&[b"SCAN", b"17", b"MATCH", b"c:*", b"COUNT", b"100"]));
    reply(&mut q, b"*2\r\n$1\r\n0\r\n*2\r\n$3\r\nc:b\r\n$3\r\nc:a\r\n");
    assert_eq!(q.finished(), vec![(1, Ok(KvDone::Keys(vec![b"c:a".to_vec(), b"c:b".to_vec()])))]);
}

#[test]
fn a_silent_server_times_the_head_out_and_the_next_operation_reconnects() {
    let mut q = queued(None);
    q.start(KvOp::Get(b"a".to_vec()));
    q.start(KvOp::Get(b"b".to_vec()));
    reply(&mut q, b"$1\r\n"); // half a reply, then nothing
    q.socket_mut().now = 1999;
    assert_eq!(q.finished(), vec![]);
    q.socket_mut().now = 2000;
    let finished = q.finished();
    assert_eq!(finished, vec![(1, Err(KvError::Timeout("redis timed out".into())))]);
    // The next one went out on a fresh connection, the half reply forgotten.
    assert_eq!(q.socket_mut().connects, 2);
    reply(&mut q, b"$-1\r\n");
    assert_eq!(q.finished(), vec![(2, Ok(KvDone::Value(None)))]);
}

#[test]
fn a_connect_that_fails_backs_off_and_fails_the_next_operations_at_once() {
    let mut q = queued(None);
    q.socket_mut().accept = None;
    q.start(KvOp::Get(b"a".to_vec()));
    assert_eq!(q.finished(), vec![], "connecting");
    q.socket_mut().accept = Some(Err(IoError::Failed("refused".into())));
    q.start(KvOp::Get(b"b".to_vec()));
    let finished = q.finished();
    assert_eq!(finished[0], (1, Err(KvError::Connection("redis unavailable: refused".into()))));
    assert!(matches!(&finished[1], (2, Err(KvError::Connection(m))) if m.contains("reconnecting in 50 ms")));
    assert_eq!(q.socket_mut().connects, 1);
}

#[test]
fn a_connect_that_hangs_times_out() {
    let mut q = queued(None);
    q.socket_mut().accept = None;
    q.start(KvOp::Get(b"a".to_vec()));
    q.socket_mut().now = 2000;
    assert_eq!(q.finished(), vec![(1, Err(KvError::Connection("redis unavailable: connect timed out".into())))]);
}

#[test]
fn auth_goes_first_on_every_connection() {
    let mut q = queued(Some("pw"));
    q.start(KvOp::Get(b"a".to_vec()));
    assert_eq!(sent(&mut q), cmd(&[b"AUTH", b"pw"]));
    reply(&mut q, b"+OK\r\n");
    q.finished();
    assert_eq!(sent(&mut q), cmd(&[b"GET", b"a"]));

    let mut q = queued(Some("bad"));
    q.start(KvOp::Get(b"a".to_vec()));
    reply(&mut q, b"-WRONGPASS invalid password\r\n");
    assert!(matches!(&q.finished()[0], (1, Err(KvError::Authentication(m))) if m.contains("WRONGPASS")));
}

#[test]
fn a_reused_connection_that_broke_is_retried_once() {
    let mut q = queued(None);
    q.start(KvOp::Get(b"a".to_vec()));
    reply(&mut q, b"$-1\r\n");
    q.finished();
    q.start(KvOp::Get(b"b".to_vec()));
    q.socket_mut().inbox.clear();
    sent(&mut q);
    q.socket_mut().close(); // the server closed it meanwhile: recv sees nothing more …
    q.socket_mut().open = true;
    reply(&mut q, b""); // … but the end of the stream
    assert_eq!(q.finished(), vec![]);
    assert_eq!(q.socket_mut().connects, 2);
    assert_eq!(sent(&mut q), cmd(&[b"GET", b"b"]), "sent again on the fresh connection");
    reply(&mut q, b"$1\r\nB\r\n");
    assert_eq!(q.finished(), vec![(2, Ok(KvDone::Value(Some(b"B".to_vec()))))]);
}

#[test]
fn blocking_calls_wait_for_their_own_result_and_keep_the_others() {
    let mut q = queued(None);
    q.start(KvOp::Get(b"a".to_vec()));
    q.socket_mut().later = [b"$1\r\nA\r\n".to_vec(), b"+OK\r\n".to_vec()].into();
    q.set(b"b", b"B").unwrap();
    assert_eq!(q.finished(), vec![(1, Ok(KvDone::Value(Some(b"A".to_vec()))))]);
}
