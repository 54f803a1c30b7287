//! The login page: the means the request accepts ([`crate::authn::means`]), and the chosen one's
//! username and password. A password login ends here; NIA ID goes on to the SMS code
//! ([`super::login_sms`]); eObčanka shows a challenge for the card instead ([`super::login_card`]). The checks and the limits on guessing live in [`crate::authn`]; this
//! shows their outcome.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::client_addr::ClientAddr;
use super::error::HttpError;
use super::form::{PageForm, PageQuery};
use super::interaction::{self, Loaded};
use super::pages::{BankChoice, ClientDisplay, LoginError, LoginPage, MeansChoice};
use super::{i18n, respond, security};
use crate::authn::Authn;
use crate::authn::login::{self, Attempt, Refusal};
use crate::authn::means::{self, Means};
use crate::authn::mojeid_federation;
use crate::authn::nia_id::{self, SendRefusal};
use crate::model::{CardRefusal, MegRefusal, User};
use crate::oidc::{ErrorCode, OAuthError, Provider};

/// Failed attempts after which an interaction must start again.
const MAX_FAILURES: u32 = 5;

/// Which login a page belongs to. A missing id is read as empty, so that a page opened without
/// a pending request says so in the person's language rather than failing to parse.
#[derive(Debug, Deserialize)]
pub struct InteractionQuery {
    #[serde(default)]
    pub interaction: String,
    /// The means chosen from the page's list; the first one offered when missing.
    #[serde(default)]
    pub means: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub means: String,
    /// `yes` when the person cancels: the client gets `access_denied`.
    #[serde(default)]
    pub cancel: String,
}

pub async fn show(
    State(provider): State<Provider>,
    headers: HeaderMap,
    PageQuery(query): PageQuery<InteractionQuery>,
) -> Result<Response, HttpError> {
    let mut loaded = interaction::load(&provider, &headers, &query.interaction, None).await?;
    let offered = offered(&provider, &loaded)?;
    let chosen = Means::parse(&query.means).filter(|m| offered.contains(m)).unwrap_or(offered[0]);
    if chosen == Means::Eobcanka {
        super::login_card::ensure_challenge(&provider, &mut loaded, false).await?;
    }
    if chosen == Means::Meg {
        super::login_meg::ensure_challenge(&provider, &mut loaded, false).await?;
    }
    let username = loaded.login.login_hint.clone().unwrap_or_default();
    Ok(render(&provider, &loaded, &offered, chosen, username, None))
}

/// The means the pending request accepts (never empty).
fn offered(provider: &Provider, loaded: &Loaded) -> Result<Vec<Means>, HttpError> {
    let mojeid_upstream = mojeid_federation::source(&provider.config, &provider.persona).is_some();
    let mut available = means::available(!provider.config.banks.is_empty(), mojeid_upstream);
    // WebAuthn needs a host name for the relying party: not offered on an IP-address issuer.
    if !crate::authn::webauthn::usable(&provider.persona.base_url) {
        available.retain(|m| *m != Means::Mojeid);
    }
    means::offered(&loaded.login.loa, &provider.persona, &available).map_err(|_| {
        loaded.error(OAuthError::new(
            ErrorCode::UnmetAuthenticationRequirements,
            "no available means of authentication reaches the level of assurance the request requires",
        ))
    })
}

/// Whether the pending request accepts `means`.
pub fn offers(provider: &Provider, loaded: &Loaded, means: Means) -> Result<bool, HttpError> {
    Ok(offered(provider, loaded)?.contains(&means))
}

/// The login page's URL for an interaction, with a means chosen.
pub fn url(provider: &Provider, interaction: &str, means: Means) -> String {
    format!(
        "{}{}?interaction={}&means={}",
        provider.persona.base_path(),
        provider.persona.paths.login,
        interaction,
        means.id()
    )
}

fn render(
    provider: &Provider,
    loaded: &Loaded,
    offered: &[Means],
    chosen: Means,
    username: String,
    error: Option<LoginError>,
) -> Response {
    let texts = i18n::texts(loaded.page.locale);
    let means = offered
        .iter()
        .map(|m| MeansChoice {
            id: m.id(),
            label: match m {
                Means::Password => texts.login.means_password,
                Means::NiaId => texts.sms.means,
                Means::Meg => super::i18n::meg::texts(loaded.page.locale).means,
                Means::Eobcanka => texts.card.means,
                Means::Bank => texts.bank.means,
                Means::Mojeid => i18n::keys::texts(loaded.page.locale).means_mojeid,
                Means::MojeidFederated => texts.mojeid.means,
            },
            href: url(provider, &loaded.interaction.id, *m),
            current: *m == chosen,
        })
        .collect();
    let page = LoginPage {
        locale: loaded.page.locale,
        base: loaded.page.base.clone(),
        action: loaded.page.url(provider.persona.paths.login),
        interaction: loaded.interaction.id.clone(),
        csrf: loaded.interaction.csrf.clone(),
        username,
        error,
        client_name: loaded.client.client_name.clone().unwrap_or_else(|| loaded.client.client_id.clone()),
        client: ClientDisplay::from(&loaded.client),
        means,
        chosen: chosen.id(),
        card: if chosen == Means::Eobcanka { super::login_card::prompt(provider, loaded) } else { None },
        meg: if chosen == Means::Meg { super::login_meg::prompt(provider, loaded) } else { None },
        banks: provider.config.banks.iter().map(|b| BankChoice { id: b.id.clone(), name: b.name.clone() }).collect(),
        bank_action: loaded.page.url(provider.persona.paths.login_bank),
        mojeid_action: loaded.page.url(provider.persona.paths.login_mojeid),
        registration: match provider.persona.nia_id_registration {
            Some(path) if chosen == Means::NiaId => Some(loaded.page.url(path)),
            _ => None,
        },
    };
    let status = match error {
        None => StatusCode::OK,
        Some(LoginError::TryLater { .. }) => StatusCode::TOO_MANY_REQUESTS,
        Some(LoginError::MeansNotOffered) => StatusCode::BAD_REQUEST,
        Some(LoginError::NoNiaPhone) => StatusCode::FORBIDDEN,
        Some(LoginError::SmsNotSent) => StatusCode::SERVICE_UNAVAILABLE,
        Some(LoginError::Card(CardRefusal::TooManyAttempts)) => StatusCode::TOO_MANY_REQUESTS,
        Some(LoginError::Card(_) | LoginError::CardHolderUnknown) => StatusCode::FORBIDDEN,
        Some(LoginError::CardNotSigned | LoginError::MegNotApproved) => StatusCode::CONFLICT,
        Some(LoginError::Meg(MegRefusal::TooManyAttempts)) => StatusCode::TOO_MANY_REQUESTS,
        Some(LoginError::Meg(_) | LoginError::MegHolderUnknown) => StatusCode::FORBIDDEN,
        Some(LoginError::MegPushSent) => StatusCode::OK,
        Some(LoginError::BankCancelled) => StatusCode::OK,
        Some(LoginError::BankFailed) => StatusCode::BAD_GATEWAY,
        Some(LoginError::BankLowAssurance | LoginError::BankNoMatch) => StatusCode::FORBIDDEN,
        Some(LoginError::MojeidCancelled) => StatusCode::OK,
        Some(LoginError::MojeidFailed) => StatusCode::BAD_GATEWAY,
        Some(LoginError::MojeidLowAssurance | LoginError::MojeidNoMatch) => StatusCode::FORBIDDEN,
        Some(LoginError::AwaitingEmail | LoginError::AwaitingIdentity) => StatusCode::FORBIDDEN,
        Some(_) => StatusCode::UNAUTHORIZED,
    };
    let script_nonce = page.meg.as_ref().map(|m| m.script_nonce.clone());
    security::page(status, page.render(), script_nonce.as_deref())
}

/// The login page again, for a `chosen` means, saying why.
pub fn again(provider: &Provider, loaded: &Loaded, chosen: Means, error: LoginError) -> Result<Response, HttpError> {
    let offered = offered(provider, loaded)?;
    let chosen = if offered.contains(&chosen) { chosen } else { offered[0] };
    Ok(render(provider, loaded, &offered, chosen, String::new(), Some(error)))
}

pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    if form.cancel == "yes" {
        return cancel(&provider, loaded).await;
    }
    let offered = offered(&provider, &loaded)?;
    let chosen = match Means::parse(&form.means) {
        None if form.means.is_empty() => offered[0],
        Some(means) if offered.contains(&means) => means,
        _ => {
            return Ok(render(
                &provider,
                &loaded,
                &offered,
                offered[0],
                form.username,
                Some(LoginError::MeansNotOffered),
            ));
        }
    };
    // eObčanka takes no password: its page shows the challenge for the card.
    if chosen == Means::Eobcanka || chosen == Means::Meg {
        return Ok(respond::redirect(&url(&provider, &loaded.interaction.id, chosen)));
    }
    if chosen == Means::Bank || chosen == Means::MojeidFederated {
        // The bank picker and mojeID's Continue post to their own paths ([`super::login_bank`],
        // [`super::login_mojeid`]); a password form sent with either chosen shows its form.
        return Ok(render(&provider, &loaded, &offered, chosen, String::new(), None));
    }
    let attempt = Attempt { username: &form.username, password: &form.password, source, now: provider.now() };
    if loaded.interaction.failures >= MAX_FAILURES {
        let refusal = login::refused(&attempt, Refusal::Exhausted);
        return refuse(&provider, loaded, &offered, chosen, &attempt, refusal).await;
    }
    let user = match authn.password_login().attempt(attempt).await {
        Ok(Ok(user)) => user,
        Ok(Err(refusal)) => return refuse(&provider, loaded, &offered, chosen, &attempt, refusal).await,
        Err(e) => {
            if let crate::authn::login::LoginError::Store(e) = &e {
                crate::metrics::store_error(e);
            }
            tracing::error!(error = %e, "checking a login failed");
            return Err(loaded.error(OAuthError::server_error()));
        }
    };
    match chosen {
        Means::Password => {
            let authn = chosen.authenticated(user.id.clone(), provider.now(), &provider.persona);
            interaction::finish_login(&provider, &headers, loaded, authn).await
        }
        Means::NiaId => send_sms(&provider, &authn, loaded, &user).await,
        Means::Mojeid => super::login_key::start(&provider, &authn, loaded, &user).await,
        // Sent to its page before the password was looked at (above).
        Means::Eobcanka | Means::Meg => Ok(respond::redirect(&url(&provider, &loaded.interaction.id, chosen))),
        Means::Bank | Means::MojeidFederated => Ok(render(&provider, &loaded, &offered, chosen, String::new(), None)),
    }
}

/// NIA ID after the password: a code to the account's number, and the SMS page. A code of this
/// login still good for this person is not sent again (the form posted twice, or the back button).
async fn send_sms(provider: &Provider, authn: &Authn, mut loaded: Loaded, user: &User) -> Result<Response, HttpError> {
    let Some(phone) = nia_id::phone_of(user) else {
        tracing::info!(user_id = %user.id, "NIA ID refused: the account has no Czech mobile number");
        return again(provider, &loaded, Means::NiaId, LoginError::NoNiaPhone);
    };
    let now = provider.now();
    let previous = loaded.interaction.sms.take().filter(|c| c.user_id == user.id);
    let challenge = match previous {
        Some(live) if now < live.expires_at && live.phone == phone => live,
        previous => match authn.nia_id().send(user, &phone, previous.as_ref(), now).await {
            Ok(Ok(challenge)) => challenge,
            Ok(Err(SendRefusal::AccountLimit { retry_at })) => {
                let minutes = (retry_at - now + 59) / 60;
                return again(provider, &loaded, Means::NiaId, LoginError::TryLater { minutes });
            }
            Ok(Err(SendRefusal::TooSoon { .. } | SendRefusal::TooManyInThisLogin)) => {
                return again(provider, &loaded, Means::NiaId, LoginError::SmsExhausted);
            }
            Err(e) => {
                tracing::error!(error = %e, "sending the NIA ID code failed");
                if let crate::authn::nia_id::NiaIdError::Store(e) = &e {
                    crate::metrics::store_error(e);
                }
                return again(provider, &loaded, Means::NiaId, LoginError::SmsNotSent);
            }
        },
    };
    loaded.interaction.sms = Some(challenge);
    interaction::save(provider, &loaded).await?;
    Ok(respond::redirect(&super::login_sms::url(provider, &loaded.interaction.id)))
}

/// The person went back to the application instead of signing in: the interaction is over and
/// the client hears `access_denied` (with its `state`) at its redirect URI.
pub async fn cancel(provider: &Provider, loaded: Loaded) -> Result<Response, HttpError> {
    let error = OAuthError::new(ErrorCode::AccessDenied, "the person cancelled the sign-in");
    interaction::refuse(provider, loaded, error).await
}

/// The login page again, saying why; a failed password counts against the interaction, a wait
/// says when to come back (`Retry-After`).
async fn refuse(
    provider: &Provider,
    mut loaded: Loaded,
    offered: &[Means],
    chosen: Means,
    attempt: &Attempt<'_>,
    refusal: Refusal,
) -> Result<Response, HttpError> {
    let error = match refusal {
        Refusal::BadCredentials => {
            loaded.interaction.failures += 1;
            interaction::save(provider, &loaded).await?;
            if loaded.interaction.failures >= MAX_FAILURES {
                LoginError::TooManyAttempts
            } else {
                LoginError::BadCredentials
            }
        }
        Refusal::Exhausted => LoginError::TooManyAttempts,
        Refusal::AwaitingEmail => LoginError::AwaitingEmail,
        Refusal::AwaitingIdentity => LoginError::AwaitingIdentity,
        Refusal::Throttled { retry_at } | Refusal::Locked { retry_at } => {
            LoginError::TryLater { minutes: (retry_at - attempt.now + 59) / 60 }
        }
    };
    let mut response = render(provider, &loaded, offered, chosen, attempt.username.to_owned(), Some(error));
    if let Some(retry_at) = refusal.retry_at()
        && let Ok(value) = HeaderValue::from_str(&(retry_at - attempt.now).max(1).to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(response)
}
