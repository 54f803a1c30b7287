//! Deliberate defects, for showing that the conformance runner catches real bugs.
//!
//! Only a build with the `defects` cargo feature has them, and only those named in
//! `IDENTITA_DEFECTS` (comma-separated) are switched on:
//!
//! | name | what breaks |
//! |---|---|
//! | `replayable-code` | an authorization code can be redeemed again |
//! | `drop-nonce` | ID tokens lose their `nonce` |
//! | `wrong-kid` | ID tokens name a `kid` that is not in the JWKS |
//! | `drop-state` | authorization responses lose their `state` |
//! | `ignore-prompt-login` | `prompt=login` does not make the person log in again |
//! | `prompt-none-page` | `prompt=none` shows the login or consent page instead of answering |
//! | `error-page-500` | the error page for a request that cannot be redirected is a bare 500 |
//!
//! A normal build compiles every check to `false`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    ReplayableCode,
    DropNonce,
    WrongKid,
    DropState,
    IgnorePromptLogin,
    PromptNonePage,
    ErrorPage500,
}

impl Defect {
    pub fn name(self) -> &'static str {
        match self {
            Self::ReplayableCode => "replayable-code",
            Self::DropNonce => "drop-nonce",
            Self::WrongKid => "wrong-kid",
            Self::DropState => "drop-state",
            Self::IgnorePromptLogin => "ignore-prompt-login",
            Self::PromptNonePage => "prompt-none-page",
            Self::ErrorPage500 => "error-page-500",
        }
    }
}

/// Whether `defect` is switched on in this process.
#[cfg(feature = "defects")]
pub fn on(defect: Defect) -> bool {
    use std::sync::OnceLock;
    static ACTIVE: OnceLock<Vec<String>> = OnceLock::new();
    let active = ACTIVE.get_or_init(|| {
        let names: Vec<String> = std::env::var("IDENTITA_DEFECTS")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if !names.is_empty() {
            tracing::warn!(
                ?names,
                "DELIBERATE DEFECTS ARE SWITCHED ON: this build is for testing the conformance runner"
            );
        }
        names
    });
    active.iter().any(|n| n == defect.name())
}

#[cfg(not(feature = "defects"))]
pub fn on(_defect: Defect) -> bool {
    false
}
