//! The plans whose responses come back through the front channel (section 5): Implicit
//! (`id_token`, `id_token token`), Hybrid (`code id_token`, `code token`, `code id_token token`)
//! and the Form Post plans (the Basic, Implicit and Hybrid lists with `response_mode=form_post`).
//! The modules are the Basic plan's, run with the variant's response type; the lists and their
//! per-variant differences follow `OIDCCImplicitTestPlan` and `OIDCCHybridTestPlan`.
//! `oidcc-idtoken-signature` and `oidcc-request-uri-unsigned-…` are not applicable to a static
//! client and are left out, as in the Basic plan.

use super::basic as b;
use super::basic_more as more;
use super::flow::{self, AuthRequest, LOG_IN};
use super::{Ctx, Module, Shape, session};
use crate::checks::authz::{self, param};
use crate::log::{Level, Step, TestLog};
use crate::module;

pub const IMPLICIT_VARIANTS: &[&str] = &["id_token", "id_token token"];
pub const HYBRID_VARIANTS: &[&str] = &["code id_token", "code token", "code id_token token"];

/// The variant's response type, as a `'static` string (unknown variants fall back to the first).
fn response_type(variant: &str, variants: &'static [&'static str]) -> &'static str {
    variants.iter().find(|v| **v == variant).copied().unwrap_or(variants[0])
}

pub fn implicit_shape(variant: &str) -> Shape {
    Shape {
        client_auth: "client_secret_basic",
        response_type: response_type(variant, IMPLICIT_VARIANTS),
        form_post: false,
    }
}

pub fn hybrid_shape(variant: &str) -> Shape {
    Shape {
        client_auth: "client_secret_basic",
        response_type: response_type(variant, HYBRID_VARIANTS),
        form_post: false,
    }
}

/// The Basic plan's shape (client authentication per variant) with `response_mode=form_post`.
pub fn formpost_basic_shape(variant: &str) -> Shape {
    Shape { form_post: true, ..super::code_flow_with_client_auth(variant) }
}

pub fn formpost_implicit_shape(variant: &str) -> Shape {
    Shape { form_post: true, ..implicit_shape(variant) }
}

pub fn formpost_hybrid_shape(variant: &str) -> Shape {
    Shape { form_post: true, ..hybrid_shape(variant) }
}

/// The modules every run of the table shares, from the scope modules to `oidcc-ui-locales`.
fn common_middle(alternate: bool) -> Vec<Module> {
    let mut list = vec![
        module!("oidcc-scope-profile", b::scope_profile),
        module!("oidcc-scope-email", b::scope_email),
        module!("oidcc-scope-address", b::scope_address),
        module!("oidcc-scope-phone", b::scope_phone),
        module!("oidcc-scope-all", b::scope_all),
    ];
    if alternate {
        list.push(module!("oidcc-alternate-happy-flow", b::alternate_happy_flow));
    }
    list.extend([
        module!("oidcc-display-page", b::display_page),
        module!("oidcc-display-popup", b::display_popup),
        module!("oidcc-prompt-login", session::prompt_login),
        module!("oidcc-prompt-none-not-logged-in", session::prompt_none_not_logged_in),
        module!("oidcc-prompt-none-logged-in", session::prompt_none_logged_in),
        module!("oidcc-max-age-1", session::max_age_1),
        module!("oidcc-max-age-10000", session::max_age_10000),
        module!("oidcc-ensure-request-with-unknown-parameter-succeeds", more::unknown_parameter),
        module!("oidcc-id-token-hint", more::id_token_hint),
        module!("oidcc-login-hint", more::login_hint),
        module!("oidcc-ui-locales", more::ui_locales),
        module!("oidcc-claims-locales", more::claims_locales),
        module!("oidcc-ensure-request-with-acr-values-succeeds", more::acr_values),
    ]);
    list
}

fn userinfo_modules() -> Vec<Module> {
    vec![
        module!("oidcc-userinfo-get", b::userinfo_get),
        module!("oidcc-userinfo-post-header", b::userinfo_post_header),
        module!("oidcc-userinfo-post-body", b::userinfo_post_body),
    ]
}

/// `oidcc-implicit-certification-test-plan`: the same list for both response types; the
/// userinfo modules and `oidcc-response-type-missing` only with `id_token token`.
pub fn implicit_modules(variant: &str) -> Vec<Module> {
    let mut list = vec![
        module!("oidcc-server", b::server),
        module!("oidcc-ensure-request-without-nonce-fails", without_nonce_fails),
    ];
    list.extend(common_middle(true));
    list.extend([
        module!("oidcc-ensure-registered-redirect-uri", more::registered_redirect_uri),
        module!(
            "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
            more::unsigned_request_object
        ),
        module!("oidcc-ensure-request-object-with-redirect-uri", more::request_object_with_redirect_uri),
        module!("oidcc-claims-essential", more::claims_essential),
    ]);
    if variant == "id_token token" {
        list.extend(userinfo_modules());
        list.push(module!("oidcc-response-type-missing", b::response_type_missing));
    }
    list
}

/// `oidcc-hybrid-certification-test-plan`: the Basic table per response type.
/// `oidcc-response-type-missing`, `oidcc-alternate-happy-flow` and PKCE only with
/// `code id_token`; `code token` has the code-flow nonce module instead of the failing one.
pub fn hybrid_modules(variant: &str) -> Vec<Module> {
    let first = variant == "code id_token" || !HYBRID_VARIANTS.contains(&variant);
    let mut list = vec![module!("oidcc-server", b::server)];
    if first {
        list.push(module!("oidcc-response-type-missing", b::response_type_missing));
    }
    list.extend(userinfo_modules());
    list.push(if variant == "code token" {
        module!("oidcc-ensure-request-without-nonce-succeeds-for-code-flow", b::without_nonce)
    } else {
        module!("oidcc-ensure-request-without-nonce-fails", without_nonce_fails)
    });
    list.extend(common_middle(first));
    list.extend([
        module!("oidcc-codereuse", more::codereuse),
        module!("oidcc-codereuse-30seconds", more::codereuse_30seconds),
        module!("oidcc-ensure-registered-redirect-uri", more::registered_redirect_uri),
        module!("oidcc-server-client-secret-post", more::server_client_secret_post),
        module!(
            "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
            more::unsigned_request_object
        ),
        module!("oidcc-claims-essential", more::claims_essential),
        module!("oidcc-ensure-request-object-with-redirect-uri", more::request_object_with_redirect_uri),
        module!("oidcc-refresh-token", super::refresh::refresh_token),
    ]);
    if first {
        list.push(module!("oidcc-ensure-request-with-valid-pkce-succeeds", more::pkce));
    }
    list
}

/// `oidcc-ensure-request-without-nonce-fails` (section 5): no `nonce` with an `id_token`
/// response type. An error page (REVIEW) or an error redirect with `invalid_request`.
pub async fn without_nonce_fails(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.remove("nonce");
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    log.info("ExpectRequestMissingNonceErrorPage", "an error page or an invalid_request redirect is expected");
    let Some((params, code_anywhere, _)) =
        flow::page_or_redirect(log, landing, flow::response_mode(ctx, &req), flow::PageExpected::Error)
    else {
        return Ok(());
    };
    authz::generic_error_checks(log, &params, req.state.as_deref(), &ctx.issuer(), code_anywhere);
    let error = param(&params, "error");
    log.check(
        "CheckErrorFromAuthorizationEndpointErrorInvalidRequest",
        Level::Failure,
        if error == Some("invalid_request") {
            Ok(())
        } else {
            Err(format!("error is {error:?}; expected invalid_request for a request without nonce"))
        },
    );
    Ok(())
}
