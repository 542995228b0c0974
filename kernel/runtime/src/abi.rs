//! The canonical ABI (core-Wasm lowering) for the types of the WIT, over a
//! guest memory, and the guest's resource table.
//!
//! Everything that comes from the guest is checked: every pointer and
//! length against the memory's size (in 64-bit arithmetic, so nothing
//! wraps), every pointer against its type's alignment, every discriminant
//! against its cases, every string as UTF-8. A failed check is an
//! [`AbiError`], which the host turns into a trap of the guest. Layouts are
//! written out in docs/ABI.md.

use crate::http::Method;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A violation of the ABI by the guest (or a guest allocator that fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbiError {
    OutOfBounds { ptr: u32, len: u64 },
    Misaligned { ptr: u32, align: u32 },
    InvalidUtf8 { ptr: u32 },
    /// A discriminant out of range, naming the type.
    BadDiscriminant { ty: &'static str, value: u32 },
    /// A resource handle that is not in the table (never made, or dropped).
    UnknownHandle(u32),
    /// A handle of another resource type than the function expects.
    WrongHandleType { handle: u32, expected: &'static str, found: &'static str },
    /// `cabi_realloc` failed or returned a bad pointer.
    Realloc(String),
    /// A value over a host limit, naming its type and the limit in bytes.
    TooLarge { ty: &'static str, limit: u64 },
}

impl fmt::Display for AbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbiError::OutOfBounds { ptr, len } => write!(f, "guest range {ptr:#x}+{len} is out of bounds"),
            AbiError::Misaligned { ptr, align } => write!(f, "guest pointer {ptr:#x} is not {align}-aligned"),
            AbiError::InvalidUtf8 { ptr } => write!(f, "guest string at {ptr:#x} is not UTF-8"),
            AbiError::BadDiscriminant { ty, value } => write!(f, "invalid {ty} discriminant {value}"),
            AbiError::UnknownHandle(h) => write!(f, "unknown resource handle {h}"),
            AbiError::WrongHandleType { handle, expected, found } => {
                write!(f, "resource handle {handle} is a {found}, not a {expected}")
            }
            AbiError::Realloc(m) => write!(f, "cabi_realloc: {m}"),
            AbiError::TooLarge { ty, limit } => write!(f, "guest {ty} is over the host's limit of {limit} bytes"),
        }
    }
}

pub type AbiResult<T> = Result<T, AbiError>;

/// The guest's linear memory and its `cabi_realloc`.
pub trait GuestMemory {
    /// The memory as it is now (a `realloc` may grow and move it).
    fn bytes(&mut self) -> &mut [u8];
    /// Calls `cabi_realloc(0, 0, align, size)`; the pointer is unchecked.
    fn realloc(&mut self, align: u32, size: u32) -> AbiResult<u32>;
}

/// The bytes `ptr..ptr+len` of `mem`, bounds-checked.
pub fn slice(mem: &[u8], ptr: u32, len: u64) -> AbiResult<&[u8]> {
    let end = u64::from(ptr) + len;
    if end > mem.len() as u64 {
        return Err(AbiError::OutOfBounds { ptr, len });
    }
    Ok(&mem[ptr as usize..end as usize])
}

fn slice_mut(mem: &mut [u8], ptr: u32, len: u64) -> AbiResult<&mut [u8]> {
    let end = u64::from(ptr) + len;
    if end > mem.len() as u64 {
        return Err(AbiError::OutOfBounds { ptr, len });
    }
    Ok(&mut mem[ptr as usize..end as usize])
}

fn aligned(ptr: u32, align: u32) -> AbiResult<()> {
    if ptr.is_multiple_of(align) {
        Ok(())
    } else {
        Err(AbiError::Misaligned { ptr, align })
    }
}

/// Reads the little-endian `N`-byte value at `ptr`, which must be N-aligned.
fn load<const N: usize>(mem: &[u8], ptr: u32) -> AbiResult<[u8; N]> {
    aligned(ptr, N as u32)?;
    let mut out = [0; N];
    out.copy_from_slice(slice(mem, ptr, N as u64)?);
    Ok(out)
}

pub fn load_u8(mem: &[u8], ptr: u32) -> AbiResult<u8> {
    Ok(load::<1>(mem, ptr)?[0])
}

pub fn load_u16(mem: &[u8], ptr: u32) -> AbiResult<u16> {
    Ok(u16::from_le_bytes(load(mem, ptr)?))
}

pub fn load_u32(mem: &[u8], ptr: u32) -> AbiResult<u32> {
    Ok(u32::from_le_bytes(load(mem, ptr)?))
}

fn store<const N: usize>(mem: &mut [u8], ptr: u32, value: [u8; N]) -> AbiResult<()> {
    aligned(ptr, N as u32)?;
    slice_mut(mem, ptr, N as u64)?.copy_from_slice(&value);
    Ok(())
}

pub fn store_u8(mem: &mut [u8], ptr: u32, value: u8) -> AbiResult<()> {
    store(mem, ptr, [value])
}

pub fn store_u32(mem: &mut [u8], ptr: u32, value: u32) -> AbiResult<()> {
    store(mem, ptr, value.to_le_bytes())
}

/// Most bytes of one lifted `string` or `list<u8>`. The host copies what it
/// lifts (into a response, a Redis command), and the guest's memory may
/// already fill half the kernel's heap: a 64 MiB body took the whole heap
/// (found by a hostile guest). Redis replies are bounded alike
/// (`resp::Limits::max_bulk`).
pub const MAX_LIFT_BYTES: u32 = 16 << 20;

/// The bytes `ptr..ptr+len` of `mem` for lifting a value of type `ty`.
fn lift_slice<'m>(mem: &'m [u8], ptr: u32, len: u32, ty: &'static str) -> AbiResult<&'m [u8]> {
    let bytes = slice(mem, ptr, len.into())?;
    if len > MAX_LIFT_BYTES {
        return Err(AbiError::TooLarge { ty, limit: MAX_LIFT_BYTES.into() });
    }
    Ok(bytes)
}

/// Lifts a `string` given as (ptr, len), at most [`MAX_LIFT_BYTES`].
pub fn lift_string(mem: &[u8], ptr: u32, len: u32) -> AbiResult<String> {
    let bytes = lift_slice(mem, ptr, len, "string")?;
    core::str::from_utf8(bytes).map(String::from).map_err(|_| AbiError::InvalidUtf8 { ptr })
}

/// Lifts a `list<u8>` given as (ptr, len), at most [`MAX_LIFT_BYTES`].
pub fn lift_bytes(mem: &[u8], ptr: u32, len: u32) -> AbiResult<Vec<u8>> {
    Ok(lift_slice(mem, ptr, len, "list<u8>")?.to_vec())
}

/// Most bytes a lifted `list<tuple<string, string>>` (response headers) may
/// take: 16 per element plus its strings. Elements may all point at one
/// long string, so without a bound a small guest memory could make the host
/// allocate without end (found by tests/hostile.rs: 192 KiB → 128 MiB).
pub const MAX_PAIRS_BYTES: u64 = 1 << 20;

/// Lifts a `list<tuple<string, string>>`: 16-byte elements, 4-aligned,
/// each (ptr, len) of the first string at +0 and of the second at +8. At
/// most [`MAX_PAIRS_BYTES`].
pub fn lift_pairs(mem: &[u8], ptr: u32, len: u32) -> AbiResult<Vec<(String, String)>> {
    aligned(ptr, 4)?;
    slice(mem, ptr, u64::from(len) * 16)?;
    let mut total = u64::from(len) * 16;
    let mut string = |ptr: u32, len: u32| {
        total += u64::from(len);
        if total > MAX_PAIRS_BYTES {
            return Err(AbiError::TooLarge { ty: "list<tuple<string, string>>", limit: MAX_PAIRS_BYTES });
        }
        lift_string(mem, ptr, len)
    };
    (0..len)
        .map(|i| {
            let at = ptr + i * 16;
            let first = string(load_u32(mem, at)?, load_u32(mem, at + 4)?)?;
            let second = string(load_u32(mem, at + 8)?, load_u32(mem, at + 12)?)?;
            Ok((first, second))
        })
        .collect()
}

/// An `option<T>` discriminant: 0 none, 1 some.
fn option_discriminant(mem: &[u8], ptr: u32, ty: &'static str) -> AbiResult<bool> {
    match load_u8(mem, ptr)? {
        0 => Ok(false),
        1 => Ok(true),
        value => Err(AbiError::BadDiscriminant { ty, value: value.into() }),
    }
}

/// A `result<T, E>` discriminant: 0 ok, 1 err.
fn result_is_err(mem: &[u8], ptr: u32, ty: &'static str) -> AbiResult<bool> {
    option_discriminant(mem, ptr, ty)
}

/// The WIT `response`, as the guest returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestResponse {
    pub status: u16,
    pub headers: Option<Vec<(String, String)>>,
    pub body: Option<Vec<u8>>,
}

/// The WIT `http-error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestHttpError {
    InvalidUrl(String),
    TimeoutError(String),
    ProtocolError(String),
    StatusError(u16),
    UnexpectedError(String),
}

/// Lifts the `result<response, http-error>` a handler returned a pointer to
/// (size 32, align 4; see docs/ABI.md).
pub fn lift_handler_result(mem: &[u8], ptr: u32) -> AbiResult<Result<GuestResponse, GuestHttpError>> {
    aligned(ptr, 4)?;
    slice(mem, ptr, 32)?;
    if !result_is_err(mem, ptr, "result<response, http-error>")? {
        let status = load_u16(mem, ptr + 4)?;
        let headers = if option_discriminant(mem, ptr + 8, "option<headers>")? {
            Some(lift_pairs(mem, load_u32(mem, ptr + 12)?, load_u32(mem, ptr + 16)?)?)
        } else {
            None
        };
        let body = if option_discriminant(mem, ptr + 20, "option<body>")? {
            Some(lift_bytes(mem, load_u32(mem, ptr + 24)?, load_u32(mem, ptr + 28)?)?)
        } else {
            None
        };
        return Ok(Ok(GuestResponse { status, headers, body }));
    }
    let case = load_u8(mem, ptr + 4)?;
    if case == 3 {
        return Ok(Err(GuestHttpError::StatusError(load_u16(mem, ptr + 8)?)));
    }
    let message = || lift_string(mem, load_u32(mem, ptr + 8)?, load_u32(mem, ptr + 12)?);
    Ok(Err(match case {
        0 => GuestHttpError::InvalidUrl(message()?),
        1 => GuestHttpError::TimeoutError(message()?),
        2 => GuestHttpError::ProtocolError(message()?),
        4 => GuestHttpError::UnexpectedError(message()?),
        value => return Err(AbiError::BadDiscriminant { ty: "http-error", value: value.into() }),
    }))
}

/// Lifts the `result<_, string>` that `init` returned a pointer to (size
/// 12, align 4).
pub fn lift_init_result(mem: &[u8], ptr: u32) -> AbiResult<Result<(), String>> {
    aligned(ptr, 4)?;
    slice(mem, ptr, 12)?;
    if result_is_err(mem, ptr, "result<_, string>")? {
        Ok(Err(lift_string(mem, load_u32(mem, ptr + 4)?, load_u32(mem, ptr + 8)?)?))
    } else {
        Ok(Ok(()))
    }
}

/// Allocates `size` bytes aligned to `align` with the guest's allocator,
/// and checks what it returned.
fn alloc(guest: &mut impl GuestMemory, align: u32, size: u64) -> AbiResult<u32> {
    let size = u32::try_from(size).map_err(|_| AbiError::Realloc(format!("{size} bytes do not fit in memory")))?;
    let ptr = guest.realloc(align, size)?;
    if !ptr.is_multiple_of(align) {
        return Err(AbiError::Realloc(format!("returned {ptr:#x}, not {align}-aligned")));
    }
    if u64::from(ptr) + u64::from(size) > guest.bytes().len() as u64 {
        return Err(AbiError::Realloc(format!("returned {ptr:#x}+{size}, out of bounds")));
    }
    Ok(ptr)
}

/// Lowers a `string` or `list<u8>` into fresh guest memory: (ptr, len).
pub fn lower_bytes(guest: &mut impl GuestMemory, bytes: &[u8]) -> AbiResult<(u32, u32)> {
    let ptr = alloc(guest, 1, bytes.len() as u64)?;
    slice_mut(guest.bytes(), ptr, bytes.len() as u64)?.copy_from_slice(bytes);
    Ok((ptr, bytes.len() as u32))
}

/// Lowers a `list<string>`: 8-byte elements (ptr, len), 4-aligned.
pub fn lower_strings(guest: &mut impl GuestMemory, strings: &[String]) -> AbiResult<(u32, u32)> {
    let list = alloc(guest, 4, strings.len() as u64 * 8)?;
    for (i, s) in strings.iter().enumerate() {
        let (ptr, len) = lower_bytes(guest, s.as_bytes())?;
        let at = list + i as u32 * 8;
        store_u32(guest.bytes(), at, ptr)?;
        store_u32(guest.bytes(), at + 4, len)?;
    }
    Ok((list, strings.len() as u32))
}

/// Lowers a `list<tuple<string, string>>` (see [`lift_pairs`]).
pub fn lower_pairs(guest: &mut impl GuestMemory, pairs: &[(String, String)]) -> AbiResult<(u32, u32)> {
    let list = alloc(guest, 4, pairs.len() as u64 * 16)?;
    for (i, (a, b)) in pairs.iter().enumerate() {
        let at = list + i as u32 * 16;
        for (offset, s) in [(0, a), (8, b)] {
            let (ptr, len) = lower_bytes(guest, s.as_bytes())?;
            store_u32(guest.bytes(), at + offset, ptr)?;
            store_u32(guest.bytes(), at + offset + 4, len)?;
        }
    }
    Ok((list, pairs.len() as u32))
}

/// The WIT `request`, as the host hands it to a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestRequest {
    pub method: Method,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub params: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// Lowers a request into the 10 flat parameters of a handler: method,
/// uri (ptr, len), headers (ptr, len), params (ptr, len), body (is-some,
/// ptr, len).
pub fn lower_request(guest: &mut impl GuestMemory, request: &GuestRequest) -> AbiResult<[u32; 10]> {
    let method = Method::ALL.iter().position(|m| *m == request.method).unwrap_or(0) as u32;
    let (uri_ptr, uri_len) = lower_bytes(guest, request.uri.as_bytes())?;
    let (headers_ptr, headers_len) = lower_pairs(guest, &request.headers)?;
    let (params_ptr, params_len) = lower_pairs(guest, &request.params)?;
    let (has_body, body_ptr, body_len) = match &request.body {
        Some(body) => {
            let (ptr, len) = lower_bytes(guest, body)?;
            (1, ptr, len)
        }
        None => (0, 0, 0),
    };
    Ok([method, uri_ptr, uri_len, headers_ptr, headers_len, params_ptr, params_len, has_body, body_ptr, body_len])
}

/// The `ok` payload of a result an import writes to its return area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OkPayload {
    /// `result<_, E>`.
    Unit,
    /// `result<own<R>, E>`: the handle at +4.
    Handle(u32),
    /// `result<list<T>, E>`: (ptr, len) at +4 and +8.
    List(u32, u32),
}

/// Writes `ok(payload)` to a 16-byte, 4-aligned return area.
pub fn store_ok(mem: &mut [u8], retptr: u32, payload: OkPayload) -> AbiResult<()> {
    check_return_area(mem, retptr)?;
    store_u8(mem, retptr, 0)?;
    match payload {
        OkPayload::Unit => Ok(()),
        OkPayload::Handle(h) => store_u32(mem, retptr + 4, h),
        OkPayload::List(ptr, len) => {
            store_u32(mem, retptr + 4, ptr)?;
            store_u32(mem, retptr + 8, len)
        }
    }
}

/// Writes `err(case(message))` of a variant whose cases all carry a
/// string (`keyvalue-error`, `http-router-error`), the message already
/// lowered to (ptr, len): case at +4, string at +8.
pub fn store_err(mem: &mut [u8], retptr: u32, case: u8, (ptr, len): (u32, u32)) -> AbiResult<()> {
    check_return_area(mem, retptr)?;
    store_u8(mem, retptr, 1)?;
    store_u8(mem, retptr + 4, case)?;
    store_u32(mem, retptr + 8, ptr)?;
    store_u32(mem, retptr + 12, len)
}

/// Every import result here is a `result` of size 16, align 4.
fn check_return_area(mem: &[u8], retptr: u32) -> AbiResult<()> {
    aligned(retptr, 4)?;
    slice(mem, retptr, 16).map(|_| ())
}

/// The guest's handles to host resources. Handles are indices from 1 (0 is
/// never valid); a freed index is reused. Only own handles live here: the
/// host never lends resources to the guest, and a `borrow<R>` parameter
/// from the guest must name one of its own handles.
#[derive(Debug)]
pub struct ResourceTable<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
}

/// A resource type's name, for errors.
pub trait ResourceKind {
    fn kind(&self) -> &'static str;
}

impl<T: ResourceKind> Default for ResourceTable<T> {
    fn default() -> Self {
        ResourceTable { slots: Vec::new(), free: Vec::new() }
    }
}

impl<T: ResourceKind> ResourceTable<T> {
    pub fn insert(&mut self, resource: T) -> u32 {
        match self.free.pop() {
            Some(handle) => {
                self.slots[handle as usize - 1] = Some(resource);
                handle
            }
            None => {
                self.slots.push(Some(resource));
                self.slots.len() as u32
            }
        }
    }

    /// The resource behind `handle`, which must be of kind `expected`.
    pub fn get_mut(&mut self, handle: u32, expected: &'static str) -> AbiResult<&mut T> {
        let slot = handle.checked_sub(1).and_then(|i| self.slots.get_mut(i as usize));
        let Some(Some(resource)) = slot else { return Err(AbiError::UnknownHandle(handle)) };
        match resource.kind() {
            found if found == expected => Ok(resource),
            found => Err(AbiError::WrongHandleType { handle, expected, found }),
        }
    }

    /// Drops `handle` (`[resource-drop]`): it must be a live handle of kind
    /// `expected`, so a double drop is an error.
    pub fn remove(&mut self, handle: u32, expected: &'static str) -> AbiResult<T> {
        self.get_mut(handle, expected)?;
        self.free.push(handle);
        self.slots[handle as usize - 1].take().ok_or(AbiError::UnknownHandle(handle))
    }
}

#[cfg(test)]
mod tests;
