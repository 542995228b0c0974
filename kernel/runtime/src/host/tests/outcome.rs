//! The status of each way a handler call can end (`outcome::respond` after `slight_dispatch::returned`).

use crate::abi::{GuestHttpError, GuestResponse};
use crate::host::outcome::{respond, Outcome};
use crate::host::slight_dispatch::returned;

fn ok(status: u16) -> Outcome {
    returned(Ok(GuestResponse { status, headers: None, body: Some(b"x".to_vec()) }))
}

#[test]
fn outcomes_map_to_statuses() {
    let status = |o: Outcome, kv_down: bool| respond(o, kv_down).status;
    assert_eq!(status(ok(201), false), 201);
    assert_eq!(status(ok(201), true), 201, "a handler that coped with the outage answers itself");
    assert_eq!(status(ok(199), false), 500);
    assert_eq!(status(ok(600), false), 500);
    assert_eq!(status(returned(Err(GuestHttpError::StatusError(418))), false), 418);
    assert_eq!(status(returned(Err(GuestHttpError::StatusError(200))), false), 500);
    assert_eq!(status(returned(Err(GuestHttpError::UnexpectedError("e".into()))), false), 500);
    assert_eq!(status(returned(Err(GuestHttpError::TimeoutError("e".into()))), true), 503);
    assert_eq!(status(Outcome::Trapped("t".into()), false), 500);
    assert_eq!(status(Outcome::Trapped("t".into()), true), 503);
    assert_eq!(status(Outcome::OutOfFuel, true), 504);
    assert_eq!(respond(ok(200), false).body, b"x");
}
