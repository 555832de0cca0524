//! The checks of `#[vigil::monitor]`'s values against what Sentry's crons accept: the slug,
//! the crontab, the interval and the numbers. Each returns the message to report at the
//! offending literal.

/// A crontab's five fields: name, smallest and largest value, names for values.
struct Field {
    name: &'static str,
    plural: &'static str,
    low: u64,
    high: u64,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        plural: "minutes",
        low: 0,
        high: 59,
        names: &[],
    },
    Field {
        name: "hour",
        plural: "hours",
        low: 0,
        high: 23,
        names: &[],
    },
    Field {
        name: "day of the month",
        plural: "days of the month",
        low: 1,
        high: 31,
        names: &[],
    },
    Field {
        name: "month",
        plural: "months",
        low: 1,
        high: 12,
        names: MONTHS,
    },
    Field {
        name: "day of the week",
        plural: "days of the week",
        low: 0,
        high: 6,
        names: DAYS,
    },
];

/// The `@daily`-style shorthands Sentry accepts, as the five fields they stand for.
const SHORTHANDS: &[(&str, &str)] = &[
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// A crontab schedule: five fields (or a shorthand such as `@daily`), every value in its
/// field's range. Returns the crontab to send.
pub(crate) fn crontab(crontab: &str) -> Result<String, String> {
    let trimmed = crontab.trim();
    if let Some((_, fields)) = SHORTHANDS
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(trimmed))
    {
        return Ok((*fields).to_owned());
    }
    if trimmed.starts_with('@') {
        return Err(format!(
            "`{trimmed}` is not a crontab shorthand; use one of @yearly, @monthly, @weekly, @daily, @hourly, or five fields such as \"0 3 * * *\""
        ));
    }
    let fields: Vec<&str> = trimmed.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "a crontab has five fields (minute, hour, day of the month, month, day of the week), as in \"0 3 * * *\"; this one has {}",
            fields.len()
        ));
    }
    for (text, field) in fields.iter().zip(&FIELDS) {
        check_field(text, field)?;
    }
    Ok(fields.join(" "))
}

fn check_field(text: &str, field: &Field) -> Result<(), String> {
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            if !step.parse::<u64>().is_ok_and(|s| s > 0) {
                return Err(format!(
                    "`/{step}` in the {} field is not a step: write a whole number from 1, as in `*/15`",
                    field.name
                ));
            }
        }
        if range == "*" {
            continue;
        }
        if range.is_empty() {
            return Err(format!(
                "the {} field `{text}` has an empty entry",
                field.name
            ));
        }
        let (from, to) = match range.split_once('-') {
            Some((from, to)) => (value(from, field)?, Some(value(to, field)?)),
            None => (value(range, field)?, None),
        };
        if to.is_some_and(|to| to < from) {
            return Err(format!(
                "the range `{range}` in the {} field goes backwards",
                field.name
            ));
        }
    }
    Ok(())
}

fn value(text: &str, field: &Field) -> Result<u64, String> {
    let Field {
        name,
        plural,
        low,
        high,
        names,
    } = field;
    if let Ok(n) = text.parse::<u64>() {
        return if (*low..=*high).contains(&n) {
            Ok(n)
        } else {
            Err(format!(
                "{name} `{n}` is out of range: {plural} are {low} to {high}"
            ))
        };
    }
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(i as u64 + low);
    }
    match names {
        [] => Err(format!("`{text}` is not a {name}: use a number from {low} to {high}")),
        [first, .., last] => Err(format!(
            "`{text}` is not a {name}: use a number from {low} to {high} or a name from {first} to {last}"
        )),
        [_] => unreachable!("no field has a single name"),
    }
}

/// The unit of an interval schedule, as the runtime names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Unit {
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Unit::Minute => "Minute",
            Unit::Hour => "Hour",
            Unit::Day => "Day",
            Unit::Week => "Week",
            Unit::Month => "Month",
            Unit::Year => "Year",
        }
    }
}

/// `interval = "10 minutes"`: a whole number from 1 and a unit Sentry accepts.
pub(crate) fn interval(text: &str) -> Result<(u64, Unit), String> {
    const UNITS: &str = "minutes, hours, days, weeks, months or years";
    let mut words = text.split_whitespace();
    let (Some(number), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!(
            "an interval is a number and a unit, as in \"10 minutes\" or \"1 day\" ({UNITS})"
        ));
    };
    let Ok(number) = number.parse::<u64>() else {
        return Err(format!(
            "`{number}` is not a whole number: an interval is written as in \"10 minutes\""
        ));
    };
    if number == 0 {
        return Err("an interval is at least 1".into());
    }
    let unit = match unit.to_ascii_lowercase().trim_end_matches('s') {
        "minute" => Unit::Minute,
        "hour" => Unit::Hour,
        "day" => Unit::Day,
        "week" => Unit::Week,
        "month" => Unit::Month,
        "year" => Unit::Year,
        _ => {
            return Err(format!(
                "`{unit}` is not a unit Sentry's interval schedules take: use {UNITS}"
            ))
        }
    };
    Ok((number, unit))
}

/// Sentry's monitor slugs: 1 to 50 lowercase letters, digits, `-` and `_`, not only digits.
pub(crate) fn slug(slug: &str) -> Result<(), String> {
    const MAX: usize = 50;
    if slug.is_empty() {
        return Err("a monitor slug cannot be empty".into());
    }
    if let Some(bad) = slug
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        let hint = if bad.is_ascii_uppercase() || bad == ' ' {
            format!(
                ", as in \"{}\"",
                slug.to_ascii_lowercase().replace(' ', "-")
            )
        } else {
            String::new()
        };
        return Err(format!(
            "monitor slug `{slug}` contains `{bad}`; Sentry's slugs use lowercase letters, digits, `-` and `_` only{hint}"
        ));
    }
    if slug.len() > MAX {
        return Err(format!(
            "monitor slug `{slug}` is {} characters long; Sentry allows at most {MAX}",
            slug.len()
        ));
    }
    if slug.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "monitor slug `{slug}` is only digits; Sentry's slugs need a letter, `-` or `_`"
        ));
    }
    Ok(())
}

/// `checkin_margin` and `max_runtime`: minutes, from 1 to Sentry's 40,320 (28 days).
pub(crate) fn minutes(key: &str, n: u64) -> Result<(), String> {
    const MAX: u64 = 40_320;
    if (1..=MAX).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "`{key}` is in minutes, from 1 to {MAX} (28 days); {n} is not"
        ))
    }
}

/// `failure_issue_threshold` and `recovery_threshold`: check-ins in a row, 1 to 720.
pub(crate) fn threshold(key: &str, n: u64) -> Result<(), String> {
    const MAX: u64 = 720;
    if (1..=MAX).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "`{key}` counts check-ins in a row, from 1 to {MAX}; {n} is not"
        ))
    }
}

/// A tz database name, such as `Europe/Berlin` or `UTC`.
pub(crate) fn timezone(tz: &str) -> Result<(), String> {
    let ok = !tz.is_empty()
        && tz.len() <= 64
        && tz.starts_with(|c: char| c.is_ascii_alphabetic())
        && tz
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{tz}` is not a tz database time zone, such as \"UTC\" or \"Europe/Berlin\""
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crontabs() {
        for good in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0 1,15 * MON-FRI",
            "5 4 * JAN-MAR sun",
            "0 9-17/2 * * 1-5",
            "  0  3 * * * ",
        ] {
            assert!(crontab(good).is_ok(), "{good}");
        }
        assert_eq!(crontab("@daily").unwrap(), "0 0 * * *");
        assert_eq!(crontab("  0  3 * * * ").unwrap(), "0 3 * * *");
        assert_eq!(
            crontab("0 25 * * *").unwrap_err(),
            "hour `25` is out of range: hours are 0 to 23"
        );
        for bad in [
            "",
            "* * * *",
            "0 3 * * * *",
            "60 * * * *",
            "0 0 0 * *",
            "0 0 * 13 *",
            "0 0 * * 7",
            "0 0 * FOO *",
            "0 0 * * MON-FOO",
            "*/0 * * * *",
            "5-1 * * * *",
            "1,,2 * * * *",
            "@often",
            "x * * * *",
        ] {
            assert!(crontab(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn intervals() {
        assert_eq!(interval("10 minutes"), Ok((10, Unit::Minute)));
        assert_eq!(interval("1 day"), Ok((1, Unit::Day)));
        assert_eq!(interval("2 Weeks"), Ok((2, Unit::Week)));
        for bad in [
            "",
            "10",
            "ten minutes",
            "0 hours",
            "10 seconds",
            "1 day later",
            "-1 day",
        ] {
            assert!(interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs() {
        assert!(slug("nightly-report").is_ok() && slug("job_2").is_ok());
        assert!(slug(&"a".repeat(50)).is_ok());
        for bad in [
            "",
            "Nightly",
            "nightly report",
            "nightly.report",
            "123",
            &"a".repeat(51),
        ] {
            assert!(slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_and_zones() {
        assert!(minutes("max_runtime", 1).is_ok() && minutes("max_runtime", 40_320).is_ok());
        assert!(minutes("max_runtime", 0).is_err() && minutes("max_runtime", 40_321).is_err());
        assert!(threshold("recovery_threshold", 720).is_ok());
        assert!(threshold("recovery_threshold", 0).is_err());
        assert!(timezone("Europe/Berlin").is_ok() && timezone("UTC").is_ok());
        assert!(timezone("").is_err() && timezone("Europe Berlin").is_err());
    }
}
