//! The workload: U users with Zipf-distributed popularity, requests arriving as a Poisson stream,
//! each sent to an instance chosen at random. Deterministic for a given seed, so the model and the
//! local stack can be given the very same sequence.

/// SplitMix64: small, seedable, good enough to draw users and gaps.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponential gap of a Poisson stream of `rate` per second.
    pub fn gap(&mut self, rate: f64) -> f64 {
        -(1.0 - self.unit()).ln() / rate
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// Zipf(s) over `users` ranks (user 0 is the most active), or over every `step`-th of them.
pub struct Zipf {
    cdf: Vec<f64>,
    step: usize,
    offset: usize,
    /// The share of all requests that the users kept make.
    pub mass: f64,
}

impl Zipf {
    pub fn new(users: usize, exponent: f64) -> Self {
        Self::sampled(users, exponent, 1)
    }

    /// Only users 0, `step`, 2·`step`…: a systematic sample of the population, each user with
    /// its own full request rate. Users share nothing but the caches' capacity (scaled down by
    /// the caller too), so calls of the sample × `step` estimate the calls of everyone.
    pub fn sampled(users: usize, exponent: f64, step: usize) -> Self {
        Self::sampled_from(users, exponent, step, 0)
    }

    /// Users `step`/2, `step`/2 + `step`...: one user from the middle of each stratum of `step`
    /// ranks, each with its own full request rate and standing for its stratum. Unlike
    /// [`Zipf::sampled`], the busiest user (rank 0, a tenth of all requests at 10k users) is not
    /// driven, so that every environment of a large account can be driven at once within the
    /// budget; calls of the sample × `step` estimate the calls of everyone.
    pub fn stratified(users: usize, exponent: f64, step: usize) -> Self {
        Self::sampled_from(users, exponent, step, step / 2)
    }

    fn sampled_from(users: usize, exponent: f64, step: usize, offset: usize) -> Self {
        let weight = |rank: usize| 1.0 / ((rank + 1) as f64).powf(exponent);
        let total: f64 = (0..users).map(weight).sum();
        let mut cdf = Vec::with_capacity(users / step + 1);
        let mut kept = 0.0;
        for rank in (offset..users).step_by(step) {
            kept += weight(rank);
            cdf.push(kept);
        }
        for c in &mut cdf {
            *c /= kept;
        }
        Zipf {
            cdf,
            step,
            offset,
            mass: kept / total,
        }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.offset + self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1) * self.step
    }
}

/// One request of the workload: when (simulated seconds from the start), who, and where.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    pub at: f64,
    pub user: usize,
    pub instance: usize,
}

/// Requests arriving on one instance: Poisson of `rate`/s with Zipf users, up to `until` seconds.
/// A random spread of a Poisson stream over I instances gives each one an independent Poisson
/// stream of R/I with the same user mix, so one instance can be driven on its own.
pub fn arrivals(
    seed: u64,
    zipf: &Zipf,
    rate: f64,
    until: f64,
    instance: usize,
) -> impl Iterator<Item = Arrival> + '_ {
    let mut rng = Rng::new(seed ^ (instance as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut at = 0.0;
    std::iter::from_fn(move || {
        at += rng.gap(rate);
        (at < until).then(|| Arrival {
            at,
            user: zipf.sample(&mut rng),
            instance,
        })
    })
}

/// Requests of the whole account: Poisson of `rate`/s with Zipf users, each sent to one of
/// `instances` at random, up to `until` seconds (every environment driven at once, as the
/// shared tier needs: what one environment stores, the others read).
pub fn spread_arrivals(
    seed: u64,
    zipf: &Zipf,
    rate: f64,
    until: f64,
    instances: usize,
) -> impl Iterator<Item = Arrival> + '_ {
    let mut rng = Rng::new(seed ^ 0x5EED_5AA2_ED00_0001);
    let mut at = 0.0;
    std::iter::from_fn(move || {
        at += rng.gap(rate);
        (at < until).then(|| Arrival {
            at,
            user: zipf.sample(&mut rng),
            instance: rng.below(instances),
        })
    })
}

/// A fixed sequence spread at random over `instances`, for the validation run.
pub fn sequence(seed: u64, zipf: &Zipf, requests: usize, instances: usize) -> Vec<Arrival> {
    let mut rng = Rng::new(seed);
    (0..requests)
        .map(|i| Arrival {
            at: i as f64,
            user: zipf.sample(&mut rng),
            instance: rng.below(instances),
        })
        .collect()
}
