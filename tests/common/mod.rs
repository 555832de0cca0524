//! Helpers shared by the integration tests (each test binary uses some of them).
#![allow(dead_code)]

/// An error with a message, for capture tests.
#[derive(Debug)]
pub struct RateLimited {
    pub limit: u32,
}

impl std::fmt::Display for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rate limited at {}/min", self.limit)
    }
}

impl std::error::Error for RateLimited {}

/// `body` followed by its Luhn check digit: a valid card number for tests.
pub fn luhn_complete(body: &str) -> String {
    let mut sum = 0;
    for (i, d) in body.chars().rev().enumerate() {
        let mut v = d.to_digit(10).expect("digits only");
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}
