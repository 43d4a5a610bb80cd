//! Limits, budgets and flags: whole numbers within bounds, and true/false.

use std::ops::RangeInclusive;

refusal! {
    /// Why a number was refused.
    NumberError {
        NotWhole => "must be a whole number",
        OutOfRange => "must be a whole number in range",
    }
}

/// Parses a whole number that must lie in `range`.
pub fn whole_number(s: &str, range: RangeInclusive<u64>) -> Result<u64, NumberError> {
    let n: u64 = s.parse().map_err(|_| NumberError::NotWhole)?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(NumberError::OutOfRange)
    }
}

refusal! {
    /// Why a flag was refused.
    FlagError {
        NotBoolean => "must be true or false",
    }
}

/// Parses `true`/`1` or `false`/`0`, in any case.
pub fn flag(s: &str) -> Result<bool, FlagError> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(FlagError::NotBoolean),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_accepted_up_to_and_including_both_bounds() {
        assert_eq!(whole_number("1", 1..=10), Ok(1));
        assert_eq!(whole_number("10", 1..=10), Ok(10));
        assert_eq!(whole_number("0", 0..=10), Ok(0));
        assert_eq!(
            whole_number("5368709120", 1..=5_368_709_120),
            Ok(5_368_709_120)
        );
    }

    #[test]
    fn numbers_just_outside_the_bounds_are_refused() {
        assert_eq!(whole_number("0", 1..=10), Err(NumberError::OutOfRange));
        assert_eq!(whole_number("11", 1..=10), Err(NumberError::OutOfRange));
        assert_eq!(
            whole_number("18446744073709551615", 1..=10),
            Err(NumberError::OutOfRange)
        );
    }

    #[test]
    fn anything_but_a_whole_number_is_refused() {
        for s in [
            "",
            "-1",
            "1.5",
            "1e3",
            "ten",
            "+",
            "18446744073709551616",
            "1 000",
        ] {
            assert_eq!(
                whole_number(s, 0..=u64::MAX),
                Err(NumberError::NotWhole),
                "{s:?}"
            );
        }
    }

    #[test]
    fn flags_are_true_or_false_in_any_case() {
        for (s, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("False", false),
            ("0", false),
        ] {
            assert_eq!(flag(s), Ok(expected), "{s}");
        }
        for s in ["yes", "no", "on", "2", "", "truee"] {
            assert_eq!(flag(s), Err(FlagError::NotBoolean), "{s:?}");
        }
    }
}
