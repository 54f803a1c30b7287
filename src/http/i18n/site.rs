//! The frame of every page.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The frame of every page.
#[derive(Debug)]
pub struct Site {
    pub brand: &'static str,
    pub tagline: &'static str,
}

pub const CS: Site = Site { brand: "identita", tagline: "Náhradní poskytovatel identity pro vývoj a testování" };

pub const EN: Site = Site { brand: "identita", tagline: "Stand-in identity provider for development and testing" };
