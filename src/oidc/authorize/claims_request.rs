//! The `claims` request parameter (OpenID Connect Core §5.5): which individual claims the client
//! wants in the ID token and at the userinfo endpoint.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::loa::AcrClaim;
use crate::oidc::error::OAuthError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) userinfo: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) id_token: Map<String, Value>,
}

impl ClaimsRequest {
    /// Parses the parameter's JSON text; every member must be `null` or an object with the
    /// optional `essential` (boolean), `value` or `values` (array) members.
    pub(crate) fn parse(text: &str) -> Result<Self, OAuthError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|_| OAuthError::invalid_request("the claims parameter is not valid JSON"))?;
        Self::from_value(value)
    }

    pub(crate) fn from_value(value: Value) -> Result<Self, OAuthError> {
        let Value::Object(top) = value else {
            return Err(OAuthError::invalid_request("the claims parameter must be a JSON object"));
        };
        let mut request = Self::default();
        for (member, target) in [("userinfo", &mut request.userinfo), ("id_token", &mut request.id_token)] {
            match top.get(member) {
                None | Some(Value::Null) => {}
                Some(Value::Object(claims)) => {
                    for (name, spec) in claims {
                        check_spec(member, name, spec)?;
                    }
                    *target = claims.clone();
                }
                Some(_) => {
                    return Err(OAuthError::invalid_request(format!("claims.{member} must be a JSON object")));
                }
            }
        }
        Ok(request)
    }

    /// The claim names requested for `userinfo` or `id_token`.
    #[cfg(test)]
    pub(crate) fn names(members: &Map<String, Value>) -> impl Iterator<Item = &str> {
        members.keys().map(String::as_str)
    }

    /// The `acr` members, `id_token`'s first then `userinfo`'s: whether each is essential and the
    /// values it names (`value`, then `values`; values that are not strings are left out).
    pub(crate) fn acr_claims(&self) -> Vec<AcrClaim> {
        let member = |claims: &Map<String, Value>| {
            let spec = claims.get("acr")?.as_object()?;
            let essential = spec.get("essential").and_then(Value::as_bool).unwrap_or(false);
            let mut values: Vec<String> = Vec::new();
            if let Some(Value::String(v)) = spec.get("value") {
                values.push(v.clone());
            }
            if let Some(Value::Array(vs)) = spec.get("values") {
                values.extend(vs.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            Some(AcrClaim { essential, values })
        };
        [&self.id_token, &self.userinfo].into_iter().filter_map(member).collect()
    }
}

fn check_spec(member: &str, name: &str, spec: &Value) -> Result<(), OAuthError> {
    let bad = |what: &str| OAuthError::invalid_request(format!("claims.{member}.{name}: {what}"));
    match spec {
        Value::Null => Ok(()),
        Value::Object(fields) => {
            if fields.get("essential").is_some_and(|e| !e.is_boolean()) {
                return Err(bad("essential must be a boolean"));
            }
            if fields.get("values").is_some_and(|v| !v.is_array()) {
                return Err(bad("values must be an array"));
            }
            Ok(())
        }
        _ => Err(bad("must be null or an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_members_and_acr() {
        let request = ClaimsRequest::parse(
            r#"{"userinfo":{"name":{"essential":true},"email":null},"id_token":{"acr":{"essential":true,"values":["a","b"]}}}"#,
        )
        .unwrap();
        let mut names: Vec<_> = ClaimsRequest::names(&request.userinfo).collect();
        names.sort();
        assert_eq!(names, ["email", "name"]);
        let acr = AcrClaim { essential: true, values: vec!["a".to_string(), "b".to_string()] };
        assert_eq!(request.acr_claims(), vec![acr]);
        let both = ClaimsRequest::parse(
            r#"{"userinfo":{"acr":{"value":"u"}},"id_token":{"acr":{"essential":false,"value":"i","values":["j",5]}}}"#,
        )
        .unwrap();
        let id_token = AcrClaim { essential: false, values: vec!["i".into(), "j".into()] };
        let userinfo = AcrClaim { essential: false, values: vec!["u".into()] };
        assert_eq!(both.acr_claims(), vec![id_token, userinfo]);
    }

    #[test]
    fn rejects_malformed_parameters() {
        assert!(ClaimsRequest::parse("not json").is_err());
        assert!(ClaimsRequest::parse("[]").is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo":[]}"#).is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo":{"name":{"essential":"yes"}}}"#).is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo":{"name":5}}"#).is_err());
    }
}
