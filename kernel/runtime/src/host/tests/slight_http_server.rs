//! The address `server.serve` takes.

use crate::host::slight_http_server::port_of;

#[test]
fn addresses_need_a_host_and_port() {
    assert_eq!(port_of("0.0.0.0:3000"), Some(3000));
    assert_eq!(port_of("[::1]:80"), Some(80));
    assert_eq!(port_of(":80"), None);
    assert_eq!(port_of("host"), None);
    assert_eq!(port_of("host:99999"), None);
}
