//! The suite's conditions, each recorded under the suite's own class name and level. A function
//! here takes what it checks plus the `TestLog`; those of the suite's stop-on-failure kind
//! return a `Step` so a module can `?` them.

pub mod authz;
pub mod claims;
pub mod discovery;
pub mod entropy;
pub mod idtoken;
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
#[derive(Debug, Clone)]
pub struct Jwt {
    pub raw: String,
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

impl Jwt {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parts: Vec<&str> = raw.split('.').collect();
        if parts.len() == 5 {
            return Err("the token is a JWE (encrypted); this runner has no client decryption key".into());
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
        Ok(Self { raw: raw.into(), header: object(parts[0], "header")?, claims: object(parts[1], "payload")? })
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
