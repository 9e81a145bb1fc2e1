//! Client-side pacing for the real sandbox: one token bucket per operation with the sandbox's
//! documented throttling quotas (spec §6: maximum quota and restore rate per second), so a full
//! run never trips a 429. A 429 that happens anyway is retried by the client with backoff.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::operation::Operation;

/// `(maximum quota, restored per second)` in the sandbox (spec §6, "Production / Sandbox").
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

/// Token buckets shared by every client of a run.
#[derive(Debug)]
pub struct Pacer {
    quota: fn(Operation) -> (f64, f64),
    buckets: Mutex<HashMap<Operation, Bucket>>,
}

impl Pacer {
    pub fn new(quota: fn(Operation) -> (f64, f64)) -> Self {
        Pacer { quota, buckets: Mutex::new(HashMap::new()) }
    }

    /// The sandbox's quotas.
    pub fn sandbox() -> Self {
        Pacer::new(sandbox_quota)
    }

    /// Waits until a request of `op` fits in its bucket, then takes its token.
    pub async fn acquire(&self, op: Operation) {
        loop {
            let wait = {
                let (max, rate) = (self.quota)(op);
                let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let bucket = buckets.entry(op).or_insert(Bucket { tokens: max, at: now });
                bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(max);
                bucket.at = now;
                if bucket.tokens >= 1.0 {
                    bucket.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - bucket.tokens) / rate)
            };
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

    #[tokio::test]
    async fn a_burst_beyond_the_quota_is_spread_at_the_restore_rate() {
        // 2 at once, then 20 per second: the 3rd to 6th wait about 50 ms each.
        let pacer = Pacer::new(|_| (2.0, 20.0));
        let started = Instant::now();
        for _ in 0..6 {
            pacer.acquire(Operation::CreateCharge).await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(180), "{elapsed:?}: the burst was not held back");
        // Another operation has its own bucket.
        let other = Instant::now();
        pacer.acquire(Operation::GetCharge).await;
        assert!(other.elapsed() < Duration::from_millis(50));
    }
}
