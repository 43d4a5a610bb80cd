//! `make capacity`: how many Cognito calls per second the per-environment caches leave, for a
//! workload of U users (Zipf), R requests/s over I environments, T simulated hours, measured by
//! driving many real `App`s (caches included) whose upstreams are the SDK's test HTTP client.
//!
//! Time is compressed by configuration only: `USER_CHECK_TTL_SECONDS`,
//! `CREDENTIALS_REFRESH_MARGIN_SECONDS` and the keys' lifetime (the fake
//! GetCredentialsForIdentity's `Expiration`) are all divided by `SCALE`, and one simulated second
//! lasts 1/`SCALE` real second. One environment in each scenario is driven with its share of the
//! traffic and its counts multiplied by the number of environments: with requests spread at random
//! (API Gateway and Lambda route by availability, not by user), every environment sees an
//! independent Poisson stream of R/I with the same user mix.
//!
//! `CAPACITY_VALIDATE=1` (also part of `make capacity` when the local stack runs): a small fixed
//! workload through the model and through the local stack, whose call counts must be equal.
//!
//! Knobs: `CAPACITY_HOURS` (T, default 1), `CAPACITY_N` (invocations per environment in the
//! second mode, default 10), `CAPACITY_ONLY` (a scenario label to run alone), `CAPACITY_SEED`
//! (the workload's seed, default 13; runs with other seeds give the spread),
//! `CAPACITY_USER_CHECK_TTL` (the modelled `USER_CHECK_TTL_SECONDS`, simulated seconds, default 60,
//! a multiple of `SCALE` up to 3600).

mod upstream;
mod workload;

use aws_credential_types::Credentials;
use read_file::startup::sdk_loader;
use read_file::{App, Config};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::jwt::{TestKey, id_claims};
use upstream::{Counts, EXCHANGE, GET_ID, GET_OBJECT, USER_CHECK};
use workload::{Arrival, Zipf, arrivals};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Real time is simulated time divided by this. 60 is the most the configuration allows:
/// `USER_CHECK_TTL_SECONDS` (default 60) is a whole number of seconds.
const SCALE: u64 = 60;
/// The production settings being modelled (simulated seconds); the user check's TTL is a knob.
const USER_CHECK_TTL: u64 = 60;
const REFRESH_MARGIN: u64 = 300;
const KEY_LIFETIME: u64 = 3600;
/// Zipf exponent of user activity.
const ZIPF_S: f64 = 1.0;
/// The workload's default seed (`CAPACITY_SEED`); validation always uses it.
const SEED: u64 = 13;
/// `CACHE_MAX_ENTRIES`' default: each of an environment's caches holds this many users at most.
const CACHE_MAX_ENTRIES: u64 = 10_000;

/// Account-wide quotas (requests/s per account and Region).
const QUOTAS: [(&str, f64); 3] = [(GET_ID, 25.0), (EXCHANGE, 200.0), (USER_CHECK, 120.0)];

const REGION: &str = "us-east-1";
const POOL: &str = "us-east-1_Model0000";
const CLIENT: &str = "modelclient0000000000000000";
const IDENTITY_POOL: &str = "us-east-1:00000000-0000-4000-8000-000000000000";

struct Scenario {
    users: usize,
    rate: f64,
    instances: usize,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        users: 1_000,
        rate: 100.0,
        instances: 5,
    },
    Scenario {
        users: 10_000,
        rate: 1_000.0,
        instances: 20,
    },
    Scenario {
        users: 100_000,
        rate: 10_000.0,
        instances: 100,
    },
];

fn main() -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let model = Arc::new(Model::new());
    if std::env::var("CAPACITY_VALIDATE").is_ok_and(|v| v == "1") {
        return validate(&model).await;
    }
    let hours: f64 = env_or("CAPACITY_HOURS", 1.0);
    let per_env: usize = env_or("CAPACITY_N", 10);
    let only = std::env::var("CAPACITY_ONLY").ok();
    let knobs = Knobs::from_env()?;
    eprintln!(
        "seed {}, USER_CHECK_TTL_SECONDS {} (simulated)",
        knobs.seed, knobs.user_check_ttl
    );
    let mut rows = Vec::new();
    for s in &SCENARIOS {
        for n in [1, per_env] {
            let label = format!("{}k/{}/{}/N={n}", s.users / 1000, s.rate, s.instances);
            if only.as_ref().is_some_and(|o| o != &label) {
                continue;
            }
            eprintln!("scenario {label}: {hours} simulated h...");
            rows.push(model.scenario(s, n, hours, &knobs).await?);
        }
    }
    print_rows(&rows);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/capacity");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&rows)? + "\n")?;
    println!("\nwrote {}", path.display());
    Ok(())
}

/// The workload and settings a run models (see the module's knobs).
struct Knobs {
    seed: u64,
    user_check_ttl: u64,
}

impl Knobs {
    fn from_env() -> Result<Self, BoxError> {
        let seed = env_or("CAPACITY_SEED", SEED);
        let user_check_ttl = env_or("CAPACITY_USER_CHECK_TTL", USER_CHECK_TTL);
        // The app takes whole seconds; compressed by SCALE, the TTL must stay a whole number.
        if user_check_ttl == 0 || user_check_ttl % SCALE != 0 || user_check_ttl > 3600 {
            return Err(format!(
                "CAPACITY_USER_CHECK_TTL={user_check_ttl}: a multiple of {SCALE} from {SCALE} to 3600"
            )
            .into());
        }
        Ok(Self {
            seed,
            user_check_ttl,
        })
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The model's users: one signing key, tokens minted on first use.
struct Model {
    key: TestKey,
    tokens: Mutex<HashMap<usize, Arc<str>>>,
    fixture: String,
}

impl Model {
    fn new() -> Self {
        let fixture = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/rest-v1-iam.json"),
        )
        .expect("the REST fixture");
        Model {
            key: TestKey::generate("capacity-model"),
            tokens: Mutex::new(HashMap::new()),
            fixture,
        }
    }

    fn sub(user: usize) -> String {
        format!("00000000-0000-4000-8000-{user:012}")
    }

    fn token(&self, user: usize) -> Arc<str> {
        if let Some(t) = self.tokens.lock().expect("tokens").get(&user) {
            return Arc::clone(t);
        }
        let sub = Self::sub(user);
        let issuer = format!("https://cognito-idp.{REGION}.amazonaws.com/{POOL}");
        let token: Arc<str> = self
            .key
            .sign(&id_claims(&issuer, CLIENT, &sub, &sub))
            .into();
        self.tokens
            .lock()
            .expect("tokens")
            .insert(user, Arc::clone(&token));
        token
    }

    /// A REST (v1) `GET /read-file` carrying `token`, signed (as API Gateway attests) by `signer`.
    fn rest_event(&self, token: &str, signer: &str, pool: &str) -> lambda_http::Request {
        let text = self
            .fixture
            .replace("{{ID_TOKEN_VALUES}}", &format!("\"{token}\""))
            .replace("{{ID_TOKEN}}", token)
            .replace("{{COGNITO_IDENTITY_ID}}", signer)
            .replace("{{IDENTITY_POOL_ID}}", pool);
        read_file::event::request_from_json(&text).expect("a REST event")
    }

    /// An `App` as one Lambda environment builds it, its upstreams answered by the test client.
    async fn app(
        &self,
        settings: &[(&str, String)],
        key_lifetime: Duration,
        counts: &Counts,
    ) -> App {
        let config = Config::from_lookup(|name| {
            settings
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    Some(
                        match name {
                            "AWS_REGION" => REGION,
                            "ACCOUNT_ID" => "123456789012",
                            "USER_POOL_ID" => POOL,
                            "USER_POOL_CLIENT_ID" => CLIENT,
                            "IDENTITY_POOL_ID" => IDENTITY_POOL,
                            "S3_BUCKET" => "capacity-model",
                            "AWS_ENDPOINT_URL" => "http://upstream.model",
                            _ => return None,
                        }
                        .to_owned(),
                    )
                })
        })
        .expect("a valid configuration");
        let jwks = serde_json::to_value(self.key.jwks()).expect("JWKS");
        let sdk = sdk_loader(&config)
            .credentials_provider(Credentials::new("AKIDMODEL", "model", None, None, "model"))
            .http_client(upstream::client(jwks, key_lifetime, counts.clone()))
            .load()
            .await;
        App::new(config, sdk)
    }

    /// One scenario in one deployment mode: `per_env` concurrent invocations per environment.
    async fn scenario(
        &self,
        s: &Scenario,
        per_env: usize,
        hours: f64,
        knobs: &Knobs,
    ) -> Result<Value, BoxError> {
        let environments = s.instances.div_ceil(per_env);
        let env_rate = s.rate / environments as f64;
        // Keep the real request rate within the budget by driving every `step`-th user only
        // (with its full rate) and the caches' capacity scaled to match; counts × `step`.
        let budget: f64 = env_or("CAPACITY_BUDGET", 1500.0);
        let step = ((env_rate * SCALE as f64 / budget).ceil() as usize).clamp(1, s.users / 100);
        let zipf = Zipf::sampled(s.users, ZIPF_S, step);
        let rate = env_rate * zipf.mass;
        let sim_seconds = hours * 3600.0;
        let counts = Counts::default();
        let settings = [
            (
                "USER_CHECK_TTL_SECONDS",
                (knobs.user_check_ttl / SCALE).to_string(),
            ),
            (
                "CREDENTIALS_REFRESH_MARGIN_SECONDS",
                (REFRESH_MARGIN / SCALE).to_string(),
            ),
            (
                "CACHE_MAX_ENTRIES",
                (CACHE_MAX_ENTRIES / step as u64).max(1).to_string(),
            ),
        ];
        let app = Arc::new(
            self.app(
                &settings,
                Duration::from_secs(KEY_LIFETIME / SCALE),
                &counts,
            )
            .await,
        );
        let started = tokio::time::Instant::now();
        let real = Instant::now();
        let mut max_lag = Duration::ZERO;
        let mut requests = 0u64;
        let mut in_flight = tokio::task::JoinSet::new();
        let mut failures = 0u64;
        for Arrival { at, user, .. } in arrivals(knobs.seed, &zipf, rate, sim_seconds, 0) {
            let due = started + Duration::from_secs_f64(at / SCALE as f64);
            let now = tokio::time::Instant::now();
            if due > now {
                tokio::time::sleep_until(due).await;
            } else {
                max_lag = max_lag.max(now - due);
            }
            let token = self.token(user);
            let event = self.rest_event(
                &token,
                &upstream::identity_of(&Self::sub(user)),
                IDENTITY_POOL,
            );
            requests += 1;
            if per_env == 1 {
                // One invocation at a time, as a classic Lambda environment serves them.
                failures += u64::from(app.handle(event).await.status() != 200);
            } else {
                let app = Arc::clone(&app);
                in_flight.spawn(async move { app.handle(event).await.status() != 200 });
                while in_flight.len() >= per_env {
                    failures += u64::from(in_flight.join_next().await.expect("a task")?);
                }
            }
        }
        while let Some(done) = in_flight.join_next().await {
            failures += u64::from(done?);
        }
        let counts = counts.snapshot();
        let per_second = |op: &str| {
            (counts.get(op).copied().unwrap_or(0) * step as u64) as f64 * environments as f64
                / sim_seconds
        };
        let apis: BTreeMap<&str, Value> = QUOTAS
            .iter()
            .map(|(op, quota)| {
                let rate = per_second(op);
                (*op, json!({"calls_per_s": round1(rate), "quota": quota, "use": round3(rate / quota)}))
            })
            .collect();
        let binding = QUOTAS
            .iter()
            .map(|(op, quota)| (op, per_second(op) / quota))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(op, _)| *op);
        Ok(json!({
            "users": s.users,
            "requests_per_s": s.rate,
            "instances": s.instances,
            "per_environment": per_env,
            "environments": environments,
            "simulated_hours": hours,
            "seed": knobs.seed,
            "user_check_ttl_s": knobs.user_check_ttl,
            "requests_driven": requests,
            "user_sample_step": step,
            "failures": failures,
            "get_object_per_s": round1(per_second(GET_OBJECT)),
            "apis": apis,
            "first_to_bind": binding,
            "max_lag_simulated_s": round1(max_lag.as_secs_f64() * SCALE as f64),
            "real_seconds": round1(real.elapsed().as_secs_f64()),
        }))
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn print_rows(rows: &[Value]) {
    println!(
        "\n| users | req/s | instances | per env | envs | GetId/s (25) | GetCredentialsForIdentity/s (200) | AdminGetUser/s (120) | first to bind | lag (sim s) |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
    for r in rows {
        let api = |op: &str| {
            let a = &r["apis"][op];
            format!(
                "{} ({:.0}%)",
                a["calls_per_s"],
                a["use"].as_f64().unwrap_or(f64::NAN) * 100.0
            )
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r["users"],
            r["requests_per_s"],
            r["instances"],
            r["per_environment"],
            r["environments"],
            api(GET_ID),
            api(EXCHANGE),
            api(USER_CHECK),
            r["first_to_bind"].as_str().unwrap_or("?"),
            r["max_lag_simulated_s"],
        );
    }
}

// ------------------------------------------------------------------ validation

/// A small fixed workload (REST events with a signer, long TTLs so that timing plays no part)
/// through the model's apps and through apps on the local stack; the counts must match.
async fn validate(model: &Model) -> Result<(), BoxError> {
    const USERS: usize = 12;
    const INSTANCES: usize = 3;
    const REQUESTS: usize = 120;
    let stack = support::stack();
    let zipf = Zipf::new(USERS, ZIPF_S);
    let sequence = workload::sequence(SEED, &zipf, REQUESTS, INSTANCES);
    let settings = [("USER_CHECK_TTL_SECONDS", "3600".to_owned())];

    // The model.
    let counts = Counts::default();
    let mut apps = Vec::new();
    for _ in 0..INSTANCES {
        apps.push(
            model
                .app(&settings, Duration::from_secs(3600), &counts)
                .await,
        );
    }
    for a in &sequence {
        let token = model.token(a.user);
        let event = model.rest_event(
            &token,
            &upstream::identity_of(&Model::sub(a.user)),
            IDENTITY_POOL,
        );
        let status = apps[a.instance].handle(event).await.status();
        if status != 200 {
            return Err(format!("model answered {status}").into());
        }
    }
    let at_model = counts.snapshot();

    // The local stack: real users, tokens and files; the same sequence.
    eprintln!("validation: {USERS} users on the local stack...");
    let mut users = Vec::new();
    for _ in 0..USERS {
        let user = stack.new_user("capacity").await;
        let token = stack.token(&user.username, &user.password).await;
        let identity = stack.identity(&token).await;
        stack.put_data(&identity, "capacity\n").await;
        users.push((token, identity.as_str().to_owned()));
    }
    let overrides: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut apps = Vec::new();
    for _ in 0..INSTANCES {
        apps.push(support::TestApp::spawn_with(&overrides).await);
    }
    stack.reset_calls().await?;
    for a in &sequence {
        let (token, identity) = &users[a.user];
        let event = model.rest_event(token, identity, stack.var("IDENTITY_POOL_ID"));
        let (status, body) = apps[a.instance].call(event).await;
        if status != 200 {
            return Err(format!("the stack's app answered {status}: {body}").into());
        }
    }
    let at_stack = stack.calls().await?;

    println!(
        "\nvalidation: {REQUESTS} REST requests (signer), {USERS} users (Zipf), {INSTANCES} apps"
    );
    println!("| operation | model | local stack |\n| --- | ---: | ---: |");
    let mut same = true;
    for op in [GET_ID, EXCHANGE, USER_CHECK, GET_OBJECT] {
        let m = at_model.get(op).copied().unwrap_or(0);
        let s = at_stack.get(op).copied().unwrap_or(0);
        same &= m == s;
        println!("| {op} | {m} | {s} |");
    }
    if same {
        println!("same counts: the model is trusted for this workload");
        Ok(())
    } else {
        Err(format!("the model and the stack disagree: {at_model:?} vs {at_stack:?}").into())
    }
}
