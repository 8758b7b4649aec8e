//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod sim;
pub mod strategies;
pub mod wire;
