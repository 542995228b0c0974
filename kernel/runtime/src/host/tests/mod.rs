//! The host's unit tests, one file per concern of `host/` (its public surface is tested in runtime/tests/).

mod component_debugger;
mod debugger;
mod outcome;
mod slight_http_server;
