//! `identita serve --dev`: the provider ready for a portal developer on this machine — a demo
//! client with a known secret and test citizens with known passwords (examples/dev-seed.toml,
//! read as `identita seed` reads it), client URLs on loopback allowed, and a summary on standard
//! output of everything needed to sign in.
//!
//! Those credentials are public, so dev mode refuses to start unless both the listen address
//! and the issuer are on loopback. Seeding is repeatable and never destroys a change: a missing
//! record is created, an equal one left alone, and one changed since (another secret, password,
//! profile, redirect URI; a disabled account) is kept as it is and named in the summary.
//!
//! The register's test citizens (examples/registry.jsonl) are added when missing, and each demo
//! account belongs to its person there (`person` in the seed file) unless it belongs to another.
//!
//! Each test citizen also gets an eObčanka ([`DEV_IOK`], [`DEV_DOK`]) in `<data_dir>/dev-cards/`,
//! issued once: a card file there is left alone, and a citizen who has a card but no file there
//! gets none.

use std::fmt::Write as _;
use std::sync::Arc;

use super::CliError;
use super::seed::{self, FixtureUser};
use crate::authn::Authn;
use crate::authn::password::Verdict;
use crate::config::{Config, DevMode};
use crate::model::Client;
use crate::oidc::Provider;

/// The public codes of the demo eObčanka cards.
pub const DEV_IOK: &str = "1234";
pub const DEV_DOK: &str = "12345678";

/// The redirect URI of the summary's example authorization URL (and the README's).
const EXAMPLE_REDIRECT: &str = "http://localhost:8000/callback";

/// The checks and settings of dev mode, before anything is opened.
pub fn prepare(config: &mut Config) -> Result<(), CliError> {
    if !config.listen.ip().is_loopback() {
        return Err(CliError(format!(
            "dev mode refuses listen {}: its demo credentials are public, so it serves on a loopback \
             address only (127.0.0.1 or [::1])",
            config.listen
        )));
    }
    let on_loopback = url::Url::parse(&config.issuer).is_ok_and(|u| crate::model::redirect_uri::is_loopback(&u));
    if !on_loopback {
        return Err(CliError(format!(
            "dev mode refuses issuer {:?}: its demo credentials are public, so the issuer must be on \
             loopback: http(s)://localhost, 127.0.0.1 or [::1]",
            config.issuer
        )));
    }
    // A relying party under development serves its jwks_uri or request_uri on this machine.
    config.outbound.allow_loopback = true;
    config.dev = Some(DevMode::default());
    Ok(())
}

/// What a start found of one seeded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Created,
    Unchanged,
    /// Changed since it was seeded: kept as it is.
    Changed,
}

struct SeededClient {
    client: Client,
    /// The demo secret, when the stored client still has it.
    secret: Option<String>,
    found: Found,
}

struct SeededCitizen {
    username: String,
    name: String,
    /// The demo password, when the stored account still has it.
    password: Option<String>,
    found: Found,
}

/// Seeds the demo data, prints the summary and returns the provider with the demo citizens in
/// its configuration (the landing page lists them).
pub async fn start(provider: Provider, authn: &Authn) -> Result<Provider, CliError> {
    let fixture =
        seed::parse_text(crate::dev::FIXTURE, false).map_err(|e| CliError(format!("examples/dev-seed.toml: {e}")))?;
    let mut clients = Vec::new();
    for (i, entry) in fixture.clients.into_iter().enumerate() {
        clients.push(seed_client(&provider, entry, i).await?);
    }
    let registered = seed_register(&provider).await?;
    let mut citizens = Vec::new();
    for entry in fixture.users {
        citizens.push(seed_citizen(&provider, authn, entry).await?);
    }
    let mut cards = Vec::new();
    for citizen in &citizens {
        if let Some(file) = seed_card(&provider, &citizen.username).await? {
            cards.push((citizen.username.clone(), file));
        }
    }
    let mut phones = Vec::new();
    for citizen in &citizens {
        if let Some(file) = seed_phone(&provider, &citizen.username).await? {
            phones.push((citizen.username.clone(), file));
        }
    }
    let changed: Vec<&str> = clients
        .iter()
        .filter(|c| c.found == Found::Changed)
        .map(|c| c.client.client_id.as_str())
        .chain(citizens.iter().filter(|c| c.found == Found::Changed).map(|c| c.username.as_str()))
        .collect();
    tracing::warn!(
        clients = clients.len(),
        citizens = citizens.len(),
        registered,
        kept_changed = ?changed,
        "dev mode is on: demo client and test citizens with public credentials, serving on loopback only"
    );
    println!("{}", summary(&provider, &clients, &citizens, &cards, &phones));
    let mut config = (*provider.config).clone();
    config.dev = Some(DevMode {
        citizens: citizens.iter().filter_map(|c| Some((c.username.clone(), c.password.clone()?))).collect(),
    });
    Ok(Provider { config: Arc::new(config), ..provider })
}

async fn seed_client(provider: &Provider, entry: seed::FixtureClient, index: usize) -> Result<SeededClient, CliError> {
    let id = entry.0.client_id.clone().unwrap_or_default();
    let existing = provider.stores.clients.get(&id).await?;
    let now = existing.as_ref().map_or_else(|| provider.now(), |c| c.created_at);
    let (wanted, secret) = seed::build_client(provider, entry, index, now).await?;
    let Some(existing) = existing else {
        provider.stores.clients.insert(&wanted).await?;
        return Ok(SeededClient { client: wanted, secret, found: Found::Created });
    };
    let found = if existing == wanted { Found::Unchanged } else { Found::Changed };
    let secret = secret.filter(|_| existing.secret_digest == wanted.secret_digest);
    Ok(SeededClient { client: existing, secret, found })
}

/// The citizen's demo card file, issued (and registered) when there is none.
async fn seed_card(provider: &Provider, username: &str) -> Result<Option<std::path::PathBuf>, CliError> {
    let Some(user) = provider.stores.users.find_by_username(username).await? else { return Ok(None) };
    let dir = std::path::absolute(provider.config.data_dir.join("dev-cards")).map_err(|e| CliError(e.to_string()))?;
    let file = dir.join(format!("{username}.json"));
    if file.exists() {
        return Ok(Some(file));
    }
    if !provider.stores.cards.of_user(&user.id).await?.is_empty() {
        return Ok(None);
    }
    std::fs::create_dir_all(&dir).map_err(|e| CliError(format!("{}: {e}", dir.display())))?;
    let now = provider.now();
    let (_, chip) = crate::card::issue::issue(
        &*provider.stores.cards,
        &provider.config.keys_dir,
        &user.id,
        now,
        now + 10 * 365 * 86_400,
        Some((DEV_IOK, DEV_DOK)),
    )
    .await
    .map_err(|e| CliError(format!("a demo card for {username:?}: {e}")))?;
    chip.write(&file).map_err(|e| CliError(e.to_string()))?;
    Ok(Some(file))
}

/// The citizen's demo MEG device file (a paired phone), made and registered when there is none.
async fn seed_phone(provider: &Provider, username: &str) -> Result<Option<std::path::PathBuf>, CliError> {
    let Some(user) = provider.stores.users.find_by_username(username).await? else { return Ok(None) };
    let dir = std::path::absolute(provider.config.data_dir.join("dev-meg")).map_err(|e| CliError(e.to_string()))?;
    let file = dir.join(format!("{username}.json"));
    if file.exists() {
        return Ok(Some(file));
    }
    if !provider.stores.devices.list(Some(&user.id)).await?.is_empty() {
        return Ok(None);
    }
    let failed = |e: crate::meg::device::DeviceError| CliError(format!("a demo MEG device for {username:?}: {}", e.0));
    let key = crate::meg::device::new_key().map_err(failed)?;
    let device = crate::model::Device {
        id: crate::secret::random_token(12),
        user_id: user.id.clone(),
        public_key: crate::meg::device::public_key(&key),
        name: "dev".into(),
        created_at: provider.now(),
        last_used_at: None,
        status: crate::model::DeviceStatus::Active,
    };
    let phone = crate::meg::device::DeviceFile::new(
        device.id.clone(),
        username.to_owned(),
        device.name.clone(),
        provider.issuer().to_owned(),
        &key,
    );
    phone.write(&file).map_err(failed)?;
    provider.stores.devices.insert(&device).await?;
    Ok(Some(file))
}

/// Adds the register's test citizens (examples/registry.jsonl) that are missing; a person
/// there already is left as it is. Returns how many were added.
async fn seed_register(provider: &Provider) -> Result<usize, CliError> {
    let persons = super::registry::file::read(crate::dev::REGISTER.as_bytes())
        .map_err(|e| CliError(format!("examples/registry.jsonl: {e}")))?;
    let mut added = 0;
    for (_, person) in persons {
        if provider.stores.persons.get(person.id()).await?.is_none() {
            match provider.stores.persons.insert(&person).await {
                Ok(()) => added += 1,
                // Another person took its birth number or data box since: theirs stays.
                Err(crate::store::StoreError::Conflict(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
    }
    Ok(added)
}

async fn seed_citizen(provider: &Provider, authn: &Authn, entry: FixtureUser) -> Result<SeededCitizen, CliError> {
    let FixtureUser { username, password, profile, person } = entry;
    let Some(existing) = provider.stores.users.find_by_username(&username).await? else {
        let user = super::users::create(provider, authn, &username, &password, profile)
            .await
            .map_err(|e| CliError(format!("user {username:?}: {e}")))?;
        // An account made now belongs to its person of the register, when that one is there.
        if let Some(person) = person {
            provider.stores.persons.link_account(&user.id, Some(&person)).await?;
        }
        let name = user.profile.name.unwrap_or_default();
        return Ok(SeededCitizen { username, name, password: Some(password), found: Found::Created });
    };
    // An account seeded before the register was belongs to its person from now on; one linked
    // to someone else keeps that link.
    if let Some(person) = person
        && provider.stores.persons.person_of_account(&existing.id).await?.is_none()
    {
        provider.stores.persons.link_account(&existing.id, Some(&person)).await?;
    }
    let verdict = authn
        .passwords
        .verify(Some(&existing.password_hash), &password)
        .await
        .map_err(|e| CliError(format!("user {username:?}: {e}")))?;
    let same_password = matches!(verdict, Verdict::Valid | Verdict::ValidNeedsRehash);
    let found = if same_password && existing.profile == profile && !existing.disabled {
        Found::Unchanged
    } else {
        Found::Changed
    };
    Ok(SeededCitizen {
        username,
        name: existing.profile.name.unwrap_or_default(),
        password: (same_password && !existing.disabled).then_some(password),
        found,
    })
}

/// The text printed at the start: where the provider is, the client, the citizens, and a URL
/// that signs one in.
fn summary(
    provider: &Provider,
    clients: &[SeededClient],
    citizens: &[SeededCitizen],
    cards: &[(String, std::path::PathBuf)],
    phones: &[(String, std::path::PathBuf)],
) -> String {
    let issuer = provider.issuer();
    let paths = &provider.persona.paths;
    let mut out = String::new();
    let _ = writeln!(out, "identita dev mode: the demo client and test citizens below have public credentials;");
    let _ = writeln!(out, "it serves on loopback only. Not for real data.\n");
    let _ = writeln!(out, "  issuer:         {issuer}");
    let _ = writeln!(out, "  discovery:      {issuer}{}", paths.discovery);
    let _ = writeln!(out, "  jwks:           {issuer}{}", paths.jwks);
    let _ = writeln!(out, "  landing page:   {issuer}/");
    let kept = "(changed since it was seeded: kept as it is)";
    for seeded in clients {
        let client = &seeded.client;
        let _ = writeln!(out, "\ndemo client ({}):", client.token_endpoint_auth_method.as_str());
        let _ = writeln!(out, "  client_id:      {}", client.client_id);
        let _ =
            writeln!(out, "  client_secret:  {}", seeded.secret.as_deref().unwrap_or("(not the demo secret any more)"));
        list(&mut out, "redirect_uris:", &client.redirect_uris);
        list(&mut out, "post_logout:", &client.post_logout_redirect_uris);
        if seeded.found == Found::Changed {
            let _ = writeln!(out, "  {kept}");
        }
    }
    let _ = writeln!(out, "\ntest citizens (username, password, name):");
    for citizen in citizens {
        let password = citizen.password.as_deref().unwrap_or("(not the demo password any more)");
        let note = if citizen.found == Found::Changed { kept } else { "" };
        let row = format!("  {:<18} {:<14} {} {note}", citizen.username, password, citizen.name);
        let _ = writeln!(out, "{}", row.trim_end());
    }
    if !cards.is_empty() {
        let _ = writeln!(out, "\neObčanka cards (IOK {DEV_IOK}, DOK {DEV_DOK}; for a high level, run");
        let _ = writeln!(out, "`identita card login FILE --url URL` with the URL the login page shows):");
        for (username, file) in cards {
            let _ = writeln!(out, "  eObčanka of {username}: {}", file.display());
        }
    }
    if !phones.is_empty() {
        let _ = writeln!(out, "\nMEG devices (paired phones; run `identita meg approve URL --device FILE` with the");
        let _ = writeln!(out, "URL the login page shows, or `identita meg watch --device FILE --approve` for pushes):");
        for (username, file) in phones {
            let _ = writeln!(out, "  MEG of {username}: {}", file.display());
        }
    }
    if let Some(seeded) = clients.first() {
        let client = &seeded.client;
        let redirect = client.redirect_uris.iter().find(|u| *u == EXAMPLE_REDIRECT).or(client.redirect_uris.first());
        if let Some(redirect) = redirect {
            let _ = writeln!(out, "\nsign in (open in a browser; it comes back to {redirect}?code=...):");
            let _ = writeln!(out, "  {}", example_url(provider, &client.client_id, redirect));
        }
    }
    let count = |found: Found| {
        clients.iter().filter(|c| c.found == found).count() + citizens.iter().filter(|c| c.found == found).count()
    };
    let _ = write!(
        out,
        "\nseeded from examples/dev-seed.toml: {} created, {} unchanged, {} changed and kept",
        count(Found::Created),
        count(Found::Unchanged),
        count(Found::Changed)
    );
    out
}

fn list(out: &mut String, label: &str, values: &[String]) {
    for (i, value) in values.iter().enumerate() {
        let _ = writeln!(out, "  {:<15} {value}", if i == 0 { label } else { "" });
    }
}

/// An authorization request of the code flow for `client_id`, as a browser opens it.
pub fn example_url(provider: &Provider, client_id: &str, redirect: &str) -> String {
    let base = format!("{}{}", provider.issuer(), provider.persona.paths.authorization);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "openid profile email")
        .append_pair("state", "demo")
        .finish();
    format!("{base}?{query}")
}
