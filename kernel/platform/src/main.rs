//! The Uniwasm unikernel: booted by QEMU through PVH, it brings up the console, clock, heap
//! and virtio-net, hands the app module to the runtime, and serves HTTP from one poll loop.
#![no_std]
#![no_main]

extern crate alloc;

mod apic;
mod app;
mod boot;
mod clock;
mod cpu;
mod debug;
mod exit;
mod http;
mod http_client;
mod memory;
mod net;
mod random;
mod redis_tcp;
mod serial;
mod trace;
mod virtio;
mod wasi_platform;

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use exit::boot_failed;
use random::Random;
use wasi_platform::KernelWasi;
use uniwasm_runtime::cmdline::{self, LogLevel, Settings};
use uniwasm_runtime::host::{NoStore, Serve};
use uniwasm_runtime::kv::KeyValueStore;

/// Called by the entry code in boot.rs, in long mode on the boot stack.
#[no_mangle]
extern "C" fn kmain(start_info: u32) -> ! {
    clock::mark_boot();
    cpu::init();
    apic::init();
    clock::start_calibration();
    serial::init();

    let boot = boot::read_start_info(start_info).unwrap_or_else(|e| boot_failed(e));
    let (heap_start, heap_end) = memory::init_heap(&boot).unwrap_or_else(|e| boot_failed(e));
    let settings = parse_cmdline(boot.cmdline);
    let (image_start, image_end) = boot::kernel_range();
    log::info!(
        "uniwasm kernel {}: image {} KiB, heap {} MiB at {heap_start:#x}, TSC {} MHz",
        env!("CARGO_PKG_VERSION"),
        (image_end - image_start) / 1024,
        (heap_end - heap_start) >> 20,
        clock::tsc_hz() / 1_000_000
    );
    if settings.probe {
        log::info!("probe: ok");
        exit::exit(exit::Exit::ProbeOk);
    }

    let module = boot.module.unwrap_or_else(|| boot_failed("no app module: pass the app's .wasm with QEMU -initrd"));
    // The clock was calibrated while booting this far; it only waits if that took < 0.5 ms.
    clock::finish_calibration();
    if clock::pit_missing() {
        log::warn!("clock: no PIT answered; assuming a {} MHz TSC", clock::tsc_hz() / 1_000_000);
    }

    // The network comes first: the app's `init` may already use Redis.
    let device = virtio::find_net().unwrap_or_else(|e| boot_failed(e));
    let net = Rc::new(RefCell::new(net::Net::new(device, &settings.ip)));
    let store: Box<dyn KeyValueStore> = match &settings.redis {
        Some(redis) => Box::new(redis_tcp::client(net.clone(), redis)),
        None => Box::new(NoStore),
    };
    let loaded_at = clock::since_boot_us();
    // `wasm_debug=N`: the runtime sets the debug mailbox up and stops once for the debugger.
    let debug = settings.wasm_debug.map(debug::port);
    let wasi = || {
        let (random, source) = Random::new(settings.seed);
        log::info!("random: {source}");
        KernelWasi::new(net.clone(), random, settings.epoch)
    };
    let app = app::load(module, settings.port, store, wasi, trace::init(), debug).unwrap_or_else(|e| boot_failed(e));
    log::info!("app: started in {} ms", (clock::since_boot_us() - loaded_at) / 1000);
    serve(&net, app, &settings)
}

fn parse_cmdline(raw: &[u8]) -> Settings {
    let line = core::str::from_utf8(raw).unwrap_or_else(|_| boot_failed("the kernel command line is not UTF-8"));
    // Without ACPI, QEMU's microvm appends `virtio_mmio.device=…` words for Linux: not ours.
    let ours: Vec<&str> = line.split_ascii_whitespace().filter(|w| !w.starts_with("virtio_mmio.device=")).collect();
    let settings = cmdline::parse(&ours.join(" ")).unwrap_or_else(|e| boot_failed(e));
    log::set_max_level(match settings.log {
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warn => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
        LogLevel::Trace => log::LevelFilter::Trace,
    });
    settings
}

/// The poll loop: network in, sockets served, network out, sleep until the next event.
fn serve(net: &RefCell<net::Net>, mut app: Box<dyn Serve>, settings: &Settings) -> ! {
    let limits = uniwasm_runtime::http::Limits { max_body: settings.max_body, ..Default::default() };
    let mut http = http::HttpServer::new(&mut net.borrow_mut(), settings.port, limits);
    let mut heap = trace::HeapReport::new();
    let mut ready = false;
    loop {
        net.borrow_mut().poll();
        http.serve(net, &mut *app);
        heap.tick();
        if !ready {
            if let Some(addr) = net.borrow().address() {
                log::info!("ready: listening on {addr}:{}", settings.port);
                ready = true;
            }
        }
        let mut net = net.borrow_mut();
        net.poll();
        net.wait();
    }
}
