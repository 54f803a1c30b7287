//! Mobilní klíč eGovernmentu (MEG): a paired device in the register — a phone's P-256 public key,
//! whose it is, and whether it may still approve logins — and what a login waits for from it.
//! The register is what the server trusts: an approval is checked against the key kept here.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceStatus {
    Active,
    /// Revoked by the operator or its holder (a lost phone): its approvals are refused.
    Revoked,
}

impl DeviceStatus {
    pub(crate) fn id(self) -> &'static str {
        match self {
            DeviceStatus::Active => "active",
            DeviceStatus::Revoked => "revoked",
        }
    }

    pub fn parse(id: &str) -> Option<DeviceStatus> {
        [DeviceStatus::Active, DeviceStatus::Revoked].into_iter().find(|s| s.id() == id)
    }
}

/// A paired device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Random, given by the server at pairing.
    pub id: String,
    /// The holder's account.
    pub user_id: String,
    /// The device's ECDSA P-256 public key, as an uncompressed point in base64url.
    pub public_key: String,
    /// What the holder called it ("Pixel 8").
    pub name: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
    pub status: DeviceStatus,
}

/// What a MEG login waits for: a device's answer to this nonce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MegChallenge {
    /// Random; the last part of the URL the device posts its answer to.
    pub(crate) nonce: String,
    pub(crate) expires_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) outcome: Option<MegOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MegOutcome {
    /// An active paired device approved the login.
    Approved {
        device: String,
        user_id: String,
    },
    Refused(MegRefusal),
}

/// Why a device's answer did not approve the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MegRefusal {
    /// No paired device with this id.
    UnknownDevice,
    /// The signature is not the device's.
    BadSignature,
    /// The device was revoked.
    RevokedDevice,
    /// The holder refused the login in the app.
    RefusedByUser,
    /// Too many answers to this challenge.
    TooManyAttempts,
    /// The challenge has already been answered.
    Used,
    /// A device of another person approved a challenge one person's device had approved:
    /// someone else saw the QR code, so the login is voided rather than given to either.
    Voided,
    /// The challenge is older than its minutes (or unknown).
    ChallengeExpired,
}

impl MegRefusal {
    /// The error code the device gets, and the log's reason.
    pub(crate) fn code(self) -> &'static str {
        match self {
            MegRefusal::UnknownDevice => "unknown_device",
            MegRefusal::BadSignature => "bad_signature",
            MegRefusal::RevokedDevice => "device_revoked",
            MegRefusal::RefusedByUser => "refused",
            MegRefusal::TooManyAttempts => "too_many_attempts",
            MegRefusal::Used => "challenge_used",
            MegRefusal::Voided => "challenge_voided",
            MegRefusal::ChallengeExpired => "challenge_expired",
        }
    }
}
