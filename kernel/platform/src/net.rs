//! The network: one smoltcp interface on the virtio-net card, DHCP or a static address, a
//! small TCP API (listen, connect, access a socket) for the HTTP server and outgoing clients, and
//! name lookups (DNS) for outgoing HTTP.
//! Everything runs from one poll loop: `poll`, let the users touch their sockets, `wait`.

use alloc::vec;
use alloc::vec::Vec;

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::{dhcpv4, dns, tcp};
use smoltcp::time::{Duration, Instant};
use smoltcp::phy::{Device, TxToken};
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, DnsQueryType, EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, HardwareAddress,
    IpAddress, IpCidr, Ipv4Address, Ipv4Cidr,
};
use uniwasm_runtime::cmdline::IpConfig;

use crate::virtio::NetDevice;
use crate::{apic, clock, cpu};

/// Buffer size of outgoing connections: requests and replies here are small.
const CONNECT_BUFFER: usize = 8 * 1024;
/// The longest the idle loop sleeps without checking anything (a safety net against a lost wakeup).
const MAX_SLEEP_US: u64 = 500_000;
const EPHEMERAL_PORTS: core::ops::Range<u16> = 49152..65535;
/// QEMU user networking's DNS server; a DHCP lease may name another.
const QEMU_DNS: Ipv4Address = Ipv4Address::new(10, 0, 2, 3);

pub fn now() -> Instant {
    Instant::from_micros(clock::since_boot_us() as i64)
}

pub struct Net {
    iface: Interface,
    device: NetDevice,
    sockets: SocketSet<'static>,
    dhcp: Option<SocketHandle>,
    dns: SocketHandle,
    next_port: u16,
}

/// A name lookup's outcome.
pub enum Lookup {
    Pending,
    Found([u8; 4]),
    /// The server said there is no such name (or gave no address), or never answered.
    Failed,
}

pub enum ConnectError {
    /// The interface has no address yet (DHCP still running).
    NoAddress,
    Refused(tcp::ConnectError),
}

impl core::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConnectError::NoAddress => f.write_str("the interface has no address yet"),
            ConnectError::Refused(err) => write!(f, "{err}"),
        }
    }
}

impl Net {
    pub fn new(mut device: NetDevice, ip: &IpConfig) -> Net {
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(device.mac())));
        config.random_seed = cpu::rdtsc();
        let mut iface = Interface::new(config, &mut device, now());
        let mut sockets = SocketSet::new(Vec::new());
        let dhcp = match ip {
            IpConfig::Static { addr, prefix_len, gateway } => {
                set_address(&mut iface, Ipv4Cidr::new(Ipv4Address::from(*addr), *prefix_len), Some(Ipv4Address::from(*gateway)));
                announce(&mut device, Ipv4Address::from(*addr), Ipv4Address::from(*gateway));
                None
            }
            IpConfig::Dhcp => {
                device.hold_tcp(true);
                Some(sockets.add(dhcpv4::Socket::new()))
            }
        };
        let dns = sockets.add(dns::Socket::new(&[IpAddress::Ipv4(QEMU_DNS)], Vec::new()));
        apic::route_gsi(device.gsi, cpu::WAKE_VECTOR_DEVICE);
        let next_port = EPHEMERAL_PORTS.start + (cpu::rdtsc() % 1024) as u16;
        Net { iface, device, sockets, dhcp, dns, next_port }
    }

    /// Moves frames between the card and the sockets, and follows DHCP.
    pub fn poll(&mut self) {
        self.iface.poll(now(), &mut self.device, &mut self.sockets);
        let Some(handle) = self.dhcp else { return };
        let had_address = self.iface.ipv4_addr().is_some();
        match self.sockets.get_mut::<dhcpv4::Socket>(handle).poll() {
            Some(dhcpv4::Event::Configured(config)) => {
                match config.router {
                    Some(gateway) => log::info!("dhcp: address {}, gateway {gateway}", config.address),
                    None => log::info!("dhcp: address {}, no gateway", config.address),
                }
                set_address(&mut self.iface, config.address, config.router);
                if let Some(&server) = config.dns_servers.first() {
                    self.sockets.get_mut::<dns::Socket>(self.dns).update_servers(&[IpAddress::Ipv4(server)]);
                }
                self.device.hold_tcp(false);
            }
            // Also the socket's first event, before any lease: only a real loss is news.
            Some(dhcpv4::Event::Deconfigured) if had_address => {
                log::warn!("dhcp: lease lost");
                self.iface.update_ip_addrs(|addrs| addrs.clear());
                self.iface.routes_mut().remove_default_ipv4_route();
                self.device.hold_tcp(true);
            }
            Some(dhcpv4::Event::Deconfigured) | None => {}
        }
    }

    /// Sleeps until a frame arrives or smoltcp has timed work (retransmits, DHCP), whichever
    /// comes first. Returns at once if there is work already.
    pub fn wait(&mut self) {
        if self.device.ack_and_pending() {
            return;
        }
        let delay = self.iface.poll_delay(now(), &self.sockets).map_or(MAX_SLEEP_US, |d| d.total_micros().min(MAX_SLEEP_US));
        if delay > 0 {
            // A frame arriving after the acknowledgement above raises a new interrupt edge,
            // which is held pending and ends the `hlt` at once.
            apic::sleep(delay);
        }
    }

    pub fn address(&self) -> Option<Ipv4Address> {
        self.iface.ipv4_addr()
    }

    /// `listening` sockets wait for a SYN on `port` now; SYNs beyond them wait until the next count
    /// rather than meet smoltcp's reset.
    pub fn admit_syns(&mut self, port: u16, listening: usize) {
        self.device.admit_syns(port, listening);
    }

    /// SYNs waiting for a listening socket: the server opens that many more.
    pub fn held_syns(&self) -> usize {
        self.device.held_syns()
    }

    /// A TCP socket with `buffer` bytes each way.
    fn new_tcp_socket(buffer: usize) -> tcp::Socket<'static> {
        let mut socket = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; buffer]), tcp::SocketBuffer::new(vec![0; buffer]));
        // Peers that stop acknowledging are dropped instead of holding a socket forever.
        socket.set_timeout(Some(Duration::from_secs(10)));
        socket.set_nagle_enabled(false);
        socket
    }

    /// A new TCP socket listening on `port`, with `buffer` bytes each way.
    pub fn listen(&mut self, port: u16, buffer: usize) -> SocketHandle {
        let mut socket = Self::new_tcp_socket(buffer);
        socket.listen(port).expect("listening on a fresh socket with a non-zero port");
        self.sockets.add(socket)
    }

    /// Starts an outgoing TCP connection; follow it with `tcp(handle).state()`.
    pub fn connect(&mut self, addr: [u8; 4], port: u16) -> Result<SocketHandle, ConnectError> {
        if self.address().is_none() {
            return Err(ConnectError::NoAddress);
        }
        let local_port = self.next_port;
        let (first, count) = (EPHEMERAL_PORTS.start, EPHEMERAL_PORTS.end - EPHEMERAL_PORTS.start);
        self.next_port = first + (local_port - first + 1) % count;
        let mut socket = Self::new_tcp_socket(CONNECT_BUFFER);
        socket
            .connect(self.iface.context(), (Ipv4Address::from(addr), port), local_port)
            .map_err(ConnectError::Refused)?;
        Ok(self.sockets.add(socket))
    }

    /// Starts looking up the IPv4 address of `name`; follow it with `lookup`. `None` for a name
    /// DNS cannot carry (an empty label, a label over 63 bytes, over 255 in all).
    pub fn start_lookup(&mut self, name: &str) -> Option<dns::QueryHandle> {
        let socket = self.sockets.get_mut::<dns::Socket>(self.dns);
        socket.start_query(self.iface.context(), name, DnsQueryType::A).ok()
    }

    /// How the lookup `query` is going; once it is not `Pending` the query is gone.
    pub fn lookup(&mut self, query: dns::QueryHandle) -> Lookup {
        match self.sockets.get_mut::<dns::Socket>(self.dns).get_query_result(query) {
            Ok(addresses) => match addresses.first() {
                Some(IpAddress::Ipv4(addr)) => Lookup::Found(addr.octets()),
                None => Lookup::Failed,
            },
            Err(dns::GetQueryResultError::Pending) => Lookup::Pending,
            Err(dns::GetQueryResultError::Failed) => Lookup::Failed,
        }
    }

    /// Gives up a lookup still pending.
    pub fn cancel_lookup(&mut self, query: dns::QueryHandle) {
        self.sockets.get_mut::<dns::Socket>(self.dns).cancel_query(query);
    }

    pub fn tcp(&mut self, handle: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut(handle)
    }

    /// Drops a socket (without a FIN if it is still open: close it first).
    pub fn remove(&mut self, handle: SocketHandle) {
        self.sockets.remove(handle);
    }
}

fn set_address(iface: &mut Interface, cidr: Ipv4Cidr, gateway: Option<Ipv4Address>) {
    iface.update_ip_addrs(|addrs| {
        addrs.clear();
        addrs.push(IpCidr::Ipv4(cidr)).expect("room for one address");
    });
    match gateway {
        Some(gw) => {
            iface.routes_mut().add_default_ipv4_route(gw).expect("room for the default route");
        }
        None => {
            iface.routes_mut().remove_default_ipv4_route();
        }
    }
}

/// Broadcasts a gratuitous ARP for our address, then asks for the gateway's.
///
/// QEMU's user network asks "who has 10.0.2.15" once per forwarded connection; a question that
/// arrived while the card was being reset at boot is lost, and the connection then stalls for
/// seconds. Announcing ourselves fills its ARP table, so a connection made during boot goes
/// through as soon as we are up. Asking for the gateway now saves a round trip before the
/// first answer (smoltcp learns from the reply, which is addressed to us).
fn announce(device: &mut NetDevice, addr: Ipv4Address, gateway: Ipv4Address) {
    let mac = EthernetAddress(device.mac());
    for target in [addr, gateway] {
        let arp = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: mac,
            source_protocol_addr: addr,
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: target,
        };
        let ethernet = EthernetRepr { src_addr: mac, dst_addr: EthernetAddress::BROADCAST, ethertype: EthernetProtocol::Arp };
        let Some(token) = device.transmit(now()) else { return };
        token.consume(ethernet.buffer_len() + arp.buffer_len(), |buffer| {
            let mut frame = EthernetFrame::new_unchecked(buffer);
            ethernet.emit(&mut frame);
            arp.emit(&mut ArpPacket::new_unchecked(frame.payload_mut()));
        });
    }
}
