//! `wasi:clocks`: the monotonic clock (and its timers, as pollables) and the wall clock, from the
//! platform.

use super::io::Pollable;
use super::{HostFn, WasiHost};
use crate::component::{Args, Trap, Val};

fn now(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::U64(h.platform.monotonic_ns())))
}

fn resolution(_: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::U64(1)))
}

fn subscribe_instant(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let when = a.u64()?;
    Ok(Some(h.pollable(Pollable::Until(when))))
}

fn subscribe_duration(h: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let when = h.platform.monotonic_ns().saturating_add(a.u64()?);
    Ok(Some(h.pollable(Pollable::Until(when))))
}

fn datetime(seconds: u64, nanoseconds: u32) -> Val {
    Val::Record(alloc::vec![Val::U64(seconds), Val::U32(nanoseconds)])
}

fn wall_now(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    let (seconds, nanoseconds) = h.platform.wall_clock();
    Ok(Some(datetime(seconds, nanoseconds)))
}

fn wall_resolution(_: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(datetime(0, 1)))
}

pub(super) const FUNCTIONS: &[(&str, &str, HostFn)] = &[
    ("wasi:clocks/monotonic-clock", "now", now),
    ("wasi:clocks/monotonic-clock", "resolution", resolution),
    ("wasi:clocks/monotonic-clock", "subscribe-instant", subscribe_instant),
    ("wasi:clocks/monotonic-clock", "subscribe-duration", subscribe_duration),
    ("wasi:clocks/wall-clock", "now", wall_now),
    ("wasi:clocks/wall-clock", "resolution", wall_resolution),
];
