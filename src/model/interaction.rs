//! A login in progress: the request that waits for the person, bound to one browser.

use serde::{Deserialize, Serialize};

use super::Authentication;
use super::loa::Requirement;
use crate::clock::Timestamp;

/// A login in progress: the validated authorization request waiting for the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The face (`[[faces]]` name) this record belongs to, `None` for the primary face (and for
    /// every record from before faces); only that face finds it (`store::face`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) face: Option<String>,
    /// Random, appears in the login page URL.
    pub(crate) id: String,
    /// The request waiting for this login, `None` for a ceremony of the account page (a
    /// security key being registered), which no protocol waits for. A record written before
    /// requests were typed has none either, and is no login any more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pending: Option<PendingRequest>,
    /// The CSRF token the forms of this interaction carry.
    pub(crate) csrf: String,
    /// Digest of the browser-binding cookie value: the forms only work in the browser that started.
    pub(crate) browser: String,
    /// Set once the person has authenticated within this interaction.
    pub(crate) authn: Option<Authentication>,
    /// The `sid` of the SSO session `authn` belongs to: the interaction goes on only while that
    /// session lives (records from before this field have none, and are refused once past login).
    #[serde(default)]
    pub(crate) sid: Option<String>,
    /// Failed password attempts within this interaction.
    pub(crate) failures: u32,
    /// The code sent by SMS that the person is to type (NIA ID's second step), once their
    /// password has been checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sms: Option<SmsChallenge>,
    /// The challenge an eObčanka reader is to sign, and what came of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) card: Option<CardChallenge>,
    /// The login at a bank this login waits for (the bank identity means), once the person has
    /// picked their bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bank: Option<UpstreamPending>,
    /// The login at mojeID this login waits for (NIA's mojeID means), once the person has
    /// chosen it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mojeid: Option<UpstreamPending>,
    /// The security key ceremony of mojeID + WebAuthn (after the password), or of registering a
    /// key on the account page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key: Option<KeyCeremony>,
    /// The challenge a paired MEG device is to approve, and what came of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) meg: Option<super::MegChallenge>,
    pub(crate) created_at: Timestamp,
    pub(crate) expires_at: Timestamp,
}

/// The request a login waits to resume: what every login page needs, whichever protocol asked
/// ([`LoginRequest`]), and the asking protocol's own request, which only that protocol reads back
/// and resumes once the person has authenticated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PendingRequest {
    pub(crate) protocol: Protocol,
    pub(crate) login: LoginRequest,
    /// The protocol's validated request, as it wrote it (OpenID Connect: its authorization
    /// request); opaque to the login flow.
    pub(crate) request: serde_json::Value,
}

/// The protocol a login was started by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Protocol {
    Oidc,
    Saml,
}

/// What the login flow needs of a request, the same for every protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LoginRequest {
    /// The relying party the person logs in to.
    pub(crate) client_id: String,
    /// The level of assurance the request needs.
    pub(crate) loa: Requirement,
    /// Who the relying party thinks is logging in (OIDC `login_hint`): the login form's username.
    pub(crate) login_hint: Option<String>,
    /// The languages the relying party asks the pages in (OIDC `ui_locales`).
    pub(crate) ui_locales: Option<String>,
    /// The relying party wants the person to authenticate afresh (OIDC `prompt=login` or
    /// `max_age=0`, NIA's `forceauthn`): a means that logs in at an upstream provider asks it
    /// for a fresh authentication too, rather than let its session answer.
    #[serde(default)]
    pub(crate) force_authn: bool,
}

/// A one-time code sent by SMS, waiting to be typed: NIA ID's second step, after the password.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsChallenge {
    /// Random; names this code's attempt counter and its single use.
    pub(crate) id: String,
    /// The account whose password was checked.
    pub(crate) user_id: String,
    /// The number the code went to (E.164, `+420…`).
    pub(crate) phone: String,
    /// Digest of the code with [`SmsChallenge::id`]; the code itself is not kept.
    pub(crate) code_digest: String,
    pub(crate) sent_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    /// Codes sent within this login, this one included.
    pub(crate) sends: u32,
}

impl std::fmt::Debug for SmsChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsChallenge")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("sent_at", &self.sent_at)
            .field("expires_at", &self.expires_at)
            .field("sends", &self.sends)
            .finish_non_exhaustive()
    }
}

/// What an eObčanka reader is to sign in this login, and what the reader's answer was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardChallenge {
    /// Random; the last part of the URL the reader posts its signature to.
    pub(crate) nonce: String,
    pub(crate) expires_at: Timestamp,
    /// Set by the reader's post: the card that signed, or why its signature was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) outcome: Option<CardOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardOutcome {
    /// A registered, valid card signed the challenge.
    Signed {
        number: String,
        user_id: String,
    },
    Refused(CardRefusal),
}

/// Why a card's answer to a challenge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardRefusal {
    /// No card with this number is in the register.
    UnknownCard,
    /// The certificate sent is not the one issued for this card.
    WrongCertificate,
    /// The signature is not the card's.
    BadSignature,
    /// Applied for or made, but not collected by its holder yet.
    NotCollected,
    Lost,
    Stolen,
    Revoked,
    /// Past the card's date of expiry.
    Expired,
    /// Too many answers to this challenge, or from this card lately.
    TooManyAttempts,
    /// The challenge has already been signed.
    Used,
    /// The challenge is older than its five minutes (or unknown): the page shows a new one.
    ChallengeExpired,
}

impl CardRefusal {
    /// The error code the reader gets, and the log's reason.
    pub(crate) fn code(self) -> &'static str {
        match self {
            CardRefusal::UnknownCard => "unknown_card",
            CardRefusal::WrongCertificate => "wrong_certificate",
            CardRefusal::BadSignature => "bad_signature",
            CardRefusal::NotCollected => "card_not_collected",
            CardRefusal::Lost => "card_lost",
            CardRefusal::Stolen => "card_stolen",
            CardRefusal::Revoked => "card_revoked",
            CardRefusal::Expired => "card_expired",
            CardRefusal::TooManyAttempts => "too_many_attempts",
            CardRefusal::Used => "challenge_used",
            CardRefusal::ChallengeExpired => "challenge_expired",
        }
    }
}

/// A login sent to an upstream OpenID Provider (a bank, mojeID), waiting for its answer at the
/// callback: what checks that the answer is the one this login asked for.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamPending {
    /// The upstream: a bank's id in `[[banks]]`, `mojeid`. (Written as `bank` before mojeID.)
    #[serde(alias = "bank")]
    pub(crate) upstream: String,
    /// Digest of the random part of the `state` sent to the upstream.
    pub(crate) state_digest: String,
    /// The `nonce` the upstream's ID token must carry.
    pub(crate) nonce: String,
    /// The PKCE code verifier of the request.
    pub(crate) pkce_verifier: String,
}

impl std::fmt::Debug for UpstreamPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamPending").field("upstream", &self.upstream).finish_non_exhaustive()
    }
}

/// A WebAuthn ceremony waiting for the browser's answer: the options the page passes to
/// `navigator.credentials`, and webauthn-rs's state for checking the answer (kept server-side
/// only: it holds the challenge).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyCeremony {
    /// The account the ceremony is for (whose password was checked, or who is signed in).
    pub(crate) user_id: String,
    pub(crate) options: serde_json::Value,
    pub(crate) state: serde_json::Value,
    pub(crate) expires_at: Timestamp,
}

impl std::fmt::Debug for KeyCeremony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCeremony")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
