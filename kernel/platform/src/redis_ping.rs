//! The boot-time Redis check: connect, optionally AUTH, send PING and log the answer.
//! It proves outgoing TCP works; failures are warnings, never fatal. It runs as a small
//! state machine inside the main loop, so HTTP is served meanwhile.

use alloc::string::String;
use alloc::vec::Vec;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State as TcpState;
use smoltcp::time::{Duration, Instant};
use uniwasm_runtime::cmdline::{format_ipv4, RedisSettings};

use crate::net::{self, Net};

const TIMEOUT: Duration = Duration::from_secs(3);
/// `+OK` and `+PONG` are short; a server sending more than this is not answering PING.
const MAX_REPLY: usize = 4096;

pub struct RedisPing {
    server: String,
    /// The commands, RESP-encoded, and how many replies they expect.
    commands: Vec<u8>,
    replies_expected: usize,
    step: Step,
}

enum Step {
    /// Waiting for the interface to have an address.
    NotStarted,
    Connecting(SocketHandle, Instant),
    /// Commands sent; reply bytes so far.
    Reading(SocketHandle, Instant, Vec<u8>),
    /// Closing the socket, then removing it.
    Closing(SocketHandle),
    Finished,
}

/// `*N\r\n$len\r\narg\r\n…`: arguments travel as bulk strings, so any byte is safe.
fn encode(out: &mut Vec<u8>, args: &[&str]) {
    out.extend_from_slice(alloc::format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(alloc::format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
}

impl RedisPing {
    pub fn new(settings: &RedisSettings) -> RedisPing {
        let mut commands = Vec::new();
        let mut replies_expected = 1;
        match (&settings.user, &settings.password) {
            (Some(user), Some(password)) => encode(&mut commands, &["AUTH", user, password]),
            (None, Some(password)) => encode(&mut commands, &["AUTH", password]),
            _ => replies_expected = 0,
        }
        encode(&mut commands, &["PING"]);
        replies_expected += 1;
        RedisPing {
            server: alloc::format!("{}:{}", format_ipv4(settings.addr), settings.port),
            commands,
            replies_expected,
            step: Step::NotStarted,
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.step, Step::Finished)
    }

    /// Advances the check; call from the main loop after `Net::poll`.
    pub fn step(&mut self, net: &mut Net, settings: &RedisSettings) {
        let now = net::now();
        self.step = match core::mem::replace(&mut self.step, Step::Finished) {
            Step::NotStarted if net.address().is_none() => Step::NotStarted,
            Step::NotStarted => match net.connect(settings.addr, settings.port) {
                Ok(handle) => Step::Connecting(handle, now),
                Err(err) => {
                    log::warn!("redis: cannot connect to {}: {err}", self.server);
                    Step::Finished
                }
            },
            Step::Connecting(handle, since) => {
                let socket = net.tcp(handle);
                match socket.state() {
                    TcpState::Established => {
                        let _ = socket.send_slice(&self.commands); // fits: the buffer is empty and larger
                        Step::Reading(handle, since, Vec::new())
                    }
                    TcpState::SynSent if now - since < TIMEOUT => Step::Connecting(handle, since),
                    TcpState::SynSent => self.fail(net, handle, "connection timed out"),
                    _ => self.fail(net, handle, "connection refused"),
                }
            }
            Step::Reading(handle, since, mut reply) => {
                let socket = net.tcp(handle);
                // A loop: the received bytes may wrap around the socket's ring buffer.
                while socket.can_recv() {
                    let _ = socket.recv(|data| {
                        reply.extend_from_slice(data);
                        (data.len(), ())
                    });
                }
                let lines: Vec<&[u8]> = reply.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
                if reply.ends_with(b"\n") && lines.len() >= self.replies_expected {
                    self.report(&lines);
                    net.tcp(handle).close();
                    Step::Closing(handle)
                } else if !socket.may_recv() {
                    self.fail(net, handle, "connection closed before the reply")
                } else if reply.len() > MAX_REPLY {
                    self.fail(net, handle, "reply too long")
                } else if now - since > TIMEOUT {
                    self.fail(net, handle, "no reply")
                } else {
                    Step::Reading(handle, since, reply)
                }
            }
            Step::Closing(handle) if net.tcp(handle).is_open() => Step::Closing(handle),
            Step::Closing(handle) => {
                net.remove(handle);
                Step::Finished
            }
            Step::Finished => Step::Finished,
        };
    }

    fn report(&self, lines: &[&[u8]]) {
        let text = |line: &[u8]| String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned();
        let failed = lines.iter().find(|l| l.first() == Some(&b'-'));
        match failed {
            Some(error) => log::warn!("redis: {} answered {}", self.server, text(error)),
            None => log::info!("redis: {} from {}", text(&lines[self.replies_expected - 1][1..]), self.server),
        }
    }

    fn fail(&self, net: &mut Net, handle: SocketHandle, why: &str) -> Step {
        log::warn!("redis: {}: {why}", self.server);
        net.tcp(handle).abort();
        net.remove(handle);
        Step::Finished
    }
}
