//! `oidcc-config-certification-test-plan`: the single module `oidcc-discovery-endpoint-verification`
//! (section 4), no user interaction.

use super::{Ctx, Module};
use crate::checks::{discovery, is_json_content_type, jwks};
use crate::http;
use crate::log::{Level, Step, TestLog};
use crate::module;

pub fn modules(_variant: &str) -> Vec<Module> {
    vec![module!("oidcc-discovery-endpoint-verification", discovery_endpoint_verification)]
}

/// Also used by the dynamic plan, with `dynamic = true`.
pub async fn verify_discovery(ctx: &mut Ctx, log: &mut TestLog, dynamic: bool) -> Step {
    let url = ctx.config.discovery_url();
    let reply = http::send(ctx.http.get(&url)).await;
    let fetched = reply.and_then(|r| r.json_object().map(|doc| (r, doc)));
    let (reply, doc) = log.need("GetDynamicServerConfiguration", fetched)?;
    log.check(
        "EnsureDiscoveryEndpointResponseStatusCodeIs200",
        Level::Failure,
        if reply.status == 200 { Ok(()) } else { Err(reply.summary()) },
    );
    let ct = reply.content_type.clone();
    log.check(
        "CheckDiscoveryEndpointReturnedJsonContentType",
        Level::Failure,
        if is_json_content_type(ct.as_deref()) { Ok(()) } else { Err(format!("content type {ct:?}")) },
    );
    discovery::check_document(log, &doc, &url, dynamic);
    ctx.discovery = doc.clone();
    let jwks_uri = ctx.endpoint("jwks_uri");
    let keys = http::send(ctx.http.get(&jwks_uri)).await.and_then(|r| r.json_object());
    let keys = log.need("FetchServerKeys", keys)?;
    jwks::validate_jwks(log, &keys)?;
    discovery::check_document_after_jwks(log, &doc, dynamic);
    Ok(())
}

async fn discovery_endpoint_verification(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    verify_discovery(ctx, log, false).await
}
