//! Holds back a client's SYN to the HTTP port while no socket listens for it: smoltcp has no
//! accept backlog and resets a SYN that finds no listening socket, and the client then sees its
//! connection reset. A held SYN goes to smoltcp once the server has topped its listeners up.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// SYNs held at most; more are dropped (the client's side resends a SYN after a second or more).
pub const MAX_HELD_SYNS: usize = 1024;

/// The gate in front of smoltcp for received Ethernet frames.
pub struct SynGate {
    port: u16,
    /// SYNs smoltcp can still take: sockets listening on `port`, less the SYNs passed since counted.
    room: usize,
    held: VecDeque<Vec<u8>>,
}

impl SynGate {
    /// Holds every SYN to `port` until `set_room` says sockets listen.
    pub fn new(port: u16) -> SynGate {
        SynGate { port, room: 0, held: VecDeque::new() }
    }

    /// `listening` sockets wait for a SYN on the port now.
    pub fn set_room(&mut self, listening: usize) {
        self.room = listening;
    }

    /// True when `frame` may go to smoltcp now; false when it is a SYN that must wait (the gate
    /// kept a copy, or dropped it when full).
    pub fn pass(&mut self, frame: &[u8]) -> bool {
        if tcp_syn_port(frame) != Some(self.port) {
            return true;
        }
        if self.room > 0 && self.held.is_empty() {
            self.room -= 1;
            return true;
        }
        if self.held.len() < MAX_HELD_SYNS {
            self.held.push_back(frame.to_vec());
        }
        false
    }

    /// A held SYN that a listening socket can take now, oldest first.
    pub fn release(&mut self) -> Option<Vec<u8>> {
        if self.room == 0 {
            return None;
        }
        let frame = self.held.pop_front()?;
        self.room -= 1;
        Some(frame)
    }

    /// SYNs waiting for a listening socket.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Whether `release` has a frame to give.
    pub fn releasable(&self) -> bool {
        self.room > 0 && !self.held.is_empty()
    }
}

/// The destination port of an Ethernet frame carrying an IPv4 TCP segment with SYN set and ACK
/// clear (a client opening a connection); None for any other frame.
fn tcp_syn_port(frame: &[u8]) -> Option<u16> {
    const ETHERNET: usize = 14;
    if frame.get(12..14)? != [0x08, 0x00] || *frame.get(ETHERNET + 9)? != 6 {
        return None;
    }
    let tcp = ETHERNET + usize::from(frame.get(ETHERNET)? & 0x0f) * 4;
    let flags = *frame.get(tcp + 13)?;
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    (flags & (SYN | ACK) == SYN).then(|| u16::from_be_bytes([frame[tcp + 2], frame[tcp + 3]]))
}

#[cfg(test)]
mod tests;
