//! A component instance's resource handle table (CanonicalABI.md `HandleTable`): the guest holds
//! indexes, the table holds each handle's resource type, representation and ownership.

use super::types::ResourceType;
use super::Trap;
use alloc::vec::Vec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    pub ty: ResourceType,
    /// The host's object key for a host resource, the guest's `rep` for its own.
    pub rep: u32,
    /// `own` (the guest must drop it) or `borrow` (valid for one call into the guest).
    pub own: bool,
}

/// Index 0 is never a handle, so a zeroed i32 is never mistaken for one.
#[derive(Debug, Default)]
pub struct HandleTable {
    slots: Vec<Option<Handle>>,
    free: Vec<u32>,
    live: usize,
}

/// Most handles one instance may hold: a guest that leaks them in a loop meets a trap, not an
/// exhausted kernel heap.
pub const MAX_HANDLES: usize = 1 << 16;

impl HandleTable {
    pub fn add(&mut self, handle: Handle) -> Result<u32, Trap> {
        if self.live >= MAX_HANDLES {
            return Err(Trap::new(alloc::format!("the guest holds {MAX_HANDLES} resource handles, the host's limit")));
        }
        self.live += 1;
        if let Some(index) = self.free.pop() {
            self.slots[index as usize] = Some(handle);
            return Ok(index);
        }
        if self.slots.is_empty() {
            self.slots.push(None);
        }
        self.slots.push(Some(handle));
        Ok(self.slots.len() as u32 - 1)
    }

    /// The handle at `index`, which must be of type `ty`.
    pub fn get(&self, index: u32, ty: ResourceType) -> Result<Handle, Trap> {
        let handle = self.slots.get(index as usize).copied().flatten().ok_or_else(|| unknown(index))?;
        if handle.ty != ty {
            return Err(Trap::new(alloc::format!("resource handle {index} is a {}, not a {ty}", handle.ty)));
        }
        Ok(handle)
    }

    /// Takes the handle at `index` out of the table (a drop, or an `own` passed away).
    pub fn remove(&mut self, index: u32) -> Result<Handle, Trap> {
        let handle = self.slots.get_mut(index as usize).and_then(Option::take).ok_or_else(|| unknown(index))?;
        self.free.push(index);
        self.live -= 1;
        Ok(handle)
    }

    /// Takes an owned handle of type `ty` out of the table (an `own<T>` argument).
    pub fn remove_own(&mut self, index: u32, ty: ResourceType) -> Result<Handle, Trap> {
        let handle = self.get(index, ty)?;
        if !handle.own {
            return Err(Trap::new(alloc::format!("resource handle {index} is borrowed, an owned one was passed")));
        }
        self.remove(index)
    }

    /// The handles still held, owned or borrowed.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Every handle left (for the host to release its objects when an instance goes away).
    pub fn drain(&mut self) -> impl Iterator<Item = Handle> + '_ {
        self.free.clear();
        self.live = 0;
        self.slots.drain(..).flatten()
    }
}

fn unknown(index: u32) -> Trap {
    Trap::new(alloc::format!("unknown resource handle {index}"))
}
