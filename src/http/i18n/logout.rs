//! The logout confirmation, the signed-out page and the kept-session page.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The logout confirmation, the signed-out page and the kept-session page.
#[derive(Debug)]
pub struct Logout {
    pub title: &'static str,
    pub question: &'static str,
    pub client_before: &'static str,
    pub client_after: &'static str,
    pub confirm: &'static str,
    pub cancel: &'static str,
    /// Before the name of the account being signed out.
    pub account: &'static str,
    pub logged_out_title: &'static str,
    pub logged_out_message: &'static str,
    pub logged_out_client_before: &'static str,
    pub logged_out_client_after: &'static str,
    pub logged_out_close: &'static str,
    pub kept_title: &'static str,
    pub kept_message: &'static str,
    pub kept_client_before: &'static str,
    pub kept_client_after: &'static str,
}

pub const CS: Logout = Logout {
    title: "Odhlášení",
    question: "Chcete se odhlásit?",
    client_before: "O odhlášení žádá aplikace ",
    client_after: ".",
    confirm: "Odhlásit se",
    cancel: "Zrušit",
    account: "Odhlašovaný účet:",
    logged_out_title: "Odhlášeno",
    logged_out_message: "Byli jste odhlášeni.",
    logged_out_client_before: "Nyní se můžete vrátit do aplikace ",
    logged_out_client_after: ".",
    logged_out_close: "Toto okno můžete zavřít.",
    kept_title: "Zůstáváte přihlášeni",
    kept_message: "Odhlášení jste zrušili; zůstáváte přihlášeni.",
    kept_client_before: "Můžete se vrátit do aplikace ",
    kept_client_after: ".",
};

pub const EN: Logout = Logout {
    title: "Sign out",
    question: "Do you want to sign out?",
    client_before: "The sign-out was requested by ",
    client_after: ".",
    confirm: "Sign out",
    cancel: "Cancel",
    account: "Account being signed out:",
    logged_out_title: "Signed out",
    logged_out_message: "You have been signed out.",
    logged_out_client_before: "You can now return to ",
    logged_out_client_after: ".",
    logged_out_close: "You can close this window.",
    kept_title: "You are still signed in",
    kept_message: "You cancelled signing out; you are still signed in.",
    kept_client_before: "You can go back to ",
    kept_client_after: ".",
};
