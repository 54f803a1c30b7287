//! The HTTP edge: axum routes, one file per endpoint; no protocol rules here.

pub mod account_consents;
pub mod account_keys;
pub mod account_meg;
pub mod account_mojeid;
pub mod authorize;
pub mod backoffice;
pub mod client_addr;
pub mod consent;
pub mod cookies;
pub mod dev_outbox;
pub mod discovery;
pub mod error;
pub mod form;
pub mod i18n;
pub mod interaction;
pub mod key_pages;
pub mod landing;
pub mod login;
pub mod login_bank;
pub mod login_card;
pub mod login_key;
pub mod login_meg;
pub mod login_mojeid;
pub mod login_sms;
pub mod logout;
pub mod meg_device;
pub mod meg_enrollment;
pub mod mojeid_pages;
pub mod nia_registration;
pub mod page_context;
pub mod pages;
pub mod registration;
pub mod respond;
pub mod saml;
mod saml_logout;
pub mod security;
pub mod select_account;
pub(crate) mod shared_sessions;
pub mod static_files;
pub mod token;
pub mod trace;
pub mod userinfo;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::authn::Authn;
use crate::oidc::Provider;

/// What the handlers share: the OpenID Provider's context and the authentication services. A
/// handler takes the part it needs (`State<Provider>`, `State<Authn>`).
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub provider: Provider,
    pub authn: Authn,
}

/// Every route of the provider: each face's (the primary's and those of `[[faces]]`) under its
/// issuer's path, and the site's own (health, landing page, metrics).
pub fn router(provider: Provider, authn: Authn) -> Router {
    // A face at the root of a listener of its own is served only there (`router_of_face`).
    let faces = provider
        .faces
        .iter()
        .filter(|other| !other.persona.base_path().is_empty())
        .fold(face(provider.clone(), authn.clone()), |app, other| app.merge(face(other.clone(), authn.clone())));
    let base = provider.persona.base_path();
    let site = Router::new().route("/healthz", get(discovery::healthz)).route("/readyz", get(discovery::readyz));
    // The outbox exists over HTTP in dev mode only.
    let site = if provider.config.dev.is_some() { site.route(dev_outbox::PATH, get(dev_outbox::list)) } else { site };
    let config = provider.config.clone();
    let faces_served = std::iter::once(&provider).chain(provider.faces.iter()).map(|f| (f, f.persona.base_path()));
    let any_case = AnyCase::of(faces_served, faces.clone());
    let localise = axum::middleware::from_fn_with_state(provider.clone(), error::localise);
    let state = AppState { provider, authn };
    let site = landing::mount(site, &base).layer(localise).merge(backoffice::routes(&state)).with_state(state);
    outer(crate::metrics::routes(faces.merge(site), &config.metrics), any_case, &config)
}

/// The routes of a face on a listener of its own: at its real paths (NIA's `/FPSTS/oidc/…`),
/// and under its base path too when it has one, where its pages link to.
pub fn router_of_face(face: &Provider, authn: Authn) -> Router {
    let base = face.persona.base_path();
    let at_root = face_at(face.clone(), authn.clone(), "");
    let routes = if base.is_empty() { at_root } else { at_root.merge(face_at(face.clone(), authn, &base)) };
    let mut mounts = vec![(face, String::new())];
    if !base.is_empty() {
        mounts.push((face, base));
    }
    let any_case = AnyCase::of(mounts.into_iter(), routes.clone());
    let health = Router::new().route("/healthz", get(discovery::healthz));
    outer(routes.merge(health), any_case, &face.config)
}

/// What every listener has around its routes: the fallback (an endpoint in another letter case,
/// or 404), the body limit, the security headers, tracing and metrics.
fn outer(routes: Router, any_case: AnyCase, config: &crate::config::Config) -> Router {
    routes
        .fallback(move |request: Request| any_case.clone().route(request))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::middleware::map_response(common_headers))
        .layer(axum::middleware::map_response_with_state(config.secure_cookies(), security::strict_transport))
        .layer(TraceLayer::new_for_http().make_span_with(trace::span))
        .layer(axum::middleware::from_fn(crate::metrics::track))
}

/// The routes of one face, mounted under its base URL's path.
fn face(provider: Provider, authn: Authn) -> Router {
    let base = provider.persona.base_path();
    face_at(provider, authn, &base)
}

/// The routes of one face, mounted under `base`.
fn face_at(provider: Provider, authn: Authn, base: &str) -> Router {
    let paths = &provider.persona.paths;
    let registration_item = format!("{}/{{client_id}}", paths.registration);
    let card_challenge = format!("{}/{{interaction}}/{{nonce}}", paths.login_card);
    let meg_challenge = format!("{}/{{interaction}}/{{nonce}}", paths.login_meg);
    let meg_events = format!("{}/{{interaction}}/events", paths.login_meg);
    let meg_push = format!("{}/{{device}}/push", paths.meg_devices);
    // Endpoints a browser-based client calls directly: open to every origin, without cookies.
    let api = Router::new()
        .route(paths.discovery, get(discovery::configuration))
        .route(paths.jwks, get(discovery::jwks))
        .route(paths.token, post(token::exchange).fallback(token::wrong_method))
        .route(paths.userinfo, get(userinfo::handle).post(userinfo::handle))
        .route(paths.introspection, post(token::introspect).fallback(token::wrong_method))
        .route(paths.revocation, post(token::revoke).fallback(token::wrong_method));
    let api = match provider.persona.discovery_alias() {
        Some(alias) => api.route(alias, get(discovery::configuration)),
        None => api,
    };
    let api =
        api.layer(CorsLayer::new().allow_origin(Any).allow_methods([Method::GET, Method::POST]).allow_headers(Any));
    let routes = Router::new()
        .route(paths.authorization, get(authorize::get).post(authorize::post))
        .route(paths.end_session, get(logout::get).post(logout::post))
        .route(paths.registration, post(registration::register))
        .route(&registration_item, get(registration::read).put(registration::update).delete(registration::delete))
        .route(paths.login, get(login::show).post(login::submit))
        .route(paths.login_sms, get(login_sms::show).post(login_sms::submit))
        .route(paths.login_card, post(login_card::submit))
        .route(&card_challenge, post(login_card::answer))
        .route(paths.login_meg, post(login_meg::submit))
        .route(&meg_challenge, post(meg_device::answer))
        .route(&meg_events, get(login_meg::events))
        .route(paths.meg_pair, post(meg_device::pair))
        .route(&meg_push, get(meg_device::push))
        .route(&format!("{}/enrollment", paths.meg_devices), post(meg_enrollment::start))
        .route(&format!("{}/enrollment/confirm", paths.meg_devices), post(meg_enrollment::confirm))
        .route(&format!("{}/enrollment/done", paths.meg_devices), post(meg_enrollment::done))
        .route(&format!("{}/enrollment/databox", paths.meg_devices), post(meg_enrollment::done_by_data_box))
        .route(paths.login_bank, post(login_bank::start))
        .route(paths.login_bank_callback, get(login_bank::callback))
        .route(paths.login_mojeid, post(login_mojeid::start))
        .route(paths.login_mojeid_callback, get(login_mojeid::callback))
        .route(paths.login_key, get(login_key::show).post(login_key::submit))
        .route(paths.account_keys, get(account_keys::show).post(account_keys::submit))
        .route(paths.account_consents, get(account_consents::show).post(account_consents::submit))
        .route(paths.account_meg, get(account_meg::show).post(account_meg::submit))
        .route(paths.consent, get(consent::show).post(consent::submit))
        .route(paths.select_account, get(select_account::show).post(select_account::submit))
        .route(static_files::STYLESHEET_PATH, get(static_files::stylesheet))
        .merge(api);
    // mojeID's account page and its validation paths at a mojeID face.
    let routes = match provider.persona.surface {
        crate::persona::Surface::MojeId => routes
            .route(account_mojeid::ACCOUNT, get(account_mojeid::show))
            .route(account_mojeid::DATABOX, post(account_mojeid::databox))
            .route(account_mojeid::DATABOX_LOGIN, post(account_mojeid::databox_login))
            .route(account_mojeid::CZECH_POINT, post(account_mojeid::czech_point))
            .route(account_mojeid::EMAIL, post(account_mojeid::email))
            .route(account_mojeid::EMAIL_CONFIRM, get(account_mojeid::email_confirm))
            .route(account_mojeid::PHONE, post(account_mojeid::phone))
            .route(account_mojeid::PHONE_CONFIRM, post(account_mojeid::phone_confirm)),
        _ => routes,
    };
    // SAML at a face whose persona serves it: single sign-on at one URL for both bindings.
    let routes = match provider.persona.saml {
        Some(surface) => routes
            .route(surface.sso, get(saml::sso_get).post(saml::sso_post))
            .route(surface.metadata, get(saml::metadata)),
        None => routes,
    };
    let routes = match provider.persona.nia_id_registration {
        Some(path) => routes
            .route(path, get(nia_registration::show).post(nia_registration::submit))
            .route(&format!("{path}/confirm"), get(nia_registration::confirm))
            .route(
                &format!("{path}/databox"),
                get(nia_registration::databox_show).post(nia_registration::databox_submit),
            ),
        None => routes,
    };
    let localise = axum::middleware::from_fn_with_state(provider.clone(), error::localise);
    let routes = routes.layer(localise).with_state(AppState { provider, authn });
    if base.is_empty() { routes } else { Router::new().nest(base, routes) }
}

async fn common_headers(mut response: Response) -> Response {
    security::common(response.headers_mut());
    response
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// The endpoints of the faces that answer in any letter case (`Quirks::paths_any_case`): a path
/// no route matched is matched again without regard to case, and routed under its own spelling.
#[derive(Clone)]
struct AnyCase {
    /// (the path in lower case, the path as routed)
    paths: std::sync::Arc<[(String, String)]>,
    faces: Router,
}

impl AnyCase {
    /// For the faces served under the given base paths, routed by `faces`.
    fn of<'a>(served: impl Iterator<Item = (&'a Provider, String)>, faces: Router) -> Self {
        let paths = served
            .filter(|(face, _)| face.persona.quirks.paths_any_case)
            .flat_map(|(face, base)| face.persona.fixed_routes().map(move |route| format!("{base}{route}")))
            .map(|path| (path.to_ascii_lowercase(), path))
            .collect();
        Self { paths, faces }
    }

    async fn route(self, mut request: Request) -> Response {
        let path = request.uri().path().to_ascii_lowercase();
        let Some((_, routed)) = self.paths.iter().find(|(lower, _)| *lower == path) else {
            return not_found();
        };
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{routed}?{query}"),
            None => routed.clone(),
        };
        let mut parts = request.uri().clone().into_parts();
        match path_and_query.parse() {
            Ok(p) => parts.path_and_query = Some(p),
            Err(_) => return not_found(),
        }
        match axum::http::Uri::from_parts(parts) {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => return not_found(),
        }
        match tower::ServiceExt::oneshot(self.faces, request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}
