//! Who is calling: the ID token, verified locally, and the user behind it.

pub mod token;
pub mod user;
