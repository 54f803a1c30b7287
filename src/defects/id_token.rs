//! `drop-nonce`, `wrong-kid` and `drop-acr`: an ID-token signer around the honest one that removes
//! the `nonce` claim before signing, names a key that does not exist in the signed header, or
//! removes the `acr` claim (whatever the request asked for).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::keys::KeyError;
use crate::oidc::tokens::IdTokenSigner;

/// The `kid` that `wrong-kid` puts in the header: no JWKS has it.
pub const WRONG_KID: &str = "no-such-key";

pub struct Spoiled {
    pub(crate) inner: Arc<dyn IdTokenSigner>,
    pub drop_nonce: bool,
    pub wrong_kid: bool,
    pub drop_acr: bool,
}

impl IdTokenSigner for Spoiled {
    fn sign_id_token(&self, alg: &str, mut claims: Map<String, Value>) -> Result<String, KeyError> {
        if self.drop_nonce {
            claims.remove("nonce");
        }
        if self.drop_acr {
            claims.remove("acr");
        }
        let token = self.inner.sign_id_token(alg, claims)?;
        Ok(if self.wrong_kid { with_wrong_kid(&token) } else { token })
    }
}

/// The token with [`WRONG_KID`] in its header (the signature no longer matches the header
/// either; a relying party looking the key up fails first).
fn with_wrong_kid(token: &str) -> String {
    let Some((header, rest)) = token.split_once('.') else { return token.to_owned() };
    let decoded = URL_SAFE_NO_PAD.decode(header).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let Some(Value::Object(mut header)) = decoded else { return token.to_owned() };
    header.insert("kid".into(), Value::from(WRONG_KID));
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signs by encoding: `header.claims.sig`, to see what the wrapper changed.
    struct Plain;

    impl IdTokenSigner for Plain {
        fn sign_id_token(&self, alg: &str, claims: Map<String, Value>) -> Result<String, KeyError> {
            let header = serde_json::json!({ "alg": alg, "kid": "k1" }).to_string();
            let body = Value::Object(claims).to_string();
            Ok(format!("{}.{}.sig", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(body)))
        }
    }

    fn part(token: &str, index: usize) -> Value {
        let part = token.split('.').nth(index).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn claims() -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), "alice".into());
        claims.insert("nonce".into(), "n-1".into());
        claims.insert("acr".into(), "loa-low".into());
        claims
    }

    #[test]
    fn each_defect_spoils_only_its_part() {
        let signer =
            |drop_nonce, wrong_kid, drop_acr| Spoiled { inner: Arc::new(Plain), drop_nonce, wrong_kid, drop_acr };

        let token = signer(false, false, false).sign_id_token("RS256", claims()).unwrap();
        assert_eq!(part(&token, 0)["kid"], "k1");
        assert_eq!(part(&token, 1)["nonce"], "n-1");
        assert_eq!(part(&token, 1)["acr"], "loa-low");

        let token = signer(true, false, false).sign_id_token("RS256", claims()).unwrap();
        assert_eq!(part(&token, 0)["kid"], "k1");
        assert!(part(&token, 1).get("nonce").is_none());
        assert_eq!(part(&token, 1)["sub"], "alice");
        assert_eq!(part(&token, 1)["acr"], "loa-low");

        let token = signer(false, true, false).sign_id_token("RS256", claims()).unwrap();
        assert_eq!(part(&token, 0)["kid"], WRONG_KID);
        assert_eq!(part(&token, 0)["alg"], "RS256");
        assert_eq!(part(&token, 1)["nonce"], "n-1");
        assert!(token.ends_with(".sig"));

        let token = signer(false, false, true).sign_id_token("RS256", claims()).unwrap();
        assert_eq!(part(&token, 0)["kid"], "k1");
        assert!(part(&token, 1).get("acr").is_none());
        assert_eq!(part(&token, 1)["nonce"], "n-1");
    }
}
