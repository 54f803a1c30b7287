//! STUB for the lead's branch until the notifier branch is merged (replaced by it).
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Notifier {
    pub sent: Arc<Mutex<Vec<(String, String)>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("sending failed")]
pub struct NotifyError;

impl Notifier {
    pub async fn send_sms(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        self.sent.lock().unwrap().push((to.to_owned(), text.to_owned()));
        Ok(())
    }
}
