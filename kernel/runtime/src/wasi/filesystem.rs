//! `wasi:filesystem`, present with no preopened directory: the preview1 adapter links, and no
//! descriptor can ever exist, so every descriptor method is unreachable (its handle would not lift).

use super::objects::Kind;
use super::{HostFn, WasiHost};
use crate::component::{Args, Trap, Val};

fn no_descriptor(_: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Err(Trap::new("no file descriptor exists: this host preopens no directory"))
}

fn get_directories(_: &mut WasiHost, _: &mut Args) -> Result<Option<Val>, Trap> {
    Ok(Some(Val::List(alloc::vec![])))
}

/// `filesystem-error-code(err)`: no stream error here comes from a file.
fn error_code(_: &mut WasiHost, a: &mut Args) -> Result<Option<Val>, Trap> {
    a.resource()?;
    Ok(Some(Val::none()))
}

const T: &str = "wasi:filesystem/types";

pub(super) const FUNCTIONS: &[(&str, &str, HostFn)] = &[
    ("wasi:filesystem/preopens", "get-directories", get_directories),
    (T, "filesystem-error-code", error_code),
    (T, "[method]descriptor.read-via-stream", no_descriptor),
    (T, "[method]descriptor.write-via-stream", no_descriptor),
    (T, "[method]descriptor.append-via-stream", no_descriptor),
    (T, "[method]descriptor.advise", no_descriptor),
    (T, "[method]descriptor.sync-data", no_descriptor),
    (T, "[method]descriptor.get-flags", no_descriptor),
    (T, "[method]descriptor.get-type", no_descriptor),
    (T, "[method]descriptor.set-size", no_descriptor),
    (T, "[method]descriptor.set-times", no_descriptor),
    (T, "[method]descriptor.read", no_descriptor),
    (T, "[method]descriptor.write", no_descriptor),
    (T, "[method]descriptor.read-directory", no_descriptor),
    (T, "[method]descriptor.sync", no_descriptor),
    (T, "[method]descriptor.create-directory-at", no_descriptor),
    (T, "[method]descriptor.stat", no_descriptor),
    (T, "[method]descriptor.stat-at", no_descriptor),
    (T, "[method]descriptor.set-times-at", no_descriptor),
    (T, "[method]descriptor.link-at", no_descriptor),
    (T, "[method]descriptor.open-at", no_descriptor),
    (T, "[method]descriptor.readlink-at", no_descriptor),
    (T, "[method]descriptor.remove-directory-at", no_descriptor),
    (T, "[method]descriptor.rename-at", no_descriptor),
    (T, "[method]descriptor.symlink-at", no_descriptor),
    (T, "[method]descriptor.unlink-file-at", no_descriptor),
    (T, "[method]descriptor.is-same-object", no_descriptor),
    (T, "[method]descriptor.metadata-hash", no_descriptor),
    (T, "[method]descriptor.metadata-hash-at", no_descriptor),
    (T, "[method]directory-entry-stream.read-directory-entry", no_descriptor),
];

pub(super) const RESOURCES: &[(&str, &str, Kind)] = &[
    (T, "descriptor", Kind::Descriptor),
    (T, "directory-entry-stream", Kind::DirectoryEntryStream),
];
