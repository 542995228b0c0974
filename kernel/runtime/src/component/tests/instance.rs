//! Loading and running components written in the component text format against a small host:
//! imports linked by semver-compatible interface names, strings and resources across the boundary,
//! and every refusal naming what it refuses.

use crate::component::*;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use wasmi::{Config, Engine};

/// `test:demo/host`: a `counter` resource and `greet`.
#[derive(Default)]
struct TestHost {
    counters: Vec<Option<u32>>,
    dropped: Vec<u32>,
}

const COUNTER: u32 = 7;

impl Host for TestHost {
    fn interface_version(interface: &str) -> Option<&'static str> {
        (interface == "test:demo/host").then_some("0.1.3")
    }

    fn function(interface: &str, name: &str) -> Option<u32> {
        if interface != "test:demo/host" {
            return None;
        }
        ["[constructor]counter", "[method]counter.add", "greet"].iter().position(|n| *n == name).map(|i| i as u32)
    }

    fn resource(interface: &str, name: &str) -> Option<u32> {
        (interface == "test:demo/host" && name == "counter").then_some(COUNTER)
    }

    fn call(&mut self, func: u32, args: &mut Args) -> Result<Option<Val>, Trap> {
        Ok(Some(match func {
            0 => {
                self.counters.push(Some(args.u32()?));
                Val::Own(self.counters.len() as u32 - 1)
            }
            1 => {
                let rep = args.resource()?;
                let n = args.u32()?;
                let counter = self.counters.get_mut(rep as usize).and_then(Option::as_mut).ok_or_else(|| Trap::new("no such counter"))?;
                *counter += n;
                Val::U32(*counter)
            }
            _ => Val::String(alloc::format!("hello, {}", args.string()?)),
        }))
    }

    fn drop_resource(&mut self, kind: u32, rep: u32) -> Result<(), Trap> {
        assert_eq!(kind, COUNTER);
        self.counters[rep as usize] = None;
        self.dropped.push(rep);
        Ok(())
    }
}

/// A component importing `test:demo/host@0.1.0` and exporting `test:demo/run@0.1.0` with `run`
/// (greets through the host), `count` (a counter made, added to, dropped), `bad-handle`, `spin`.
/// `OPTIONS` goes into the lowering of `greet`.
const DEMO: &str = r#"
(component
  (import "test:demo/host@0.1.0" (instance $host
    (export "counter" (type $counter (sub resource)))
    (export "[constructor]counter" (func (param "start" u32) (result (own $counter))))
    (export "[method]counter.add" (func (param "self" (borrow $counter)) (param "n" u32) (result u32)))
    (export "greet" (func (param "name" string) (result string)))))
  (alias export $host "counter" (type $counter))
  (alias export $host "[constructor]counter" (func $new))
  (alias export $host "[method]counter.add" (func $add))
  (alias export $host "greet" (func $greet))
  (core module $libc
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
      global.get $next
      local.get 2 i32.add i32.const 1 i32.sub
      i32.const 0 local.get 2 i32.sub i32.and
      local.tee $p local.get 3 i32.add global.set $next
      local.get $p))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $new_lowered (canon lower (func $new)))
  (core func $add_lowered (canon lower (func $add)))
  (core func $greet_lowered (canon lower (func $greet) (memory $mem) (realloc $realloc) OPTIONS))
  (core func $drop (canon resource.drop $counter))
  (core instance $imports
    (export "new" (func $new_lowered)) (export "add" (func $add_lowered))
    (export "greet" (func $greet_lowered)) (export "drop" (func $drop)))
  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "new" (func $new (param i32) (result i32)))
    (import "host" "add" (func $add (param i32 i32) (result i32)))
    (import "host" "greet" (func $greet (param i32 i32 i32)))
    (import "host" "drop" (func $drop (param i32)))
    (func (export "run") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.const 16 call $greet
      i32.const 16)
    (func (export "count") (param i32 i32) (result i32) (local $h i32) (local $r i32)
      local.get 0 call $new local.set $h
      local.get $h local.get 1 call $add local.set $r
      local.get $h call $drop
      local.get $r)
    (func (export "bad-handle") (result i32)
      i32.const 99 i32.const 1 call $add)
    (func (export "spin") (loop br 0)))
  (core instance $main (instantiate $main (with "libc" (instance $libc)) (with "host" (instance $imports))))
  (func $run (param "name" string) (result string) (canon lift (core func $main "run") (memory $mem) (realloc $realloc)))
  (func $count (param "start" u32) (param "n" u32) (result u32) (canon lift (core func $main "count")))
  (func $bad (result u32) (canon lift (core func $main "bad-handle")))
  (func $spin (canon lift (core func $main "spin")))
  (instance $exports (export "run" (func $run)) (export "count" (func $count)) (export "bad-handle" (func $bad)) (export "spin" (func $spin)))
  (export "test:demo/run@0.1.0" (instance $exports)))
"#;

fn engine() -> Engine {
    let mut config = Config::default();
    config.consume_fuel(true);
    Engine::new(&config)
}

fn compile(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("valid component text")
}

fn load<H: Host>(text: &str) -> Result<Component<H>, LoadError> {
    Component::<H>::load(&engine(), &compile(text))
}

const LIMITS: Limits = Limits { max_memory: 1 << 20, init_fuel: 1_000_000 };

fn instance() -> (Component<TestHost>, Instance<TestHost>) {
    let component = load::<TestHost>(&DEMO.replace("OPTIONS", "")).unwrap();
    let instance = Instance::new(&component, TestHost::default(), LIMITS).unwrap();
    (component, instance)
}

fn call(instance: &mut Instance<TestHost>, component: &Component<TestHost>, func: &str, args: Vec<Val>) -> Result<Option<Val>, CallError> {
    instance.store.set_fuel(1_000_000).unwrap();
    let lifted = component.export("test:demo/run@0.1.0", func).unwrap().clone();
    instance.call(&lifted, args)
}

#[test]
fn a_string_goes_to_the_host_and_its_answer_back_through_realloc() {
    let (component, mut instance) = instance();
    let got = call(&mut instance, &component, "run", vec![Val::String("wörld".into())]).unwrap();
    assert_eq!(got, Some(Val::String("hello, wörld".into())));
}

#[test]
fn a_host_resource_is_made_borrowed_and_dropped_through_handles() {
    let (component, mut instance) = instance();
    let got = call(&mut instance, &component, "count", vec![Val::U32(5), Val::U32(3)]).unwrap();
    assert_eq!(got, Some(Val::U32(8)));
    assert_eq!(instance.store.data().host.dropped, vec![0]);
    assert_eq!(instance.handles().live(), 0);
}

#[test]
fn a_bad_handle_is_a_trap_naming_the_function_and_the_handle() {
    let (component, mut instance) = instance();
    let Err(CallError::Trap(why, _)) = call(&mut instance, &component, "bad-handle", vec![]) else { panic!("no trap") };
    assert!(why.contains("test:demo/host@0.1.0#[method]counter.add") && why.contains("unknown resource handle 99"), "{why}");
}

#[test]
fn running_out_of_fuel_is_told_apart_from_a_trap() {
    let (component, mut instance) = instance();
    assert_eq!(call(&mut instance, &component, "spin", vec![]), Err(CallError::OutOfFuel));
}

#[test]
fn exports_are_found_by_a_semver_compatible_name() {
    let (component, _) = instance();
    assert!(component.export("test:demo/run@0.1.9", "run").is_some());
    assert!(component.export("test:demo/run@0.2.0", "run").is_none());
    assert!(component.export("test:demo/run@0.1.0", "walk").is_none());
    assert_eq!(component.imports, vec![String::from("test:demo/host@0.1.0")]);
}

/// A host offering `test:demo/host` without `greet`.
struct NoGreet;

impl Host for NoGreet {
    fn interface_version(interface: &str) -> Option<&'static str> {
        TestHost::interface_version(interface)
    }
    fn function(interface: &str, name: &str) -> Option<u32> {
        TestHost::function(interface, name).filter(|_| name != "greet")
    }
    fn resource(interface: &str, name: &str) -> Option<u32> {
        TestHost::resource(interface, name)
    }
    fn call(&mut self, _: u32, _: &mut Args) -> Result<Option<Val>, Trap> {
        unreachable!()
    }
    fn drop_resource(&mut self, _: u32, _: u32) -> Result<(), Trap> {
        unreachable!()
    }
}

/// A host whose `test:demo/host` is version 0.2.
struct NewerHost;

impl Host for NewerHost {
    fn interface_version(interface: &str) -> Option<&'static str> {
        TestHost::interface_version(interface).map(|_| "0.2.0")
    }
    fn function(interface: &str, name: &str) -> Option<u32> {
        TestHost::function(interface, name)
    }
    fn resource(interface: &str, name: &str) -> Option<u32> {
        TestHost::resource(interface, name)
    }
    fn call(&mut self, _: u32, _: &mut Args) -> Result<Option<Val>, Trap> {
        unreachable!()
    }
    fn drop_resource(&mut self, _: u32, _: u32) -> Result<(), Trap> {
        unreachable!()
    }
}

#[test]
fn an_import_the_host_does_not_offer_fails_the_load_naming_it() {
    let demo = DEMO.replace("OPTIONS", "");
    let e = load::<NoGreet>(&demo).err().unwrap();
    assert_eq!(e.to_string(), "the component imports test:demo/host@0.1.0#greet, which this host does not offer");
    let e = load::<NewerHost>(&demo).err().unwrap();
    assert!(e.to_string().contains("test:demo/host@0.1.0 (this host implements test:demo/host@0.2.0)"), "{e}");
}

#[test]
fn what_the_runtime_does_not_support_is_refused_by_name() {
    let utf16 = load::<TestHost>(&DEMO.replace("OPTIONS", "string-encoding=utf16")).err().unwrap();
    assert_eq!(utf16.to_string(), "unsupported component feature: string-encoding=utf16 (only UTF-8 strings are)");
    let nested = load::<TestHost>("(component (component (core module)))").err().unwrap();
    assert_eq!(nested.to_string(), "unsupported component feature: a nested component that does more than re-export what it imports");
    let stream = load::<TestHost>("(component (type (stream u8)))").err().unwrap();
    assert!(matches!(stream, LoadError::Unsupported(_)), "{stream}");
    let garbage = Component::<TestHost>::load(&engine(), b"\0asm\x0d\0\x01\0\xff").err().unwrap();
    assert!(matches!(garbage, LoadError::Invalid(_)), "{garbage}");
}
