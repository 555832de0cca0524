//! The user on whose behalf the code runs, attached to every event and transaction.

use std::collections::BTreeMap;

use crate::state;

/// The user context: who was affected.
///
/// ```
/// # use vigil_runtime as vigil;
/// let user = vigil::User::new(123).username("john_doe").email("john@example.com");
/// vigil::set_user_context(user);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct User {
    id: String,
    username: Option<String>,
    email: Option<String>,
    ip_address: Option<String>,
    data: BTreeMap<String, serde_json::Value>,
}

impl User {
    /// A user with this id (a number, a UUID, anything `Display`).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let user = vigil::User::new("8f1c2e");
    /// ```
    pub fn new(id: impl std::fmt::Display) -> Self {
        User {
            id: id.to_string(),
            ..Default::default()
        }
    }

    /// Sets the username.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let user = vigil::User::new(1).username("ada");
    /// ```
    #[must_use]
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the e-mail address.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let user = vigil::User::new(1).email("ada@example.com");
    /// ```
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the IP address (sent only as given; vigil never infers one).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let user = vigil::User::new(1).ip_address("203.0.113.7");
    /// ```
    #[must_use]
    pub fn ip_address(mut self, ip: impl Into<String>) -> Self {
        self.ip_address = Some(ip.into());
        self
    }

    /// Adds another field (such as a plan or a tenant).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let user = vigil::User::new(1).data("plan", "pro");
    /// ```
    #[must_use]
    pub fn data(mut self, key: &str, value: impl serde::Serialize) -> Self {
        if let Ok(value) = serde_json::to_value(&value) {
            self.data.insert(key.to_owned(), value);
        }
        self
    }

    fn into_sentry(self) -> sentry::User {
        sentry::User {
            id: Some(self.id),
            username: self.username,
            email: self.email,
            ip_address: self.ip_address.and_then(|ip| ip.parse().ok()),
            other: self.data.into_iter().collect(),
        }
    }
}

/// Sets the user for everything captured afterwards in the current scope (the current
/// thread, or the current request or task when it runs in its own hub).
///
/// ```
/// # use vigil_runtime as vigil;
/// vigil::set_user_context(vigil::User::new(123).username("john_doe"));
/// ```
pub fn set_user_context(user: User) {
    if !state::enabled() {
        return;
    }
    let user = user.into_sentry();
    sentry::Hub::current().configure_scope(|scope| scope.set_user(Some(user)));
}

/// Removes the user set by [`set_user_context`].
///
/// ```
/// # use vigil_runtime as vigil;
/// vigil::clear_user_context();
/// ```
pub fn clear_user_context() {
    if !state::enabled() {
        return;
    }
    sentry::Hub::current().configure_scope(|scope| scope.set_user(None));
}
