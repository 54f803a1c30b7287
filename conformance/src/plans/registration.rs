//! Dynamic client registration (section 1.3 step 5, `OIDCCCreateDynamicClientRegistrationRequest`
//! and `CallDynamicRegistrationEndpointAndVerifySuccessfulResponse`): a fresh RS256 client key
//! per registration, the registration request, the exact response checks, and the deletion of
//! every registered client at the end of the module (RFC 7592; a failed delete is a WARNING).

use josekit::jwk::Jwk;
use serde_json::{Map, Value, json};

use super::client_auth::random_alnum;
use super::flow::Parts;
use super::{Client, Ctx};
use crate::checks::{is_json_content_type, str_of};
use crate::http::{self, Reply};
use crate::log::{Abort, Level, Step, TestLog};

/// What is needed to delete a registered client.
#[derive(Debug, Clone)]
pub struct Registered {
    pub client_id: String,
    pub client_uri: Option<String>,
    pub access_token: Option<String>,
}

/// A registration request, with the private half of the key it carries.
#[derive(Debug, Clone)]
pub struct Registration {
    pub body: Map<String, Value>,
    pub private_jwk: Value,
}

/// `GenerateRS256ClientJWKs`: a 2048-bit RSA key with `kid`, `alg` and `use`. Returns the private
/// JWK and the public JWKS.
pub fn generate_rs256_key() -> Result<(Value, Value), String> {
    let mut jwk = Jwk::generate_rsa_key(2048).map_err(|e| format!("generating an RSA key: {e}"))?;
    jwk.set_key_id(random_alnum(12));
    jwk.set_algorithm("RS256");
    jwk.set_key_use("sig");
    let mut public = jwk.to_public_key().map_err(|e| format!("the public key: {e}"))?;
    // `to_public_key` keeps only the key material and `use`.
    public.set_key_id(jwk.key_id().unwrap_or_default().to_string());
    public.set_algorithm("RS256");
    let private = Value::Object(jwk.as_ref().clone());
    Ok((private, json!({ "keys": [Value::Object(public.as_ref().clone())] })))
}

impl Registration {
    /// The suite's default request for the run's response type and client authentication.
    pub fn new(ctx: &Ctx) -> Result<Self, String> {
        let (private_jwk, jwks) = generate_rs256_key()?;
        let parts = Parts::of(&ctx.response_type);
        let mut grants = Vec::new();
        if parts.code {
            grants.push("authorization_code");
        }
        if parts.id_token || parts.token {
            grants.push("implicit");
        }
        let body = json!({
            "client_name": format!("identita-conformance {}", ctx.module),
            "grant_types": grants,
            "jwks": jwks,
            "token_endpoint_auth_method": ctx.shape.client_auth,
            "response_types": [ctx.response_type],
            "redirect_uris": [ctx.config.redirect_uri()],
            "contacts": ["conformance@example.com"],
        });
        let Value::Object(body) = body else { return Err("registration request".into()) };
        Ok(Self { body, private_jwk })
    }

    pub fn set(mut self, name: &str, value: Value) -> Self {
        self.body.insert(name.into(), value);
        self
    }

    pub fn add_grant(mut self, grant: &str) -> Self {
        if let Some(Value::Array(g)) = self.body.get_mut("grant_types") {
            g.push(Value::from(grant));
        }
        self
    }

    /// The public key at the RP's `/client1_jwks` instead of by value (`oidcc-registration-jwks-uri`).
    pub fn jwks_by_uri(mut self, ctx: &Ctx) -> Self {
        if let Some(jwks) = self.body.remove("jwks") {
            ctx.rp.host_jwks(jwks);
        }
        self.set("jwks_uri", Value::from(format!("{}/client1_jwks", ctx.config.rp_base_url)))
    }
}

/// Setup (1.3) with a dynamically registered client: discovery, JWKS, then `reg` registered and
/// used as the module's client.
pub async fn setup_with(ctx: &mut Ctx, log: &mut TestLog, reg: Registration) -> Step {
    super::flow::setup_server(ctx, log).await?;
    ctx.client = register(ctx, log, reg).await?;
    crate::checks::discovery::check_client_auth_supported(log, &ctx.discovery, &ctx.client.auth);
    Ok(())
}

/// The default registration of the run, changed by `change` (setup 1.3 for modules that
/// register something more).
pub async fn setup_changed(
    ctx: &mut Ctx,
    log: &mut TestLog,
    change: impl FnOnce(Registration) -> Registration,
) -> Step {
    let reg = Registration::new(ctx).map_err(|e| fail(log, "GenerateRS256ClientJWKs", e))?;
    setup_with(ctx, log, change(reg)).await
}

/// `CallDynamicRegistrationEndpoint` (stop): POSTs the request as JSON.
pub async fn call(ctx: &Ctx, log: &mut TestLog, reg: &Registration) -> Step<Reply> {
    let endpoint = ctx.endpoint("registration_endpoint");
    if endpoint.is_empty() {
        return Err(fail(log, "CallDynamicRegistrationEndpoint", "discovery has no registration_endpoint".into()));
    }
    log.info("CreateDynamicRegistrationRequest", Value::Object(reg.body.clone()).to_string());
    let request = ctx.http.post(&endpoint).header("Accept", "application/json").json(&reg.body);
    let reply = http::send(request).await;
    log.need("CallDynamicRegistrationEndpoint", reply)
}

/// Registers and checks the response as the suite does; records the client for deletion and
/// returns it (authenticating as the request's `token_endpoint_auth_method`).
pub async fn register(ctx: &mut Ctx, log: &mut TestLog, reg: Registration) -> Step<Client> {
    let reply = call(ctx, log, &reg).await?;
    let ct = reply.content_type.clone();
    log.check(
        "EnsureContentTypeJson",
        Level::Failure,
        if is_json_content_type(ct.as_deref()) { Ok(()) } else { Err(format!("content type {ct:?}")) },
    );
    log.check(
        "EnsureHttpStatusCodeIs201",
        Level::Failure,
        if reply.status == 201 { Ok(()) } else { Err(reply.summary()) },
    );
    let body = reply.json_object().unwrap_or(Value::Null);
    let error = str_of(&body, "error").map(|e| format!("the registration endpoint returned error '{e}'"));
    log.check("CheckNoErrorFromDynamicRegistrationEndpoint", Level::Failure, error.map_or(Ok(()), Err));
    let client_id = str_of(&body, "client_id").filter(|s| !s.is_empty()).map(str::to_string);
    let client_id = log.need(
        "ExtractDynamicRegistrationResponse",
        client_id.ok_or_else(|| format!("no client_id in the registration response: {}", reply.summary())),
    )?;
    let client_uri = str_of(&body, "registration_client_uri").map(str::to_string);
    let access_token = str_of(&body, "registration_access_token").map(str::to_string);
    ctx.registered.push(Registered {
        client_id: client_id.clone(),
        client_uri: client_uri.clone(),
        access_token: access_token.clone(),
    });
    log.check("VerifyClientManagementCredentials", Level::Failure, management_credentials(&body));
    let secret = str_of(&body, "client_secret").map(str::to_string);
    log.check(
        "VerifyDynamicRegistrationResponseClientCredentials",
        Level::Failure,
        match (&secret, body.get("client_secret_expires_at")) {
            (Some(_), None) => Err("a client_secret was issued without client_secret_expires_at".into()),
            (Some(_), Some(v)) if !v.is_number() => Err(format!("client_secret_expires_at {v} is not a number")),
            _ => Ok(()),
        },
    );
    let auth = reg.body.get("token_endpoint_auth_method").and_then(Value::as_str).unwrap_or("client_secret_basic");
    log.info("SetScopeInClientConfigurationToOpenId", format!("registered client {client_id}"));
    Ok(Client { id: client_id, secret, jwk: Some(reg.private_jwk), auth: auth.to_string(), keys: None })
}

/// `registration_client_uri` and `registration_access_token`: both or neither, non-empty, a URL.
fn management_credentials(body: &Value) -> Result<(), String> {
    match (str_of(body, "registration_client_uri"), str_of(body, "registration_access_token")) {
        (None, None) => Ok(()),
        (Some(uri), Some(token)) if !token.is_empty() => {
            url::Url::parse(uri).map(|_| ()).map_err(|e| format!("registration_client_uri '{uri}': {e}"))
        }
        _ => Err("registration_client_uri and registration_access_token must come together".into()),
    }
}

/// A registration that must be refused: JSON and HTTP 400 (FAILURE), `error` one of `errors`
/// (WARNING). A client registered anyway is deleted at the end.
pub async fn register_expecting_error(ctx: &mut Ctx, log: &mut TestLog, reg: Registration, errors: &[&str]) -> Step {
    let reply = call(ctx, log, &reg).await?;
    let ct = reply.content_type.clone();
    log.check(
        "EnsureContentTypeJson",
        Level::Failure,
        if is_json_content_type(ct.as_deref()) { Ok(()) } else { Err(format!("content type {ct:?}")) },
    );
    log.check(
        "EnsureHttpStatusCodeIs400",
        Level::Failure,
        if reply.status == 400 { Ok(()) } else { Err(reply.summary()) },
    );
    let body = reply.json_object().unwrap_or(Value::Null);
    if let Some(id) = str_of(&body, "client_id") {
        ctx.registered.push(Registered {
            client_id: id.into(),
            client_uri: str_of(&body, "registration_client_uri").map(str::to_string),
            access_token: str_of(&body, "registration_access_token").map(str::to_string),
        });
    }
    let error = str_of(&body, "error");
    // The suite's condition for the accepted codes, e.g.
    // CheckErrorFromDynamicRegistrationEndpointIsInvalidRedirectUriOrInvalidClientMetadata.
    let condition = match errors {
        ["invalid_client_metadata"] => "CheckErrorFromDynamicRegistrationEndpointIsInvalidClientMetadata",
        _ => "CheckErrorFromDynamicRegistrationEndpointIsInvalidRedirectUriOrInvalidClientMetadata",
    };
    log.check(
        condition,
        Level::Warning,
        match error {
            Some(e) if errors.contains(&e) => Ok(()),
            other => Err(format!("error is {other:?}; expected one of {errors:?}")),
        },
    );
    Ok(())
}

/// `UnregisterDynamicallyRegisteredClient` for every client the module registered.
pub async fn unregister_all(ctx: &mut Ctx, log: &mut TestLog) {
    for reg in std::mem::take(&mut ctx.registered) {
        let (Some(uri), Some(token)) = (&reg.client_uri, &reg.access_token) else {
            log.info("UnregisterDynamicallyRegisteredClient", format!("{}: no management credentials", reg.client_id));
            continue;
        };
        let reply = http::send(ctx.http.delete(uri).bearer_auth(token)).await;
        log.check(
            "UnregisterDynamicallyRegisteredClient",
            Level::Warning,
            match reply {
                Ok(r) if r.status == 204 => Ok(()),
                Ok(r) => Err(format!("deleting {}: {}", reg.client_id, r.summary())),
                Err(e) => Err(format!("deleting {}: {e}", reg.client_id)),
            },
        );
    }
}

fn fail(log: &mut TestLog, condition: &str, message: String) -> Abort {
    log.check(condition, Level::Failure, Err(message.clone()));
    Abort(format!("{condition}: {message}"))
}
