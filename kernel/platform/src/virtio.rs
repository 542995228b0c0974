//! virtio-net over virtio-mmio: the DMA glue virtio-drivers needs, the device scan, the
//! card's buffers, and the adapter that lets smoltcp send and receive frames through it.
//! Sending never waits for the device: buffers are reclaimed when it is done with them.

use alloc::alloc::{alloc_zeroed, dealloc, Layout};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::ptr::{read_volatile, NonNull};

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::{BufferDirection, Hal, PhysAddr, PAGE_SIZE};
use uniwasm_runtime::syn_gate::SynGate;

/// microvm's virtio-mmio transports: `MMIO_BASE + i * MMIO_SIZE`.
const MMIO_BASE: usize = 0xfeb0_0000;
const MMIO_SIZE: usize = 0x200;
const MMIO_SLOTS: usize = 24;
const MAGIC: u32 = 0x7472_6976; // "virt"
const DEVICE_ID_NET: u32 = 1;
/// Descriptors per queue: receive buffers, and frames in flight to the device. A burst of new
/// connections is a burst of handshake answers: the queues absorb it.
const QUEUE_SIZE: usize = 64;
/// A virtio-net header plus a whole Ethernet frame (1514 bytes) fits.
const BUFFER_LEN: usize = 2048;
const MTU: usize = 1514;
/// Frames to send kept while the device's queue is full (see `Card::waiting`): ~1 MiB at most.
const MAX_WAITING: usize = 512;
/// At most this many TCP frames are kept while the interface waits for its address.
const MAX_HELD: usize = 16;

/// DMA for an identity-mapped kernel: physical address = virtual address.
pub struct KernelHal;

fn dma_layout(pages: usize) -> Layout {
    Layout::from_size_align(pages * PAGE_SIZE, PAGE_SIZE).expect("DMA layout")
}

// SAFETY: allocations are page-aligned, zeroed, heap memory that stays allocated until
// `dma_dealloc`; identity mapping makes every address we return the device-visible one.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        // SAFETY: the layout has a non-zero size (virtio-drivers never asks for 0 pages).
        let ptr = NonNull::new(unsafe { alloc_zeroed(dma_layout(pages)) }).expect("out of memory for virtio DMA");
        (ptr.as_ptr() as PhysAddr, ptr)
    }

    unsafe fn dma_dealloc(_paddr: PhysAddr, vaddr: NonNull<u8>, pages: usize) -> i32 {
        // SAFETY: `vaddr` came from `dma_alloc` with the same page count.
        unsafe { dealloc(vaddr.as_ptr(), dma_layout(pages)) };
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, _size: usize) -> NonNull<u8> {
        NonNull::new(paddr as *mut u8).expect("MMIO at address 0")
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        buffer.as_ptr() as *mut u8 as PhysAddr
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}

type Buffer = Box<[u8]>;

fn new_buffer() -> Buffer {
    vec![0; BUFFER_LEN].into_boxed_slice()
}

/// The card and the buffers lent to it, by the token (descriptor index) the queue gave back.
/// The device reads or writes a lent buffer until its token shows up as used; a `Box`'s
/// contents never move, so holding it here keeps the device's address valid.
pub struct Card {
    raw: VirtIONetRaw<KernelHal, MmioTransport<'static>, QUEUE_SIZE>,
    receiving: Vec<Option<Buffer>>,
    /// Frames being sent, with the length handed to the device.
    sending: Vec<Option<(Buffer, usize)>>,
    spare: Vec<Buffer>,
    /// Frames filled while the send queue was full, sent as it drains. smoltcp stops sending for
    /// the poll at the first socket that finds no room and starts from the first socket again
    /// next time: with hundreds of connections the last ones starved (their answers and ACKs
    /// never went out; `ab -k -c 300` lost requests). So the card takes every frame it can hold.
    waiting: VecDeque<(Buffer, usize)>,
}

impl Card {
    /// Lends `buffer` to the receive queue.
    fn lend_for_receive(&mut self, mut buffer: Buffer) {
        // SAFETY: the buffer is kept in `receiving` until the device returns its token.
        let token = unsafe { self.raw.receive_begin(&mut buffer) }.expect("virtio-net: receive queue full");
        self.receiving[token as usize] = Some(buffer);
    }

    /// The next received frame: its buffer, and where the frame lies in it.
    fn receive(&mut self) -> Option<(Buffer, core::ops::Range<usize>)> {
        loop {
            let token = self.raw.poll_receive()?;
            let mut buffer = self.receiving[token as usize].take().expect("virtio-net: unknown receive token");
            // SAFETY: this is the buffer lent with this token.
            match unsafe { self.raw.receive_complete(token, &mut buffer) } {
                Ok((header, len)) => return Some((buffer, header..header + len)),
                // A frame shorter than its header: drop it, lend the buffer again.
                Err(_) => self.lend_for_receive(buffer),
            }
        }
    }

    /// Takes back the buffers of frames the device has sent.
    fn reclaim_sent(&mut self) {
        while let Some(token) = self.raw.poll_transmit() {
            let (buffer, len) = self.sending[token as usize].take().expect("virtio-net: unknown send token");
            // SAFETY: this is the buffer, and length, lent with this token.
            let _ = unsafe { self.raw.transmit_complete(token, &buffer[..len]) };
            self.spare.push(buffer);
        }
        while self.raw.can_send() {
            let Some((buffer, len)) = self.waiting.pop_front() else { break };
            self.begin_send(buffer, len);
        }
    }

    /// Whether a frame can be taken now (into the device's queue or the waiting one).
    fn can_take(&self) -> bool {
        self.waiting.len() < MAX_WAITING
    }

    fn begin_send(&mut self, buffer: Buffer, len: usize) {
        // SAFETY: the buffer is kept in `sending` until the device returns its token.
        match unsafe { self.raw.transmit_begin(&buffer[..len]) } {
            Ok(token) => self.sending[token as usize] = Some((buffer, len)),
            // Only called with room in the queue; TCP retransmits anyway, so only log.
            Err(_) => log::warn!("virtio-net: a frame could not be sent"),
        }
    }

    /// Sends a frame of `len` bytes that `fill` writes; the device reads it later.
    fn send<R>(&mut self, len: usize, fill: impl FnOnce(&mut [u8]) -> R) -> R {
        let mut buffer = self.spare.pop().unwrap_or_else(new_buffer);
        let header = self.raw.fill_buffer_header(&mut buffer).expect("virtio-net header fits");
        let result = fill(&mut buffer[header..header + len]);
        if self.waiting.is_empty() && self.raw.can_send() {
            self.begin_send(buffer, header + len);
        } else {
            self.waiting.push_back((buffer, header + len));
        }
        result
    }
}

/// The network card, as smoltcp sees it.
pub struct NetDevice {
    card: RefCell<Card>,
    /// Global system interrupt of the card's transport (to wake the idle loop).
    pub gsi: u32,
    /// Whether incoming TCP frames are kept back (see `hold_tcp`), and those kept.
    holding: bool,
    held: VecDeque<Vec<u8>>,
    /// SYNs to the HTTP port wait here while no socket listens (set once the server counts them).
    syn_gate: Option<SynGate>,
}

fn slot_reads(slot: usize, offset: usize) -> u32 {
    // SAFETY: the virtio-mmio window is identity-mapped; on microvm each slot is a device
    // register block, elsewhere the range is unassigned and QEMU reads it as 0 or all ones.
    unsafe { read_volatile((MMIO_BASE + slot * MMIO_SIZE + offset) as *const u32) }
}

/// Finds and initialises the first virtio-net device on microvm's virtio-mmio transports.
pub fn find_net() -> Result<NetDevice, &'static str> {
    // Transports answer with the magic even when empty. There are 24 on the second I/O APIC
    // (GSI 24 + slot), or, without a second one (`-M microvm,acpi=off`), 8 on the first
    // (GSI 5 + slot): see QEMU's hw/i386/microvm.c. `-device`s fill the slots from the top.
    let transports = if slot_reads(8, 0) == MAGIC { MMIO_SLOTS } else { 8 };
    let gsi_base = if transports > 8 { 24 } else { 5 };
    let slot = (0..transports)
        .rev()
        .find(|&slot| slot_reads(slot, 0) == MAGIC && slot_reads(slot, 8) == DEVICE_ID_NET)
        .ok_or("no network device: the kernel drives virtio-net on virtio-mmio (QEMU -M microvm with -device virtio-net-device); PCI cards (-M q35) are not supported yet")?;
    let header = NonNull::new((MMIO_BASE + slot * MMIO_SIZE) as *mut VirtIOHeader).expect("non-null MMIO address");
    // SAFETY: `header` is a virtio-mmio register block (magic and device id checked above),
    // identity-mapped for the kernel's lifetime, and only this driver ever uses it.
    let transport = unsafe { MmioTransport::new(header, MMIO_SIZE) }.map_err(|_| "virtio-mmio transport refused")?;
    let raw = VirtIONetRaw::new(transport).map_err(|_| "virtio-net initialisation failed")?;
    let mut card = Card {
        raw,
        receiving: (0..QUEUE_SIZE).map(|_| None).collect(),
        sending: (0..QUEUE_SIZE).map(|_| None).collect(),
        spare: Vec::new(),
        waiting: VecDeque::new(),
    };
    for _ in 0..QUEUE_SIZE {
        card.lend_for_receive(new_buffer());
    }
    log::debug!("virtio-net in virtio-mmio slot {slot} of {transports}");
    Ok(NetDevice { card: RefCell::new(card), gsi: gsi_base + slot as u32, holding: false, held: VecDeque::new(), syn_gate: None })
}

impl NetDevice {
    pub fn mac(&self) -> [u8; 6] {
        self.card.borrow().raw.mac_address()
    }

    /// Acknowledges the card's interrupt; true if a received frame is waiting.
    pub fn ack_and_pending(&mut self) -> bool {
        let card = self.card.get_mut();
        card.raw.ack_interrupt();
        card.reclaim_sent();
        // Frames still waiting to be sent: no sleep until the device took them.
        !card.waiting.is_empty() || card.raw.poll_receive().is_some() || (!self.holding && !self.held.is_empty()) || self.syn_gate.as_ref().is_some_and(SynGate::releasable)
    }

    /// `listening` sockets wait for a SYN on `port` now: that many SYNs to it go to smoltcp, the
    /// others wait in the gate until the next count.
    pub fn admit_syns(&mut self, port: u16, listening: usize) {
        self.syn_gate.get_or_insert_with(|| SynGate::new(port)).set_room(listening);
    }

    /// SYNs waiting in the gate for a listening socket.
    pub fn held_syns(&self) -> usize {
        self.syn_gate.as_ref().map_or(0, SynGate::held)
    }

    /// While the interface has no address (DHCP running), smoltcp would drop incoming TCP
    /// frames; but a connection made during boot (a client polling for the server) reaches
    /// us as a SYN that QEMU's user network retransmits only seconds later. So TCP frames are
    /// kept while `on`, and handed to smoltcp first once it is turned off.
    pub fn hold_tcp(&mut self, on: bool) {
        self.holding = on;
    }
}

fn is_ipv4_tcp(frame: &[u8]) -> bool {
    frame.len() > 23 && frame[12..14] == [0x08, 0x00] && frame[23] == 6
}

impl phy::Device for NetDevice {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        // smoltcp may answer a received frame at once (SYN-ACK, RST, ACK) with the token given
        // along: without room to send, the frame waits in its queue, or that answer would be lost
        // and QEMU's user network would retry the connection only seconds later.
        let card = self.card.get_mut();
        card.reclaim_sent();
        if !card.can_take() {
            return None;
        }
        if !self.holding {
            if let Some(frame) = self.held.pop_front().or_else(|| self.syn_gate.as_mut()?.release()) {
                return Some((RxToken::Held(frame), TxToken { card: &self.card }));
            }
        }
        loop {
            let (buffer, frame) = self.card.get_mut().receive()?;
            log::trace!("virtio-net: received {} bytes", frame.len());
            if self.holding && is_ipv4_tcp(&buffer[frame.clone()]) {
                if self.held.len() < MAX_HELD {
                    self.held.push_back(buffer[frame].to_vec());
                }
                self.card.get_mut().lend_for_receive(buffer);
                continue;
            }
            if self.syn_gate.as_mut().is_some_and(|gate| !gate.pass(&buffer[frame.clone()])) {
                self.card.get_mut().lend_for_receive(buffer);
                continue;
            }
            return Some((RxToken::Card { card: &self.card, buffer, frame }, TxToken { card: &self.card }));
        }
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        let card = self.card.get_mut();
        card.reclaim_sent();
        card.can_take().then_some(TxToken { card: &self.card })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(QUEUE_SIZE / 2);
        caps
    }
}

pub enum RxToken<'a> {
    /// A frame in one of the card's receive buffers.
    Card { card: &'a RefCell<Card>, buffer: Buffer, frame: core::ops::Range<usize> },
    /// A frame kept back while the interface had no address, or a SYN while no socket listened.
    Held(Vec<u8>),
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        match self {
            RxToken::Card { card, buffer, frame } => {
                let result = f(&buffer[frame]);
                card.borrow_mut().lend_for_receive(buffer);
                result
            }
            RxToken::Held(frame) => f(&frame),
        }
    }
}

pub struct TxToken<'a> {
    card: &'a RefCell<Card>,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        log::trace!("virtio-net: sending {len} bytes");
        self.card.borrow_mut().send(len, f)
    }
}
