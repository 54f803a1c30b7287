//! Client authentication at the token endpoint, per variant (section 2): HTTP Basic with
//! form-urlencoded parts, form fields, or a `private_key_jwt` assertion signed with the
//! configured private JWK (`iss` = `sub` = client_id, `aud` = the token endpoint, a fresh `jti`,
//! `iat` = `nbf` = now, `exp` = now + 60 s).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, JwsSigner};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};

use super::Client;

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn random_alnum(n: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(n).map(char::from).collect()
}

fn signer(alg: &str, jwk: &Jwk) -> Result<Box<dyn JwsSigner>, String> {
    use josekit::jws::*;
    let e = |e: josekit::JoseError| e.to_string();
    Ok(match alg {
        "RS256" => Box::new(RS256.signer_from_jwk(jwk).map_err(e)?),
        "RS384" => Box::new(RS384.signer_from_jwk(jwk).map_err(e)?),
        "RS512" => Box::new(RS512.signer_from_jwk(jwk).map_err(e)?),
        "PS256" => Box::new(PS256.signer_from_jwk(jwk).map_err(e)?),
        "PS384" => Box::new(PS384.signer_from_jwk(jwk).map_err(e)?),
        "PS512" => Box::new(PS512.signer_from_jwk(jwk).map_err(e)?),
        "ES256" => Box::new(ES256.signer_from_jwk(jwk).map_err(e)?),
        "ES384" => Box::new(ES384.signer_from_jwk(jwk).map_err(e)?),
        "EdDSA" => Box::new(EdDSA.signer_from_jwk(jwk).map_err(e)?),
        other => return Err(format!("cannot sign with alg {other}")),
    })
}

/// Signs `claims` with a private JWK; the alg comes from the key's `alg` (required, as in the suite).
pub fn sign_with_jwk(jwk: &Value, claims: &Value) -> Result<String, String> {
    let map = jwk.as_object().ok_or("the client jwk is not an object")?;
    let alg = map.get("alg").and_then(Value::as_str).ok_or("the client jwk has no 'alg'")?;
    let key = Jwk::from_map(map.clone()).map_err(|e| format!("the client jwk: {e}"))?;
    let signer = signer(alg, &key)?;
    let mut header = JwsHeader::new();
    if let Some(kid) = map.get("kid").and_then(Value::as_str) {
        header.set_key_id(kid);
    }
    let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
    josekit::jws::serialize_compact(&payload, &header, &*signer).map_err(|e| format!("signing: {e}"))
}

/// `CreateClientAuthenticationAssertionClaims` + signing.
pub fn client_assertion(client: &Client, audience: &str) -> Result<String, String> {
    let jwk = client.jwk.as_ref().ok_or("private_key_jwt needs the client's private 'jwk' in the run configuration")?;
    let now = crate::checks::now();
    let claims = json!({
        "iss": client.id, "sub": client.id, "aud": audience, "jti": random_alnum(20),
        "iat": now, "nbf": now, "exp": now + 60,
    });
    sign_with_jwk(jwk, &claims)
}

/// Adds the client's authentication to a token-endpoint request (form + builder).
pub fn authenticate(
    client: &Client,
    token_endpoint: &str,
    mut form: Vec<(String, String)>,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::RequestBuilder, String> {
    let secret =
        || client.secret.clone().ok_or_else(|| format!("client '{}' has no client_secret configured", client.id));
    let request = match client.auth.as_str() {
        "client_secret_basic" => {
            let pair = format!("{}:{}", form_encode(&client.id), form_encode(&secret()?));
            request.header("Authorization", format!("Basic {}", STANDARD.encode(pair)))
        }
        "client_secret_post" => {
            form.push(("client_id".into(), client.id.clone()));
            form.push(("client_secret".into(), secret()?));
            request
        }
        "private_key_jwt" => {
            form.push((
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            form.push(("client_assertion".into(), client_assertion(client, token_endpoint)?));
            request
        }
        other => return Err(format!("unsupported client authentication '{other}'")),
    };
    Ok(request.header("Accept", "application/json").form(&form))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        assert_eq!(form_encode("a b:c/é"), "a+b%3Ac%2F%C3%A9");
    }
}
