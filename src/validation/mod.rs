//! The back office's domain: what clerks and operators decide about people, and the audit log
//! that records every decision; mojeID's accounts and their validation, and the data-box
//! simulator its data-box paths use.

pub mod actor;
pub mod audit;
pub mod clerks;
pub mod czech_point;
pub mod databox;
pub mod meg_enrollment;
pub mod mojeid;
pub mod nia_id;
pub mod persons;
pub mod recipients;
