//! massive-sim
