//! Tests of the component model parts, one file per concern.

mod canonical;
mod handles;
mod instance;
mod load;
mod types;
