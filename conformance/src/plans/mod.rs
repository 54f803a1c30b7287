//! Test plans: a plan is a named list of modules; a module is an async function over a `Ctx`
//! and a `TestLog`, named as the suite names it. Adding a plan means writing its modules (with the
//! shared pieces in `flow`) and listing it in `PLANS`.

pub mod backchannel;
pub mod basic;
pub mod basic_more;
pub mod client_auth;
pub mod config;
pub mod dynamic;
pub mod dynamic_more;
pub mod flow;
pub mod front_channel;
pub mod logout;
pub mod refresh;
pub mod registration;
pub mod session;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use crate::browser::{Driver, Session};
use crate::config::RunConfig;
use crate::log::{Step, TestLog};
use crate::rp::Rp;

pub type ModuleFuture<'a> = Pin<Box<dyn Future<Output = Step> + 'a>>;

pub struct Module {
    pub name: &'static str,
    pub run: for<'a> fn(&'a mut Ctx, &'a mut TestLog) -> ModuleFuture<'a>,
}

/// `module!("oidcc-server", oidcc_server)`: a `Module` from an `async fn(&mut Ctx, &mut TestLog) -> Step`.
#[macro_export]
macro_rules! module {
    ($name:expr, $f:path) => {{
        fn run<'a>(c: &'a mut $crate::plans::Ctx, l: &'a mut $crate::log::TestLog) -> $crate::plans::ModuleFuture<'a> {
            Box::pin($f(c, l))
        }
        $crate::plans::Module { name: $name, run }
    }};
}

pub struct Plan {
    pub name: &'static str,
    /// The variants it runs with (`--variant`); the first is the default.
    pub variants: &'static [&'static str],
    pub needs_browser: bool,
    /// What a variant means: client authentication, response type, response mode.
    pub shape: fn(variant: &str) -> Shape,
    pub modules: fn(variant: &str) -> Vec<Module>,
}

/// The suite's variant parameters a run fixes (section 1.1).
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// `client_secret_basic`, `client_secret_post` or `private_key_jwt`.
    pub client_auth: &'static str,
    /// `code`, `id_token`, `id_token token`, `code id_token`, `code token`, `code id_token token`.
    pub response_type: &'static str,
    pub form_post: bool,
}

/// The shape of the code-flow plans, whose variant is the client authentication.
pub fn code_flow_with_client_auth(variant: &str) -> Shape {
    let client_auth = match variant {
        "client_secret_post" => "client_secret_post",
        "private_key_jwt" => "private_key_jwt",
        _ => "client_secret_basic",
    };
    Shape { client_auth, response_type: "code", form_post: false }
}

pub const PLANS: &[Plan] = &[
    Plan {
        name: "oidcc-config-certification-test-plan",
        variants: &["client_secret_basic"],
        needs_browser: false,
        shape: code_flow_with_client_auth,
        modules: config::modules,
    },
    Plan {
        name: "oidcc-basic-certification-test-plan",
        variants: &["client_secret_basic", "client_secret_post", "private_key_jwt"],
        needs_browser: true,
        shape: code_flow_with_client_auth,
        modules: basic::modules,
    },
    Plan {
        name: "oidcc-implicit-certification-test-plan",
        variants: front_channel::IMPLICIT_VARIANTS,
        needs_browser: true,
        shape: front_channel::implicit_shape,
        modules: front_channel::implicit_modules,
    },
    Plan {
        name: "oidcc-hybrid-certification-test-plan",
        variants: front_channel::HYBRID_VARIANTS,
        needs_browser: true,
        shape: front_channel::hybrid_shape,
        modules: front_channel::hybrid_modules,
    },
    Plan {
        name: "oidcc-formpost-basic-certification-test-plan",
        variants: &["client_secret_basic", "client_secret_post", "private_key_jwt"],
        needs_browser: true,
        shape: front_channel::formpost_basic_shape,
        modules: basic::modules,
    },
    Plan {
        name: "oidcc-formpost-implicit-certification-test-plan",
        variants: front_channel::IMPLICIT_VARIANTS,
        needs_browser: true,
        shape: front_channel::formpost_implicit_shape,
        modules: front_channel::implicit_modules,
    },
    Plan {
        name: "oidcc-formpost-hybrid-certification-test-plan",
        variants: front_channel::HYBRID_VARIANTS,
        needs_browser: true,
        shape: front_channel::formpost_hybrid_shape,
        modules: front_channel::hybrid_modules,
    },
    Plan {
        name: "oidcc-rp-initiated-logout-certification-test-plan",
        variants: &["client_secret_basic"],
        needs_browser: true,
        shape: code_flow_with_client_auth,
        modules: logout::modules,
    },
    Plan {
        name: "oidcc-backchannel-rp-initiated-logout-certification-test-plan",
        variants: &["client_secret_basic"],
        needs_browser: true,
        shape: code_flow_with_client_auth,
        modules: backchannel::modules,
    },
    Plan {
        name: "oidcc-dynamic-certification-test-plan",
        variants: dynamic::VARIANTS,
        needs_browser: true,
        shape: dynamic::shape,
        modules: dynamic::modules,
    },
];

pub fn find(name: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.name == name)
}

/// The client a module authenticates as.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
    pub jwk: Option<Value>,
    /// `client_secret_basic`, `client_secret_post` or `private_key_jwt`.
    pub auth: String,
    /// The client's private keys (the run config's `jwks`), for the ID tokens the OP encrypts
    /// to it.
    pub keys: Option<Value>,
}

/// Everything a module works with. Discovery and JWKS are fetched per module (setup), as the
/// suite does.
pub struct Ctx {
    pub config: Arc<RunConfig>,
    pub http: reqwest::Client,
    pub rp: Rp,
    pub driver: Option<Arc<Driver>>,
    pub out: PathBuf,
    pub shape: Shape,
    /// The response type of requests (from the shape; a module may change it).
    pub response_type: String,
    pub form_post: bool,
    pub module: &'static str,
    pub discovery: Value,
    pub jwks: Value,
    pub client: Client,
    browser: Option<Session>,
    /// The dynamic plan: `flow::setup` registers a client instead of using a configured one.
    pub dynamic: bool,
    /// The clients this module registered, deleted when it ends.
    pub registered: Vec<registration::Registered>,
    /// The image sources and link targets (absolute URLs) of the login pages seen by the last
    /// authorization driven with `screenshot_login`.
    pub login_page_urls: Vec<String>,
    /// The same for the consent pages seen by the last authorization driven with
    /// `screenshot_consent`.
    pub consent_page_urls: Vec<String>,
}

impl Ctx {
    pub fn new(
        config: Arc<RunConfig>,
        http: reqwest::Client,
        rp: Rp,
        driver: Option<Arc<Driver>>,
        out: PathBuf,
        shape: Shape,
    ) -> Self {
        Self {
            config,
            http,
            rp,
            driver,
            out,
            shape,
            response_type: shape.response_type.into(),
            form_post: shape.form_post,
            module: "",
            discovery: Value::Null,
            jwks: Value::Null,
            client: Client { id: String::new(), secret: None, jwk: None, auth: String::new(), keys: None },
            browser: None,
            dynamic: false,
            registered: Vec::new(),
            login_page_urls: Vec::new(),
            consent_page_urls: Vec::new(),
        }
    }

    /// The browser of this module (the same one across calls: the same OP session).
    pub async fn browser(&mut self) -> Result<&mut Session, String> {
        if self.browser.is_none() {
            let driver = self.driver.as_ref().ok_or("this plan runs without a browser")?;
            self.browser = Some(driver.session().await?);
        }
        self.browser.as_mut().ok_or_else(|| "no browser".to_string())
    }

    /// Ends the module's browser; the next `browser()` is a fresh one without OP cookies.
    pub async fn close_browser(&mut self) {
        if let Some(b) = self.browser.take() {
            b.close().await;
        }
    }

    pub fn issuer(&self) -> String {
        self.discovery.get("issuer").and_then(Value::as_str).unwrap_or_default().to_string()
    }

    pub fn endpoint(&self, name: &str) -> String {
        self.discovery.get(name).and_then(Value::as_str).unwrap_or_default().to_string()
    }
}
