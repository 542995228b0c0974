//! Interface names of imports and exports (`wasi:http/types@0.2.6`) and which versions match:
//! semver-compatible ones, as wasmtime's linker matches them.

/// `namespace:package/interface@version`, split; a plain name (`run`) has no interface part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceName<'a> {
    /// `wasi:http/types`, or the plain name.
    pub path: &'a str,
    pub version: Option<&'a str>,
}

impl<'a> InterfaceName<'a> {
    pub fn parse(name: &'a str) -> InterfaceName<'a> {
        match name.split_once('@') {
            Some((path, version)) => InterfaceName { path, version: Some(version) },
            None => InterfaceName { path: name, version: None },
        }
    }
}

/// `(major, minor, patch)` of a `x.y.z` version, pre-release and build metadata ignored.
fn triple(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let t = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(t)
}

/// Whether an import of `wanted` can be served by an implementation of `offered`: the same major
/// version, and for `0.x` the same minor (`0.2.6` by `0.2.12`, not by `0.3.0`).
pub fn semver_compatible(offered: &str, wanted: &str) -> bool {
    match (triple(offered), triple(wanted)) {
        (Some((0, a, _)), Some((0, b, _))) => a == b,
        (Some((a, _, _)), Some((b, _, _))) => a == b && a != 0,
        _ => offered == wanted,
    }
}
