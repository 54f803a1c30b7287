//! `oidcc-refresh-token` (section 3, item 37): refresh for client 1 with the same scope, the same
//! for client 2, and client 2's refresh token presented with client 1's credentials must fail.

use serde_json::Value;

use super::flow::{self, AuthRequest, HfOptions};
use super::{Client, Ctx, registration};
use crate::checks::{Jwt, entropy, str_of, token, userinfo};
use crate::http;
use crate::log::{Level, Step, TestLog};

pub fn advertises_refresh_grant(ctx: &Ctx) -> bool {
    ctx.discovery
        .get("grant_types_supported")
        .and_then(Value::as_array)
        .is_some_and(|g| g.iter().any(|v| v.as_str() == Some("refresh_token")))
}

pub async fn refresh_request(
    ctx: &Ctx,
    client: &Client,
    refresh_token: &str,
    scope: Option<&str>,
) -> Result<http::Reply, String> {
    let endpoint = ctx.endpoint("token_endpoint");
    let mut form = vec![
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".to_string(), refresh_token.to_string()),
    ];
    if let Some(s) = scope {
        form.push(("scope".into(), s.into()));
    }
    let request = super::client_auth::authenticate(client, &endpoint, form, ctx.http.post(&endpoint))?;
    http::send(request).await
}

/// HF with the refresh scope, then one refresh; returns the refresh token of the HF. The second
/// client (`send_scope` false) sends a 43-character nonce, as the suite's second client does.
async fn flow_and_refresh(ctx: &mut Ctx, log: &mut TestLog, scope: &str, send_scope: bool) -> Step<String> {
    let mut req = AuthRequest::new(ctx, scope);
    if !send_scope {
        req.set("nonce", &super::client_auth::random_alnum(43));
    }
    if scope.contains("offline_access") {
        req.set("prompt", "consent");
    }
    let hf = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    let Some(rt) = str_of(&hf.token, "refresh_token").map(str::to_string) else {
        if advertises_refresh_grant(ctx) {
            log.check(
                "EnsureServerConfigurationDoesNotSupportRefreshToken",
                Level::Warning,
                Err("grant_types_supported lists refresh_token, but no refresh token was issued".into()),
            );
        }
        return Err(log.skip("no refresh_token in the token response"));
    };
    log.check(
        "EnsureServerConfigurationSupportsRefreshToken",
        Level::Warning,
        if advertises_refresh_grant(ctx) {
            Ok(())
        } else {
            Err("grant_types_supported does not list refresh_token".into())
        },
    );
    log.check("EnsureRefreshTokenContainsAllowedCharactersOnly", Level::Failure, entropy::vschar("refresh_token", &rt));
    flow::sleep(log, 1).await;
    let client = ctx.client.clone();
    let reply = refresh_request(ctx, &client, &rt, send_scope.then_some(scope)).await;
    let reply = log.need("CallTokenEndpointAllowingUseAttestationChallengeErrorAndReturnFullResponse", reply)?;
    let original: Jwt = hf.id_token.clone();
    let body = token::refresh_response(log, &reply, &original, ctx.client.keys.as_ref())?;
    let at = str_of(&body, "access_token").unwrap_or_default();
    // INFO in the suite: a refresh may return the same access token.
    log.check(
        "EnsureAccessTokenValuesAreDifferent",
        Level::Info,
        if at != hf.access_token { Ok(()) } else { Err("the refresh returned the same access token".into()) },
    );
    let tt = str_of(&body, "token_type").unwrap_or("Bearer");
    userinfo::check_token_type(log, tt)?;
    let reply = flow::userinfo_get(ctx, tt, at).await;
    let reply = log.need("CallProtectedResource", reply)?;
    userinfo::status_200(log, &reply);
    Ok(rt)
}

pub async fn refresh_token(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    if ctx.dynamic {
        // Dynamic clients register the refresh_token grant.
        registration::setup_changed(ctx, log, |r| r.add_grant("refresh_token")).await?;
    } else {
        flow::setup(ctx, log).await?;
    }
    let offline = ctx
        .discovery
        .get("scopes_supported")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some("offline_access")));
    let scope = if offline { "openid offline_access" } else { "openid" };
    flow_and_refresh(ctx, log, scope, true).await?;
    let client1 = ctx.client.clone();
    ctx.client = if ctx.dynamic {
        let reg = log.need("GenerateRS256ClientJWKs", registration::Registration::new(ctx))?;
        registration::register(ctx, log, reg.add_grant("refresh_token")).await?
    } else {
        log.need("GetStaticClient2Configuration", flow::variant_client(ctx, "client2"))?
    };
    let rt2 = flow_and_refresh(ctx, log, scope, false).await?;
    let reply = refresh_request(ctx, &client1, &rt2, None).await;
    let reply = log.need("CallTokenEndpointAndReturnFullResponse", reply)?;
    token::error_response(log, &reply, "invalid_grant")
}
