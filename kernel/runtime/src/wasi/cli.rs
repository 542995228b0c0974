//! `wasi:cli`: environment and arguments as configured, exit as a trap, stdin empty, stdout and
//! stderr to the platform's console, and no terminal.

use super::io::{InputStream, OutputStream};
use super::objects::{Kind, Object};
use super::{HostFn, WasiHost};
use crate::component::{Args, Trap, Val};

fn environment(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    let vars = h.environment.iter().map(|(k, v)| Val::Tuple(alloc::vec![Val::String(k.clone()), Val::String(v.clone())])).collect();
    Ok(Some(Val::List(vars)))
}

fn arguments(h: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::List(h.arguments.iter().cloned().map(Val::String).collect())))
}

fn initial_cwd(_: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::none()))
}

fn exit(_: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    let (case, _) = a.variant()?;
    Err(Trap::new(if case == 0 { "the component called exit(ok)" } else { "the component called exit(err)" }))
}

fn exit_with_code(_: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    Err(Trap::new(alloc::format!("the component called exit-with-code({})", a.u8()?)))
}

fn stream(h: &mut WasiHost, object: Object) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::Own(h.objects.insert(object))))
}

fn no_terminal(_: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::none()))
}

pub(super) const FUNCTIONS: &[(&str, &str, HostFn)] = &[
    ("wasi:cli/environment", "get-environment", environment),
    ("wasi:cli/environment", "get-arguments", arguments),
    ("wasi:cli/environment", "initial-cwd", initial_cwd),
    ("wasi:cli/exit", "exit", exit),
    ("wasi:cli/exit", "exit-with-code", exit_with_code),
    ("wasi:cli/stdin", "get-stdin", |h, _| stream(h, Object::InputStream(InputStream::Empty))),
    ("wasi:cli/stdout", "get-stdout", |h, _| stream(h, Object::OutputStream(OutputStream::Stdout))),
    ("wasi:cli/stderr", "get-stderr", |h, _| stream(h, Object::OutputStream(OutputStream::Stderr))),
    ("wasi:cli/terminal-stdin", "get-terminal-stdin", no_terminal),
    ("wasi:cli/terminal-stdout", "get-terminal-stdout", no_terminal),
    ("wasi:cli/terminal-stderr", "get-terminal-stderr", no_terminal),
];

pub(super) const RESOURCES: &[(&str, &str, Kind)] = &[
    ("wasi:cli/terminal-input", "terminal-input", Kind::TerminalInput),
    ("wasi:cli/terminal-output", "terminal-output", Kind::TerminalOutput),
];

/// The interfaces of `wasi:cli` this host offers (`run` is the component's to export).
pub(super) const INTERFACES: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];
