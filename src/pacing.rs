//! Throttling quotas, on both sides of the wire: the sandbox target's client waits for a token
//! before each request ([`Pacer`]), and `serve --sandbox-faithful` refuses a request without one
//! with 429 `TooManyRequests`, as Amazon does ([`TokenBuckets::try_take`]). Both use the sandbox's
//! documented token bucket per operation (spec §6: maximum quota, restored per second).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::operation::Operation;

/// `(maximum quota, restored per second)` in the sandbox (spec §6, "Production / Sandbox"; the JP
/// tab is presumed equal to the one retrieved, unconfirmed).
pub fn sandbox_quota(op: Operation) -> (f64, f64) {
    use Operation::*;
    match op {
        CreateCheckoutSession | UpdateCheckoutSession | UpdateChargePermission => (5.0, 1.0),
        GetCheckoutSession | GetChargePermission => (10.0, 1.0),
        CompleteCheckoutSession | FinalizeCheckoutSession | CloseChargePermission => (2.0, 1.0),
        CreateCharge | CaptureCharge | CancelCharge | CreateRefund => (2.0, 1.0),
        GetCharge | GetRefund | GetBuyer => (5.0, 1.0),
        CreateDeliveryTracker => (1.0, 1.0),
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One token bucket per key, each starting full.
#[derive(Debug)]
pub struct TokenBuckets<K> {
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K> Default for TokenBuckets<K> {
    fn default() -> Self {
        TokenBuckets { buckets: Mutex::new(HashMap::new()) }
    }
}

impl<K: Hash + Eq> TokenBuckets<K> {
    /// Takes a token from `key`'s bucket of `max` tokens restored at `rate` per second, or says
    /// how long until one is there.
    pub fn try_take(&self, key: K, (max, rate): (f64, f64)) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: max, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(max);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

/// Client-side pacing, shared by every client of a run, so a full run never trips a 429 (one that
/// happens anyway is retried by the client with backoff).
///
/// It keeps a margin below the server's quota: one token less of burst and 10 % less restore
/// rate. Pacing at exactly the quota would lose the race whenever two requests that left a
/// second apart arrive a little less than a second apart.
#[derive(Debug)]
pub struct Pacer {
    quota: fn(Operation) -> (f64, f64),
    buckets: TokenBuckets<Operation>,
}

impl Pacer {
    pub fn new(quota: fn(Operation) -> (f64, f64)) -> Self {
        Pacer { quota, buckets: TokenBuckets::default() }
    }

    /// The sandbox's quotas.
    pub fn sandbox() -> Self {
        Pacer::new(sandbox_quota)
    }

    /// The bucket this side keeps for `op`: the margin below the server's.
    fn paced_quota(&self, op: Operation) -> (f64, f64) {
        let (max, rate) = (self.quota)(op);
        ((max - 1.0).max(1.0), rate * 0.9)
    }

    /// Waits until a request of `op` fits in its bucket, then takes its token.
    pub async fn acquire(&self, op: Operation) {
        while let Err(wait) = self.buckets.try_take(op, self.paced_quota(op)) {
            if wait > Duration::from_millis(200) {
                tracing::info!(operation = op.title(), "pacing: waiting {wait:?} for the sandbox's throttling quota");
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_the_documented_sandbox_quota() {
        assert_eq!(sandbox_quota(Operation::CreateCheckoutSession), (5.0, 1.0));
        assert_eq!(sandbox_quota(Operation::GetCheckoutSession), (10.0, 1.0));
        assert_eq!(sandbox_quota(Operation::CompleteCheckoutSession), (2.0, 1.0));
        assert_eq!(sandbox_quota(Operation::CreateCharge), (2.0, 1.0));
        assert_eq!(sandbox_quota(Operation::GetRefund), (5.0, 1.0));
        assert_eq!(sandbox_quota(Operation::CreateDeliveryTracker), (1.0, 1.0));
    }

    #[test]
    fn a_bucket_refuses_past_its_burst_and_says_when_the_next_token_comes() {
        let buckets = TokenBuckets::default();
        assert_eq!(buckets.try_take("a", (2.0, 1.0)), Ok(()));
        assert_eq!(buckets.try_take("a", (2.0, 1.0)), Ok(()));
        let wait = buckets.try_take("a", (2.0, 1.0)).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1), "{wait:?}");
        // Another key has its own bucket.
        assert_eq!(buckets.try_take("b", (2.0, 1.0)), Ok(()));
    }

    #[tokio::test]
    async fn a_burst_beyond_the_quota_is_spread_below_the_restore_rate() {
        // Quota 3 at 20 per second: the pacer allows a burst of 2, then 18 per second, so the
        // 3rd to 6th requests wait about 56 ms each.
        let pacer = Pacer::new(|_| (3.0, 20.0));
        let started = Instant::now();
        for _ in 0..6 {
            pacer.acquire(Operation::CreateCharge).await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(210), "{elapsed:?}: the burst was not held back");
        // Another operation has its own bucket.
        let other = Instant::now();
        pacer.acquire(Operation::GetCharge).await;
        assert!(other.elapsed() < Duration::from_millis(50));
    }
}
