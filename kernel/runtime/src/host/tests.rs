use super::*;
use crate::abi::{GuestHttpError, GuestResponse};

fn ok(status: u16) -> Outcome {
    Outcome::Returned(Ok(GuestResponse { status, headers: None, body: Some(b"x".to_vec()) }))
}

#[test]
fn outcomes_map_to_statuses() {
    let status = |o: Outcome, kv_down: bool| respond(o, kv_down).status;
    assert_eq!(status(ok(201), false), 201);
    assert_eq!(status(ok(201), true), 201, "a handler that coped with the outage answers itself");
    assert_eq!(status(ok(199), false), 500);
    assert_eq!(status(ok(600), false), 500);
    assert_eq!(status(Outcome::Returned(Err(GuestHttpError::StatusError(418))), false), 418);
    assert_eq!(status(Outcome::Returned(Err(GuestHttpError::StatusError(200))), false), 500);
    assert_eq!(status(Outcome::Returned(Err(GuestHttpError::UnexpectedError("e".into()))), false), 500);
    assert_eq!(status(Outcome::Returned(Err(GuestHttpError::TimeoutError("e".into()))), true), 503);
    assert_eq!(status(Outcome::Trapped("t".into()), false), 500);
    assert_eq!(status(Outcome::Trapped("t".into()), true), 503);
    assert_eq!(status(Outcome::OutOfFuel, true), 504);
    assert_eq!(respond(ok(200), false).body, b"x");
}

#[test]
fn addresses_need_a_host_and_port() {
    assert_eq!(port_of("0.0.0.0:3000"), Some(3000));
    assert_eq!(port_of("[::1]:80"), Some(80));
    assert_eq!(port_of(":80"), None);
    assert_eq!(port_of("host"), None);
    assert_eq!(port_of("host:99999"), None);
}
