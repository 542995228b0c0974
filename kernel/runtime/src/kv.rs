//! The key-value store behind the `keyvalue` interface.
//!
//! The host maps the container `c` and key `k` of the guest onto the store
//! key `c:k`, and lists a container with [`KeyValueStore::keys_with_prefix`]
//! (`c:`), stripping the prefix. The platform plugs in the queued RESP client
//! ([`resp::Queued`]: an operation finishes later, from the poll loop), the Linux baseline the
//! blocking one ([`resp::Client`]); tests plug in [`MemoryStore`].

use crate::resp::{self, ClientError, Transport};
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Why a store operation failed: the cases of the WIT `keyvalue-error`, in
/// its order, each with a message for the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    KeyNotFound(String),
    InvalidKey(String),
    InvalidValue(String),
    /// The store cannot be reached. A handler that fails after this error
    /// is answered with 503.
    Connection(String),
    Authentication(String),
    Timeout(String),
    Io(String),
    Unexpected(String),
}

impl KvError {
    /// The case's name in the WIT variant (`key-not-found`, …).
    pub fn case_name(&self) -> &'static str {
        ["key-not-found", "invalid-key", "invalid-value", "connection-error", "authentication-error", "timeout-error", "io-error", "unexpected-error"]
            [self.case().0 as usize]
    }

    /// The case index in the WIT variant, and the message.
    pub fn case(&self) -> (u8, &str) {
        match self {
            KvError::KeyNotFound(m) => (0, m),
            KvError::InvalidKey(m) => (1, m),
            KvError::InvalidValue(m) => (2, m),
            KvError::Connection(m) => (3, m),
            KvError::Authentication(m) => (4, m),
            KvError::Timeout(m) => (5, m),
            KvError::Io(m) => (6, m),
            KvError::Unexpected(m) => (7, m),
        }
    }
}

/// One operation on a store, its keys whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvOp {
    Get(Vec<u8>),
    Set(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    /// Every key with this prefix.
    Keys(Vec<u8>),
}

/// What an operation that succeeded gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvDone {
    /// `Get`'s value, `None` if the key is not set.
    Value(Option<Vec<u8>>),
    /// `Set` and `Delete`.
    Unit,
    Keys(Vec<Vec<u8>>),
}

pub type KvResult = Result<KvDone, KvError>;

/// How [`KeyValueStore::start`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// The operation is done.
    Done(KvResult),
    /// It is under way: [`KeyValueStore::finished`] hands its result back under this ticket.
    Queued(u64),
}

/// A byte-keyed store. Implementations do no key mapping of their own.
pub trait KeyValueStore {
    /// The value of `key`, `None` if it is not set.
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), KvError>;
    /// Deletes `key`; deleting a missing key is not an error.
    fn delete(&mut self, key: &[u8]) -> Result<(), KvError>;
    /// Every key that starts with `prefix`, whole (prefix included).
    fn keys_with_prefix(&mut self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, KvError>;

    /// Starts `op` without waiting for the store: a store over the network queues it (the host
    /// then suspends the guest's call, docs/ABI.md); the others do it at once.
    fn start(&mut self, op: KvOp) -> Started {
        Started::Done(run(self, op))
    }
    /// The queued operations that have finished since the last call, by ticket.
    fn finished(&mut self) -> Vec<(u64, KvResult)> {
        Vec::new()
    }
    /// Waits for the network, when a caller cannot go on without a queued operation's result.
    fn wait(&mut self) {}
}

/// Does `op` with `store`'s blocking methods.
pub fn run<S: KeyValueStore + ?Sized>(store: &mut S, op: KvOp) -> KvResult {
    match op {
        KvOp::Get(key) => store.get(&key).map(KvDone::Value),
        KvOp::Set(key, value) => store.set(&key, &value).map(|()| KvDone::Unit),
        KvOp::Delete(key) => store.delete(&key).map(|()| KvDone::Unit),
        KvOp::Keys(prefix) => store.keys_with_prefix(&prefix).map(KvDone::Keys),
    }
}

/// The store key of `key` in `container`: `container:key`.
pub fn scoped_key(container: &str, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(container.len() + 1 + key.len());
    k.extend_from_slice(container.as_bytes());
    k.push(b':');
    k.extend_from_slice(key.as_bytes());
    k
}

/// An in-memory store, for tests and for running without Redis.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl KeyValueStore for MemoryStore {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.map.get(key).cloned())
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.map.insert(key.to_vec(), value.to_vec());
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), KvError> {
        self.map.remove(key);
        Ok(())
    }
    fn keys_with_prefix(&mut self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        Ok(self.map.keys().filter(|k| k.starts_with(prefix)).cloned().collect())
    }
}

impl From<ClientError> for KvError {
    fn from(e: ClientError) -> Self {
        let message = e.to_string();
        match e {
            ClientError::Unavailable(_) => KvError::Connection(message),
            ClientError::Timeout => KvError::Timeout(message),
            ClientError::Auth(_) => KvError::Authentication(message),
            ClientError::Server(_) => KvError::Unexpected(message),
            ClientError::Protocol(_) => KvError::Io(message),
        }
    }
}

/// Redis as the store: GET, SET, DEL, and SCAN with `MATCH <prefix>*`.
impl<T: Transport> KeyValueStore for resp::Client<T> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(resp::Client::get(self, key)?)
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        Ok(resp::Client::set(self, key, value)?)
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), KvError> {
        self.del(key)?;
        Ok(())
    }
    fn keys_with_prefix(&mut self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, KvError> {
        Ok(self.scan(&resp::keys_pattern(prefix))?)
    }
}
