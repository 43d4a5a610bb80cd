//! Who is calling: the ID token, verified locally, the user behind it, and their identity.

mod caller;
pub mod token;
pub mod user;

pub use caller::{Caller, id_token};
