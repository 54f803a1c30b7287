//! The basic plan's session modules: prompt=login, prompt=none (logged in or not), max_age,
//! and the silent second authorization they share with `oidcc-id-token-hint`. Each runs all of
//! its authorizations in its one browser, so the OP session carries over; prompt-none-not-logged-in
//! starts from a fresh browser.

use super::Ctx;
use super::flow::{self, AuthRequest, HfOptions, LOG_IN, Send};
use crate::checks::Jwt;
use crate::checks::authz::{self, param};
use crate::log::{Level, Step, TestLog};

fn auth_time(j: &Jwt) -> Option<i64> {
    j.claim_i64("auth_time")
}

pub async fn prompt_login(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let first = flow::happy_flow(ctx, log, &AuthRequest::new(ctx, "openid"), HfOptions::default()).await?;
    flow::sleep(log, 1).await;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("prompt", "login");
    let send = Send { screenshot_login: true, ..LOG_IN };
    let before = log.evidence.len();
    let second = flow::happy_flow(ctx, log, &req, HfOptions { send, ..HfOptions::default() }).await?;
    flow::check_second_login_page(log, before, "prompt=login");
    if let (Some(a), Some(b)) = (auth_time(&first.id_token), auth_time(&second.id_token)) {
        log.check(
            "CheckIdTokenAuthTimeClaimsDifferIfPresent",
            Level::Failure,
            if b > a { Ok(()) } else { Err(format!("the second auth_time {b} is not later than the first {a}")) },
        );
    }
    Ok(())
}

pub async fn prompt_none_not_logged_in(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    ctx.close_browser().await;
    let mut req = AuthRequest::new(ctx, "openid");
    req.long_state().set("prompt", "none");
    let landing = flow::authorize(ctx, log, &req, Send::default()).await?;
    let (params, code_anywhere) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    let error = param(&params, "error");
    let expected = ["interaction_required", "login_required", "account_selection_required", "consent_required"];
    log.check(
        "CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface",
        Level::Failure,
        if error.is_some_and(|e| expected.contains(&e)) {
            Ok(())
        } else {
            Err(format!("error is {error:?}; expected one of {expected:?}"))
        },
    );
    authz::generic_error_checks(log, &params, req.state.as_deref(), &ctx.issuer(), code_anywhere);
    Ok(())
}

/// The second, silent authorization of prompt-none-logged-in and id-token-hint.
pub async fn silent_second(ctx: &mut Ctx, log: &mut TestLog, first: &flow::Hf, req: &AuthRequest) -> Step {
    let second = flow::happy_flow(
        ctx,
        log,
        req,
        HfOptions { send: Send { log_in: false, ..Send::default() }, ..HfOptions::default() },
    )
    .await;
    let second = match second {
        Ok(hf) => hf,
        Err(e) => return Err(e),
    };
    same_claims(log, &first.id_token, &second.id_token, false);
    Ok(())
}

fn same_claims(log: &mut TestLog, a: &Jwt, b: &Jwt, require_auth_time: bool) {
    match (auth_time(a), auth_time(b)) {
        (Some(x), Some(y)) => {
            log.check(
                "CheckIdTokenAuthTimeClaimsSameIfPresent",
                Level::Failure,
                if x == y { Ok(()) } else { Err(format!("auth_time changed from {x} to {y}")) },
            );
        }
        _ if require_auth_time => {
            log.check(
                "CheckIdTokenAuthTimeClaimPresentDueToMaxAge",
                Level::Failure,
                Err("auth_time is required in both ID tokens".into()),
            );
        }
        _ => {}
    }
    log.check(
        "CheckIdTokenSubConsistentForSecondAuthorization",
        Level::Failure,
        if a.claim_str("sub") == b.claim_str("sub") {
            Ok(())
        } else {
            Err("sub changed between the two ID tokens".into())
        },
    );
}

pub async fn prompt_none_logged_in(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let first = flow::happy_flow(ctx, log, &AuthRequest::new(ctx, "openid"), HfOptions::default()).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("prompt", "none");
    silent_second(ctx, log, &first, &req).await
}

pub async fn max_age_1(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let first = flow::happy_flow(ctx, log, &AuthRequest::new(ctx, "openid"), HfOptions::default()).await?;
    flow::sleep(log, 2).await;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("max_age", "1");
    let send = Send { screenshot_login: true, ..LOG_IN };
    let before = log.evidence.len();
    let second = flow::happy_flow(ctx, log, &req, HfOptions { send, ..HfOptions::default() }).await?;
    flow::check_second_login_page(log, before, "max_age=1, 2 s after the first login");
    match auth_time(&second.id_token) {
        None => {
            log.check(
                "CheckIdTokenAuthTimeClaimPresentDueToMaxAge",
                Level::Failure,
                Err("auth_time is required with max_age".into()),
            );
        }
        Some(t) => {
            if let Some(f) = auth_time(&first.id_token) {
                log.check(
                    "CheckSecondIdTokenAuthTimeIsLaterIfPresent",
                    Level::Failure,
                    if t > f { Ok(()) } else { Err(format!("auth_time {t} is not later than the first login's {f}")) },
                );
            }
            let now = crate::checks::now();
            log.check(
                "CheckIdTokenAuthTimeIsRecentIfPresent",
                Level::Failure,
                if t >= now - 301 { Ok(()) } else { Err(format!("auth_time {t} is older than 5 minutes")) },
            );
        }
    }
    Ok(())
}

pub async fn max_age_10000(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("max_age", "15000");
    let first = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("max_age", "10000");
    let second = flow::happy_flow(
        ctx,
        log,
        &req,
        HfOptions { send: Send { log_in: false, ..Send::default() }, ..HfOptions::default() },
    )
    .await?;
    same_claims(log, &first.id_token, &second.id_token, true);
    Ok(())
}
