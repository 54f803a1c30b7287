//! The back office's domain: what clerks and operators decide about people, and the audit log
//! that records every decision.

pub mod actor;
pub mod audit;
pub mod clerks;
pub mod czech_point;
pub mod persons;
