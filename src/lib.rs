//! `read-file`: a Lambda that returns a signed-in Cognito user's own S3 files, with AWS itself
//! (IAM and the identity pool) enforcing that nobody reaches another user's files.

pub mod app;
pub mod auth;
pub mod config;
pub mod emf;
pub mod error;
pub mod event;
pub mod identity;
pub mod metrics;
pub mod response;
pub mod revocation;
pub mod routes;
pub mod session;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod xray;

pub use app::App;
pub use config::Config;
