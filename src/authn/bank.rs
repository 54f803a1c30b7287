//! Bank identity (substantial): the citizen logs in at their bank, an upstream OpenID Provider
//! configured in `[[banks]]`, and is matched to the register by the bank's claims.
//!
//! The request and the verified answer are [`super::upstream`]'s: `openid profile` with the
//! bank's configured `acr_values`. [`Banks::finish`] refuses an answer below substantial whatever
//! was asked, and needs the person's name and birth date; [`super::upstream::match_citizen`]
//! finds the one account with them.

use std::sync::Arc;

use super::upstream::{self, Ask, NoMatch, Relying, Started, Upstream, UpstreamError};
use crate::clock::SharedClock;
use crate::config::BankConfig;
use crate::model::loa::Loa;
use crate::model::{UpstreamPending, User};
use crate::store::{StoreError, UserStore};

#[derive(Debug, thiserror::Error)]
pub(crate) enum BankError {
    /// No bank with this id is configured.
    #[error("no bank {0:?} is configured")]
    UnknownBank(String),
    /// The bank could not be reached, its answer did not verify, or set-up failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a verified answer of a bank logs nobody in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BankRefusal {
    /// The bank authenticated the person below substantial (or said no level).
    LowAssurance,
    /// The bank did not give the name and birth date the match needs.
    MissingClaims,
    /// No account has the bank's name and birth date.
    NoMatch,
    /// Several accounts have them: which one is meant cannot be told.
    Ambiguous,
}

impl BankRefusal {
    /// The reason as the log and metrics name it.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            BankRefusal::LowAssurance => "bank_low_assurance",
            BankRefusal::MissingClaims => "bank_missing_claims",
            BankRefusal::NoMatch => "bank_no_match",
            BankRefusal::Ambiguous => "bank_ambiguous",
        }
    }
}

impl From<NoMatch> for BankRefusal {
    fn from(no_match: NoMatch) -> Self {
        match no_match {
            NoMatch::MissingClaims => BankRefusal::MissingClaims,
            NoMatch::Nobody => BankRefusal::NoMatch,
            NoMatch::Ambiguous => BankRefusal::Ambiguous,
        }
    }
}

struct Bank {
    config: BankConfig,
    upstream: Upstream,
}

/// The configured banks, with their discovery documents once fetched. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Banks {
    banks: Arc<Vec<Bank>>,
    relying: Relying,
}

impl Banks {
    /// The banks of `[[banks]]` (validated by the config), their secrets read, reached trusting
    /// `outbound_ca_file` too.
    pub(crate) fn new(
        configs: &[BankConfig],
        clock: SharedClock,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Self, UpstreamError> {
        let mut banks = Vec::new();
        for config in configs {
            let what = format!("banks ({})", config.id);
            let secret =
                upstream::read_secret(config.client_secret.as_ref(), config.client_secret_file.as_deref(), &what)?;
            let upstream = Upstream {
                id: config.id.clone(),
                issuer: config.issuer.clone(),
                discovery: None,
                client_id: config.client_id.clone(),
                secret,
            };
            banks.push(Bank { config: config.clone(), upstream });
        }
        Ok(Self { banks: Arc::new(banks), relying: Relying::new(clock, ca_file)? })
    }

    fn bank(&self, id: &str) -> Result<&Bank, BankError> {
        self.banks.iter().find(|b| b.config.id == id).ok_or_else(|| BankError::UnknownBank(id.to_owned()))
    }

    /// The authorization request for a login at `bank_id`, answered at `redirect_uri`; the
    /// `state` starts with `interaction` so that the callback finds the login again.
    pub(crate) async fn begin(
        &self,
        bank_id: &str,
        redirect_uri: &str,
        interaction: &str,
    ) -> Result<Started, BankError> {
        let bank = self.bank(bank_id)?;
        let ask = Ask {
            scopes: vec!["profile"],
            acr_values: bank.config.acr_values.split_whitespace().map(str::to_owned).collect(),
            ..Ask::default()
        };
        Ok(self.relying.begin(&bank.upstream, redirect_uri, interaction, &ask).await?)
    }

    /// The account the bank's answer to `pending` logs in: at substantial or above, with the
    /// name and birth date of exactly one account of the register.
    pub(crate) async fn login(
        &self,
        users: &dyn UserStore,
        pending: &UpstreamPending,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Result<User, BankRefusal>, BankError> {
        let bank = self.bank(&pending.upstream)?;
        let answer = self.relying.finish(&bank.upstream, pending, code, redirect_uri).await?;
        let level = answer.acr.as_deref().and_then(|acr| Loa::parse(acr).ok());
        if level.is_none_or(|l| l < Loa::Substantial) {
            return Ok(Err(BankRefusal::LowAssurance));
        }
        Ok(upstream::match_citizen(users, &answer.person).await?.map_err(BankRefusal::from))
    }
}
