//! Test support, the one helper library of every test binary and benchmark: the running local
//! AWS stack ([`stack`]), requests and events ([`requests`]), the app under test ([`TestApp`]),
//! signed test tokens ([`jwt`]), `curl` on signed URLs ([`curl`]), and the harness pieces: a stoppable,
//! optionally slow TCP proxy ([`proxy`]), a fake Lambda Runtime API ([`runtime`]) and the
//! `revocations` function behind an Invoke API ([`invoke`]).

pub mod app;
pub mod curl;
pub mod faults;
pub mod invoke;
pub mod jwt;
pub mod proxy;
pub mod requests;
pub mod runtime;
pub mod stack;

pub use app::{Records, TestApp, file_path};
pub use requests::{
    error_code, event, function_url_event, get, parts, request, request_with_body, rest_event,
};
pub use stack::{Stack, TestUser, plain_http, repo_root, stack};
