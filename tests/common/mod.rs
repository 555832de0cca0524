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

/// The local PostgreSQL of `.ci/postgres.sh` (PyPI's `pgserver` binaries), started if it is
/// not running, and stopped on drop by whoever started it. No silent skip: when it cannot be
/// set up or started, the test fails with the script's output.
pub struct Postgres {
    pub url: String,
    started: bool,
}

impl Postgres {
    pub fn start() -> Postgres {
        let out = std::process::Command::new("bash")
            .arg(Self::script())
            .arg("start")
            .output()
            .expect("run .ci/postgres.sh (needs bash and python3 with venv)");
        assert!(
            out.status.success(),
            "PostgreSQL could not be set up or started:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let url = stdout
            .lines()
            .find_map(|l| l.strip_prefix("URL="))
            .expect("a URL= line from .ci/postgres.sh")
            .to_owned();
        Postgres {
            url,
            started: stdout.starts_with("started"),
        }
    }

    fn script() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.started {
            let _ = std::process::Command::new("bash")
                .arg(Self::script())
                .arg("stop")
                .status();
        }
    }
}
