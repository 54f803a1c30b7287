//! `[[faces]]`: further issuers served by the same process beside the primary one (`issuer`,
//! `persona`), each under its own path on the same listener, with its own signing keys
//! (`<keys_dir>/faces/<name>/`), clients, sessions and tokens. People, their means and the
//! register are shared.
//!
//! ```toml
//! issuer = "https://login.example"
//!
//! [[faces]]
//! name = "second"
//! issuer = "https://login.example/second"
//!
//! [[faces]]
//! name = "nia"
//! persona = "nia"                       # issuer: urn:microsoft:cgg2010:fpsts, NIA's own
//! url = "https://login.example/nia"     # where its endpoints are: /nia/FPSTS/oidc/authorize, …
//! [faces.quirks]
//! token_without_secret = false          # a "strict" NIA: the client secret is checked
//! ```

use serde::{Deserialize, Serialize};

use super::{ConfigError, MojeidUpstreamConfig};
use crate::persona::{Persona, QuirkSettings};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceConfig {
    /// A short name (cookie names, the keys directory): lower-case letters, digits and `-`.
    pub name: String,
    /// The face's persona; `standard` unless set.
    #[serde(default = "standard")]
    pub persona: String,
    /// The face's issuer identifier: a URL, whose path (non-empty, e.g. `/second`) is where its
    /// endpoints are routed on the listener unless `url` says otherwise; or a URN (NIA's
    /// `urn:microsoft:cgg2010:fpsts`, its persona's default), with `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Where the face's endpoints are served (its path non-empty, e.g. `/nia`), when that is not
    /// the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A listener of the face's own, where it answers at its real paths (NIA's
    /// `/FPSTS/oidc/authorize`, without a prefix) — besides the prefix of `url` on the main
    /// listener, when `url` has a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<std::net::SocketAddr>,
    /// Whether the face shares single sign-on sessions with the primary face and the other
    /// faces that share (`Persona::shares_sessions`); by default the NIA and mojeID faces do, a
    /// further standard face does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_sessions: Option<bool>,
    /// The persona's quirks turned on or off (`persona::Quirks`).
    #[serde(default)]
    pub quirks: QuirkSettings,
    /// The mojeID a face of the `nia` persona logs citizens in at (`[faces.mojeid]`); without
    /// it, the `mojeid` face of this server, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mojeid: Option<MojeidUpstreamConfig>,
}

impl FaceConfig {
    /// The face's persona, issuer and base URL, with its quirks.
    pub(crate) fn persona(&self) -> Result<Persona, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid(format!("faces.{}: {message}", self.name));
        let issuer = self.issuer.as_deref().or(Persona::default_issuer(&self.persona));
        match issuer {
            // mojeID's issuer ends in a slash, as the real one's does.
            Some(issuer) if issuer.starts_with("http://") || issuer.starts_with("https://") => {
                let trimmed = issuer.strip_suffix('/').filter(|_| self.persona == "mojeid").unwrap_or(issuer);
                super::check_issuer(trimmed).map_err(invalid)?;
            }
            Some(issuer) if !is_urn(issuer) => {
                return Err(invalid(format!("the issuer {issuer:?} must be an http(s) URL or a URN (urn:…)")));
            }
            Some(issuer) if self.url.is_none() => {
                return Err(invalid(format!(
                    "the issuer {issuer:?} is not a URL: say where the face is served with url"
                )));
            }
            Some(_) => {}
            None if self.url.is_none() => return Err(invalid("an issuer or a url is needed".into())),
            None => {}
        }
        if let Some(url) = &self.url {
            super::check_issuer(url).map_err(|e| invalid(e.replace("issuer", "url")))?;
        }
        let known = crate::persona::NAMES.split(", ").any(|n| n == self.persona);
        let persona = Persona::by_name(&self.persona, issuer, self.url.as_deref()).ok_or_else(|| match known {
            true => invalid(format!("the persona {} needs an issuer", self.persona)),
            false => invalid(format!("unknown persona {:?} (known: {})", self.persona, crate::persona::NAMES)),
        })?;
        let shares_sessions = self.share_sessions.unwrap_or(persona.surface != crate::persona::Surface::Standard);
        let persona = Persona { own_listener: self.listen.is_some(), shares_sessions, ..persona };
        Ok(persona.with_quirks(&self.quirks).into_face(&self.name))
    }
}

/// `urn:<nid>:<nss>` (RFC 8141), loosely: a scheme-like prefix and no spaces.
fn is_urn(value: &str) -> bool {
    value.len() > 6
        && value[..4].eq_ignore_ascii_case("urn:")
        && value[4..].contains(':')
        && value.bytes().all(|b| b.is_ascii_graphic())
}

fn standard() -> String {
    "standard".into()
}

/// Checks names and issuers: valid, distinct, and each face's path apart from the others' and
/// from the primary's routes (`primary_paths`: the primary face's base path and its routes).
pub(crate) fn validate(
    faces: &[FaceConfig],
    primary_issuer: &str,
    primary_paths: &[String],
    primary_listen: std::net::SocketAddr,
) -> Result<(), ConfigError> {
    let invalid = |message: String| Err(ConfigError::Invalid(message));
    let mut bases: Vec<String> = Vec::new();
    for face in faces {
        let name_ok = !face.name.is_empty()
            && face.name.len() <= 32
            && face.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return invalid(format!("faces: name {:?} must be 1 to 32 lower-case letters, digits or '-'", face.name));
        }
        if faces.iter().filter(|f| f.name == face.name).count() > 1 {
            return invalid(format!("faces: the name {:?} is used twice", face.name));
        }
        let persona = face.persona()?;
        if let Some(mojeid) = &face.mojeid {
            if !persona.federates_mojeid {
                return invalid(format!(
                    "faces.{}.mojeid: the persona {} offers no mojeID means (only nia does)",
                    face.name, persona.name
                ));
            }
            mojeid.check().or_else(|text| invalid(format!("faces.{}.mojeid: {text}", face.name)))?;
        }
        if persona.issuer == primary_issuer {
            return invalid(format!("faces.{}: the issuer is the primary issuer", face.name));
        }
        if faces.iter().filter(|f| f.persona().is_ok_and(|p| p.issuer == persona.issuer)).count() > 1 {
            return invalid(format!("faces.{}: another face has the issuer {}", face.name, persona.issuer));
        }
        if let Some(listen) = face.listen {
            let taken = listen == primary_listen || faces.iter().filter(|f| f.listen == Some(listen)).count() > 1;
            if taken {
                return invalid(format!("faces.{}: listen {listen} is another listener's address", face.name));
            }
        }
        let base = persona.base_path();
        // A face on a listener of its own may have the whole of it; on the main one it needs a
        // path of its own.
        if base.is_empty() && face.listen.is_some() {
            continue;
        }
        if base.is_empty() {
            return invalid(format!(
                "faces.{}: {} needs a path (e.g. {}/{}), where its endpoints are served",
                face.name, persona.base_url, primary_issuer, face.name
            ));
        }
        let overlaps = |other: &str| {
            let (a, b) = (format!("{base}/"), format!("{other}/"));
            a.starts_with(&b) || b.starts_with(&a)
        };
        if let Some(taken) = primary_paths.iter().chain(&bases).find(|p| !p.is_empty() && overlaps(p)) {
            return invalid(format!(
                "faces.{}: the issuer's path {base} overlaps {taken}, which is already served",
                face.name
            ));
        }
        bases.push(base);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIMARY: &str = "https://login.example";

    fn face(name: &str, issuer: &str) -> FaceConfig {
        FaceConfig {
            name: name.into(),
            persona: standard(),
            issuer: Some(issuer.into()),
            url: None,
            listen: None,
            share_sessions: None,
            mojeid: None,
            quirks: QuirkSettings::default(),
        }
    }

    fn check(faces: &[FaceConfig]) -> Result<(), String> {
        let primary = Persona::standard(PRIMARY);
        validate(faces, PRIMARY, &primary.served_paths(), ([127, 0, 0, 1], 8080).into()).map_err(|e| e.to_string())
    }

    #[test]
    fn faces_under_their_own_paths_are_accepted() {
        check(&[face("second", "https://login.example/second"), face("nia", "https://nia.example/nia")]).unwrap();
    }

    #[test]
    fn a_face_needs_a_path_a_good_name_and_a_known_persona() {
        assert!(check(&[face("second", "https://login.example")]).unwrap_err().contains("primary issuer"));
        assert!(check(&[face("second", "https://other.example")]).unwrap_err().contains("needs a path"));
        assert!(check(&[face("Second", "https://login.example/s")]).unwrap_err().contains("lower-case"));
        assert!(check(&[face("s", "https://login.example/s/")]).unwrap_err().contains("must not end with '/'"));
        let unknown = FaceConfig { persona: "keycloak".into(), ..face("s", "https://login.example/s") };
        assert!(check(&[unknown]).unwrap_err().contains("unknown persona"));
        let twice = [face("s", "https://login.example/s"), face("s", "https://login.example/t")];
        assert!(check(&twice).unwrap_err().contains("used twice"));
    }

    #[test]
    fn a_face_may_not_take_a_path_already_served() {
        let err = check(&[face("login", "https://login.example/login")]).unwrap_err();
        assert!(err.contains("overlaps /login"), "{err}");
        assert!(check(&[face("wk", "https://login.example/.well-known")]).is_err());
        let nested = [face("a", "https://login.example/a"), face("b", "https://login.example/a/b")];
        assert!(check(&nested).unwrap_err().contains("overlaps /a"));
        // A path that only starts with the same letters is another path.
        check(&[face("logins", "https://login.example/logins")]).unwrap();
    }

    #[test]
    fn a_mojeid_face_has_its_issuer_under_its_url_with_the_trailing_slash() {
        let mojeid = FaceConfig {
            persona: "mojeid".into(),
            issuer: None,
            url: Some("https://login.example/mojeid".into()),
            ..face("mojeid", "unused")
        };
        let persona = mojeid.persona().unwrap();
        assert_eq!(persona.issuer, "https://login.example/mojeid/oidc/");
        assert_eq!(persona.url(persona.paths.token), "https://login.example/mojeid/oidc/token/");
        check(std::slice::from_ref(&mojeid)).unwrap();
        // Given only as an issuer, it is served above its /oidc/.
        let by_issuer = FaceConfig { issuer: Some("https://login.example/m/oidc/".into()), url: None, ..mojeid };
        assert_eq!(by_issuer.persona().unwrap().base_url, "https://login.example/m");
        let none = FaceConfig { issuer: None, url: None, ..by_issuer };
        assert!(none.persona().unwrap_err().to_string().contains("an issuer or a url"));
    }

    #[test]
    fn a_nia_face_takes_nias_issuer_and_needs_a_url() {
        let nia = |url: Option<&str>| FaceConfig {
            persona: "nia".into(),
            issuer: None,
            url: url.map(Into::into),
            ..face("nia", "unused")
        };
        let persona = nia(Some("https://login.example/nia")).persona().unwrap();
        assert_eq!(persona.issuer, "urn:microsoft:cgg2010:fpsts");
        assert_eq!(persona.url(persona.paths.token), "https://login.example/nia/FPSTS/oidc/token");
        check(&[nia(Some("https://login.example/nia"))]).unwrap();
        assert!(check(&[nia(None)]).unwrap_err().contains("url"));
        assert!(check(&[nia(Some("https://login.example"))]).unwrap_err().contains("needs a path"));
        let two = [
            nia(Some("https://login.example/nia")),
            FaceConfig { name: "nia2".into(), ..nia(Some("https://login.example/n2")) },
        ];
        assert!(check(&two).unwrap_err().contains("another face has the issuer"));
        let bad = FaceConfig { issuer: Some("not a urn".into()), ..nia(Some("https://login.example/nia")) };
        assert!(check(&[bad]).unwrap_err().contains("URN"));
        // On a listener of its own, the face may have the whole origin.
        let own = FaceConfig { listen: Some(([127, 0, 0, 1], 8443).into()), ..nia(Some("https://nia.example")) };
        check(std::slice::from_ref(&own)).unwrap();
        let clash = FaceConfig { listen: Some(([127, 0, 0, 1], 8080).into()), ..own };
        assert!(check(&[clash]).unwrap_err().contains("another listener"));
    }
}
