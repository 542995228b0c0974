//! The mailbox and the probe's logic, with a simulated debugger (also used by host/tests/debugger.rs).

use super::*;
use std::boxed::Box;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

/// What the debugger saw at one stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stop {
    pub reason: u32,
    pub site: u32,
    pub depth: u32,
    pub frames: Vec<Frame>,
}

type Debugger = Box<dyn FnMut(&mut DebugMailbox)>;

thread_local! {
    static MAILBOX: Cell<*mut DebugMailbox> = const { Cell::new(core::ptr::null_mut()) };
    static DEBUGGER: RefCell<Option<Debugger>> = const { RefCell::new(None) };
}

/// The trap function of the tests: hands the mailbox to this thread's simulated debugger.
extern "C" fn trap() {
    let mailbox = MAILBOX.with(Cell::get);
    // SAFETY: the test's mailbox is leaked, so valid; the probe holds no reference into it now.
    DEBUGGER.with(|d| (d.borrow_mut().as_mut().expect("a debugger"))(unsafe { &mut *mailbox }));
}

fn site(index: u32, kind: u32) -> u32 {
    index << 2 | kind
}

fn frames_of(m: &DebugMailbox) -> Vec<Frame> {
    let stored = m.depth.min(m.frame_capacity) as usize;
    // SAFETY: set_up allocated frame_capacity frames at `frames`.
    unsafe { core::slice::from_raw_parts(m.frames as *const Frame, stored) }.to_vec()
}

/// A port on a fresh mailbox (not set up) and a debugger that records each stop and then
/// lets `act` play the adapter's part: write breakpoint bits, a step mode.
pub(crate) fn port_with(site_count: u32, mut act: impl FnMut(&mut DebugMailbox) + 'static) -> (DebugPort, Rc<RefCell<Vec<Stop>>>) {
    let mailbox = Box::leak(Box::new(DebugMailbox::new()));
    MAILBOX.with(|m| m.set(mailbox));
    let stops = Rc::new(RefCell::new(Vec::new()));
    let log = stops.clone();
    DEBUGGER.with(|d| {
        *d.borrow_mut() = Some(Box::new(move |m: &mut DebugMailbox| {
            log.borrow_mut().push(Stop { reason: m.reason, site: m.current_site, depth: m.depth, frames: frames_of(m) });
            act(m);
        }))
    });
    (DebugPort { mailbox, trap, site_count }, stops)
}

/// A set-up mailbox whose debugger, as the adapter does at each stop, writes the next step
/// mode of `plan` (with `step_depth = depth`) or clears it.
fn debugged(site_count: u32, globals: u32, plan: &[u32]) -> (DebugPort, Rc<RefCell<Vec<Stop>>>) {
    let mut plan: VecDeque<u32> = plan.iter().copied().collect();
    let (port, stops) = port_with(site_count, move |m| {
        m.step_mode = plan.pop_front().unwrap_or(STEP_RUN);
        m.step_depth = m.depth;
    });
    port.set_up(globals);
    (port, stops)
}

pub(crate) fn mailbox(port: &DebugPort) -> &DebugMailbox {
    // SAFETY: leaked by `debugged`.
    unsafe { &*port.mailbox }
}

fn set_breakpoint(port: &DebugPort, index: u32) {
    set_bit(mailbox(port), index);
}

pub(crate) fn set_bit(m: &DebugMailbox, index: u32) {
    // SAFETY: the bitmap has ceil(site_count / 8) bytes and the tests use indices below site_count.
    unsafe { *(m.breakpoints as *mut u8).add(index as usize / 8) |= 1 << (index % 8) };
}

fn no_snapshot(_: &mut Snapshot<'_>) {}

/// Calls the probe as the instrumented code does: an entry whose answer asks for a stop calls it
/// again with kind [`KIND_ENTRY_STOP`] (after storing its parameters).
pub(crate) fn visit(port: &DebugPort, site: u32, snapshot: impl FnOnce(&mut Snapshot<'_>)) {
    if site & 3 != KIND_ENTRY {
        port.probe(site, snapshot);
    } else if port.probe(site, no_snapshot) & 1 == 1 {
        port.probe(site | KIND_ENTRY_STOP, snapshot);
    }
}

/// A call of function A (entry 0, statements 1 2, exit 3) whose statement 1 calls B (entry 4,
/// statement 5, exit 6).
fn run_a_calling_b(port: &DebugPort) {
    for s in [site(0, KIND_ENTRY), site(1, KIND_STATEMENT), site(4, KIND_ENTRY), site(5, KIND_STATEMENT), site(6, KIND_EXIT)] {
        visit(&port, s, no_snapshot);
    }
    for s in [site(2, KIND_STATEMENT), site(3, KIND_EXIT)] {
        visit(&port, s, no_snapshot);
    }
}

#[test]
fn set_up_fills_the_mailbox_magic_last() {
    let (port, stops) = debugged(20, 3, &[]);
    let m = mailbox(&port);
    assert_eq!((m.magic, m.version, m.site_count, m.frame_capacity, m.global_count), (MAGIC, VERSION, 20, FRAME_CAPACITY, 3));
    assert_ne!(m.breakpoints, 0);
    assert_ne!(m.frames, 0);
    assert_ne!(m.globals, 0);
    // SAFETY: 20 sites → 3 bitmap bytes.
    assert_eq!(unsafe { core::slice::from_raw_parts(m.breakpoints as *const u8, 3) }, [0, 0, 0]);
    port.ready();
    assert_eq!(*stops.borrow(), [Stop { reason: REASON_READY, site: 0, depth: 0, frames: vec![] }]);
    assert_eq!(mailbox(&port).stops, 1);
}

#[test]
fn without_breakpoints_or_steps_the_probe_only_keeps_the_shadow_stack() {
    let (port, stops) = debugged(7, 0, &[]);
    for s in [site(0, KIND_ENTRY), site(1, KIND_STATEMENT), site(4, KIND_ENTRY), site(5, KIND_STATEMENT)] {
        visit(&port, s, no_snapshot);
    }
    let m = mailbox(&port);
    assert_eq!(m.depth, 2);
    assert_eq!(m.current_site, site(5, KIND_STATEMENT));
    let a = Frame { entry_site: site(0, KIND_ENTRY), site: site(1, KIND_STATEMENT) };
    let b = Frame { entry_site: site(4, KIND_ENTRY), site: site(5, KIND_STATEMENT) };
    assert_eq!(frames_of(m), [a, b]);
    visit(&port, site(6, KIND_EXIT), no_snapshot);
    visit(&port, site(2, KIND_STATEMENT), no_snapshot);
    visit(&port, site(3, KIND_EXIT), no_snapshot);
    assert_eq!(mailbox(&port).depth, 0);
    assert!(stops.borrow().is_empty());
    assert_eq!(mailbox(&port).stops, 0);
}

#[test]
fn a_breakpoint_bit_stops_with_the_frames_globals_and_memory() {
    let (port, stops) = debugged(7, 2, &[]);
    set_breakpoint(&port, 4);
    let mut snapshots = 0;
    for s in [site(0, KIND_ENTRY), site(1, KIND_STATEMENT), site(4, KIND_ENTRY)] {
        visit(&port, s, |snap| {
            snapshots += 1;
            snap.globals.copy_from_slice(&[7, 0xffff_ffff]);
            snap.memory = (0x10_0000, 65536);
        });
    }
    assert_eq!(snapshots, 1, "only a stop takes a snapshot");
    let a = Frame { entry_site: site(0, KIND_ENTRY), site: site(1, KIND_STATEMENT) };
    let b = Frame { entry_site: site(4, KIND_ENTRY), site: site(4, KIND_ENTRY) };
    assert_eq!(*stops.borrow(), [Stop { reason: REASON_BREAKPOINT, site: site(4, KIND_ENTRY), depth: 2, frames: vec![a, b] }]);
    let m = mailbox(&port);
    assert_eq!((m.memory_base, m.memory_size), (0x10_0000, 65536));
    // SAFETY: two globals.
    assert_eq!(unsafe { core::slice::from_raw_parts(m.globals as *const u64, 2) }, [7, 0xffff_ffff]);
}

#[test]
fn step_into_stops_at_the_next_entry_or_statement_never_an_exit() {
    let (port, stops) = debugged(7, 0, &[STEP_INTO, STEP_INTO, STEP_INTO, STEP_INTO]);
    set_breakpoint(&port, 1);
    run_a_calling_b(&port);
    let sites: Vec<u32> = stops.borrow().iter().map(|s| s.site).collect();
    // Statement 1 (breakpoint), entry 4, statement 5, then past exit 6 to statement 2, then past exit 3 to the end.
    assert_eq!(sites, [site(1, KIND_STATEMENT), site(4, KIND_ENTRY), site(5, KIND_STATEMENT), site(2, KIND_STATEMENT)]);
    assert!(stops.borrow()[1..].iter().all(|s| s.reason == REASON_STEP));
}

#[test]
fn step_over_skips_deeper_frames() {
    let (port, stops) = debugged(7, 0, &[STEP_OVER]);
    set_breakpoint(&port, 1);
    run_a_calling_b(&port);
    let seen: Vec<(u32, u32, u32)> = stops.borrow().iter().map(|s| (s.reason, s.site, s.depth)).collect();
    assert_eq!(seen, [(REASON_BREAKPOINT, site(1, KIND_STATEMENT), 1), (REASON_STEP, site(2, KIND_STATEMENT), 1)]);
}

#[test]
fn step_over_at_the_last_statement_stops_in_the_caller() {
    let (port, stops) = debugged(7, 0, &[STEP_OVER]);
    set_breakpoint(&port, 5);
    run_a_calling_b(&port);
    let seen: Vec<(u32, u32)> = stops.borrow().iter().map(|s| (s.site, s.depth)).collect();
    assert_eq!(seen, [(site(5, KIND_STATEMENT), 2), (site(2, KIND_STATEMENT), 1)]);
}

#[test]
fn step_out_stops_at_the_callers_next_statement() {
    let (port, stops) = debugged(7, 0, &[STEP_OUT]);
    set_breakpoint(&port, 4);
    run_a_calling_b(&port);
    let seen: Vec<(u32, u32, u32)> = stops.borrow().iter().map(|s| (s.reason, s.site, s.depth)).collect();
    assert_eq!(seen, [(REASON_BREAKPOINT, site(4, KIND_ENTRY), 2), (REASON_STEP, site(2, KIND_STATEMENT), 1)]);
}

#[test]
fn pause_stops_at_the_next_site_of_any_kind_and_an_exit_stop_keeps_its_frame() {
    let (port, stops) = debugged(7, 0, &[]);
    visit(&port, site(0, KIND_ENTRY), no_snapshot);
    visit(&port, site(4, KIND_ENTRY), no_snapshot);
    // The adapter's pause: it writes step_mode while the guest runs Wasm (in_wasm = 1).
    // SAFETY: leaked mailbox, no reference held by the probe between calls.
    unsafe { (*port.mailbox).step_mode = STEP_PAUSE };
    visit(&port, site(6, KIND_EXIT), no_snapshot);
    let b = Frame { entry_site: site(4, KIND_ENTRY), site: site(6, KIND_EXIT) };
    let a = Frame { entry_site: site(0, KIND_ENTRY), site: site(0, KIND_ENTRY) };
    assert_eq!(*stops.borrow(), [Stop { reason: REASON_PAUSE, site: site(6, KIND_EXIT), depth: 2, frames: vec![a, b] }]);
    assert_eq!(mailbox(&port).depth, 1, "the exit pops its frame after the stop");
    assert_eq!(mailbox(&port).step_mode, STEP_RUN);
}

#[test]
fn after_a_memory_grow_the_mailbox_says_where_linear_memory_is_without_a_stop() {
    let (port, stops) = debugged(7, 1, &[]);
    visit(&port, site(0, KIND_ENTRY), no_snapshot);
    // Even a pause, which stops at any site, does not stop here: MEMORY_GROWN is no site.
    // SAFETY: leaked mailbox, no reference held by the probe between calls.
    unsafe { (*port.mailbox).step_mode = STEP_PAUSE };
    let answer = port.probe(MEMORY_GROWN, |snap| {
        assert!(snap.globals.is_empty(), "a grow reads no globals");
        snap.memory = (0x40_0000, 17 * 65536);
    });
    assert_eq!(answer, 0);
    let m = mailbox(&port);
    assert!(stops.borrow().is_empty());
    assert_eq!((m.stops, m.depth, m.current_site), (0, 1, site(0, KIND_ENTRY)), "the shadow stack is as it was");
    assert_eq!((m.memory_base, m.memory_size), (0x40_0000, 17 * 65536));
}

#[test]
fn frames_deeper_than_the_capacity_are_counted_not_stored() {
    let (port, _) = debugged(2, 0, &[]);
    for _ in 0..FRAME_CAPACITY + 5 {
        visit(&port, site(0, KIND_ENTRY), no_snapshot);
        visit(&port, site(1, KIND_STATEMENT), no_snapshot);
    }
    assert_eq!(mailbox(&port).depth, FRAME_CAPACITY + 5);
    for _ in 0..FRAME_CAPACITY + 5 {
        visit(&port, site(1, KIND_EXIT), no_snapshot);
    }
    assert_eq!(mailbox(&port).depth, 0);
}

#[test]
fn a_site_outside_the_table_has_no_breakpoint_bit() {
    let (port, stops) = debugged(1, 0, &[]);
    set_breakpoint(&port, 0);
    visit(&port, site(9, KIND_ENTRY), no_snapshot);
    assert!(stops.borrow().is_empty());
}

#[test]
fn a_trap_stops_with_the_stack_it_left_then_empties_it() {
    let (port, stops) = debugged(7, 1, &[]);
    port.in_wasm(true);
    assert_eq!(mailbox(&port).in_wasm, 1);
    for s in [site(0, KIND_ENTRY), site(1, KIND_STATEMENT), site(4, KIND_ENTRY), site(5, KIND_STATEMENT)] {
        visit(&port, s, no_snapshot);
    }
    port.trapped(3, |snap| snap.memory = (0x2000, 131072));
    let stop = stops.borrow()[0].clone();
    assert_eq!((stop.reason, stop.depth, stop.frames.len()), (REASON_TRAP, 2, 2));
    assert_eq!(stop.frames[1].site, site(5, KIND_STATEMENT));
    let m = mailbox(&port);
    assert_eq!((m.trap_code, m.depth, m.memory_size), (3, 0, 131072));
    port.in_wasm(false);
    assert_eq!(mailbox(&port).in_wasm, 0);
}

#[test]
fn each_host_call_starts_with_an_empty_shadow_stack() {
    let (port, _) = debugged(7, 0, &[]);
    visit(&port, site(0, KIND_ENTRY), no_snapshot);
    port.in_wasm(true);
    assert_eq!(mailbox(&port).depth, 0);
}

#[test]
fn trap_codes_keep_the_numbers_the_adapter_decodes() {
    use wasmi::TrapCode::*;
    let codes = [
        UnreachableCodeReached,
        MemoryOutOfBounds,
        TableOutOfBounds,
        IndirectCallToNull,
        IntegerDivisionByZero,
        IntegerOverflow,
        BadConversionToInteger,
        StackOverflow,
        BadSignature,
        OutOfFuel,
        GrowthOperationLimited,
        OutOfSystemMemory,
    ];
    let numbers: Vec<u32> = codes.into_iter().map(|code| trap_code(Some(code))).collect();
    assert_eq!(numbers, (0..12).collect::<Vec<u32>>());
    assert_eq!(trap_code(None), TRAP_HOST_ERROR);
}

#[test]
fn an_entry_answers_its_frame_s_row_of_value_slots_and_defers_its_stop() {
    let (port, stops) = debugged(7, 0, &[]);
    // A recursion: each frame its own row, whatever function it runs.
    assert_eq!(port.probe(site(0, KIND_ENTRY), no_snapshot), 0 << 1);
    assert_eq!(port.probe(site(4, KIND_ENTRY), no_snapshot), 1 << 1);
    assert_eq!(port.probe(site(4, KIND_ENTRY), no_snapshot), 2 << 1);
    assert_eq!(port.probe(site(5, KIND_STATEMENT), no_snapshot), 0);
    set_breakpoint(&port, 4);
    // The entry does not stop: it says so (bit 0), and the stop comes with kind 3.
    assert_eq!(port.probe(site(4, KIND_ENTRY), no_snapshot), 3 << 1 | 1);
    assert!(stops.borrow().is_empty());
    port.probe(site(4, KIND_ENTRY_STOP), |snap| snap.values = (0x20_0000, 4 * 65536));
    let stop = stops.borrow()[0].clone();
    assert_eq!((stop.reason, stop.site, stop.depth), (REASON_BREAKPOINT, site(4, KIND_ENTRY), 4));
    assert_eq!(stop.frames[3], Frame { entry_site: site(4, KIND_ENTRY), site: site(4, KIND_ENTRY) });
    assert_eq!((mailbox(&port).values, mailbox(&port).values_size), (0x20_0000, 4 * 65536));
    // A deferred stop leaves the stack as it is.
    assert_eq!(mailbox(&port).depth, 4);
}

#[test]
fn frames_deeper_than_the_capacity_share_the_last_row() {
    let (port, _) = debugged(7, 0, &[]);
    for _ in 0..FRAME_CAPACITY {
        port.probe(site(0, KIND_ENTRY), no_snapshot);
    }
    assert_eq!(port.probe(site(0, KIND_ENTRY), no_snapshot) >> 1, FRAME_CAPACITY);
    assert_eq!(port.probe(site(0, KIND_ENTRY), no_snapshot) >> 1, FRAME_CAPACITY);
}

#[test]
fn a_stop_whose_debugger_wrote_a_value_slot_answers_1_once_and_clears_the_flag() {
    // The debugger writes a slot (sets `locals_written`) at the first and third stops only.
    let mut stop = 0;
    let (port, _) = port_with(7, move |m| {
        stop += 1;
        m.locals_written = (stop != 2) as u32;
        m.step_mode = STEP_INTO;
    });
    port.set_up(0);
    set_breakpoint(&port, 0);
    assert_eq!(port.probe(site(0, KIND_ENTRY), no_snapshot), 0 << 1 | 1);
    assert_eq!(port.probe(site(0, KIND_ENTRY_STOP), no_snapshot), 1);
    assert_eq!(mailbox(&port).locals_written, 0);
    assert_eq!(port.probe(site(1, KIND_STATEMENT), no_snapshot), 0);
    assert_eq!(port.probe(site(2, KIND_STATEMENT), no_snapshot), 1);
    assert_eq!(mailbox(&port).locals_written, 0);
}

#[test]
fn without_a_stop_the_probe_answers_0_and_leaves_the_flag_alone() {
    let (port, stops) = debugged(7, 0, &[]);
    port.probe(site(0, KIND_ENTRY), no_snapshot);
    // SAFETY: leaked mailbox, no reference held by the probe between calls.
    unsafe { (*port.mailbox).locals_written = 1 };
    assert_eq!(port.probe(site(1, KIND_STATEMENT), no_snapshot), 0);
    assert_eq!(port.probe(site(2, KIND_EXIT), no_snapshot), 0);
    assert!(stops.borrow().is_empty());
    assert_eq!(mailbox(&port).locals_written, 1);
}
