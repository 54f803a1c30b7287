//! "Připojení mobilního klíče" (`/account/meg`): the signed-in citizen's MEG devices and a
//! pairing code for a new one.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

#[derive(Debug)]
pub struct MegAccount {
    pub title: &'static str,
    pub account: &'static str,
    pub devices_heading: &'static str,
    pub none: &'static str,
    pub added: &'static str,
    pub last_used: &'static str,
    pub never_used: &'static str,
    pub revoked: &'static str,
    pub disconnect: &'static str,
    pub disconnected: &'static str,
    pub connect_heading: &'static str,
    pub connect_intro: &'static str,
    pub connect: &'static str,
    /// Above the pairing code.
    pub scan: &'static str,
    pub qr_alt: &'static str,
    pub valid_until: &'static str,
    pub developers: &'static str,
    pub command_label: &'static str,
    /// The login reached a level below substantial (the level's name follows).
    pub below_substantial: &'static str,
    /// The levels' names: low, substantial, high.
    pub levels: [&'static str; 3],
    pub too_many: &'static str,
    /// Nobody is signed in.
    pub sign_in_first: &'static str,
    /// The form was made for another session, or is too old.
    pub outdated: &'static str,
}

pub const CS: MegAccount = MegAccount {
    title: "Připojení mobilního klíče",
    account: "Účet:",
    devices_heading: "Připojená zařízení",
    none: "K účtu zatím není připojen žádný mobilní klíč.",
    added: "Připojeno",
    last_used: "Naposledy použito",
    never_used: "zatím nepoužito",
    revoked: "odpojeno",
    disconnect: "Odpojit",
    disconnected: "Zařízení bylo odpojeno; jeho potvrzení už neplatí.",
    connect_heading: "Připojit nový mobilní klíč",
    connect_intro: "V aplikaci Mobilní klíč eGovernmentu zvolte „Zřídit účet pomocí jiného prostředku“ a naskenujte QR kód, který se zde zobrazí. Párování je třeba dokončit do 4 minut.",
    connect: "Zobrazit párovací QR kód",
    scan: "Naskenujte tento QR kód aplikací Mobilní klíč eGovernmentu. Kód platí pro jedno zařízení.",
    qr_alt: "Párovací QR kód pro aplikaci Mobilní klíč eGovernmentu. Pokud jej nemůžete naskenovat, zadejte do aplikace párovací adresu uvedenou níže.",
    valid_until: "Platí do",
    developers: "Pro vývojáře",
    command_label: "Příkaz, který hraje aplikaci",
    below_substantial: "Mobilní klíč lze připojit jen po přihlášení prostředkem s úrovní záruky alespoň značná (NIA ID se SMS kódem, eObčanka, bankovní identita, mojeID s bezpečnostním klíčem). Vaše přihlášení dosáhlo úrovně:",
    levels: ["nízká", "značná", "vysoká"],
    too_many: "Párovacích kódů bylo vydáno příliš mnoho. Zkuste to znovu později.",
    sign_in_first: "Nejste přihlášeni. Přihlaste se do některé služby prostředkem s úrovní záruky alespoň značná a vraťte se sem.",
    outdated: "Formulář je zastaralý. Zkuste to znovu.",
};

pub const EN: MegAccount = MegAccount {
    title: "Connect a mobile key",
    account: "Account:",
    devices_heading: "Connected devices",
    none: "No mobile key is connected to this account yet.",
    added: "Connected",
    last_used: "Last used",
    never_used: "not used yet",
    revoked: "disconnected",
    disconnect: "Disconnect",
    disconnected: "The device was disconnected; its approvals no longer count.",
    connect_heading: "Connect a new mobile key",
    connect_intro: "In the eGovernment Mobile Key app choose “Set up with another means” and scan the QR code shown here. The pairing must be finished within 4 minutes.",
    connect: "Show the pairing QR code",
    scan: "Scan this QR code with the eGovernment Mobile Key app. The code is good for one device.",
    qr_alt: "Pairing QR code for the eGovernment Mobile Key app. If you cannot scan it, enter the pairing address shown below in the app.",
    valid_until: "Valid until",
    developers: "For developers",
    command_label: "The command that plays the app",
    below_substantial: "A mobile key can be connected only after a sign-in with a means of at least substantial assurance (NIA ID with an SMS code, eObčanka, a bank identity, mojeID with a security key). Your sign-in reached:",
    levels: ["low", "substantial", "high"],
    too_many: "Too many pairing codes have been issued. Please try again later.",
    sign_in_first: "You are not signed in. Sign in to a service with a means of at least substantial assurance and come back here.",
    outdated: "The form is out of date. Please try again.",
};
