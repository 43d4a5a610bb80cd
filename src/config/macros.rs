//! The two shapes every configuration value shares, written once.

/// Declares a parse error: an enum whose variants each stand for one fixed reason.
///
/// The reason is a `&'static str` so it can become `ConfigError::problem` as is, and it never
/// contains the refused value (some values are secrets; none belong in a log line).
macro_rules! refusal {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $reason:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $(#[doc = $reason] $variant,)+
        }

        impl $name {
            /// Why the value was refused, phrased to follow the variable's name.
            pub fn reason(self) -> &'static str {
                match self {
                    $(Self::$variant => $reason,)+
                }
            }
        }

        impl From<$name> for &'static str {
            fn from(err: $name) -> Self {
                err.reason()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.reason())
            }
        }

        impl std::error::Error for $name {}
    };
}

/// The read-only text surface of a parsed string value: `as_str`, `Display`, `Deref<Target = str>`
/// (so `&config.bucket` is a `&str` where one is expected), `AsRef<str>`, and comparison with `&str`.
macro_rules! text_value {
    ($name:ident) => {
        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<&$name> for String {
            fn from(value: &$name) -> Self {
                value.0.clone()
            }
        }
    };
}
