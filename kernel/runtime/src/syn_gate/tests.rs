use super::*;

/// An Ethernet frame with an IPv4 header of `ihl` words and a TCP header to `port` with `flags`.
fn segment(port: u16, flags: u8, ihl: u8) -> Vec<u8> {
    let mut frame = vec![0u8; 14];
    frame[12..14].copy_from_slice(&[0x08, 0x00]);
    let mut ip = vec![0u8; usize::from(ihl) * 4];
    ip[0] = 0x40 | ihl;
    ip[9] = 6;
    frame.extend_from_slice(&ip);
    let mut tcp = vec![0u8; 20];
    tcp[0..2].copy_from_slice(&40000u16.to_be_bytes());
    tcp[2..4].copy_from_slice(&port.to_be_bytes());
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    frame.extend_from_slice(&tcp);
    frame
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

#[test]
fn syns_to_the_port_pass_while_sockets_listen_then_wait_for_room() {
    let mut gate = SynGate::new(3000);
    gate.set_room(2);
    let syns: Vec<Vec<u8>> = (0..4).map(|_| segment(3000, SYN, 5)).collect();
    assert!(gate.pass(&syns[0]));
    assert!(gate.pass(&syns[1]));
    assert!(!gate.pass(&syns[2]), "no socket left listening: held");
    assert!(!gate.pass(&syns[3]));
    assert_eq!(gate.held(), 2);
    assert_eq!(gate.release(), None, "still no room");
    gate.set_room(1);
    assert!(gate.releasable());
    assert_eq!(gate.release(), Some(syns[2].clone()));
    assert_eq!(gate.release(), None, "the one listening socket is taken");
    gate.set_room(5);
    assert_eq!(gate.release(), Some(syns[3].clone()));
    assert!(!gate.releasable());
}

#[test]
fn a_new_syn_waits_behind_held_ones() {
    let mut gate = SynGate::new(3000);
    let first = segment(3000, SYN, 5);
    assert!(!gate.pass(&first), "no listener counted yet (booting)");
    gate.set_room(1);
    assert!(!gate.pass(&segment(3000, SYN, 5)), "the held SYN goes first");
    assert_eq!(gate.release(), Some(first));
}

#[test]
fn other_frames_always_pass() {
    let mut gate = SynGate::new(3000);
    assert!(gate.pass(&segment(3000, SYN | ACK, 5)), "a SYN-ACK (an outgoing connection's answer)");
    assert!(gate.pass(&segment(3000, ACK, 5)));
    assert!(gate.pass(&segment(6379, SYN, 5)), "another port");
    assert!(gate.pass(&[0u8; 10]), "too short to be TCP");
    let mut arp = segment(3000, SYN, 5);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert!(gate.pass(&arp));
}

#[test]
fn ip_options_move_the_tcp_header() {
    let mut gate = SynGate::new(3000);
    assert!(!gate.pass(&segment(3000, SYN, 6)), "IHL 6: still a SYN to 3000");
}

#[test]
fn at_most_max_held_syns_are_kept() {
    let mut gate = SynGate::new(3000);
    for _ in 0..MAX_HELD_SYNS + 10 {
        gate.pass(&segment(3000, SYN, 5));
    }
    gate.set_room(usize::MAX);
    assert_eq!(core::iter::from_fn(|| gate.release()).count(), MAX_HELD_SYNS);
}
