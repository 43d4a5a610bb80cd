//! The environment as `Config::from_lookup` reads it: each variable through its parser.

use super::ConfigError;
use super::numbers::{flag, whole_number};
use std::ops::RangeInclusive;
use std::time::Duration;

/// Variables read through a lookup function; blanks around a value are dropped and an empty
/// value counts as unset.
pub(super) struct Vars<F>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    /// Reads variables through `lookup`.
    pub(super) fn new(lookup: F) -> Self {
        Vars(lookup)
    }

    /// The trimmed value, if set and not empty.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A variable that must be set, parsed by `parse`.
    pub(super) fn required<T, E: Into<&'static str>>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, ConfigError> {
        let problem = "is not set";
        self.optional(name, parse)?
            .ok_or(ConfigError { name, problem })
    }

    /// A variable that may be unset; if set, it must parse.
    pub(super) fn optional<T, E: Into<&'static str>>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(name)
            .map(|value| {
                parse(&value).map_err(|e| ConfigError {
                    name,
                    problem: e.into(),
                })
            })
            .transpose()
    }

    /// A whole number in `range`, `default` when unset.
    pub(super) fn number(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        debug_assert!(
            range.contains(&default),
            "{name}'s default is out of its range"
        );
        Ok(self
            .optional(name, |v| whole_number(v, range))?
            .unwrap_or(default))
    }

    /// A number of seconds in `range`, `default` when unset.
    pub(super) fn seconds(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.number(name, default, range).map(Duration::from_secs)
    }

    /// A number of milliseconds in `range`, `default` when unset.
    pub(super) fn millis(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.number(name, default, range).map(Duration::from_millis)
    }

    /// A true/false flag, false when unset.
    pub(super) fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        Ok(self.optional(name, flag)?.unwrap_or(false))
    }
}
