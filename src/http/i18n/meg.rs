//! The texts of MEG's login page (Mobilní klíč eGovernmentu), Czech and English, kept apart
//! from [`super`]'s table so that the means can be added and read in one place; each
//! string exists in both languages, as everywhere else.

use super::Locale;
use crate::model::MegRefusal;

pub struct MegTexts {
    pub means: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub qr_alt: &'static str,
    pub same_device: &'static str,
    pub waiting: &'static str,
    pub approved: &'static str,
    pub continue_label: &'static str,
    pub push_heading: &'static str,
    pub push_label: &'static str,
    pub push_submit: &'static str,
    pub push_sent: &'static str,
    pub developers: &'static str,
    pub command_label: &'static str,
    pub url_label: &'static str,
    pub not_approved: &'static str,
    pub holder_unknown: &'static str,
    pub back_to_means: &'static str,
}

static CS: MegTexts = MegTexts {
    means: "Mobilní klíč eGovernmentu",
    title: "Přihlášení Mobilním klíčem eGovernmentu",
    intro: "Naskenujte QR kód aplikací Mobilní klíč eGovernmentu a přihlášení v ní potvrďte otiskem prstu nebo PINem. Tato stránka pak pokračuje sama.",
    qr_alt: "QR kód pro aplikaci Mobilní klíč eGovernmentu. Pokud jej nemůžete naskenovat, použijte tlačítko Spustit mobilní klíč na tomto zařízení nebo pošlete požadavek do aplikace.",
    same_device: "Spustit mobilní klíč na tomto zařízení",
    waiting: "Čekáme na potvrzení v aplikaci (platí 3 minuty).",
    approved: "Přihlášení bylo v aplikaci potvrzeno. Stiskněte Pokračovat.",
    continue_label: "Pokračovat",
    push_heading: "Poslat požadavek do aplikace",
    push_label: "Uživatelské jméno",
    push_submit: "Poslat do aplikace",
    push_sent: "Pokud k tomuto uživatelskému jménu patří spárovaná aplikace, požadavek na přihlášení do ní byl odeslán. Potvrďte jej v aplikaci.",
    developers: "Pro vývojáře",
    command_label: "Příkaz, který hraje aplikaci",
    url_label: "Adresa výzvy (platí 3 minuty)",
    not_approved: "Přihlášení zatím nebylo v aplikaci potvrzeno. Potvrďte jej v aplikaci a potom stiskněte Pokračovat.",
    holder_unknown: "K tomuto zařízení nepatří žádný účet, který se může přihlásit.",
    back_to_means: "Zvolit jiný způsob přihlášení",
};

static EN: MegTexts = MegTexts {
    means: "eGovernment Mobile Key (MEG)",
    title: "Sign in with the eGovernment Mobile Key",
    intro: "Scan the QR code with the eGovernment Mobile Key app and confirm the sign-in there with your fingerprint or PIN. This page then goes on by itself.",
    qr_alt: "QR code for the eGovernment Mobile Key app. If you cannot scan it, use the button Open the mobile key on this device, or send the request to your app.",
    same_device: "Open the mobile key on this device",
    waiting: "Waiting for the confirmation in the app (valid for 3 minutes).",
    approved: "The sign-in was confirmed in the app. Press Continue.",
    continue_label: "Continue",
    push_heading: "Send the request to my app",
    push_label: "Username",
    push_submit: "Send to my app",
    push_sent: "If a paired app belongs to this username, the sign-in request has been sent to it. Confirm it in the app.",
    developers: "For developers",
    command_label: "Command that plays the app",
    url_label: "Address of the challenge (valid for 3 minutes)",
    not_approved: "The sign-in has not been confirmed in the app yet. Confirm it in the app, then press Continue.",
    holder_unknown: "No account that may sign in belongs to this device.",
    back_to_means: "Choose another way to sign in",
};

pub fn texts(locale: Locale) -> &'static MegTexts {
    match locale {
        Locale::Cs => &CS,
        Locale::En => &EN,
    }
}

/// What a citizen reads when a device's answer did not approve the login.
pub fn refusal(locale: Locale, refusal: MegRefusal) -> &'static str {
    use MegRefusal as R;
    match (locale, refusal) {
        (Locale::Cs, R::UnknownDevice) => {
            "Toto zařízení není spárováno. Spárujte aplikaci znovu, nebo zvolte jiný způsob přihlášení."
        }
        (Locale::En, R::UnknownDevice) => {
            "This device is not paired. Pair the app again, or choose another way to sign in."
        }
        (Locale::Cs, R::BadSignature) => "Podpis aplikace nelze ověřit. Spárujte aplikaci znovu.",
        (Locale::En, R::BadSignature) => "The app's signature cannot be verified. Pair the app again.",
        (Locale::Cs, R::RevokedDevice) => {
            "Toto zařízení bylo zneplatněno a nelze jím přihlásit. Spárujte nové zařízení nebo zvolte jiný způsob přihlášení."
        }
        (Locale::En, R::RevokedDevice) => {
            "This device has been revoked and cannot be used to sign in. Pair a new device or choose another way to sign in."
        }
        (Locale::Cs, R::RefusedByUser) => {
            "Přihlášení bylo v aplikaci odmítnuto. Pokud jste to byli vy, můžete to zkusit znovu s novým QR kódem níže."
        }
        (Locale::En, R::RefusedByUser) => {
            "The sign-in was refused in the app. If that was you, you can try again with the new QR code below."
        }
        (Locale::Cs, R::TooManyAttempts) => "Příliš mnoho pokusů. Zkuste to znovu s novým QR kódem níže.",
        (Locale::En, R::TooManyAttempts) => "Too many attempts. Try again with the new QR code below.",
        (Locale::Cs, R::Used) => "Tento požadavek už byl v aplikaci vyřízen. Zkuste to znovu s novým QR kódem níže.",
        (Locale::En, R::Used) => {
            "This request has already been answered in the app. Try again with the new QR code below."
        }
        (Locale::Cs, R::Voided) => {
            "Požadavek potvrdila zařízení dvou různých osob, proto bylo přihlášení z bezpečnostních důvodů zrušeno. \
             QR kód ukazujte jen ve svém zařízení a zkuste to znovu s novým kódem níže."
        }
        (Locale::En, R::Voided) => {
            "The request was approved on the devices of two different people, so the sign-in was cancelled for \
             your safety. Show the QR code only to your own device and try again with the new code below."
        }
        (Locale::Cs, R::ChallengeExpired) => {
            "Čas na potvrzení v aplikaci vypršel. Zkuste to znovu s novým QR kódem níže."
        }
        (Locale::En, R::ChallengeExpired) => {
            "The time to confirm in the app ran out. Try again with the new QR code below."
        }
    }
}
