pub mod loa;
