//! Wasm-level debugging, kernel side (docs/DEBUGGING.md, "Wasm level").
//!
//! wasmi has no breakpoint or backtrace API, so a debugged app is an instrumented copy of the
//! module that calls the import `uniwasm:debug` `probe(site)` at every function entry, exit and
//! statement. The probe keeps a shadow call stack in a [`DebugMailbox`] and, when a breakpoint bit
//! or the step mode says so, calls the platform's trap function, on which the debugger holds one
//! hardware breakpoint. While the guest is stopped there, the debugger reads and writes the
//! mailbox through the gdbstub.
//!
//! Version 2 adds the values of Wasm locals: the instrumented module keeps, in a memory of its own
//! (exported as [`VALUES_EXPORT`]), one row of value slots per frame of the shadow stack, and
//! writes a captured local's slot whenever the local is written. The probe hands each entering
//! frame its row (its index in the shadow stack), and a stop exposes that memory's address.
//!
//! Version 3 keeps `memory_base` right while the app runs: the instrumented module calls the probe
//! with [`MEMORY_GROWN`] after each `memory.grow`, and the mailbox's `memory_base`/`memory_size`
//! are written whenever, and only when, they change. A debugger with data breakpoints watches
//! `memory_base` (a gdbstub write watchpoint) and moves its watchpoints when linear memory moves.
//!
//! Version 4 lets the debugger change a Wasm local of the frame a stop is in: it writes the local's
//! value slot and sets `locals_written`; the probe that stopped clears the flag and answers 1, and
//! the instrumented function then reloads its captured locals from their slots. Nothing is read
//! or answered when the probe does not stop.
//!
//! The platform owns the mailbox (a static at a symbol the debugger looks up) and the trap
//! function; this module owns the logic, so that it runs on the host in `cargo test`.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use core::mem::{offset_of, size_of};
use core::ptr::{addr_of, addr_of_mut, read_volatile, write_volatile};

/// `magic` once the mailbox is ready: "UWDB" read as a little-endian u32.
pub const MAGIC: u32 = 0x4244_5755;
pub const VERSION: u32 = 4;
/// Frames of the shadow call stack that are stored; deeper ones are only counted.
pub const FRAME_CAPACITY: u32 = 1024;

/// Site kinds, in the low two bits of a probe's argument.
pub const KIND_ENTRY: u32 = 0;
pub const KIND_EXIT: u32 = 1;
pub const KIND_STATEMENT: u32 = 2;
/// The stop an entry probe deferred (its argument is the entry site with kind 3): called by the
/// instrumented function after it has stored its parameters, so that an entry stop shows them.
pub const KIND_ENTRY_STOP: u32 = 3;
/// The probe's argument right after a `memory.grow` of linear memory 0 (no site: kind 3 with an
/// index beyond any site table): the mailbox learns where linear memory is now, without a stop.
pub const MEMORY_GROWN: u32 = u32::MAX;

/// `step_mode` values, written by the debugger.
pub const STEP_RUN: u32 = 0;
pub const STEP_INTO: u32 = 1;
pub const STEP_OVER: u32 = 2;
pub const STEP_OUT: u32 = 3;
pub const STEP_PAUSE: u32 = 4;

/// `reason` values: why the trap function was called.
pub const REASON_STEP: u32 = 1;
pub const REASON_BREAKPOINT: u32 = 2;
pub const REASON_PAUSE: u32 = 3;
pub const REASON_TRAP: u32 = 4;
pub const REASON_READY: u32 = 5;

/// `trap_code` of an error that is not one of wasmi's trap codes (a host function failed).
pub const TRAP_HOST_ERROR: u32 = 0xffff_ffff;

/// The import the instrumenter adds (src/debug/wasm/instrument.ts): `(i32 site) -> (i32)`.
pub const PROBE_MODULE: &str = "uniwasm:debug";
pub const PROBE_FIELD: &str = "probe";
/// The instrumented module exports global N as this prefix + N (wasmi reads exported globals only).
const GLOBAL_EXPORT_PREFIX: &str = "uniwasm:debug.global.";
/// The instrumented module's memory of value slots: row `i` holds the captured locals of frame `i`
/// (0 = outermost), row [`FRAME_CAPACITY`] is shared by the frames deeper than that.
pub const VALUES_EXPORT: &str = "uniwasm:debug.values";

pub fn global_export(index: usize) -> String {
    format!("{GLOBAL_EXPORT_PREFIX}{index}")
}

/// How many globals an instrumented module exports for the debugger.
pub fn global_count(module: &wasmi::Module) -> u32 {
    module.exports().filter(|e| e.name().starts_with(GLOBAL_EXPORT_PREFIX)).count() as u32
}

/// A value as the raw bits the mailbox holds (i32/f32 zero-extended; references and vectors 0).
pub fn value_bits(value: &wasmi::Val) -> u64 {
    match value {
        wasmi::Val::I32(x) => *x as u32 as u64,
        wasmi::Val::I64(x) => *x as u64,
        wasmi::Val::F32(x) => x.to_bits() as u64,
        wasmi::Val::F64(x) => x.to_bits(),
        _ => 0,
    }
}

/// The mailbox's `trap_code` for a call into the module that ended with the Wasm trap `code`, or
/// with none (a host function failed). The numbers are the mailbox's (docs/DEBUGGING.md, decoded
/// by src/debug/wasm/mailbox.ts): wasmi 1.1's `TrapCode` numbers, kept when wasmi 2.0 shifted its
/// own by one.
pub fn trap_code(code: Option<wasmi::TrapCode>) -> u32 {
    use wasmi::TrapCode::*;
    let Some(code) = code else { return TRAP_HOST_ERROR };
    match code {
        UnreachableCodeReached => 0,
        MemoryOutOfBounds => 1,
        TableOutOfBounds => 2,
        IndirectCallToNull => 3,
        IntegerDivisionByZero => 4,
        IntegerOverflow => 5,
        BadConversionToInteger => 6,
        StackOverflow => 7,
        BadSignature => 8,
        OutOfFuel => 9,
        GrowthOperationLimited => 10,
        OutOfSystemMemory => 11,
    }
}

/// One frame of the shadow call stack.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// The entry site of the function this frame runs (it names the function).
    pub entry_site: u32,
    /// The last site reached in this frame (the frame's current location).
    pub site: u32,
}

/// The debugger's view of the Wasm app. Layout fixed by docs/DEBUGGING.md: the adapter decodes
/// it by offset. Addresses are guest-virtual (identity-mapped in this kernel).
#[repr(C)]
#[derive(Debug)]
pub struct DebugMailbox {
    pub magic: u32,
    pub version: u32,
    pub site_count: u32,
    pub frame_capacity: u32,
    /// Address of ceil(site_count / 8) bytes: bit (i % 8) of byte i / 8 = stop at site index i.
    pub breakpoints: u64,
    /// Address of `frame_capacity` frames, outermost first.
    pub frames: u64,
    /// Frames in use; may exceed `frame_capacity`.
    pub depth: u32,
    /// The argument of the last probe call.
    pub current_site: u32,
    pub step_mode: u32,
    /// `depth` when the step began.
    pub step_depth: u32,
    pub reason: u32,
    /// wasmi's trap code, when `reason` is [`REASON_TRAP`].
    pub trap_code: u32,
    /// Address and size of linear memory 0, refreshed before each stop and after each
    /// `memory.grow`; written only when they change (a debugger's watchpoint on `memory_base` fires then).
    pub memory_base: u64,
    pub memory_size: u64,
    pub global_count: u32,
    /// 1 while a host → Wasm call runs.
    pub in_wasm: u32,
    /// Address of `global_count` u64: the raw bits of each global, refreshed before each stop.
    pub globals: u64,
    /// Incremented at each call of the trap function.
    pub stops: u64,
    /// Address and size of the module's value slots ([`VALUES_EXPORT`]), refreshed before each
    /// stop; 0, 0 when the module captures no locals.
    pub values: u64,
    pub values_size: u64,
    /// Set by the debugger at a stop after it wrote a value slot of the stopped frame; the probe
    /// clears it when the stop ends and answers 1, so that the function reloads its locals.
    pub locals_written: u32,
}

// The adapter reads the mailbox by these offsets (src/debug/wasm/mailbox.ts).
const _: () = {
    assert!(size_of::<Frame>() == 8);
    assert!(size_of::<DebugMailbox>() == 120);
    assert!(offset_of!(DebugMailbox, magic) == 0);
    assert!(offset_of!(DebugMailbox, version) == 4);
    assert!(offset_of!(DebugMailbox, site_count) == 8);
    assert!(offset_of!(DebugMailbox, frame_capacity) == 12);
    assert!(offset_of!(DebugMailbox, breakpoints) == 16);
    assert!(offset_of!(DebugMailbox, frames) == 24);
    assert!(offset_of!(DebugMailbox, depth) == 32);
    assert!(offset_of!(DebugMailbox, current_site) == 36);
    assert!(offset_of!(DebugMailbox, step_mode) == 40);
    assert!(offset_of!(DebugMailbox, step_depth) == 44);
    assert!(offset_of!(DebugMailbox, reason) == 48);
    assert!(offset_of!(DebugMailbox, trap_code) == 52);
    assert!(offset_of!(DebugMailbox, memory_base) == 56);
    assert!(offset_of!(DebugMailbox, memory_size) == 64);
    assert!(offset_of!(DebugMailbox, global_count) == 72);
    assert!(offset_of!(DebugMailbox, in_wasm) == 76);
    assert!(offset_of!(DebugMailbox, globals) == 80);
    assert!(offset_of!(DebugMailbox, stops) == 88);
    assert!(offset_of!(DebugMailbox, values) == 96);
    assert!(offset_of!(DebugMailbox, values_size) == 104);
    assert!(offset_of!(DebugMailbox, locals_written) == 112);
};

impl DebugMailbox {
    /// An empty mailbox (magic 0: not ready), for the platform's static.
    pub const fn new() -> DebugMailbox {
        DebugMailbox {
            magic: 0,
            version: 0,
            site_count: 0,
            frame_capacity: 0,
            breakpoints: 0,
            frames: 0,
            depth: 0,
            current_site: 0,
            step_mode: 0,
            step_depth: 0,
            reason: 0,
            trap_code: 0,
            memory_base: 0,
            memory_size: 0,
            global_count: 0,
            in_wasm: 0,
            globals: 0,
            stops: 0,
            values: 0,
            values_size: 0,
            locals_written: 0,
        }
    }
}

impl Default for DebugMailbox {
    fn default() -> Self {
        DebugMailbox::new()
    }
}

/// Reads a mailbox field. Volatile: the debugger changes fields while the trap function runs,
/// which the compiler cannot see.
macro_rules! get {
    ($port:expr, $field:ident) => {
        // SAFETY: `DebugPort::mailbox` is valid for the program's life (see its invariant).
        unsafe { read_volatile(addr_of!((*$port.mailbox).$field)) }
    };
}

/// Writes a mailbox field (volatile: the debugger reads it at the next stop).
macro_rules! set {
    ($port:expr, $field:ident, $value:expr) => {
        // SAFETY: as for `get!`.
        unsafe { write_volatile(addr_of_mut!((*$port.mailbox).$field), $value) }
    };
}

/// What the platform provides for debugging: the mailbox and the trap function. A copyable
/// handle: all the state is in the mailbox, so an app restart keeps the debugger's view.
#[derive(Clone, Copy, Debug)]
pub struct DebugPort {
    /// Invariant: valid for reads and writes for the rest of the program, touched only by this
    /// (single-threaded) kernel and by the debugger while the guest is stopped.
    pub mailbox: *mut DebugMailbox,
    /// The function the debugger breaks on; it must stay a real, out-of-line call.
    pub trap: extern "C" fn(),
    /// The instrumented module's site count (`wasm_debug=N`).
    pub site_count: u32,
}

// SAFETY: wasmi wants host functions Send + Sync. The mailbox is only ever touched from the one
// thread that runs the app (the kernel has a single vCPU and no threads), and by the debugger while
// that thread is stopped.
unsafe impl Send for DebugPort {}
unsafe impl Sync for DebugPort {}

/// What a stop shows besides the stack: filled by the host from the store.
pub struct Snapshot<'a> {
    /// Raw bits of each global (i32/f32 zero-extended).
    pub globals: &'a mut [u64],
    /// Address and size of linear memory 0 (0, 0 before the module has one).
    pub memory: (u64, u64),
    /// Address and size of the value slots ([`VALUES_EXPORT`]; 0, 0 without).
    pub values: (u64, u64),
}

impl DebugPort {
    /// Allocates the breakpoint bitmap (all clear), the frames and the globals, and fills the
    /// mailbox, `magic` last. The allocations live as long as the kernel, as the mailbox does.
    pub fn set_up(&self, global_count: u32) {
        let bitmap = vec![0u8; (self.site_count as usize).div_ceil(8)].leak();
        let frames = vec![Frame::default(); FRAME_CAPACITY as usize].leak();
        let globals = vec![0u64; global_count as usize].leak();
        set!(self, version, VERSION);
        set!(self, site_count, self.site_count);
        set!(self, frame_capacity, FRAME_CAPACITY);
        set!(self, breakpoints, bitmap.as_mut_ptr() as u64);
        set!(self, frames, frames.as_mut_ptr() as u64);
        set!(self, depth, 0);
        set!(self, step_mode, STEP_RUN);
        set!(self, global_count, global_count);
        set!(self, globals, globals.as_mut_ptr() as u64);
        set!(self, in_wasm, 0);
        set!(self, magic, MAGIC);
    }

    /// The "ready" stop, once after set-up and before any Wasm runs: the debugger writes its
    /// breakpoints and step mode here.
    pub fn ready(&self) {
        self.stop(REASON_READY);
    }

    /// A host → Wasm call begins (`true`) or ends. The shadow stack starts empty at each one.
    pub fn in_wasm(&self, running: bool) {
        if running {
            set!(self, depth, 0);
        }
        set!(self, in_wasm, running as u32);
    }

    /// The probe import: `site = index << 2 | kind`. Cheap unless it stops: a bit test and a
    /// compare. `snapshot` runs only for a stop (and after a `memory.grow`).
    ///
    /// An entry does not stop here: it answers `row << 1 | stop`, `row` being the frame's row of
    /// value slots (its index in the shadow stack, [`FRAME_CAPACITY`] for deeper frames) and
    /// `stop` whether it must stop. The function then stores its parameters in its row and, when
    /// `stop` is 1, calls the probe again with kind [`KIND_ENTRY_STOP`], which stops as the entry
    /// would have. A statement, an exit or an entry stop answers 1 when the debugger wrote a value
    /// slot of this frame during its stop (`locals_written`, cleared here), else 0.
    ///
    /// [`MEMORY_GROWN`] is no site: it only refreshes where linear memory lies.
    #[inline]
    pub fn probe(&self, site: u32, snapshot: impl FnOnce(&mut Snapshot<'_>)) -> u32 {
        if site == MEMORY_GROWN {
            self.memory_grown(snapshot);
            return 0;
        }
        let kind = site & 3;
        let mut depth = get!(self, depth);
        if kind == KIND_ENTRY_STOP {
            let entry = site & !3;
            set!(self, current_site, entry);
            if let Some(reason) = self.stop_reason(entry, KIND_ENTRY, depth) {
                self.refresh(snapshot);
                return self.stop(reason);
            }
            return 0;
        }
        if kind == KIND_ENTRY {
            depth += 1;
            set!(self, depth, depth);
            self.set_frame(depth, |f| *f = Frame { entry_site: site, site });
            set!(self, current_site, site);
            let row = depth.min(FRAME_CAPACITY + 1) - 1;
            return row << 1 | self.stop_reason(site, kind, depth).is_some() as u32;
        }
        self.set_frame(depth, |f| f.site = site);
        set!(self, current_site, site);
        let mut written = 0;
        if let Some(reason) = self.stop_reason(site, kind, depth) {
            self.refresh(snapshot);
            written = self.stop(reason);
        }
        if kind == KIND_EXIT {
            // After the stop: an exit stop still shows its frame.
            let depth = get!(self, depth);
            set!(self, depth, depth.saturating_sub(1));
        }
        written
    }

    /// A call into the module ended in a trap (or a host function failed inside it): stops with
    /// the shadow stack as the trap left it, then empties it.
    pub fn trapped(&self, trap_code: u32, snapshot: impl FnOnce(&mut Snapshot<'_>)) {
        set!(self, trap_code, trap_code);
        self.refresh(snapshot);
        self.stop(REASON_TRAP);
        set!(self, depth, 0);
    }

    /// Updates frame `depth` (1-based) when it is stored.
    fn set_frame(&self, depth: u32, update: impl FnOnce(&mut Frame)) {
        if depth == 0 || depth > FRAME_CAPACITY {
            return;
        }
        let frames = get!(self, frames) as *mut Frame;
        // SAFETY: `frames` points at FRAME_CAPACITY frames (set_up), and depth - 1 is below that.
        unsafe {
            let frame = frames.add(depth as usize - 1);
            let mut value = read_volatile(frame);
            update(&mut value);
            write_volatile(frame, value);
        }
    }

    fn stop_reason(&self, site: u32, kind: u32, depth: u32) -> Option<u32> {
        let index = site >> 2;
        if index < self.site_count {
            let bitmap = get!(self, breakpoints) as *const u8;
            // SAFETY: the bitmap has ceil(site_count / 8) bytes (set_up) and index < site_count.
            let byte = unsafe { read_volatile(bitmap.add(index as usize / 8)) };
            if byte & (1 << (index % 8)) != 0 {
                return Some(REASON_BREAKPOINT);
            }
        }
        let statement = kind == KIND_STATEMENT;
        match get!(self, step_mode) {
            STEP_RUN => None,
            STEP_INTO if kind != KIND_EXIT => Some(REASON_STEP),
            STEP_OVER if statement && depth <= get!(self, step_depth) => Some(REASON_STEP),
            STEP_OUT if statement && depth < get!(self, step_depth) => Some(REASON_STEP),
            STEP_PAUSE => Some(REASON_PAUSE),
            _ => None,
        }
    }

    fn refresh(&self, snapshot: impl FnOnce(&mut Snapshot<'_>)) {
        let (count, globals) = (get!(self, global_count) as usize, get!(self, globals) as *mut u64);
        // SAFETY: `globals` points at `global_count` u64 (set_up); nothing else borrows them now.
        let globals = unsafe { core::slice::from_raw_parts_mut(globals, count) };
        let mut s = Snapshot { globals, memory: (0, 0), values: (0, 0) };
        snapshot(&mut s);
        self.set_memory(s.memory);
        set!(self, values, s.values.0);
        set!(self, values_size, s.values.1);
    }

    /// After a `memory.grow`: where linear memory lies now (the globals are left as they are).
    fn memory_grown(&self, snapshot: impl FnOnce(&mut Snapshot<'_>)) {
        let mut s = Snapshot { globals: &mut [], memory: (0, 0), values: (0, 0) };
        snapshot(&mut s);
        self.set_memory(s.memory);
    }

    /// Writes `memory_size` and `memory_base` only when they change: a debugger's write
    /// watchpoint on `memory_base` then fires only when linear memory moved, and finds the new
    /// size already there.
    fn set_memory(&self, (base, size): (u64, u64)) {
        if get!(self, memory_size) != size {
            set!(self, memory_size, size);
        }
        if get!(self, memory_base) != base {
            set!(self, memory_base, base);
        }
    }

    /// Calls the trap function with `reason`. The debugger, stopped there, clears `step_mode`
    /// or sets a new one before resuming. Answers 1 when the debugger wrote a value slot of the
    /// stopped frame meanwhile (`locals_written`, cleared so that no later stop sees it), else 0.
    fn stop(&self, reason: u32) -> u32 {
        set!(self, reason, reason);
        let stops = get!(self, stops);
        set!(self, stops, stops + 1);
        (self.trap)();
        let written = get!(self, locals_written);
        if written != 0 {
            set!(self, locals_written, 0);
        }
        (written != 0) as u32
    }
}

#[cfg(test)]
pub(crate) mod tests;
