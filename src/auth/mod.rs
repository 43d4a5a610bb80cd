//! Who is calling: the ID token, verified locally, the user behind it, their identity and keys.

mod caller;
pub mod keys;
pub mod token;
pub mod user;

pub use caller::{Authenticator, Caller, id_token};
pub use keys::{Claim, Keys, KeysLimits, Match};
