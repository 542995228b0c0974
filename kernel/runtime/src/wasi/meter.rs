//! Bytes one instance's host objects hold (header fields and bodies), charged as they grow and
//! released as they drop: a guest that clones fields or writes bodies in a loop meets a trap at
//! [`HOST_BYTES`], not an exhausted kernel heap; one that keeps every request it is handed meets
//! a trap at its next host call.

use crate::component::Trap;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::Cell;
use core::ops::Deref;

/// Most bytes of fields and bodies one instance may make the host hold: as much as its linear
/// memory may have, and four of the largest response bodies.
pub const HOST_BYTES: usize = 64 << 20;

/// Shared by a host and every object it made; counts what they hold.
#[derive(Clone, Default)]
pub struct Meter(Rc<Cell<usize>>);

impl Meter {
    /// Takes `bytes` more, unless that would pass [`HOST_BYTES`].
    pub fn charge(&self, bytes: usize) -> Result<(), Trap> {
        let held = self.0.get().saturating_add(bytes);
        if held > HOST_BYTES {
            return Err(Trap::new(alloc::format!("the instance's host objects would exceed {HOST_BYTES} bytes")));
        }
        self.0.set(held);
        Ok(())
    }

    /// Takes `bytes` that came from outside (a request's headers), whatever the total: the guest
    /// did not ask for them, and the next charge it asks for fails if they pass the limit.
    pub fn force(&self, bytes: usize) {
        self.0.set(self.0.get().saturating_add(bytes));
    }

    pub fn release(&self, bytes: usize) {
        self.0.set(self.0.get().saturating_sub(bytes));
    }

    /// The bytes held now.
    pub fn held(&self) -> usize {
        self.0.get()
    }

    /// A trap if what arrived from outside took the host past [`HOST_BYTES`].
    pub fn check(&self) -> Result<(), Trap> {
        self.charge(0)
    }
}

/// Bytes that came from outside (a request's body, a response's), held on a meter until dropped.
pub struct HeldBytes {
    bytes: Vec<u8>,
    meter: Meter,
}

impl HeldBytes {
    pub fn new(meter: &Meter, bytes: Vec<u8>) -> HeldBytes {
        meter.force(bytes.len());
        HeldBytes { bytes, meter: meter.clone() }
    }
}

impl Deref for HeldBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for HeldBytes {
    fn drop(&mut self) {
        self.meter.release(self.bytes.len());
    }
}
