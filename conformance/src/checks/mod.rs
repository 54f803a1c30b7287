//! The suite's conditions, each recorded under the suite's own class name and level. A function
//! here takes what it checks plus the `TestLog`; those of the suite's stop-on-failure kind
//! return a `Step` so a module can `?` them.

pub mod authz;
pub mod claims;
pub mod discovery;
pub mod entropy;
pub mod idtoken;
pub mod jwe;
pub mod jwks;
pub mod logout;
pub mod metadata_schema;
pub mod signature;
pub mod token;
pub mod userinfo;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// A compact JWS split and decoded, unverified.
#[derive(Debug, Clone, Default)]
pub struct Jwt {
    /// The compact JWS (of an encrypted token: the signed token it carried, as the suite keeps
    /// it; it is what an `id_token_hint` sends back).
    pub raw: String,
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// The JWE header of a token that came encrypted.
    pub jwe_header: Option<Map<String, Value>>,
}

impl Jwt {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parts: Vec<&str> = raw.split('.').collect();
        if parts.len() == 5 {
            return Err("the token is a JWE (encrypted), not a signed JWT".into());
        }
        if parts.len() != 3 {
            return Err(format!("not a compact JWT: {} parts", parts.len()));
        }
        let object = |part: &str, what: &str| -> Result<Map<String, Value>, String> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|e| format!("{what} is not base64url: {e}"))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err(format!("{what} is not a JSON object")),
            }
        };
        Ok(Self {
            raw: raw.into(),
            header: object(parts[0], "header")?,
            claims: object(parts[1], "payload")?,
            jwe_header: None,
        })
    }

    /// A token the OP may have encrypted to the client (an ID token): a JWE is decrypted with
    /// the client's private `keys` and what it carried parsed, its JWE header kept.
    pub fn parse_for_client(raw: &str, keys: Option<&Value>) -> Result<Self, String> {
        if raw.split('.').count() != 5 {
            return Self::parse(raw);
        }
        let keys =
            keys.ok_or("the token is a JWE (encrypted), and the client has no private keys (jwks) to decrypt it")?;
        let (jwe_header, payload) = jwe::decrypt(raw, keys)?;
        let inner = String::from_utf8(payload).map_err(|_| "the decrypted JWE is not UTF-8".to_string())?;
        let jwt = Self::parse(inner.trim()).map_err(|e| format!("the JWE has been decrypted, but {e}"))?;
        Ok(Self { jwe_header: Some(jwe_header), ..jwt })
    }

    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `application/json` as a MIME type, parameters ignored.
pub fn is_json_content_type(content_type: Option<&str>) -> bool {
    content_type.and_then(|c| c.split(';').next()).is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// A string member of a JSON object.
pub fn str_of<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}
