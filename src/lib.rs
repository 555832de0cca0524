#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use vigil_macros::*;
pub use vigil_runtime::*;
