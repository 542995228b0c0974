//! Kernel command line: space-separated `key=value` pairs parsed into typed [`Settings`].
//!
//! To add a key: add a field to [`Settings`] (with its default in `Settings::default`),
//! an arm in `apply`, a line in `KEYS`, and tests. Cross-key rules go in `check`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::http;

/// Every key the kernel accepts, in the order the documentation lists them.
pub const KEYS: &[&str] = &["ip", "gw", "port", "redis", "redis_user", "redis_password", "log", "probe", "wasm_debug", "epoch", "seed", "max_body"];

/// An IPv4 address as four octets (kept free of any network crate).
pub type Ipv4 = [u8; 4];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpConfig {
    /// Ask a DHCP server (the default; QEMU user networking answers 10.0.2.15).
    Dhcp,
    /// A fixed address, prefix length and gateway.
    Static { addr: Ipv4, prefix_len: u8, gateway: Ipv4 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisSettings {
    pub addr: Ipv4,
    pub port: u16,
    /// `AUTH user password` when both are set, `AUTH password` when only the password is.
    pub user: Option<String>,
    pub password: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub ip: IpConfig,
    /// TCP port of the HTTP listener.
    pub port: u16,
    pub redis: Option<RedisSettings>,
    pub log: LogLevel,
    /// `probe=1`: stop right after the early boot with status 0. The host's `--accel auto` boots
    /// this under KVM to learn whether KVM really runs the kernel (some hosts fail at the first SSE).
    pub probe: bool,
    /// `wasm_debug=N`: the app is a module instrumented for Wasm-level debugging with N probe
    /// sites (docs/DEBUGGING.md); the runtime then offers the probe import and the debug mailbox.
    pub wasm_debug: Option<u32>,
    /// `epoch=SECONDS`: the Unix time at boot, for the wall clock (the machine has no clock the
    /// kernel reads; the host that boots it knows the time).
    pub epoch: Option<u64>,
    /// `seed=HEX` (64 hex digits): entropy from the host for the kernel's random generator when the
    /// CPU has no RDRAND.
    pub seed: Option<[u8; 32]>,
    /// `max_body=BYTES` (or `NK`, `NM` in KiB, MiB): the largest request body accepted, 413 above
    /// it; 8 MiB by default, at most what the ABI lifts (each body is held whole in the heap).
    pub max_body: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            ip: IpConfig::Dhcp,
            port: 3000,
            redis: None,
            log: LogLevel::Info,
            probe: false,
            wasm_debug: None,
            epoch: None,
            seed: None,
            max_body: http::Limits::DEFAULT_BODY,
        }
    }
}

/// Why a command line was refused; `Display` gives the message printed at boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdlineError {
    /// A word without `=`.
    NotKeyValue(String),
    UnknownKey(String),
    Duplicate(String),
    /// `key=value` with a bad value: the key, the value and what is wrong with it.
    BadValue { key: String, value: String, reason: &'static str },
    /// A key that only makes sense with another one (`gw` without a static `ip`, …).
    Missing { key: &'static str, needs: &'static str },
}

impl fmt::Display for CmdlineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdlineError::NotKeyValue(word) => write!(f, "kernel argument `{word}` is not key=value"),
            CmdlineError::UnknownKey(key) => {
                write!(f, "unknown kernel argument `{key}` (known: {})", KEYS.join(", "))
            }
            CmdlineError::Duplicate(key) => write!(f, "kernel argument `{key}` given twice"),
            CmdlineError::BadValue { key, value, reason } => write!(f, "`{key}={value}`: {reason}"),
            CmdlineError::Missing { key, needs } => write!(f, "`{key}=` needs {needs}"),
        }
    }
}

/// The keys as given, before cross-key checks.
#[derive(Default)]
struct Raw {
    ip: Option<(Ipv4, u8)>,
    gw: Option<Ipv4>,
    port: Option<u16>,
    redis: Option<(Ipv4, u16)>,
    redis_user: Option<String>,
    redis_password: Option<String>,
    log: Option<LogLevel>,
    probe: bool,
    wasm_debug: Option<u32>,
    epoch: Option<u64>,
    seed: Option<[u8; 32]>,
    max_body: Option<usize>,
}

/// Parses a whole command line. An empty line gives the defaults.
pub fn parse(line: &str) -> Result<Settings, CmdlineError> {
    let mut raw = Raw::default();
    let mut seen: Vec<&str> = Vec::new();
    for word in line.split_ascii_whitespace() {
        let (key, value) = split_at(word, b'=').ok_or_else(|| CmdlineError::NotKeyValue(word.to_string()))?;
        if !KEYS.contains(&key) {
            return Err(CmdlineError::UnknownKey(key.to_string()));
        }
        if seen.contains(&key) {
            return Err(CmdlineError::Duplicate(key.to_string()));
        }
        seen.push(key);
        let bad = |reason| CmdlineError::BadValue { key: key.to_string(), value: value.to_string(), reason };
        if value.is_empty() {
            return Err(bad("value is empty"));
        }
        apply(&mut raw, key, value).map_err(bad)?;
    }
    check(raw)
}

/// Stores one key's parsed value; the error is the reason shown after `key=value`.
fn apply(raw: &mut Raw, key: &str, value: &str) -> Result<(), &'static str> {
    match key {
        "ip" if value == "dhcp" => {}
        "ip" => {
            let (addr, prefix) = split_at(value, b'/').ok_or("expected dhcp or A.B.C.D/N")?;
            let prefix = parse_decimal(prefix).filter(|p| (1..=32).contains(p)).ok_or("prefix length must be 1-32")?;
            raw.ip = Some((parse_ipv4(addr).ok_or("expected dhcp or A.B.C.D/N")?, prefix as u8));
        }
        "gw" => raw.gw = Some(parse_ipv4(value).ok_or("expected an IPv4 address A.B.C.D")?),
        "port" => raw.port = Some(parse_port(value)?),
        "redis" => {
            let (addr, port) = split_at(value, b':').ok_or("expected A.B.C.D:PORT")?;
            raw.redis = Some((parse_ipv4(addr).ok_or("expected A.B.C.D:PORT")?, parse_port(port)?));
        }
        "redis_user" => raw.redis_user = Some(value.to_string()),
        "redis_password" => raw.redis_password = Some(value.to_string()),
        "log" => {
            raw.log = Some(match value {
                "error" => LogLevel::Error,
                "warn" => LogLevel::Warn,
                "info" => LogLevel::Info,
                "debug" => LogLevel::Debug,
                "trace" => LogLevel::Trace,
                _ => return Err("expected error, warn, info, debug or trace"),
            })
        }
        "probe" if value == "1" => raw.probe = true,
        "probe" => return Err("expected 1"),
        "wasm_debug" => {
            raw.wasm_debug = Some(parse_decimal(value).filter(|&n| n > 0).ok_or("expected the probe site count, 1-999999999")?)
        }
        "epoch" => raw.epoch = Some(parse_decimal_u64(value).ok_or("expected the Unix time in seconds")?),
        "seed" => raw.seed = Some(parse_hex32(value).ok_or("expected 64 hexadecimal digits")?),
        "max_body" => {
            let size = parse_size(value).filter(|&n| n <= http::Limits::MAX_BODY);
            raw.max_body = Some(size.ok_or("expected bytes (or NK, NM in KiB, MiB) up to 16M, what the ABI lifts")?)
        }
        _ => unreachable!("every key in KEYS has an arm"),
    }
    Ok(())
}

/// Rules across keys, then the defaults for what is missing.
fn check(raw: Raw) -> Result<Settings, CmdlineError> {
    let defaults = Settings::default();
    let ip = match (raw.ip, raw.gw) {
        (Some((addr, prefix_len)), Some(gateway)) => {
            if !same_subnet(addr, gateway, prefix_len) {
                return Err(CmdlineError::BadValue {
                    key: "gw".to_string(),
                    value: format_ipv4(gateway),
                    reason: "gateway is outside the subnet of `ip=`",
                });
            }
            IpConfig::Static { addr, prefix_len, gateway }
        }
        (Some(_), None) => return Err(CmdlineError::Missing { key: "ip", needs: "`gw=A.B.C.D` with a static address" }),
        (None, Some(_)) => return Err(CmdlineError::Missing { key: "gw", needs: "a static `ip=A.B.C.D/N`" }),
        (None, None) => IpConfig::Dhcp,
    };
    if raw.redis.is_none() {
        if raw.redis_user.is_some() {
            return Err(CmdlineError::Missing { key: "redis_user", needs: "`redis=A.B.C.D:PORT`" });
        }
        if raw.redis_password.is_some() {
            return Err(CmdlineError::Missing { key: "redis_password", needs: "`redis=A.B.C.D:PORT`" });
        }
    }
    if raw.redis_user.is_some() && raw.redis_password.is_none() {
        return Err(CmdlineError::Missing { key: "redis_user", needs: "`redis_password=`" });
    }
    let redis = raw.redis.map(|(addr, port)| RedisSettings { addr, port, user: raw.redis_user, password: raw.redis_password });
    Ok(Settings {
        ip,
        port: raw.port.unwrap_or(defaults.port),
        redis,
        log: raw.log.unwrap_or(defaults.log),
        probe: raw.probe,
        wasm_debug: raw.wasm_debug,
        epoch: raw.epoch,
        seed: raw.seed,
        max_body: raw.max_body.unwrap_or(defaults.max_body),
    })
}

/// `s` split around the first `separator` byte. (Byte loops here rather than `str::split_once`
/// and `str::parse`: the kernel parses at boot, where under QEMU's TCG every new piece of code
/// costs its translation, and core's generic searchers are large.)
fn split_at(s: &str, separator: u8) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == separator)?;
    Some((&s[..at], &s[at + 1..]))
}

/// Decimal digits only (no sign, no spaces), at most 9 of them so nothing overflows.
fn parse_decimal(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0, |n, b| n * 10 + (b - b'0') as u32))
}

/// Decimal digits only, at most 19 of them (fits in a u64).
fn parse_decimal_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0, |n, b| n * 10 + (b - b'0') as u64))
}

/// A byte count: decimal digits, optionally followed by `K` or `M` (KiB, MiB).
fn parse_size(s: &str) -> Option<usize> {
    let (digits, unit) = match s.as_bytes().last()? {
        b'K' => (&s[..s.len() - 1], 1 << 10),
        b'M' => (&s[..s.len() - 1], 1 << 20),
        _ => (s, 1),
    };
    (parse_decimal(digits)? as usize).checked_mul(unit)
}

/// Exactly 64 hexadecimal digits, as 32 bytes.
fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let digits = s.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let nibble = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = nibble(digits[2 * i])? << 4 | nibble(digits[2 * i + 1])?;
    }
    Some(out)
}

fn parse_port(s: &str) -> Result<u16, &'static str> {
    match parse_decimal(s) {
        Some(p @ 1..=65535) => Ok(p as u16),
        _ => Err("port must be 1-65535"),
    }
}

fn parse_ipv4(s: &str) -> Option<Ipv4> {
    let mut out = [0u8; 4];
    let mut rest = s;
    for (i, octet) in out.iter_mut().enumerate() {
        let (part, tail) = if i < 3 { split_at(rest, b'.')? } else { (rest, "") };
        if part.len() > 3 {
            return None;
        }
        *octet = u8::try_from(parse_decimal(part)?).ok()?;
        rest = tail;
    }
    Some(out)
}

fn same_subnet(a: Ipv4, b: Ipv4, prefix_len: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix_len as u32).unwrap_or(0);
    u32::from_be_bytes(a) & mask == u32::from_be_bytes(b) & mask
}

/// `A.B.C.D`, for messages and logs.
pub fn format_ipv4(a: Ipv4) -> String {
    alloc::format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: &str) -> String {
        parse(line).unwrap_err().to_string()
    }

    #[test]
    fn empty_line_gives_defaults() {
        assert_eq!(parse("").unwrap(), Settings::default());
        assert_eq!(parse("  \t ").unwrap(), Settings::default());
        let d = Settings::default();
        assert_eq!((d.ip, d.port, d.redis, d.log), (IpConfig::Dhcp, 3000, None, LogLevel::Info));
    }

    #[test]
    fn full_line() {
        let s = parse("ip=10.0.2.15/24 gw=10.0.2.2 port=8080 redis=10.0.2.2:6379 redis_user=app redis_password=s3cret log=debug")
            .unwrap();
        assert_eq!(s.ip, IpConfig::Static { addr: [10, 0, 2, 15], prefix_len: 24, gateway: [10, 0, 2, 2] });
        assert_eq!(s.port, 8080);
        assert_eq!(
            s.redis,
            Some(RedisSettings { addr: [10, 0, 2, 2], port: 6379, user: Some("app".into()), password: Some("s3cret".into()) })
        );
        assert_eq!(s.log, LogLevel::Debug);
    }

    #[test]
    fn ip_dhcp() {
        assert_eq!(parse("ip=dhcp").unwrap().ip, IpConfig::Dhcp);
    }

    #[test]
    fn ip_errors() {
        assert_eq!(err("ip=10.0.2.15 gw=10.0.2.2"), "`ip=10.0.2.15`: expected dhcp or A.B.C.D/N");
        assert_eq!(err("ip=10.0.2/24 gw=10.0.2.2"), "`ip=10.0.2/24`: expected dhcp or A.B.C.D/N");
        assert_eq!(err("ip=10.0.2.256/24"), "`ip=10.0.2.256/24`: expected dhcp or A.B.C.D/N");
        assert_eq!(err("ip=10.0.2.1.5/24"), "`ip=10.0.2.1.5/24`: expected dhcp or A.B.C.D/N");
        assert_eq!(err("ip=10.0.2.15/33"), "`ip=10.0.2.15/33`: prefix length must be 1-32");
        assert_eq!(err("ip=10.0.2.15/0"), "`ip=10.0.2.15/0`: prefix length must be 1-32");
        assert_eq!(err("ip=10.0.2.15/+8"), "`ip=10.0.2.15/+8`: prefix length must be 1-32");
        assert_eq!(err("ip=DHCP"), "`ip=DHCP`: expected dhcp or A.B.C.D/N");
        assert_eq!(err("ip=10.0.2.15/24"), "`ip=` needs `gw=A.B.C.D` with a static address");
    }

    #[test]
    fn gw() {
        let s = parse("gw=192.168.1.1 ip=192.168.1.10/16").unwrap();
        assert_eq!(s.ip, IpConfig::Static { addr: [192, 168, 1, 10], prefix_len: 16, gateway: [192, 168, 1, 1] });
        assert_eq!(parse("ip=10.0.0.1/32 gw=10.0.0.1").unwrap().ip,
            IpConfig::Static { addr: [10, 0, 0, 1], prefix_len: 32, gateway: [10, 0, 0, 1] });
    }

    #[test]
    fn gw_errors() {
        assert_eq!(err("gw=10.0.2.2"), "`gw=` needs a static `ip=A.B.C.D/N`");
        assert_eq!(err("ip=dhcp gw=10.0.2.2"), "`gw=` needs a static `ip=A.B.C.D/N`");
        assert_eq!(err("ip=10.0.2.15/24 gw=10.0.2"), "`gw=10.0.2`: expected an IPv4 address A.B.C.D");
        assert_eq!(err("ip=10.0.2.15/24 gw=10.0.3.2"), "`gw=10.0.3.2`: gateway is outside the subnet of `ip=`");
    }

    #[test]
    fn port() {
        assert_eq!(parse("port=1").unwrap().port, 1);
        assert_eq!(parse("port=65535").unwrap().port, 65535);
    }

    #[test]
    fn port_errors() {
        assert_eq!(err("port=70000"), "`port=70000`: port must be 1-65535");
        assert_eq!(err("port=0"), "`port=0`: port must be 1-65535");
        assert_eq!(err("port=http"), "`port=http`: port must be 1-65535");
        assert_eq!(err("port=-1"), "`port=-1`: port must be 1-65535");
        assert_eq!(err("port=99999999999"), "`port=99999999999`: port must be 1-65535");
    }

    #[test]
    fn redis() {
        let r = parse("redis=127.0.0.1:6399").unwrap().redis.unwrap();
        assert_eq!(r, RedisSettings { addr: [127, 0, 0, 1], port: 6399, user: None, password: None });
        let r = parse("redis_password=pw redis=10.0.2.2:6379").unwrap().redis.unwrap();
        assert_eq!((r.user, r.password), (None, Some("pw".into())));
    }

    #[test]
    fn redis_errors() {
        assert_eq!(err("redis=10.0.2.2"), "`redis=10.0.2.2`: expected A.B.C.D:PORT");
        assert_eq!(err("redis=localhost:6379"), "`redis=localhost:6379`: expected A.B.C.D:PORT");
        assert_eq!(err("redis=10.0.2.2:0"), "`redis=10.0.2.2:0`: port must be 1-65535");
        assert_eq!(err("redis_user=u redis_password=p"), "`redis_user=` needs `redis=A.B.C.D:PORT`");
        assert_eq!(err("redis_password=p"), "`redis_password=` needs `redis=A.B.C.D:PORT`");
        assert_eq!(err("redis=10.0.2.2:6379 redis_user=u"), "`redis_user=` needs `redis_password=`");
    }

    #[test]
    fn log_levels() {
        for (name, level) in [("error", LogLevel::Error), ("warn", LogLevel::Warn), ("info", LogLevel::Info),
            ("debug", LogLevel::Debug), ("trace", LogLevel::Trace)] {
            assert_eq!(parse(&alloc::format!("log={name}")).unwrap().log, level);
        }
        assert!(LogLevel::Error < LogLevel::Warn && LogLevel::Debug < LogLevel::Trace);
    }

    #[test]
    fn log_errors() {
        assert_eq!(err("log=verbose"), "`log=verbose`: expected error, warn, info, debug or trace");
    }

    #[test]
    fn general_errors() {
        assert_eq!(err("colour=blue"),
            "unknown kernel argument `colour` (known: ip, gw, port, redis, redis_user, redis_password, log, probe, wasm_debug, epoch, seed, max_body)");
        assert_eq!(err("port=1 port=2"), "kernel argument `port` given twice");
        assert_eq!(err("quiet"), "kernel argument `quiet` is not key=value");
        assert_eq!(err("port="), "`port=`: value is empty");
        assert_eq!(err("=5"), "unknown kernel argument `` (known: ip, gw, port, redis, redis_user, redis_password, log, probe, wasm_debug, epoch, seed, max_body)");
    }

    #[test]
    fn values_may_contain_equals() {
        assert_eq!(parse("redis=10.0.2.2:1 redis_password=a=b").unwrap().redis.unwrap().password, Some("a=b".into()));
    }

    #[test]
    fn probe_key() {
        assert!(parse("probe=1").unwrap().probe);
        assert!(!parse("").unwrap().probe);
        assert_eq!(
            parse("probe=yes"),
            Err(CmdlineError::BadValue { key: "probe".to_string(), value: "yes".to_string(), reason: "expected 1" })
        );
    }

    #[test]
    fn wasm_debug_key() {
        assert_eq!(parse("wasm_debug=982").unwrap().wasm_debug, Some(982));
        assert_eq!(parse("wasm_debug=999999999").unwrap().wasm_debug, Some(999_999_999));
        assert_eq!(parse("").unwrap().wasm_debug, None);
        for bad in ["0", "-3", "1e3", "1000000000", "all"] {
            assert_eq!(err(&alloc::format!("wasm_debug={bad}")), alloc::format!("`wasm_debug={bad}`: expected the probe site count, 1-999999999"));
        }
    }

    #[test]
    fn epoch_and_seed_keys() {
        let s = parse("epoch=1796000000 seed=00ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1F").unwrap();
        assert_eq!(s.epoch, Some(1_796_000_000));
        let seed = s.seed.unwrap();
        assert_eq!((seed[0], seed[1], seed[2], seed[31]), (0x00, 0xff, 0x01, 0x1f));
        assert_eq!((parse("").unwrap().epoch, parse("").unwrap().seed), (None, None));
        assert_eq!(err("epoch=-1"), "`epoch=-1`: expected the Unix time in seconds");
        assert_eq!(err("seed=abc"), "`seed=abc`: expected 64 hexadecimal digits");
        let not_hex = alloc::format!("seed={}", "g".repeat(64));
        assert!(err(&not_hex).ends_with("expected 64 hexadecimal digits"));
    }

    #[test]
    fn max_body_key() {
        assert_eq!(parse("").unwrap().max_body, 8 << 20);
        assert_eq!(parse("max_body=2048").unwrap().max_body, 2048);
        assert_eq!(parse("max_body=64K").unwrap().max_body, 64 << 10);
        assert_eq!(parse("max_body=16M").unwrap().max_body, 16 << 20);
        for bad in ["17M", "16777217", "1G", "M", "-1", "2m"] {
            assert_eq!(err(&alloc::format!("max_body={bad}")), alloc::format!("`max_body={bad}`: expected bytes (or NK, NM in KiB, MiB) up to 16M, what the ABI lifts"));
        }
    }
}
