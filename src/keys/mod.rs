//! The key ring (being written).
