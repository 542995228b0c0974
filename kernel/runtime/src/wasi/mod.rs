//! The WASI 0.2 host a `wasi:http/proxy` component runs on: `wasi:http` (types, incoming and
//! outgoing handlers), `wasi:io`, `wasi:clocks`, `wasi:random`, `wasi:cli` and `wasi:filesystem`
//! (no preopens), each interface a file with its table of functions. Imports of any `0.2.x` link
//! (semver-compatible with [`WASI_VERSION`]). What touches the machine (clocks, randomness, the
//! console, timers, outgoing HTTP) goes through [`Platform`].

pub mod cli;
pub mod clocks;
pub mod filesystem;
pub mod http;
pub mod io;
pub mod meter;
pub mod objects;
pub mod outgoing;
pub mod random;

use crate::component::{Args, Host, Trap, Val};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use http::{Answer, Fields, IncomingRequest};
use meter::{HeldBytes, Meter};
use objects::{Kind, Object, Objects};
pub use outgoing::{ClientError, ClientRequest, ClientResponse};

/// The WASI version this host implements (the WIT of `wasmtime-wasi-http` 49).
pub const WASI_VERSION: &str = "0.2.12";

/// What the WASI host needs from the machine.
pub trait Platform {
    /// Nanoseconds since an arbitrary start (boot), never going back.
    fn monotonic_ns(&self) -> u64;
    /// Seconds and nanoseconds since the Unix epoch.
    fn wall_clock(&self) -> (u64, u32);
    /// Fills `buf` with cryptographically secure random bytes (as far as the machine allows).
    fn random(&mut self, buf: &mut [u8]);
    /// The component wrote `bytes` to its stdout (`stderr` false) or stderr.
    fn console(&mut self, stderr: bool, bytes: &[u8]);
    /// Blocks until the monotonic clock reaches `deadline_ns` (a timer in `poll`).
    fn wait_until(&mut self, deadline_ns: u64);
    /// Sends an outgoing HTTP request and returns its whole response.
    fn send(&mut self, request: ClientRequest) -> Result<ClientResponse, ClientError>;
}

/// A host function: its arguments in order, its result.
pub type HostFn = fn(&mut WasiHost, &mut Args) -> Result<Option<Val>, Trap>;

type Table = &'static [(&'static str, &'static str, HostFn)];

const FUNCTIONS: [Table; 7] =
    [io::FUNCTIONS, http::FUNCTIONS, outgoing::FUNCTIONS, cli::FUNCTIONS, clocks::FUNCTIONS, random::FUNCTIONS, filesystem::FUNCTIONS];

const RESOURCES: [&[(&str, &str, Kind)]; 4] = [io::RESOURCES, http::RESOURCES, cli::RESOURCES, filesystem::RESOURCES];

pub struct WasiHost {
    pub(crate) objects: Objects,
    pub(crate) platform: Box<dyn Platform>,
    environment: Vec<(String, String)>,
    arguments: Vec<String>,
    insecure_state: u64,
    seed: (u64, u64),
    /// What components set on their `response-outparam`s, by request.
    answers: Vec<(u64, Answer)>,
    /// The request being answered: the last one begun.
    current_request: u64,
    /// What the objects made for the guest hold.
    pub(crate) meter: Meter,
}

/// The resources one request hands to `handle`.
pub struct RequestHandles {
    pub id: u64,
    pub request: Val,
    pub response_out: Val,
}

impl WasiHost {
    pub fn new(mut platform: Box<dyn Platform>, environment: Vec<(String, String)>, arguments: Vec<String>) -> WasiHost {
        let mut words = [0u8; 24];
        platform.random(&mut words);
        let word = |i: usize| u64::from_le_bytes(words[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        WasiHost {
            objects: Objects::default(),
            platform,
            environment,
            arguments,
            insecure_state: word(0) | 1, // xorshift's state must not be zero
            seed: (word(1), word(2)),
            answers: Vec::new(),
            current_request: 0,
            meter: Meter::default(),
        }
    }

    /// The `incoming-request` and `response-outparam` of `request`, as owned handles for `handle`.
    pub fn begin_request(&mut self, request: &crate::http::Request) -> RequestHandles {
        self.current_request += 1;
        let id = self.current_request;
        let authority = request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("host")).map(|(_, v)| v.clone());
        let incoming = IncomingRequest {
            method: request.method,
            path_with_query: request.uri.clone(),
            authority,
            headers: Fields::received(&self.meter, &request.headers),
            body: Some(HeldBytes::new(&self.meter, request.body.clone().unwrap_or_default())),
        };
        let request = Val::Own(self.objects.insert(Object::IncomingRequest(incoming)));
        let response_out = Val::Own(self.objects.insert(Object::ResponseOutparam(id)));
        RequestHandles { id, request, response_out }
    }

    /// What the component set for request `id`, if it did.
    pub fn take_answer(&mut self, id: u64) -> Option<Answer> {
        let at = self.answers.iter().position(|(r, _)| *r == id)?;
        Some(self.answers.swap_remove(at).1)
    }

    /// The platform back, to run a fresh instance on.
    pub fn into_platform(self) -> Box<dyn Platform> {
        self.platform
    }

    /// Host objects alive (what a component still holds, or leaked).
    pub fn live_objects(&self) -> usize {
        self.objects.len()
    }

    /// Bytes of fields and bodies the objects made for the guest hold.
    pub fn held_bytes(&self) -> usize {
        self.meter.held()
    }
}

fn interface_offered(interface: &str) -> bool {
    FUNCTIONS.iter().flat_map(|t| t.iter()).any(|(i, _, _)| *i == interface)
        || RESOURCES.iter().flat_map(|t| t.iter()).any(|(i, _, _)| *i == interface)
        || cli::INTERFACES.contains(&interface)
        || interface == "wasi:http/incoming-handler"
}

impl Host for WasiHost {
    fn interface_version(interface: &str) -> Option<&'static str> {
        interface_offered(interface).then_some(WASI_VERSION)
    }

    fn function(interface: &str, name: &str) -> Option<u32> {
        FUNCTIONS.iter().enumerate().find_map(|(t, table)| {
            let i = table.iter().position(|(iface, n, _)| *iface == interface && *n == name)?;
            Some(((t as u32) << 16) | i as u32)
        })
    }

    fn resource(interface: &str, name: &str) -> Option<u32> {
        RESOURCES.iter().flat_map(|t| t.iter()).find(|(i, n, _)| *i == interface && *n == name).map(|(_, _, kind)| *kind as u32)
    }

    fn call(&mut self, func: u32, args: &mut Args) -> Result<Option<Val>, Trap> {
        self.meter.check()?;
        let f = FUNCTIONS
            .get((func >> 16) as usize)
            .and_then(|t| t.get((func & 0xffff) as usize))
            .ok_or_else(|| Trap::new("no such host function"))?
            .2;
        f(self, args)
    }

    fn drop_resource(&mut self, kind: u32, rep: u32) -> Result<(), Trap> {
        let kind = Kind::from_u32(kind).ok_or_else(|| Trap::new("no such resource kind"))?;
        objects::take(&mut self.objects, rep, kind).map(drop)
    }
}
