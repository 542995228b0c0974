//! How a call into an app for one request ended, and the HTTP response for it (any kind of app).

use crate::http::Response;
use alloc::format;
use alloc::string::{String, ToString};
use wasmi::TrapCode;

/// How a handler call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The app answered with this response.
    Answered(Response),
    /// The app said its handler failed; this response answers it unless the key-value store was
    /// unavailable during the call.
    Failed(Response),
    /// A trap, or an ABI violation by the guest.
    Trapped(String),
    OutOfFuel,
}

/// The response for a handler's outcome. `kv_unavailable` says whether the
/// key-value store reported `connection-error` during the call.
pub fn respond(outcome: Outcome, kv_unavailable: bool) -> Response {
    match outcome {
        Outcome::OutOfFuel => Response::text(504, "the handler ran out of fuel"),
        Outcome::Trapped(_) | Outcome::Failed(_) if kv_unavailable => {
            Response::text(503, "the key-value store is unavailable")
        }
        Outcome::Trapped(m) => Response::text(500, &format!("the handler trapped: {m}")),
        Outcome::Answered(r) | Outcome::Failed(r) => r,
    }
}

/// The outcome of a call into the app that failed with `error`. `host_ran_out` says whether a host
/// function's call back into the guest ran out of fuel: wasmi reports that as the host function's
/// error, not as the out-of-fuel trap.
pub(super) fn failed_call(error: &wasmi::Error, host_ran_out: bool) -> Outcome {
    if error.as_trap_code() == Some(TrapCode::OutOfFuel) || host_ran_out {
        Outcome::OutOfFuel
    } else {
        Outcome::Trapped(error.to_string())
    }
}
