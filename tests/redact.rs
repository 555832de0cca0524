//! Redaction by construction: `#[derive(vigil::Redact)]` and `#[vigil::sensitive]`.

mod common;

use std::fmt;

#[derive(vigil::Redact)]
struct Login {
    user: String,
    #[sensitive]
    password: String,
    #[sensitive(partial = 4)]
    card: String,
    #[sensitive(with = mask_email)]
    email: String,
    #[sensitive(pii)]
    ip: String,
    attempts: u32,
}

fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((_, domain)) => format!("***@{domain}"),
        None => "***".into(),
    }
}

#[vigil::sensitive]
struct ApiKey(String);

#[derive(vigil::Redact)]
struct Wrapper<'a, T> {
    label: &'a str,
    #[sensitive]
    inner: T,
    value: T,
}

#[derive(vigil::Redact)]
struct Pin(#[sensitive] u32, u8);

#[derive(vigil::Redact)]
struct Marker;

#[derive(vigil::Redact)]
enum Credential {
    Password(#[sensitive] String),
    Token {
        #[sensitive(partial = 3)]
        value: String,
        scope: &'static str,
    },
    Anonymous,
    Pair(String, #[sensitive] String),
}

/// Displays as its inner text, to show `partial` works through `Display`.
struct CardNumber(&'static str);
impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[derive(vigil::Redact)]
struct Payment {
    #[sensitive(partial = 4)]
    card: CardNumber,
    amount: u64,
}

fn login() -> Login {
    Login {
        user: "bob".into(),
        password: "hunter2".into(),
        card: "4111111111111111".into(),
        email: "bob@example.com".into(),
        ip: "203.0.113.9".into(),
        attempts: 3,
    }
}

#[test]
fn debug_hides_what_is_marked() {
    let text = format!("{:?}", login());
    assert_eq!(
        text,
        r#"Login { user: "bob", password: [Filtered], card: ************1111, email: ***@example.com, ip: [Filtered], attempts: 3 }"#
    );
    assert_eq!(
        format!("{:?}", ApiKey("sk_live_1".into())),
        "ApiKey([Filtered])"
    );
    assert_eq!(format!("{:?}", Pin(1234, 7)), "Pin([Filtered], 7)");
    assert_eq!(format!("{:?}", Marker), "Marker");
    let w = Wrapper {
        label: "x",
        inner: 42,
        value: 7,
    };
    assert_eq!(
        format!("{w:?}"),
        r#"Wrapper { label: "x", inner: [Filtered], value: 7 }"#
    );
    assert_eq!(
        format!("{:?}", Credential::Password("p".into())),
        "Password([Filtered])"
    );
    assert_eq!(
        format!(
            "{:?}",
            Credential::Token {
                value: "abcdefgh".into(),
                scope: "read"
            }
        ),
        r#"Token { value: *****fgh, scope: "read" }"#
    );
    assert_eq!(format!("{:?}", Credential::Anonymous), "Anonymous");
    assert_eq!(
        format!("{:?}", Credential::Pair("a".into(), "b".into())),
        r#"Pair("a", [Filtered])"#
    );
    let p = Payment {
        card: CardNumber("5500000000000004"),
        amount: 10,
    };
    assert_eq!(
        format!("{p:?}"),
        "Payment { card: ************0004, amount: 10 }"
    );
    // Alternate (pretty) Debug works too.
    assert!(format!("{:#?}", login()).contains("password: [Filtered],\n"));
}

#[test]
fn serialize_hides_what_is_marked() {
    let v = serde_json::to_value(login()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "user": "bob", "password": "[Filtered]", "card": "************1111",
            "email": "***@example.com", "ip": "[Filtered]", "attempts": 3
        })
    );
    assert_eq!(
        serde_json::to_value(ApiKey("k".into())).unwrap(),
        "[Filtered]"
    );
    assert_eq!(
        serde_json::to_value(Pin(1, 2)).unwrap(),
        serde_json::json!(["[Filtered]", 2])
    );
    assert_eq!(
        serde_json::to_value(Marker).unwrap(),
        serde_json::json!(null)
    );
    assert_eq!(
        serde_json::to_value(Credential::Token {
            value: "abcdefgh".into(),
            scope: "read"
        })
        .unwrap(),
        serde_json::json!({"Token": {"value": "*****fgh", "scope": "read"}})
    );
    assert_eq!(
        serde_json::to_value(Credential::Password("p".into())).unwrap(),
        serde_json::json!({"Password": "[Filtered]"})
    );
    assert_eq!(
        serde_json::to_value(Credential::Anonymous).unwrap(),
        "Anonymous"
    );
}

#[test]
fn short_values_are_hidden_whole_by_partial() {
    #[derive(vigil::Redact)]
    struct Short(#[sensitive(partial = 4)] &'static str);
    assert_eq!(format!("{:?}", Short("123")), "Short(***)");
    assert_eq!(format!("{:?}", Short("1234")), "Short(****)");
    assert_eq!(format!("{:?}", Short("12345")), "Short(*2345)");
}

#[test]
fn pii_fields_follow_send_default_pii() {
    let strict = vigil::testing::capture(|| {
        vigil::capture_message!("login", attempt = login());
    });
    assert_eq!(strict.single_event().extra["attempt"]["ip"], "[Filtered]");
    let config = vigil::Config::new().send_default_pii(true);
    let open = vigil::testing::capture_with(config, || {
        assert!(format!("{:?}", login()).contains(r#"ip: "203.0.113.9""#));
        vigil::capture_message!("login", attempt = login());
    })
    .unwrap();
    assert_eq!(open.single_event().extra["attempt"]["ip"], "203.0.113.9");
}

#[vigil::monitored]
fn authenticate(login: &Login, key: &ApiKey, #[sensitive] otp: u32, session_token: &str) -> bool {
    let _ = (key.0.len(), otp, session_token);
    login.attempts < 5
}

#[test]
fn recorded_arguments_and_capture_values_are_redacted() {
    let captured = vigil::testing::capture(|| {
        let _tx = vigil::start_transaction("t", "task");
        assert!(authenticate(
            &login(),
            &ApiKey("sk_live_9".into()),
            123456,
            "tok_abc"
        ));
        vigil::capture_message!("attempt", login = login(), api = ApiKey("sk_live_9".into()));
    });
    let span = &captured.single_transaction().spans[0];
    assert_eq!(span.data["login"]["password"], "[Filtered]");
    // `card` is a sensitive key for the runtime scrubber too, but the mask the application
    // asked for is already safe: it arrives as the derive made it.
    assert_eq!(span.data["login"]["card"], "************1111");
    assert_eq!(span.data["login"]["user"], "bob");
    assert_eq!(span.data["key"], "[Filtered]");
    assert!(
        !span.data.contains_key("otp"),
        "#[sensitive] parameters are never recorded"
    );
    assert_eq!(span.data["session_token"], "[Filtered]");
    let event = captured.single_event();
    assert_eq!(event.extra["login"]["password"], "[Filtered]");
    assert_eq!(event.tags["api"], "[Filtered]");
    let wire = common::wire(&captured.envelopes);
    for secret in [
        "hunter2",
        "sk_live_9",
        "4111111111111111",
        "bob@example.com",
        "203.0.113.9",
        "tok_abc",
        "123456",
    ] {
        assert!(!wire.contains(secret), "{secret} leaked");
    }
}

#[test]
fn allowed_keys_keep_the_partial_mask() {
    let config = vigil::Config::new().allow_keys(["card"]);
    let captured = vigil::testing::capture_with(config, || {
        vigil::capture_message!("attempt", login = login());
    })
    .unwrap();
    assert_eq!(
        captured.single_event().extra["login"]["card"],
        "************1111"
    );
}

#[derive(vigil::Redact)]
struct Credentials {
    #[sensitive(partial = 4)]
    token: String,
    #[sensitive(with = stars_but_last_two)]
    password: String,
    #[sensitive(partial = 4)]
    card: String,
}

fn stars_but_last_two(secret: &str) -> String {
    let keep: String = secret
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!(
        "{}{keep}",
        "*".repeat(secret.chars().count().saturating_sub(2))
    )
}

#[test]
fn the_users_masks_win_over_the_key_rule_and_the_secret_never_arrives() {
    let captured = vigil::testing::capture(|| {
        let credentials = Credentials {
            token: "tok_live_0123456789".into(),
            password: "correct-horse".into(),
            card: "4111 1111 1111 1111".into(),
        };
        vigil::capture_message!("login", form = credentials);
    });
    let extra = &captured.single_event().extra["form"];
    assert_eq!(extra["token"], "***************6789");
    assert_eq!(extra["password"], "***********se");
    assert_eq!(extra["card"], "***************1111");
    let wire = common::wire(&captured.envelopes);
    for secret in [
        "tok_live_0123456789",
        "correct-horse",
        "4111 1111 1111 1111",
    ] {
        assert!(!wire.contains(secret), "{secret} leaked");
    }
    // A value that is not a mask under a sensitive key is still filtered whole.
    let captured = vigil::testing::capture(|| {
        vigil::capture_message!(
            "login",
            data = serde_json::json!({"token": "abc*", "password": "*hunter2"})
        );
    });
    let extra = &captured.single_event().extra["data"];
    assert_eq!(extra["token"], "[Filtered]");
    assert_eq!(extra["password"], "[Filtered]");
}
