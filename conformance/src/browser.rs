//! A real headless Chromium, driven through chromedriver with fantoccini, playing the user: it
//! opens the authorization URL, logs in and consents when the OP's configured login or consent
//! page shows, and ends when the relying party receives a response (`Landing::Redirected`) or when
//! some other page stays put (`Landing::Page`, screenshot saved) or nothing happens in time.
//! Each `Session` is a fresh profile, so a new session has no OP cookies.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::config::{BrowserConfig, RunConfig};
use crate::rp::{Hit, Rp};

/// The chromedriver process, killed when dropped.
pub struct Driver {
    child: Child,
    port: u16,
    config: BrowserConfig,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start(config: &BrowserConfig) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?
            .port();
        let child = Command::new(&config.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", config.chromedriver.display()))?;
        let driver = Self { child, port, config: config.clone() };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(driver);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("chromedriver did not listen on port {port}"))
    }

    /// A new browser with an empty profile (no cookies).
    pub async fn session(&self) -> Result<Session, String> {
        let profile = tempfile::tempdir().map_err(|e| format!("a browser profile dir: {e}"))?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": self.config.chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--ignore-certificate-errors", "--lang=en-US",
                    "--window-size=1000,900", format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": "en-US,en" },
            }),
        );
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .map_err(|e| format!("a browser session: {e}"))?;
        Ok(Session { client, _profile: profile, config: self.config.clone(), shots: 0 })
    }
}

/// How the browser left the OP.
#[derive(Debug)]
pub enum Landing {
    /// The RP endpoint received a request; `fragment` is what the callback page posted back.
    Redirected { hit: Hit, fragment: Option<String> },
    /// A page that is neither the login nor the consent page stayed: its HTTP status (from the
    /// browser's navigation timing; `None` when the browser does not tell) and whether it carries
    /// an error marker (the configured `error_page` selector, or an OAuth error code in its text)
    /// or the logged-out marker (the configured `logged_out_page` selector).
    Page { url: String, screenshot: PathBuf, status: Option<u16>, error_marker: bool, logged_out: bool },
    /// A drive that must not interact (`Drive::silent`, e.g. `prompt=none`) met the OP's login
    /// (`kind` "login") or consent ("consent") page; nothing was filled or pressed.
    Interaction { url: String, kind: &'static str, screenshot: PathBuf },
    /// Still on the OP (login or consent, or loading) when time ran out.
    Timeout { url: String, screenshot: Option<PathBuf> },
}

/// The landing, the login- and consent-page screenshots taken, and what the user did on the way.
#[derive(Debug)]
pub struct Driven {
    pub landing: Landing,
    pub login_shots: Vec<PathBuf>,
    /// With `screenshot_login`: the `img` sources and `a` targets (absolute) of those login pages.
    pub login_urls: Vec<String>,
    pub consent_shots: Vec<PathBuf>,
    /// With `screenshot_consent`: the `img` sources and `a` targets (absolute) of those consent pages.
    pub consent_urls: Vec<String>,
    pub trace: Vec<String>,
}

/// What to do on the way.
#[derive(Debug, Clone)]
pub struct Drive<'a> {
    /// RP paths that end the drive (prefix match), e.g. `/callback`.
    pub until: &'a [&'a str],
    /// Whether to fill the login page (false: the login page counts as a page that stayed).
    pub log_in: bool,
    /// Take a screenshot of every login page seen (modules whose placeholder is the login page).
    pub screenshot_login: bool,
    /// Take a screenshot of every consent page seen (the modules that look for the registered
    /// client's logo, policy or terms, which an OP may show while the person approves).
    pub screenshot_consent: bool,
    /// Wait for the callback page to post the fragment back.
    pub fragment: bool,
    /// The RP mark taken before the request.
    pub mark: usize,
    /// More buttons to press when they show, after the configured `continue_buttons` (e.g. the
    /// OP's logout confirmation).
    pub press: &'a [&'a str],
    /// The request must not interact with the user (`prompt=none`): a login or consent page ends
    /// the drive as `Landing::Interaction` instead of being filled or pressed.
    pub silent: bool,
}

impl Default for Drive<'_> {
    fn default() -> Self {
        Self {
            until: &["/callback"],
            log_in: true,
            screenshot_login: false,
            screenshot_consent: false,
            fragment: false,
            mark: 0,
            press: &[],
            silent: false,
        }
    }
}

pub struct Session {
    client: Client,
    _profile: tempfile::TempDir,
    config: BrowserConfig,
    shots: usize,
}

/// What one look at the page found.
#[derive(Debug, serde::Deserialize)]
struct PageState {
    url: String,
    login: bool,
    consent: bool,
    button: Option<String>,
    status: Option<u16>,
    error_marker: bool,
    logged_out: bool,
}

/// The OAuth 2.0 / OpenID Connect error codes an OP's error page may name for a bad request
/// (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6; `server_error` and `temporarily_unavailable` are not
/// errors of the request and do not count).
const ERROR_CODES: &[&str] = &[
    "invalid_request",
    "invalid_redirect_uri",
    "unauthorized_client",
    "unsupported_response_type",
    "invalid_scope",
    "invalid_client",
    "access_denied",
    "invalid_request_object",
    "invalid_request_uri",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
    "login_required",
    "consent_required",
    "interaction_required",
    "account_selection_required",
];

impl Session {
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    pub async fn goto(&self, url: &str) -> Result<(), String> {
        self.client.goto(url).await.map_err(|e| format!("opening {url}: {e}"))
    }

    /// Submits `params` to `url` as an HTML form POST (the browser's own navigation).
    pub async fn post_form(&self, url: &str, params: &[(String, String)]) -> Result<(), String> {
        self.client.goto("about:blank").await.map_err(|e| e.to_string())?;
        let script = r#"
            const [action, params] = arguments;
            const form = document.createElement('form');
            form.method = 'POST'; form.action = action;
            for (const [k, v] of params) {
              const input = document.createElement('input');
              input.type = 'hidden'; input.name = k; input.value = v; form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();"#;
        self.client.execute(script, vec![json!(url), json!(params)]).await.map_err(|e| format!("POST form: {e}"))?;
        Ok(())
    }

    pub async fn screenshot(&mut self, dir: &Path, stem: &str) -> Result<PathBuf, String> {
        let png = self.client.screenshot().await.map_err(|e| format!("screenshot: {e}"))?;
        self.shots += 1;
        let path = dir.join(format!("{stem}-{}.png", self.shots));
        std::fs::write(&path, png).map_err(|e| format!("writing {}: {e}", path.display()))?;
        Ok(path)
    }

    async fn look(&self, press: &[&str]) -> Option<PageState> {
        let script = r#"
            const [login, consent, buttons, errorPage, codes, loggedOut] = arguments;
            const q = (s) => { try { return !!document.querySelector(s); } catch (e) { return false; } };
            const nav = performance.getEntriesByType('navigation')[0];
            const text = document.body ? document.body.innerText : '';
            const marker = (!!errorPage && q(errorPage)) || codes.some((c) => text.includes(c));
            return { url: location.href, login: q(login), consent: q(consent),
                     button: buttons.find(q) || null,
                     status: nav && nav.responseStatus ? nav.responseStatus : null,
                     error_marker: marker, logged_out: !!loggedOut && q(loggedOut) };"#;
        let mut buttons = self.config.continue_buttons.clone();
        buttons.extend(press.iter().map(|b| b.to_string()));
        let args = vec![
            json!(self.config.login_page),
            json!(self.config.consent_page),
            json!(buttons),
            json!(self.config.error_page),
            json!(ERROR_CODES),
            json!(self.config.logged_out_page),
        ];
        let value = self.client.execute(script, args).await.ok()?;
        serde_json::from_value(value).ok()
    }

    /// The `img` sources and `a` targets of the page, resolved to absolute URLs.
    async fn page_urls(&self) -> Vec<String> {
        let script = r#"
            return [...document.querySelectorAll('img[src]')].map((e) => e.src)
                .concat([...document.querySelectorAll('a[href]')].map((e) => e.href));"#;
        let value = self.client.execute(script, vec![]).await.unwrap_or_default();
        serde_json::from_value(value).unwrap_or_default()
    }

    async fn find(&self, selector: &str) -> Result<fantoccini::elements::Element, String> {
        self.client.find(Locator::Css(selector)).await.map_err(|e| format!("{selector}: {e}"))
    }

    async fn fill_login(&self, run: &RunConfig) -> Result<(), String> {
        let c = &self.config;
        let user = self.find(&c.username_field).await?;
        user.clear().await.map_err(|e| e.to_string())?;
        user.send_keys(&run.username).await.map_err(|e| e.to_string())?;
        let pass = self.find(&c.password_field).await?;
        pass.clear().await.map_err(|e| e.to_string())?;
        pass.send_keys(&run.password).await.map_err(|e| e.to_string())?;
        self.find(&c.login_submit).await?.click().await.map_err(|e| e.to_string())
    }

    async fn click(&self, selector: &str) -> Result<(), String> {
        let button = self.client.find(Locator::Css(selector)).await.map_err(|e| format!("{selector}: {e}"))?;
        button.click().await.map_err(|e| format!("clicking {selector}: {e}"))
    }

    /// Plays the user until the RP is reached or a page stays; see the module doc.
    pub async fn drive(
        &mut self,
        run: &RunConfig,
        rp: &Rp,
        out: &Path,
        stem: &str,
        d: &Drive<'_>,
    ) -> Result<Driven, String> {
        let start = Instant::now();
        let timeout = Duration::from_secs(self.config.timeout_seconds);
        let settle = Duration::from_secs(self.config.settle_seconds);
        let mut login_shots = Vec::new();
        let mut login_urls = Vec::new();
        let mut consent_shots = Vec::new();
        let mut consent_urls = Vec::new();
        let mut trace = Vec::new();
        let mut acted: Option<Instant> = None;
        let mut logins = 0;
        let mut stayed: Option<(String, Instant)> = None;
        let reached = |h: &Hit| d.until.iter().any(|p| h.path == *p || h.path.starts_with(&format!("{p}/")));
        loop {
            if let Some(hit) = rp.hits_since(d.mark).into_iter().find(|h| reached(h)) {
                let fragment = if d.fragment {
                    let wait = Duration::from_secs(5);
                    rp.wait_for(hit.seq, wait, |h| h.path == "/implicit_submit").await.map(|h| h.body)
                } else {
                    None
                };
                return Ok(Driven {
                    landing: Landing::Redirected { hit, fragment },
                    login_shots,
                    login_urls,
                    consent_shots,
                    consent_urls,
                    trace,
                });
            }
            if start.elapsed() > timeout {
                let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                let screenshot = self.screenshot(out, stem).await.ok();
                return Ok(Driven {
                    landing: Landing::Timeout { url, screenshot },
                    login_shots,
                    login_urls,
                    consent_shots,
                    consent_urls,
                    trace,
                });
            }
            let quiet = acted.is_none_or(|t| t.elapsed() > Duration::from_secs(2));
            match self.look(d.press).await {
                Some(page) if d.silent && (page.login || page.consent) => {
                    let kind = if page.login { "login" } else { "consent" };
                    trace.push(format!("the {kind} page showed on {}; a silent request must not show it", page.url));
                    let screenshot = self.screenshot(out, &format!("{stem}-{kind}")).await?;
                    return Ok(Driven {
                        landing: Landing::Interaction { url: page.url, kind, screenshot },
                        login_shots,
                        login_urls,
                        consent_shots,
                        consent_urls,
                        trace,
                    });
                }
                Some(page) if page.login && d.log_in && logins < 3 => {
                    stayed = None;
                    if quiet {
                        if d.screenshot_login {
                            login_shots.push(self.screenshot(out, &format!("{stem}-login")).await?);
                            login_urls.extend(self.page_urls().await);
                        }
                        trace.push(format!("logged in on {}", page.url));
                        self.fill_login(run).await?;
                        logins += 1;
                        acted = Some(Instant::now());
                    }
                }
                Some(page) if page.consent => {
                    stayed = None;
                    if quiet {
                        if d.screenshot_consent {
                            consent_shots.push(self.screenshot(out, &format!("{stem}-consent")).await?);
                            consent_urls.extend(self.page_urls().await);
                        }
                        trace.push(format!("consented on {}", page.url));
                        self.click(&self.config.consent_allow.clone()).await?;
                        acted = Some(Instant::now());
                    }
                }
                Some(PageState { button: Some(button), url, .. }) if quiet => {
                    stayed = None;
                    trace.push(format!("pressed {button} on {url}"));
                    self.click(&button).await?;
                    acted = Some(Instant::now());
                }
                Some(page) => match &stayed {
                    Some((url, since)) if *url == page.url && since.elapsed() >= settle => {
                        let screenshot = self.screenshot(out, stem).await?;
                        let (status, error_marker, logged_out) = (page.status, page.error_marker, page.logged_out);
                        let landing = Landing::Page { url: page.url, screenshot, status, error_marker, logged_out };
                        return Ok(Driven { landing, login_shots, login_urls, consent_shots, consent_urls, trace });
                    }
                    Some((url, _)) if *url == page.url => {}
                    _ => stayed = Some((page.url, Instant::now())),
                },
                None => {}
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
