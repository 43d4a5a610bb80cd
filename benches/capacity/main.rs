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
//! second mode, default 10), `CAPACITY_ONLY` (scenario labels to run alone, comma-separated, e.g.
//! `10k/1000/20/N=1,10k/1000/20/shared-pushed`), `CAPACITY_SEED`
//! (the workload's seed, default 13; runs with other seeds give the spread),
//! `CAPACITY_USER_CHECK_TTL` (the modelled `USER_CHECK_TTL_SECONDS` of the per-environment
//! setting, simulated seconds, default 60, a multiple of `SCALE` up to 3600).
//!
//! **The shared session tier** (issue 19) is modelled in two more settings, side by side with the
//! per-environment one: shared with `SHARED_USER_CHECK_TTL_SECONDS` 60 and no revocation events
//! (the same revocation bound as today), and shared with pushed revocation and the long shared TTL
//! (900 s), both with the environments' own copies at 30 s. The table is one more upstream
//! (`table.rs`, an in-memory DynamoDB shared by every `App` of the run, metered in request units).
//! What one environment stores, the others read, so every environment is driven at once: users
//! are sampled by stratum (`Zipf::stratified`, one user from the middle of each stratum of k ranks,
//! counts × k) with k as small as keeps the real request rate within `CAPACITY_BUDGET`, and time
//! is compressed `SHARED_SCALE` (30) times, the most that keeps a 30 s TTL a whole number of
//! seconds.

mod table;
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
use table::FakeTable;
use upstream::{
    Counts, EXCHANGE, GET_ID, GET_OBJECT, TABLE_BATCH_GET, TABLE_GET, TABLE_PUT, TABLE_UPDATE,
    USER_CHECK,
};
use workload::{Arrival, Zipf, arrivals, spread_arrivals};

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

/// Time compression of the shared settings: their environments' own TTL (30 s) must stay a whole
/// number of seconds.
const SHARED_SCALE: u64 = 30;
/// The environments' own verdict TTL with a table (`USER_CHECK_TTL_SECONDS`' default then).
const LOCAL_TTL_SHARED: u64 = 30;
/// On-demand DynamoDB, us-east-1, since the price cut of 1 November 2024: USD per million write
/// request units and per million read request units (aws.amazon.com/dynamodb/pricing/on-demand).
const USD_PER_MILLION_WRU: f64 = 0.625;
const USD_PER_MILLION_RRU: f64 = 0.125;
/// A 30-day month, in seconds.
const MONTH_SECONDS: f64 = 30.0 * 24.0 * 3600.0;
/// EventBridge's reported P99 for "AWS API Call via CloudTrail" events (Cloud Custodian's
/// maintainers; AWS publishes no figure: delivery is best effort).
const EVENT_P99_SECONDS: u64 = 90;

/// The deployments compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    /// No table: every cache in its environment (as before the shared tier).
    PerEnvironment,
    /// The table, `SHARED_USER_CHECK_TTL_SECONDS` 60, no revocation events.
    SharedPolled,
    /// The table, revocations pushed, `SHARED_USER_CHECK_TTL_SECONDS` 900 (the default).
    SharedPushed,
}

impl Setting {
    fn key(self) -> &'static str {
        match self {
            Setting::PerEnvironment => "per-environment",
            Setting::SharedPolled => "shared-polled",
            Setting::SharedPushed => "shared-pushed",
        }
    }

    /// The shared verdict's TTL (simulated seconds), if there is a table.
    fn shared_ttl(self) -> Option<u64> {
        match self {
            Setting::PerEnvironment => None,
            Setting::SharedPolled => Some(60),
            Setting::SharedPushed => Some(900),
        }
    }

    /// How late a disabled or deleted user may still be served: normally, and with the
    /// revocation event lost.
    fn revocation_bound(self, user_check_ttl: u64) -> (String, String) {
        match self {
            Setting::PerEnvironment => (format!("{user_check_ttl} s"), "no events".into()),
            Setting::SharedPolled => ("60 s".into(), "no events".into()),
            Setting::SharedPushed => (
                format!(
                    "delivery + {LOCAL_TTL_SHARED} s (P99 about {} s)",
                    EVENT_P99_SECONDS + LOCAL_TTL_SHARED
                ),
                "900 s".into(),
            ),
        }
    }
}

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
    // Scenario labels to run alone, comma-separated (all when unset).
    let only: Option<Vec<String>> = std::env::var("CAPACITY_ONLY")
        .ok()
        .map(|v| v.split(',').map(|l| l.trim().to_owned()).collect());
    let skip = |label: &str| only.as_ref().is_some_and(|o| !o.iter().any(|l| l == label));
    let knobs = Knobs::from_env()?;
    eprintln!(
        "seed {}, USER_CHECK_TTL_SECONDS {} (simulated)",
        knobs.seed, knobs.user_check_ttl
    );
    let mut rows = Vec::new();
    for s in &SCENARIOS {
        for n in [1, per_env] {
            let label = format!("{}k/{}/{}/N={n}", s.users / 1000, s.rate, s.instances);
            if skip(&label) {
                continue;
            }
            eprintln!("scenario {label}: {hours} simulated h...");
            rows.push(model.scenario(s, n, hours, &knobs).await?);
        }
        for setting in [Setting::SharedPolled, Setting::SharedPushed] {
            let label = format!(
                "{}k/{}/{}/{}",
                s.users / 1000,
                s.rate,
                s.instances,
                setting.key()
            );
            if skip(&label) {
                continue;
            }
            eprintln!("scenario {label}: {hours} simulated h...");
            rows.push(model.shared_scenario(s, setting, hours, &knobs).await?);
        }
    }
    print_rows(&rows);
    print_settings(&rows);
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
        table: &FakeTable,
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
            .http_client(upstream::client(
                jwks,
                key_lifetime,
                counts.clone(),
                table.clone(),
            ))
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
                &FakeTable::default(),
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
        let (bound, bound_lost) = Setting::PerEnvironment.revocation_bound(knobs.user_check_ttl);
        Ok(json!({
            "setting": Setting::PerEnvironment.key(),
            "revocation_bound": bound,
            "revocation_bound_event_lost": bound_lost,
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

impl Model {
    /// A shared setting: every environment driven at once (one invocation at a time each),
    /// sharing one table; see the module docs for the sampling and the time compression.
    async fn shared_scenario(
        &self,
        s: &Scenario,
        setting: Setting,
        hours: f64,
        knobs: &Knobs,
    ) -> Result<Value, BoxError> {
        let scale = SHARED_SCALE;
        let shared_ttl = setting.shared_ttl().expect("a shared setting");
        let budget: f64 = env_or("CAPACITY_BUDGET", 1500.0);
        // The smallest stratum that keeps the real request rate within the budget.
        let mut step = 1;
        let zipf = loop {
            let zipf = Zipf::stratified(s.users, ZIPF_S, step);
            if s.rate * scale as f64 * zipf.mass <= budget || step >= s.users / 100 {
                break zipf;
            }
            step += (step / 8).max(1);
        };
        let rate = s.rate * zipf.mass;
        let sim_seconds = hours * 3600.0;
        let counts = Counts::default();
        let table = FakeTable::default();
        let settings = [
            ("SESSION_TABLE", "capacity-sessions".to_owned()),
            (
                "USER_CHECK_TTL_SECONDS",
                (LOCAL_TTL_SHARED / scale).to_string(),
            ),
            (
                "SHARED_USER_CHECK_TTL_SECONDS",
                (shared_ttl / scale).to_string(),
            ),
            (
                "CREDENTIALS_REFRESH_MARGIN_SECONDS",
                (REFRESH_MARGIN / scale).to_string(),
            ),
            (
                "CACHE_MAX_ENTRIES",
                (CACHE_MAX_ENTRIES / step as u64).max(1).to_string(),
            ),
        ];
        let key_lifetime = Duration::from_secs(KEY_LIFETIME / scale);
        let mut apps = Vec::with_capacity(s.instances);
        for _ in 0..s.instances {
            apps.push(self.app(&settings, key_lifetime, &counts, &table).await);
        }
        let started = tokio::time::Instant::now();
        let real = Instant::now();
        let (mut max_lag, mut requests, mut failures) = (Duration::ZERO, 0u64, 0u64);
        for Arrival { at, user, instance } in
            spread_arrivals(knobs.seed, &zipf, rate, sim_seconds, s.instances)
        {
            let due = started + Duration::from_secs_f64(at / scale as f64);
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
            failures += u64::from(apps[instance].handle(event).await.status() != 200);
        }
        let counts = counts.snapshot();
        let per_second =
            |op: &str| (counts.get(op).copied().unwrap_or(0) * step as u64) as f64 / sim_seconds;
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
        let units = table.units();
        let rru = units.read * step as f64 / sim_seconds;
        let wru = units.write * step as f64 / sim_seconds;
        let monthly = (rru * USD_PER_MILLION_RRU + wru * USD_PER_MILLION_WRU) / 1e6 * MONTH_SECONDS;
        let (bound, bound_lost) = setting.revocation_bound(knobs.user_check_ttl);
        Ok(json!({
            "setting": setting.key(),
            "revocation_bound": bound,
            "revocation_bound_event_lost": bound_lost,
            "users": s.users,
            "requests_per_s": s.rate,
            "instances": s.instances,
            "per_environment": 1,
            "environments": s.instances,
            "simulated_hours": hours,
            "seed": knobs.seed,
            "user_check_ttl_s": LOCAL_TTL_SHARED,
            "shared_user_check_ttl_s": shared_ttl,
            "time_scale": scale,
            "requests_driven": requests,
            "user_sample_step": step,
            "user_sample": "stratified",
            "failures": failures,
            "get_object_per_s": round1(per_second(GET_OBJECT)),
            "apis": apis,
            "first_to_bind": binding,
            "dynamodb": {
                "get_item_per_s": round1(per_second(TABLE_GET)),
                "batch_get_item_per_s": round1(per_second(TABLE_BATCH_GET)),
                "put_item_per_s": round1(per_second(TABLE_PUT)),
                "update_item_per_s": round1(per_second(TABLE_UPDATE)),
                "read_units_per_s": round1(rru),
                "write_units_per_s": round1(wru),
                "monthly_usd_on_demand": round1(monthly),
            },
            "max_lag_simulated_s": round1(max_lag.as_secs_f64() * scale as f64),
            "real_seconds": round1(real.elapsed().as_secs_f64()),
        }))
    }
}

/// The three settings side by side, one invocation per environment.
fn print_settings(rows: &[Value]) {
    let shared: Vec<&Value> = rows.iter().filter(|r| r["per_environment"] == 1).collect();
    if shared
        .iter()
        .all(|r| r["setting"] == Setting::PerEnvironment.key())
    {
        return;
    }
    println!(
        "\n| users, req/s, envs | setting | GetId/s (25) | GetCredentialsForIdentity/s (200) | AdminGetUser/s (120) | DynamoDB reads/s (RRU/s) | writes/s (WRU/s) | $/month on demand | revocation bound | with the event lost |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    for r in shared {
        let api = |op: &str| {
            let a = &r["apis"][op];
            format!(
                "{} ({:.0}%)",
                a["calls_per_s"],
                a["use"].as_f64().unwrap_or(f64::NAN) * 100.0
            )
        };
        let d = &r["dynamodb"];
        let (reads, writes, cost) = if d.is_object() {
            let f = |k: &str| d[k].as_f64().unwrap_or(0.0);
            (
                format!(
                    "{:.1} ({:.1})",
                    f("get_item_per_s") + f("batch_get_item_per_s"),
                    f("read_units_per_s")
                ),
                format!(
                    "{:.1} ({:.1})",
                    f("put_item_per_s") + f("update_item_per_s"),
                    f("write_units_per_s")
                ),
                format!("{:.0}", f("monthly_usd_on_demand")),
            )
        } else {
            ("-".into(), "-".into(), "-".into())
        };
        println!(
            "| {}k, {}, {} | {} | {} | {} | {} | {reads} | {writes} | {cost} | {} | {} |",
            r["users"].as_u64().unwrap_or(0) / 1000,
            r["requests_per_s"],
            r["instances"],
            r["setting"].as_str().unwrap_or("?"),
            api(GET_ID),
            api(EXCHANGE),
            api(USER_CHECK),
            r["revocation_bound"].as_str().unwrap_or("?"),
            r["revocation_bound_event_lost"].as_str().unwrap_or("?"),
        );
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
    for r in rows
        .iter()
        .filter(|r| r["setting"] == Setting::PerEnvironment.key())
    {
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
                .app(
                    &settings,
                    Duration::from_secs(3600),
                    &counts,
                    &FakeTable::default(),
                )
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

    let same = compare(
        &format!("{REQUESTS} REST requests (signer), {USERS} users (Zipf), {INSTANCES} apps"),
        &[GET_ID, EXCHANGE, USER_CHECK, GET_OBJECT],
        &at_model,
        &at_stack,
    );
    let same_shared = validate_shared(model, &sequence).await?;
    if same && same_shared {
        println!("same counts: the model is trusted for this workload");
        Ok(())
    } else {
        Err("the model and the stack disagree (tables above)".into())
    }
}

/// Prints the model's and the stack's counts of `ops` side by side; whether they agree.
fn compare(
    title: &str,
    ops: &[&'static str],
    at_model: &BTreeMap<&'static str, u64>,
    at_stack: &BTreeMap<String, u64>,
) -> bool {
    println!("\nvalidation: {title}");
    println!("| operation | model | local stack |\n| --- | ---: | ---: |");
    let mut same = true;
    for op in ops {
        let m = at_model.get(op).copied().unwrap_or(0);
        let s = at_stack.get(*op).copied().unwrap_or(0);
        same &= m == s;
        println!("| {op} | {m} | {s} |");
    }
    same
}

/// The same sequence through apps with the shared tier on, the model's table against moto's
/// DynamoDB: Cognito's calls and the table's, per operation, must agree.
async fn validate_shared(model: &Model, sequence: &[Arrival]) -> Result<bool, BoxError> {
    const USERS: usize = 12;
    const INSTANCES: usize = 3;
    let stack = support::stack();
    let settings = [
        ("USER_CHECK_TTL_SECONDS", "3600".to_owned()),
        ("SHARED_USER_CHECK_TTL_SECONDS", "3600".to_owned()),
        // The emulator on a loaded machine is slower than DynamoDB: no miss by budget here.
        ("SESSION_TABLE_TIMEOUT_MS", "3000".to_owned()),
    ];
    let counts = Counts::default();
    let table = FakeTable::default();
    let mut with_table = settings.to_vec();
    with_table.push(("SESSION_TABLE", "capacity-sessions".to_owned()));
    let mut apps = Vec::new();
    for _ in 0..INSTANCES {
        apps.push(
            model
                .app(&with_table, Duration::from_secs(3600), &counts, &table)
                .await,
        );
    }
    // Users the model has not met yet (its table is new, the stack's holds earlier runs' users).
    let offset = 1000;
    for a in sequence {
        let user = offset + a.user;
        let token = model.token(user);
        let event = model.rest_event(
            &token,
            &upstream::identity_of(&Model::sub(user)),
            IDENTITY_POOL,
        );
        let status = apps[a.instance].handle(event).await.status();
        if status != 200 {
            return Err(format!("model (shared) answered {status}").into());
        }
    }
    let at_model = counts.snapshot();

    eprintln!("validation: {USERS} new users on the local stack, shared tier on...");
    let mut users = Vec::new();
    for _ in 0..USERS {
        let user = stack.new_user("capacity-shared").await;
        let token = stack.token(&user.username, &user.password).await;
        let identity = stack.identity(&token).await;
        stack.put_data(&identity, "capacity\n").await;
        users.push((token, identity.as_str().to_owned()));
    }
    let overrides: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut apps = Vec::new();
    for _ in 0..INSTANCES {
        apps.push(support::TestApp::spawn_shared(&overrides).await);
    }
    stack.reset_calls().await?;
    for a in sequence {
        let (token, identity) = &users[a.user];
        let event = model.rest_event(token, identity, stack.var("IDENTITY_POOL_ID"));
        let (status, body) = apps[a.instance].call(event).await;
        if status != 200 {
            return Err(format!("the stack's app (shared) answered {status}: {body}").into());
        }
    }
    let at_stack = stack.calls().await?;
    Ok(compare(
        &format!(
            "the same {} requests with the shared tier on (one table for the {INSTANCES} apps)",
            sequence.len()
        ),
        &[
            GET_ID,
            EXCHANGE,
            USER_CHECK,
            GET_OBJECT,
            TABLE_GET,
            TABLE_BATCH_GET,
            TABLE_PUT,
            TABLE_UPDATE,
        ],
        &at_model,
        &at_stack,
    ))
}
