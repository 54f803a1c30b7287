//! Token introspection (RFC 7662). A client learns about its own tokens only: a token issued to
//! another client is reported inactive, so a client cannot probe for others' tokens.

use serde_json::{Map, Value, json};

use crate::model::{Client, Grant};
use crate::oidc::Provider;
use crate::oidc::scopes;
use crate::oidc::subject;
use crate::secret;

pub(crate) async fn introspect(
    provider: &Provider,
    client: &Client,
    token: &str,
    hint: Option<&str>,
) -> Result<Value, crate::oidc::OAuthError> {
    let digest = secret::bearer_digest(token);
    let now = provider.now();
    let tokens = &provider.stores.tokens;
    let found = if hint == Some("refresh_token") {
        match tokens.get_refresh(&digest, now).await? {
            Some(t) if t.used_at.is_none() => Some((t.grant, t.issued_at, t.expires_at, "refresh_token")),
            _ => tokens.get_access(&digest, now).await?.map(|t| (t.grant, t.issued_at, t.expires_at, "access_token")),
        }
    } else {
        match tokens.get_access(&digest, now).await? {
            Some(t) => Some((t.grant, t.issued_at, t.expires_at, "access_token")),
            None => tokens
                .get_refresh(&digest, now)
                .await?
                .filter(|t| t.used_at.is_none())
                .map(|t| (t.grant, t.issued_at, t.expires_at, "refresh_token")),
        }
    };
    let Some((grant, iat, exp, kind)) = found.filter(|(g, ..)| g.client_id == client.client_id) else {
        return Ok(json!({ "active": false }));
    };
    // A disabled or removed person's tokens are refused everywhere else, so they are not active.
    if !crate::oidc::token::person_active(provider, &grant).await? {
        return Ok(json!({ "active": false }));
    }
    Ok(Value::Object(describe(provider, client, &grant, iat, exp, kind)))
}

fn describe(provider: &Provider, client: &Client, grant: &Grant, iat: i64, exp: i64, kind: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("active".into(), Value::Bool(true));
    out.insert("scope".into(), Value::from(scopes::join(&grant.scopes)));
    out.insert("client_id".into(), Value::from(grant.client_id.clone()));
    out.insert("token_type".into(), Value::from(if kind == "access_token" { "Bearer" } else { "refresh_token" }));
    out.insert("exp".into(), Value::from(exp));
    out.insert("iat".into(), Value::from(iat));
    out.insert("iss".into(), Value::from(provider.issuer()));
    out.insert("aud".into(), Value::from(grant.client_id.clone()));
    if let Some(authn) = &grant.authn {
        out.insert("sub".into(), Value::from(subject::of(provider, client, &authn.user_id)));
        out.insert("auth_time".into(), Value::from(authn.auth_time));
        out.insert("acr".into(), Value::from(authn.acr.uri()));
    } else {
        out.insert("sub".into(), Value::from(grant.client_id.clone()));
    }
    if let Some(sid) = &grant.sid {
        out.insert("sid".into(), Value::from(sid.clone()));
    }
    out
}
