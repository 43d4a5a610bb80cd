//! The integration tests, as one binary: a module per area, all sharing one helper module.
//!
//! One binary links the AWS SDK once, where a binary per area linked it once each. Run one area
//! with `cargo test --test api read_file::`. Suites that cannot share a process with these run
//! alone, in binaries of their own: `tests/faults.rs`, `tests/load.rs` and
//! `tests/secrets_in_logs.rs` (each says why at its top).

mod api_gateway_events;
mod cache_isolation;
mod files;
mod folders;
mod hostile_tokens;
mod http_contract;
mod many_per_environment;
mod metrics;
mod read_file;
mod shares;
mod signer_path;
mod token_verification;
mod transfers;
mod uploads;
