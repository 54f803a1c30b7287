//! `identita meg enroll|devices|revoke` (the operator's side, on the store) and `identita meg
//! pair|approve|refuse|watch` (the phone's side, on a device file, talking to the server over
//! HTTP only, as the app does).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message, protocol::Role};

use super::{CliError, print};
use crate::authn::Authn;
use crate::clock::{Clock, SystemClock};
use crate::meg::Decision;
use crate::meg::device::{self, DeviceFile};
use crate::model::DeviceStatus;
use crate::oidc::Provider;

#[derive(Debug, Subcommand)]
pub enum MegCommand {
    /// A pairing URL for an account's new device: good for 4 minutes and one device (also shown
    /// as a QR code on standard error when it is a terminal).
    Enroll {
        user: String,
        /// Several codes at once (a benchmark's devices): printed as `pairing_urls`.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// Pair this "phone": make a key, send its public half with the pairing code, write the
    /// device file (owner-only; default data/meg/USERNAME-DEVICE.json).
    Pair {
        url: String,
        #[arg(long, default_value = "identita meg")]
        name: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The paired devices (of one account when given).
    Devices { user: Option<String> },
    /// Revoke a device: its approvals are refused from now on.
    Revoke { device: String },
    /// Approve the login whose challenge URL (or identita-meg: link) the page shows.
    Approve {
        url: String,
        #[arg(long)]
        device: PathBuf,
    },
    /// Refuse the login whose challenge URL the page shows.
    Refuse {
        url: String,
        #[arg(long)]
        device: PathBuf,
    },
    /// Wait for pushes and print each (one JSON line); answer them with --approve or --refuse.
    Watch {
        #[arg(long)]
        device: PathBuf,
        #[arg(long, conflicts_with = "refuse")]
        approve: bool,
        #[arg(long)]
        refuse: bool,
        /// Stop after the first push.
        #[arg(long)]
        once: bool,
    },
    /// Enrollment through Czech POINT, step 1 ("Zřídit účet pomocí návštěvy CZECHPOINT"): send
    /// the +420 number to the enrollment URL (`…/meg/devices/enrollment`); an SMS code goes to it.
    Start {
        url: String,
        #[arg(long)]
        phone: String,
    },
    /// Step 2: the SMS code and the terms accepted; prints the identification code to give the
    /// Czech POINT clerk, and the enrollment to finish with.
    Confirm {
        url: String,
        #[arg(long)]
        enrollment: String,
        #[arg(long)]
        code: String,
        /// Accept the terms of use of MEG.
        #[arg(long)]
        accept_terms: bool,
    },
    /// Step 3, after the Czech POINT visit ("Hotovo"): make the key and write the device file
    /// (default data/meg/USERNAME-DEVICE.json). With `--data-box`, instead of the visit: log in
    /// to the citizen's natural person's data box (its password read from `--data-box-password-file`).
    Done {
        url: String,
        #[arg(long)]
        enrollment: String,
        #[arg(long, default_value = "identita meg")]
        name: String,
        #[arg(long)]
        out: Option<PathBuf>,
        /// The data box's ID (seven characters), to enroll without the Czech POINT visit.
        #[arg(long)]
        data_box: Option<String>,
        /// A file whose first line is the data box's password (`-`: standard input).
        #[arg(long)]
        data_box_password_file: Option<PathBuf>,
    },
}

impl MegCommand {
    /// Whether the command works on the device file alone (and the server over HTTP).
    pub fn on_the_device_only(&self) -> bool {
        matches!(
            self,
            MegCommand::Pair { .. }
                | MegCommand::Approve { .. }
                | MegCommand::Refuse { .. }
                | MegCommand::Watch { .. }
                | MegCommand::Start { .. }
                | MegCommand::Confirm { .. }
                | MegCommand::Done { .. }
        )
    }
}

fn device_error(e: device::DeviceError) -> CliError {
    CliError(e.0)
}

/// The commands that need only the device file (and the server's URL).
pub async fn run_on_device(cmd: MegCommand) -> Result<(), CliError> {
    match cmd {
        MegCommand::Pair { url, name, out } => pair(&url, &name, out).await,
        MegCommand::Approve { url, device } => print(&answer(&device, &url, Decision::Approve).await?),
        MegCommand::Refuse { url, device } => print(&answer(&device, &url, Decision::Refuse).await?),
        MegCommand::Watch { device, approve, refuse, once } => {
            let decision = match (approve, refuse) {
                (true, _) => Some(Decision::Approve),
                (_, true) => Some(Decision::Refuse),
                _ => None,
            };
            watch(&device, decision, once).await
        }
        MegCommand::Start { url, phone } => {
            print(&post(enrollment_url(&url)?.as_str(), &json!({ "phone": phone })).await?)
        }
        MegCommand::Confirm { url, enrollment, code, accept_terms } => {
            let body = json!({ "enrollment": enrollment, "code": code, "terms_accepted": accept_terms });
            print(&post(&format!("{}/confirm", enrollment_url(&url)?), &body).await?)
        }
        MegCommand::Done { url, enrollment, name, out, data_box, data_box_password_file } => {
            let data_box = match (data_box, data_box_password_file) {
                (Some(id), Some(file)) => Some((id, read_password(&file)?)),
                (None, None) => None,
                _ => return Err(CliError::new("--data-box and --data-box-password-file go together")),
            };
            done(&url, &enrollment, &name, out, data_box).await
        }
        _ => Err(CliError::new("this meg command needs the store")),
    }
}

/// The enrollment URL, `…/meg/devices/enrollment`.
fn enrollment_url(url: &str) -> Result<String, CliError> {
    let parsed = url::Url::parse(url).map_err(|e| CliError(format!("the enrollment URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || !parsed.path().ends_with("/meg/devices/enrollment") {
        return Err(CliError::new("the enrollment URL is the server's …/meg/devices/enrollment"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// The first line of `file` (`-`: standard input), without its line end.
fn read_password(file: &Path) -> Result<String, CliError> {
    let text = if file == Path::new("-") {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| CliError(format!("standard input: {e}")))?;
        line
    } else {
        std::fs::read_to_string(file).map_err(|e| CliError(format!("{}: {e}", file.display())))?
    };
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// "Hotovo": a new key, posted; the device file written.
async fn done(
    url: &str,
    enrollment: &str,
    name: &str,
    out: Option<PathBuf>,
    data_box: Option<(String, String)>,
) -> Result<(), CliError> {
    let url = enrollment_url(url)?;
    if let Some(path) = out.as_ref().filter(|p| p.exists()) {
        return Err(CliError(format!("{} exists: a device file is never overwritten", path.display())));
    }
    let key = device::new_key().map_err(device_error)?;
    let mut body = json!({ "enrollment": enrollment, "public_key": device::public_key(&key), "name": name });
    let answer = match data_box {
        None => post(&format!("{url}/done"), &body).await?,
        Some((data_box, password)) => {
            body["data_box"] = json!(data_box);
            body["password"] = json!(password);
            post(&format!("{url}/databox"), &body).await?
        }
    };
    let field = |name: &str| answer[name].as_str().unwrap_or_default().to_owned();
    let server = url.trim_end_matches("/meg/devices/enrollment").to_owned();
    let file = DeviceFile::new(field("device"), field("username"), field("name"), server, &key);
    let path = out.unwrap_or_else(|| file.default_path());
    if path.exists() {
        return Err(CliError(format!("{} exists: a device file is never overwritten", path.display())));
    }
    file.write(&path).map_err(device_error)?;
    print(&json!({ "device": file.device, "username": file.username, "name": file.name, "file": path }))
}

async fn pair(url: &str, name: &str, out: Option<PathBuf>) -> Result<(), CliError> {
    let mut parsed = url::Url::parse(url).map_err(|e| CliError(format!("the pairing URL: {e}")))?;
    let code = parsed.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
    let Some(code) = code.filter(|_| parsed.path().ends_with("/meg/pair")) else {
        return Err(CliError::new("the pairing URL is the one identita meg enroll printed, …/meg/pair?code=…"));
    };
    parsed.set_query(None);
    let key = device::new_key().map_err(device_error)?;
    let body = json!({ "code": code, "public_key": device::public_key(&key), "name": name });
    let answer = post(parsed.as_str(), &body).await?;
    let field = |name: &str| answer[name].as_str().unwrap_or_default().to_owned();
    let server = parsed.as_str().trim_end_matches("/meg/pair").to_owned();
    let file = DeviceFile::new(field("device"), field("username"), field("name"), server, &key);
    let path = out.unwrap_or_else(|| file.default_path());
    if path.exists() {
        return Err(CliError(format!("{} exists: a device file is never overwritten", path.display())));
    }
    file.write(&path).map_err(device_error)?;
    print(&json!({ "device": file.device, "username": file.username, "name": file.name, "file": path }))
}

/// Signs and posts an answer to the challenge at `link`; the server's JSON answer.
async fn answer(device: &Path, link: &str, decision: Decision) -> Result<Value, CliError> {
    let url = crate::meg::challenge_url_of(link);
    let parsed = url::Url::parse(url).map_err(|e| CliError(format!("the challenge URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || !parsed.path().contains("/login/meg/") {
        return Err(CliError::new("the challenge URL is the address the login page shows, …/login/meg/…"));
    }
    let file = DeviceFile::read(device).map_err(device_error)?;
    let signature = file.answer(url, decision).map_err(device_error)?;
    post(url, &json!({ "device": file.device, "decision": decision.id(), "signature": signature })).await
}

async fn post(url: &str, body: &Value) -> Result<Value, CliError> {
    let response = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| CliError(format!("the server at {url} did not answer: {e}")))?;
    let ok = response.status().is_success();
    let answer: Value = response.json().await.map_err(|e| CliError(format!("the server's answer: {e}")))?;
    if ok {
        Ok(answer)
    } else {
        let description = answer["error_description"].as_str().unwrap_or("the server refused");
        let code = answer["error"].as_str().unwrap_or("error");
        Err(CliError(format!("{code}: {description}")))
    }
}

/// Holds the push connection (a WebSocket) open and prints each push as a JSON line (answering
/// it when told).
async fn watch(device: &Path, decision: Option<Decision>, once: bool) -> Result<(), CliError> {
    let file = DeviceFile::read(device).map_err(device_error)?;
    let url = format!("{}/meg/devices/{}/push", file.server, file.device);
    let token = file.push_token(SystemClock.now()).map_err(device_error)?;
    let mut socket = open_push(&url, &token).await?;
    eprintln!("identita meg: waiting for pushes to device {}", file.device);
    while let Some(message) = socket.next().await {
        let message = message.map_err(|e| CliError(format!("the push connection: {e}")))?;
        let push: Value = match message {
            Message::Text(text) => serde_json::from_str(text.as_str()).unwrap_or(Value::Null),
            Message::Close(_) => break,
            // Pings are answered by the socket itself.
            _ => continue,
        };
        let Some(challenge) = push["challenge"].as_str().filter(|_| push["event"] == "login") else { continue };
        let mut line = json!({ "challenge": challenge });
        if let Some(decision) = decision {
            line["answer"] = match answer(device, challenge, decision).await {
                Ok(answer) => answer,
                Err(e) => json!({ "error": e.0 }),
            };
        }
        println!("{line}");
        if once {
            return Ok(());
        }
    }
    Err(CliError::new("the server closed the push connection"))
}

/// Opens the WebSocket at `url` (http or https, through reqwest and its certificate checks) with
/// the device's push token.
async fn open_push(url: &str, token: &str) -> Result<WebSocketStream<reqwest::Upgraded>, CliError> {
    let key = tungstenite::handshake::client::generate_key();
    let response = reqwest::Client::new()
        .get(url)
        .header("Authorization", token)
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", &key)
        .send()
        .await
        .map_err(|e| CliError(format!("the server at {url} did not answer: {e}")))?;
    if response.status() != reqwest::StatusCode::SWITCHING_PROTOCOLS {
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let code = answer["error"].as_str().unwrap_or("error");
        return Err(CliError(format!("{code}: {}", answer["error_description"].as_str().unwrap_or("refused"))));
    }
    let accepted = response.headers().get("sec-websocket-accept").and_then(|v| v.to_str().ok());
    if accepted != Some(tungstenite::handshake::derive_accept_key(key.as_bytes()).as_str()) {
        return Err(CliError::new("the server's WebSocket handshake is not for this request"));
    }
    let upgraded = response.upgrade().await.map_err(|e| CliError(format!("the push connection: {e}")))?;
    Ok(WebSocketStream::from_raw_socket(upgraded, Role::Client, None).await)
}

/// The commands on the store.
pub async fn run(provider: &Provider, authn: &Authn, cmd: MegCommand) -> Result<(), CliError> {
    match cmd {
        MegCommand::Enroll { user, count } => {
            let account =
                authn.users.find_by_username(&user).await?.ok_or_else(|| CliError(format!("no account {user}")))?;
            let pair_url = provider.persona.url(provider.persona.paths.meg_pair);
            if count > 1 {
                let mut urls = Vec::new();
                let mut expires_at = 0;
                for _ in 0..count {
                    let (code, expires) = authn.meg().enroll(&account, provider.now()).await?;
                    urls.push(format!("{pair_url}?code={code}"));
                    expires_at = expires;
                }
                return print(&json!({ "user": user, "pairing_urls": urls, "expires_at": expires_at }));
            }
            let (code, expires_at) = authn.meg().enroll(&account, provider.now()).await?;
            let url = format!("{pair_url}?code={code}");
            if std::io::IsTerminal::is_terminal(&std::io::stderr())
                && let Ok(qr) = qrcode::QrCode::new(url.as_bytes())
            {
                eprintln!("{}", qr.render::<qrcode::render::unicode::Dense1x2>().quiet_zone(true).build());
            }
            print(&json!({ "user": user, "pairing_url": url, "expires_at": expires_at }))
        }
        MegCommand::Devices { user } => {
            let user_id = match &user {
                Some(name) => Some(
                    authn.users.find_by_username(name).await?.ok_or_else(|| CliError(format!("no account {name}")))?.id,
                ),
                None => None,
            };
            let list: Vec<Value> = authn
                .devices
                .list(user_id.as_deref())
                .await?
                .into_iter()
                .map(|d| {
                    json!({
                        "device": d.id,
                        "user_id": d.user_id,
                        "name": d.name,
                        "status": d.status.id(),
                        "created_at": d.created_at,
                        "last_used_at": d.last_used_at,
                    })
                })
                .collect();
            print(&list)
        }
        MegCommand::Revoke { device } => {
            if !authn.devices.set_status(&device, DeviceStatus::Revoked).await? {
                return Err(CliError(format!("no device {device}")));
            }
            print(&json!({ "device": device, "status": DeviceStatus::Revoked.id() }))
        }
        other => run_on_device(other).await,
    }
}
