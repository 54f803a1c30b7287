//! The back office's domain: what clerks and operators decide about people, and the audit log
//! that records every decision; mojeID's accounts and their validation, and the data-box
//! simulator its data-box paths use.

pub mod audit;
pub mod databox;
pub mod mojeid;
