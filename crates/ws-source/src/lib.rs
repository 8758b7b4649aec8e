//! ws-source
