//! `uniwasm-host`: the Uniwasm runtime as a Linux process, the baseline the unikernel is measured
//! against. It runs the same `uniwasm-runtime` crate (wasmi, HTTP codec, RESP client) as the
//! kernel, from one single-threaded poll loop like the kernel's, so that a comparison measures the
//! platform underneath (unikernel vs Linux guest vs Linux host), not the app server.
//!
//! usage: uniwasm-host --app FILE.wasm --listen ADDR:PORT [--redis ADDR:PORT]
//!
//! Without `--redis` the app's key-value store lives in memory. Addresses are numeric (no DNS),
//! which keeps the static binary free of glibc's NSS.

mod serve;
mod tcp;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use uniwasm_runtime::host::{App, AppConfig};
use uniwasm_runtime::kv::{KeyValueStore, MemoryStore};
use uniwasm_runtime::resp;

const USAGE: &str = "usage: uniwasm-host --app FILE.wasm --listen ADDR:PORT [--redis ADDR:PORT]";

#[derive(Debug, PartialEq)]
struct Args {
    app: PathBuf,
    listen: SocketAddr,
    redis: Option<SocketAddr>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut app, mut listen, mut redis) = (None, None, None);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let addr = || value.parse::<SocketAddr>().map_err(|e| format!("{flag} {value}: {e} (expected IP:PORT)"));
        match flag.as_str() {
            "--app" => app = Some(PathBuf::from(&value)),
            "--listen" => listen = Some(addr()?),
            "--redis" => redis = Some(addr()?),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(Args {
        app: app.ok_or("--app is required")?,
        listen: listen.ok_or("--listen is required")?,
        redis,
    })
}

fn run(args: Args) -> Result<(), String> {
    let wasm = std::fs::read(&args.app).map_err(|e| format!("cannot read {}: {e}", args.app.display()))?;
    let store: Box<dyn KeyValueStore> = match args.redis {
        Some(addr) => Box::new(resp::Client::new(tcp::StdTcp::new(addr), resp::Config::default())),
        None => Box::new(MemoryStore::default()),
    };
    let started = Instant::now();
    let mut app = App::load(&wasm, store, AppConfig::default())
        .map_err(|e| format!("cannot load {}: {e}", args.app.display()))?;
    let routes: Vec<String> = app.routes().iter().map(|(m, p, _)| format!("{} {p}", m.as_str())).collect();
    eprintln!(
        "uniwasm-host: app of {} bytes loaded in {} ms, routes: {}",
        wasm.len(),
        started.elapsed().as_millis(),
        routes.join(", ")
    );
    serve::serve(args.listen, &mut app).map_err(|e| format!("serving on {}: {e}", args.listen))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("uniwasm-host: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uniwasm-host: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        parse_args(line.split_whitespace().map(String::from))
    }

    #[test]
    fn parses_every_flag_in_any_order() {
        let args = parse("--redis 10.0.2.2:6379 --listen 0.0.0.0:3000 --app /app.wasm").unwrap();
        assert_eq!(
            args,
            Args {
                app: "/app.wasm".into(),
                listen: "0.0.0.0:3000".parse().unwrap(),
                redis: Some("10.0.2.2:6379".parse().unwrap()),
            }
        );
        assert_eq!(parse("--app a.wasm --listen 127.0.0.1:1").unwrap().redis, None);
    }

    #[test]
    fn rejects_missing_bad_and_unknown_arguments() {
        assert_eq!(parse("--listen 127.0.0.1:1").unwrap_err(), "--app is required");
        assert_eq!(parse("--app a.wasm").unwrap_err(), "--listen is required");
        assert_eq!(parse("--app").unwrap_err(), "--app needs a value");
        assert_eq!(parse("--port 3").unwrap_err(), "unknown argument --port");
        assert!(parse("--app a --listen localhost:3000").unwrap_err().contains("expected IP:PORT"));
    }
}
