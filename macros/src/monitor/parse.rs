//! Parsing the options of `#[vigil::monitor(...)]`, each checked (`check.rs`) at its token.
//!
//! Every problem is collected with its span; what could be read is still returned, so the
//! function's checks run too and all errors come out at once.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

use super::check::{self, Unit};
use crate::internals::{key, Errors, Krate, Once, Repeat};

/// When the job runs.
pub(crate) enum Schedule {
    /// Five fields, checked.
    Crontab(String),
    /// Every `n` units.
    Interval(u64, Unit),
}

/// The checked options.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) slug: Option<String>,
    pub(crate) schedule: Option<Schedule>,
    pub(crate) checkin_margin: Option<u64>,
    pub(crate) max_runtime: Option<u64>,
    pub(crate) timezone: Option<String>,
    pub(crate) failure_issue_threshold: Option<u64>,
    pub(crate) recovery_threshold: Option<u64>,
    pub(crate) krate: Krate,
}

const OPTIONS: &str = "slug, schedule, interval, checkin_margin, max_runtime, timezone, failure_issue_threshold, recovery_threshold, crate";

/// Parses the attribute's options; problems go to `errors`, the rest is returned.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(metas) => metas,
        Err(e) => {
            errors.add(e);
            return args;
        }
    };
    let mut once = Once::new(Repeat::Option);
    let mut timezone_span = None;
    for meta in &metas {
        let Some((key, key_span)) = key::option_name(meta) else {
            errors.push(
                meta.path().span(),
                unknown(&quote::ToTokens::to_token_stream(meta.path()).to_string()),
            );
            continue;
        };
        if !once.first(errors, &key, key_span) {
            continue;
        }
        if key == "crate" {
            if let Some(krate) = Krate::from_meta(errors, meta) {
                args.krate = krate;
            }
            continue;
        }
        let Meta::NameValue(nv) = meta else {
            if is_option(&key) {
                errors.push(meta.span(), format!("`{key}` takes a value: `{key} = ...`"));
            } else {
                errors.push(key_span, unknown(&key));
            }
            continue;
        };
        match key.as_str() {
            "slug" => {
                if let Some(lit) = string(errors, &nv.value, "slug = \"nightly-report\"") {
                    match check::slug(&lit.value()) {
                        Ok(()) => args.slug = Some(lit.value()),
                        Err(msg) => errors.push(lit.span(), msg),
                    }
                }
            }
            "schedule" | "interval" => {
                let other = if key == "schedule" {
                    "interval"
                } else {
                    "schedule"
                };
                if once.contains(other) {
                    errors.push(
                        key_span,
                        "a monitor has a `schedule` (a crontab) or an `interval`, not both",
                    );
                    continue;
                }
                let example = if key == "schedule" {
                    "schedule = \"0 3 * * *\""
                } else {
                    "interval = \"10 minutes\""
                };
                let Some(lit) = string(errors, &nv.value, example) else {
                    continue;
                };
                let schedule = if key == "schedule" {
                    check::crontab(&lit.value()).map(Schedule::Crontab)
                } else {
                    check::interval(&lit.value()).map(|(n, unit)| Schedule::Interval(n, unit))
                };
                match schedule {
                    Ok(schedule) => args.schedule = Some(schedule),
                    Err(msg) => errors.push(lit.span(), msg),
                }
            }
            "checkin_margin" | "max_runtime" => {
                if let Some((n, span)) = number(errors, &nv.value, &key) {
                    match check::minutes(&key, n) {
                        Ok(()) if key == "checkin_margin" => args.checkin_margin = Some(n),
                        Ok(()) => args.max_runtime = Some(n),
                        Err(msg) => errors.push(span, msg),
                    }
                }
            }
            "failure_issue_threshold" | "recovery_threshold" => {
                if let Some((n, span)) = number(errors, &nv.value, &key) {
                    match check::threshold(&key, n) {
                        Ok(()) if key == "recovery_threshold" => args.recovery_threshold = Some(n),
                        Ok(()) => args.failure_issue_threshold = Some(n),
                        Err(msg) => errors.push(span, msg),
                    }
                }
            }
            "timezone" => {
                if let Some(lit) = string(errors, &nv.value, "timezone = \"Europe/Berlin\"") {
                    match check::timezone(&lit.value()) {
                        Ok(()) => {
                            args.timezone = Some(lit.value());
                            timezone_span = Some(key_span);
                        }
                        Err(msg) => errors.push(lit.span(), msg),
                    }
                }
            }
            _ => errors.push(key_span, unknown(&key)),
        }
    }
    if args.slug.is_none() && !once.contains("slug") {
        errors.push(
            Span::call_site(),
            "#[vigil::monitor] needs the monitor's `slug`, as in `#[vigil::monitor(slug = \"nightly-report\", schedule = \"0 3 * * *\")]`",
        );
    }
    if !once.contains("schedule") && !once.contains("interval") {
        errors.push(
            Span::call_site(),
            "#[vigil::monitor] needs a `schedule` (a crontab, as in `schedule = \"0 3 * * *\"`) or an `interval` (as in `interval = \"10 minutes\"`)",
        );
    }
    if let (Some(span), Some(Schedule::Interval(..))) = (timezone_span, &args.schedule) {
        errors.push(
            span,
            "`timezone` applies to a crontab `schedule`, not to an `interval`",
        );
    }
    args
}

fn is_option(key: &str) -> bool {
    OPTIONS.split(", ").any(|o| o == key)
}

fn unknown(key: &str) -> String {
    format!("unknown option `{key}` for #[vigil::monitor]; expected one of: {OPTIONS}")
}

fn string<'a>(errors: &mut Errors, expr: &'a Expr, example: &str) -> Option<&'a LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        other => {
            let key = example.split(' ').next().unwrap_or_default();
            errors.push(
                other.span(),
                format!("`{key}` takes a string literal, as in `{example}`"),
            );
            None
        }
    }
}

fn number(errors: &mut Errors, expr: &Expr, key: &str) -> Option<(u64, Span)> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Int(lit), ..
    }) = expr
    {
        if let Ok(n) = lit.base10_parse::<u64>() {
            return Some((n, lit.span()));
        }
    }
    errors.push(
        expr.span(),
        format!("`{key}` takes a whole number literal, as in `{key} = 5`"),
    );
    None
}
