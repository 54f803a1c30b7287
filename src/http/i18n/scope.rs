//! What a person grants by each standard scope (the consent page).
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// What a person grants by each standard scope (the consent page).
#[derive(Debug)]
pub struct Scopes {
    pub openid: &'static str,
    pub profile: &'static str,
    pub email: &'static str,
    pub address: &'static str,
    pub phone: &'static str,
    pub offline_access: &'static str,
}

pub const CS: Scopes = Scopes {
    openid: "Váš identifikátor pro přihlášení",
    profile: "Jméno, příjmení a další údaje profilu",
    email: "E-mailová adresa",
    address: "Adresa bydliště",
    phone: "Telefonní číslo",
    offline_access: "Přístup k údajům i v době, kdy nejste přihlášeni",
};

pub const EN: Scopes = Scopes {
    openid: "Your sign-in identifier",
    profile: "Your name and basic profile",
    email: "Email address",
    address: "Home address",
    phone: "Phone number",
    offline_access: "Access to your data while you are not signed in",
};
