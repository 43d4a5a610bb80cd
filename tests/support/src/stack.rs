//! The running local AWS stack: its settings, the fixture and Lambda principals, users and their
//! tokens, identities and files, and its own control endpoints (call counts, faults).
//!
//! Every test that needs the stack calls [`stack()`]; when the stack is not running it panics
//! with the command that starts it. Nothing is skipped.

use crate::jwt;
use aws_credential_types::Credentials;
use read_file::auth::token::{TokenVerifier, VerifiedIdToken};
use read_file::identity::{IdentityBroker, IdentityId};
use read_file::metrics::CallCounter;
use read_file::revocation::{Revocations, RevocationsConfig};
use read_file::startup::{loader, sdk_loader};
use read_file::storage::ObjectKey;
use read_file::Config;
use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The local stack's settings, read once per test binary.
pub struct Stack {
    vars: HashMap<String, String>,
}

/// The running local stack; panics loudly when it is not up.
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let root = repo_root();
        let mut vars = HashMap::new();
        for file in ["stack.env", "fixtures.env"] {
            let path = root.join(".local").join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
                panic!(
                    "the local AWS stack is not running ({} is missing): start it with \
                     `make local-up` (`make test` does this for you)",
                    path.display()
                )
            });
            vars.extend(parse_env(&text));
        }
        let stack = Stack { vars };
        let endpoint = stack.var("AWS_ENDPOINT_URL");
        let addr: SocketAddr = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|_| panic!("AWS_ENDPOINT_URL is not http://host:port: {endpoint}"));
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap_or_else(|e| {
            panic!(
                "the local AWS stack does not answer at {endpoint} ({e}): start it with \
                 `make local-up` (`make test` does this for you)"
            )
        });
        stack
    })
}

/// The repository root (where `Cargo.toml` is).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    here.canonicalize().unwrap_or(here)
}

/// Parses `KEY=VALUE` lines, skipping blanks and comments.
pub fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

static USER_SEQ: AtomicU32 = AtomicU32::new(0);

/// A user created for one test, with a permanent password.
pub struct TestUser {
    pub username: String,
    pub password: String,
}

impl Stack {
    /// One setting of the stack.
    pub fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("{key} is missing from .local/*.env"))
    }

    /// The app client tests sign in with: the public one, first of `USER_POOL_CLIENT_ID` (the stack
    /// lists every client whose tokens the function accepts, as the CDK app sets it).
    pub fn public_client_id(&self) -> &str {
        let clients = self.var("USER_POOL_CLIENT_ID");
        clients.split(',').next().unwrap_or(clients).trim()
    }

    /// The Lambda's configuration as the stack wrote it, with `overrides` on top, and without the
    /// shared session tier unless an override names `SESSION_TABLE`: most tests pin what one
    /// environment does on its own (the calls it makes), which a table filled by other tests
    /// would change. [`Stack::shared_config_with`] keeps the stack's table.
    pub fn config_with(&self, overrides: &[(&str, &str)]) -> Config {
        let mut all = vec![("SESSION_TABLE", "")];
        all.extend_from_slice(overrides);
        self.lambda_config(&all)
    }

    /// The Lambda's configuration as the stack wrote it (the shared session tier on, as `make dev`
    /// and the CDK app run it), with `overrides` on top.
    pub fn shared_config_with(&self, overrides: &[(&str, &str)]) -> Config {
        self.lambda_config(overrides)
    }

    fn lambda_config(&self, overrides: &[(&str, &str)]) -> Config {
        let vars = &self.vars;
        Config::from_lookup(|k| {
            overrides
                .iter()
                .rev()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
                .or_else(|| vars.get(k).cloned())
        })
        .expect("the stack's settings are a valid configuration")
    }

    /// The `revocations` function as Lambda runs it, with its own principal's keys (allowed only
    /// what its role is on the session table).
    pub async fn revocations(&self) -> Revocations {
        let vars = &self.vars;
        let config = RevocationsConfig::from_lookup(|k| vars.get(k).cloned())
            .expect("the stack's settings are a valid revocations configuration");
        let creds = Credentials::new(
            self.var("REVOCATIONS_AWS_ACCESS_KEY_ID"),
            self.var("REVOCATIONS_AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "local-stack",
        );
        let sdk = loader(&config.upstreams)
            .credentials_provider(creds)
            .load()
            .await;
        Revocations::new(&config, &sdk, &CallCounter::default())
    }

    /// A DynamoDB client acting as the fixture principal (to read or tamper with the table raw).
    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.fixture_sdk().await)
    }

    /// Sets how the stack delivers the user pool's revoking calls to the `revocations` function
    /// (`/moto-ext/user-events/config`: `delay_ms`, `lost`, `function_url`); answers the settings.
    pub async fn user_events(&self, settings: serde_json::Value) -> serde_json::Value {
        let url = format!(
            "{}/moto-ext/user-events/config",
            self.var("AWS_ENDPOINT_URL")
        );
        let (status, body) = plain_http("POST", &url, &settings.to_string()).await;
        assert_eq!(status, 200, "user-events config refused: {settings}");
        serde_json::from_slice(&body).expect("JSON")
    }

    /// The delivery of revoking calls so far (`/moto-ext/user-events`).
    pub async fn user_events_report(&self) -> serde_json::Value {
        let url = format!("{}/moto-ext/user-events", self.var("AWS_ENDPOINT_URL"));
        let (status, body) = plain_http("GET", &url, "").await;
        assert_eq!(status, 200, "user-events report");
        serde_json::from_slice(&body).expect("JSON")
    }

    /// SDK configuration of the fixture principal (allowed everything; test setup only).
    pub async fn fixture_sdk(&self) -> aws_config::SdkConfig {
        self.sdk_as("FIXTURE_", &self.config_with(&[])).await
    }

    /// SDK configuration for `config` as the function's own principal (the Lambda role's keys,
    /// allowed only what the role is), as a Lambda environment starts.
    pub async fn lambda_sdk(&self, config: &Config) -> aws_config::SdkConfig {
        self.sdk_as("", config).await
    }

    /// `config`'s SDK configuration with the keys `<prefix>AWS_ACCESS_KEY_ID` and
    /// `<prefix>AWS_SECRET_ACCESS_KEY` of the stack's settings.
    async fn sdk_as(&self, prefix: &str, config: &Config) -> aws_config::SdkConfig {
        let creds = Credentials::new(
            self.var(&format!("{prefix}AWS_ACCESS_KEY_ID")),
            self.var(&format!("{prefix}AWS_SECRET_ACCESS_KEY")),
            None,
            None,
            "local-stack",
        );
        sdk_loader(config).credentials_provider(creds).load().await
    }

    /// A user-pool client acting as the fixture principal.
    pub async fn idp(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.fixture_sdk().await)
    }

    /// An S3 client acting as the fixture principal.
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let sdk = self.fixture_sdk().await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        )
    }

    /// A fresh ID token for `username`, through AdminInitiateAuth as a frontend would get one.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let out = self
            .idp()
            .await
            .admin_initiate_auth()
            .user_pool_id(self.var("USER_POOL_ID"))
            .client_id(self.public_client_id())
            .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AdminInitiateAuth for {username}: {e:?}"));
        out.authentication_result()
            .and_then(|r| r.id_token())
            .expect("an ID token")
            .to_owned()
    }

    /// A token for the provisioned `admin` or `user`.
    pub async fn provisioned_token(&self, username: &str) -> String {
        let password = match username {
            "admin" => self.var("ADMIN_PASSWORD"),
            "user" => self.var("USER_PASSWORD"),
            other => panic!("{other} is not a provisioned user"),
        };
        self.token(username, password).await
    }

    /// Creates a user of its own for one test, confirmed with a permanent password.
    pub async fn new_user(&self, label: &str) -> TestUser {
        let seq = USER_SEQ.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let username = format!("{label}-{}-{seq}-{nanos}", std::process::id());
        self.create_user(&username).await
    }

    /// Creates `username` (again, after a deletion: a new person with a new `sub`), confirmed
    /// with a permanent password.
    pub async fn create_user(&self, username: &str) -> TestUser {
        let password = "Test-Passw0rd!-local".to_owned();
        let idp = self.idp().await;
        let pool = self.var("USER_POOL_ID");
        idp.admin_create_user()
            .user_pool_id(pool)
            .username(username)
            .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
            .send()
            .await
            .expect("AdminCreateUser");
        idp.admin_set_user_password()
            .user_pool_id(pool)
            .username(username)
            .password(&password)
            .permanent(true)
            .send()
            .await
            .expect("AdminSetUserPassword");
        TestUser {
            username: username.to_owned(),
            password,
        }
    }

    /// Disables a user in the pool (as an administrator would).
    pub async fn disable_user(&self, username: &str) {
        self.idp()
            .await
            .admin_disable_user()
            .user_pool_id(self.var("USER_POOL_ID"))
            .username(username)
            .send()
            .await
            .expect("AdminDisableUser");
    }

    /// Enables a user again (as an administrator would).
    pub async fn enable_user(&self, username: &str) {
        self.idp()
            .await
            .admin_enable_user()
            .user_pool_id(self.var("USER_POOL_ID"))
            .username(username)
            .send()
            .await
            .expect("AdminEnableUser");
    }

    /// Signs a user out everywhere (as an administrator would): tokens issued so far are revoked.
    pub async fn sign_out_user(&self, username: &str) {
        self.idp()
            .await
            .admin_user_global_sign_out()
            .user_pool_id(self.var("USER_POOL_ID"))
            .username(username)
            .send()
            .await
            .expect("AdminUserGlobalSignOut");
    }

    /// Deletes a user from the pool (as an administrator would).
    pub async fn delete_user(&self, username: &str) {
        self.idp()
            .await
            .admin_delete_user()
            .user_pool_id(self.var("USER_POOL_ID"))
            .username(username)
            .send()
            .await
            .expect("AdminDeleteUser");
    }

    /// A verifier for the stack's user pool, built as the app builds its own.
    pub async fn verifier(&self) -> TokenVerifier {
        let config = self.config_with(&[]);
        TokenVerifier::new(
            &config.issuers(),
            &config.client_ids,
            &config.jwks_url,
            &self.fixture_sdk().await,
            None,
        )
    }

    /// `token` verified, as the app verifies it.
    pub async fn verified(&self, token: &str) -> VerifiedIdToken {
        self.verifier()
            .await
            .verify(token)
            .await
            .expect("a token the stack issued verifies")
    }

    /// The app's broker for the stack's identity pool, acting as the fixture principal.
    pub async fn broker(&self) -> IdentityBroker {
        let sdk = self.fixture_sdk().await;
        IdentityBroker::new(
            aws_sdk_cognitoidentity::Client::new(&sdk),
            &self.config_with(&[]),
        )
    }

    /// The IdentityId of `token`, obtained the only way there is: the token verified, then
    /// GetId through the app's own broker.
    pub async fn identity(&self, token: &str) -> IdentityId {
        let verified = self.verified(token).await;
        self.broker()
            .await
            .identity_id(&verified)
            .await
            .expect("GetId")
    }

    /// An S3 client holding the identity-pool keys `token` exchanges for (what a signed-in browser
    /// holds), and the folder those keys may write: for writing to S3 directly, past the API.
    pub async fn user_s3(&self, token: &str) -> (aws_sdk_s3::Client, String) {
        let verified = self.verified(token).await;
        let broker = self.broker().await;
        let identity = broker.identity_id(&verified).await.expect("GetId");
        let keys = broker
            .credentials(&identity, &verified)
            .await
            .expect("GetCredentialsForIdentity");
        let sdk = self.fixture_sdk().await;
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .credentials_provider(keys.credentials)
                .force_path_style(true)
                .build(),
        );
        let prefix = self.config_with(&[]).prefix;
        (client, format!("{prefix}/{identity}/"))
    }

    /// Deletes `identity` from the identity pool (DeleteIdentities, as an operator would); the
    /// user's next GetId creates another one.
    pub async fn delete_identity(&self, identity: &IdentityId) {
        aws_sdk_cognitoidentity::Client::new(&self.fixture_sdk().await)
            .delete_identities()
            .identity_ids_to_delete(identity.as_str())
            .send()
            .await
            .expect("DeleteIdentities");
    }

    /// The key of the data file of `identity`, under the configured prefix.
    pub fn data_key(&self, identity: &IdentityId) -> ObjectKey {
        ObjectKey::data_file(&self.config_with(&[]).prefix, identity)
    }

    /// Writes `body` as the data file of `identity` (as an operator would).
    pub async fn put_data(&self, identity: &IdentityId, body: &str) {
        self.s3()
            .await
            .put_object()
            .bucket(self.var("S3_BUCKET"))
            .key(self.data_key(identity).as_str())
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .expect("PutObject");
    }

    /// The `Logins` key of the stack's user pool.
    pub fn login_provider(&self) -> String {
        self.config_with(&[]).login_provider()
    }

    /// Zeroes the stack's count of calls per operation (`/moto-ext/calls/reset`).
    pub async fn reset_calls(&self) -> Result<(), String> {
        let url = format!("{}/moto-ext/calls/reset", self.var("AWS_ENDPOINT_URL"));
        match plain_http("POST", &url, "").await {
            (200..300, _) => Ok(()),
            (status, _) => Err(format!("{url}: HTTP {status}")),
        }
    }

    /// The stack's calls per operation (`"s3:GetObject"`, ...) since the last reset.
    pub async fn calls(&self) -> Result<BTreeMap<String, u64>, String> {
        let url = format!("{}/moto-ext/calls", self.var("AWS_ENDPOINT_URL"));
        match plain_http("GET", &url, "").await {
            (200..300, body) => serde_json::from_slice(&body).map_err(|e| format!("{url}: {e}")),
            (status, _) => Err(format!("{url}: HTTP {status}")),
        }
    }

    /// The stack's own signing key (moto signs every pool's tokens with it).
    pub fn pool_key(&self) -> jwt::TestKey {
        jwt::TestKey::from_pem_file(self.var("SIGNING_KEY_FILE"), self.var("SIGNING_KEY_KID"))
    }
}

/// A plain HTTP/1.0 call to the local stack's own endpoints (`/moto-api/...`, `/moto-ext/...`),
/// with the stack's control secret: status and body. HTTP/1.0 so the answer is never chunked;
/// enough for a local test server.
pub async fn plain_http(method: &str, url: &str, body: &str) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not a plain http URL: {url}"));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut conn = tokio::net::TcpStream::connect(host)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         X-Local-Stack-Secret: {}\r\nContent-Length: {}\r\n\r\n{body}",
        stack().var("LOCAL_STACK_SECRET"),
        body.len()
    );
    conn.write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.expect("answer read");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (status, answer[split + 4..].to_vec())
}
