//! Deliberate defects, for showing that the conformance runner catches real bugs
//! (`conformance/defects.sh`).
//!
//! Only a debug build with the `defects` cargo feature has this module (a release build with the
//! feature does not compile), and only the defects named in `IDENTITA_DEFECTS` (comma-separated)
//! are switched on. None of them lives in the protocol code: the composition root (src/app.rs)
//! wraps what it assembles — a store, the ID-token signer, the router — or sets the persona
//! otherwise, so that the honest code does the wrong thing or its right answer is spoiled on the
//! way out:
//!
//! | name | what breaks | how |
//! |---|---|---|
//! | `replayable-code` | an authorization code can be redeemed again | a code store that forgets redemptions ([`codes`]) |
//! | `drop-nonce` | ID tokens lose their `nonce` | an ID-token signer that removes it ([`id_token`]) |
//! | `wrong-kid` | ID tokens name a `kid` that is not in the JWKS | an ID-token signer that rewrites the header ([`id_token`]) |
//! | `drop-state` | authorization responses lose their `state` | a layer that strips it from the redirect or the form_post page ([`responses`]) |
//! | `ignore-prompt-login` | `prompt=login` does not make the person log in again | a layer that removes `login` from the request's `prompt` ([`requests`]) |
//! | `prompt-none-page` | `prompt=none` shows the login page instead of answering | a layer that turns the request's `prompt=none` into `prompt=login` ([`requests`]) |
//! | `error-page-500` | the error page for a request that cannot be redirected is a bare 500 | a layer that turns a 4xx error page into a bare 500 ([`responses`]) |
//! | `logout-keeps-session` | the end-session endpoint shows the logged-out page but the person stays logged in | a layer that takes the cookies off end-session requests ([`requests`]) |
//! | `drop-acr` | ID tokens lose their `acr` | an ID-token signer that removes it ([`id_token`]) |
//! | `jwe-no-kid` | encrypted ID tokens (and userinfo) do not name the client's key in the JWE header | the face's encryption style with `names_key` off (as NIA's), set on the persona ([`Defects::spoil_persona`]) |
//!
//! The request layers rewrite the `prompt` parameter of the query or form of the authorization
//! endpoint; a `prompt` inside a request object is left alone.

#[cfg(all(feature = "defects", not(debug_assertions)))]
compile_error!(
    "the `defects` feature builds deliberately broken protocol code: it is for debug builds of the conformance \
     runner's tests (conformance/defects.sh), never for a release build"
);

pub mod codes;
pub mod id_token;
pub mod requests;
pub mod responses;

use std::sync::Arc;

use axum::Router;

use crate::oidc::Provider;
use crate::oidc::tokens::IdTokenSigner;
use crate::persona::Persona;
use crate::store::Stores;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    ReplayableCode,
    DropNonce,
    WrongKid,
    DropState,
    IgnorePromptLogin,
    PromptNonePage,
    ErrorPage500,
    LogoutKeepsSession,
    DropAcr,
    JweNoKid,
}

impl Defect {
    pub const ALL: [Defect; 10] = [
        Self::ReplayableCode,
        Self::DropNonce,
        Self::WrongKid,
        Self::DropState,
        Self::IgnorePromptLogin,
        Self::PromptNonePage,
        Self::ErrorPage500,
        Self::LogoutKeepsSession,
        Self::DropAcr,
        Self::JweNoKid,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ReplayableCode => "replayable-code",
            Self::DropNonce => "drop-nonce",
            Self::WrongKid => "wrong-kid",
            Self::DropState => "drop-state",
            Self::IgnorePromptLogin => "ignore-prompt-login",
            Self::PromptNonePage => "prompt-none-page",
            Self::ErrorPage500 => "error-page-500",
            Self::LogoutKeepsSession => "logout-keeps-session",
            Self::DropAcr => "drop-acr",
            Self::JweNoKid => "jwe-no-kid",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// The defects switched on in this process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defects(Vec<Defect>);

impl Defects {
    /// From `IDENTITA_DEFECTS`; an unknown name is an error, so that a typo cannot make a
    /// defect run pass for the wrong reason.
    pub fn from_env() -> Result<Self, String> {
        Self::parse(&std::env::var("IDENTITA_DEFECTS").unwrap_or_default())
    }

    /// A comma-separated list of names.
    pub fn parse(names: &str) -> Result<Self, String> {
        let mut defects = Vec::new();
        for name in names.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let defect = Defect::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Defect::ALL.iter().map(|d| d.name()).collect();
                format!("IDENTITA_DEFECTS: unknown defect {name} (known: {})", known.join(", "))
            })?;
            defects.push(defect);
        }
        Ok(Self(defects))
    }

    pub fn on(&self, defect: Defect) -> bool {
        self.0.contains(&defect)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Says loudly, once at start-up, that this process is broken on purpose.
    pub fn warn(&self) {
        if !self.is_empty() {
            let names: Vec<&str> = self.0.iter().map(|d| d.name()).collect();
            tracing::warn!(
                ?names,
                "DELIBERATE DEFECTS ARE SWITCHED ON: this build is for testing the conformance runner"
            );
        }
    }

    /// The stores, with `replayable-code`'s forgetful code store when it is on.
    pub fn wrap_stores(&self, stores: Stores) -> Stores {
        if self.on(Defect::ReplayableCode) { codes::forgetful(stores) } else { stores }
    }

    /// The ID-token signer, spoiled by `drop-nonce`, `wrong-kid` and `drop-acr` when they are on.
    pub(crate) fn wrap_id_token_signer(&self, signer: Arc<dyn IdTokenSigner>) -> Arc<dyn IdTokenSigner> {
        let drop_nonce = self.on(Defect::DropNonce);
        let wrong_kid = self.on(Defect::WrongKid);
        let drop_acr = self.on(Defect::DropAcr);
        if drop_nonce || wrong_kid || drop_acr {
            Arc::new(id_token::Spoiled { inner: signer, drop_nonce, wrong_kid, drop_acr })
        } else {
            signer
        }
    }

    /// The primary face's persona; with `jwe-no-kid`, its JWE headers no longer name the client's
    /// key (the encryption code itself is the honest one, run with NIA's style).
    pub(crate) fn spoil_persona(&self, mut persona: Persona) -> Persona {
        if self.on(Defect::JweNoKid) {
            persona.encryption.names_key = false;
        }
        persona
    }

    /// The layers for the router of `provider`, made before the router takes the provider.
    pub fn layers(&self, provider: &Provider) -> Layers {
        let base = provider.persona.base_path();
        let authorization = format!("{base}{}", provider.persona.paths.authorization);
        let end_session = format!("{base}{}", provider.persona.paths.end_session);
        Layers {
            requests: requests::Rewrite {
                authorization,
                end_session,
                max_body_bytes: provider.config.max_body_bytes,
                ignore_prompt_login: self.on(Defect::IgnorePromptLogin),
                prompt_none_page: self.on(Defect::PromptNonePage),
                logout_keeps_session: self.on(Defect::LogoutKeepsSession),
            },
            responses: responses::Spoil {
                drop_state: self.on(Defect::DropState),
                error_page_500: self.on(Defect::ErrorPage500),
            },
        }
    }
}

/// The router's share of the defects: layers around the whole router.
#[derive(Debug, Clone)]
pub struct Layers {
    requests: requests::Rewrite,
    responses: responses::Spoil,
}

impl Layers {
    pub fn around(self, router: Router) -> Router {
        let mut router = router;
        if self.responses.any() {
            router = router.layer(axum::middleware::from_fn_with_state(self.responses, responses::spoil));
        }
        if self.requests.any() {
            router = router.layer(axum::middleware::from_fn_with_state(self.requests, requests::rewrite));
        }
        router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_parsed_and_unknown_ones_refused() {
        let defects = Defects::parse(" drop-state, wrong-kid ,").unwrap();
        assert!(defects.on(Defect::DropState) && defects.on(Defect::WrongKid));
        assert!(!defects.on(Defect::DropNonce));
        assert!(Defects::parse("").unwrap().is_empty());
        assert!(Defects::parse("drop-state,drop-sate").unwrap_err().contains("drop-sate"));
        for defect in Defect::ALL {
            assert_eq!(Defect::parse(defect.name()), Some(defect));
        }
    }

    #[test]
    fn jwe_no_kid_keeps_encryption_but_stops_naming_the_key() {
        let honest = Persona::standard("https://op.example");
        assert!(honest.encryption.names_key);
        let spoiled = Defects::parse("jwe-no-kid").unwrap().spoil_persona(honest.clone());
        assert!(!spoiled.encryption.names_key);
        assert!(spoiled.encryption.advertised);
        assert_eq!(Defects::parse("drop-acr").unwrap().spoil_persona(honest.clone()), honest);
    }
}
