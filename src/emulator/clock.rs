//! A tenant's virtual clock: real time plus an offset that the control API can advance.
//!
//! Every deadline in the emulator (30-second simulations, refund settlement, 24-hour session
//! expiry, 30-day authorization expiry, 180-day and 13-month permission expiry) is a timestamp on
//! this clock, and objects are brought up to date lazily ("settled") whenever a request touches
//! their tenant. So a scenario that needs a month to pass advances its own tenant's clock and takes
//! no real time, while `serve` (offset zero) behaves in real time.

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Duration,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        // Whole seconds: the API's timestamps have no fractions, and comparisons stay exact.
        let now = Utc::now() + self.offset;
        DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
    }

    /// Moves this clock forward; never backward (deadlines already passed stay passed).
    pub fn advance(&mut self, by: Duration) {
        if by > Duration::zero() {
            self.offset += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_only() {
        let mut clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::days(30));
        assert!(clock.now() - before >= Duration::days(30));
        let advanced = clock.now();
        clock.advance(Duration::days(-5));
        assert!(clock.now() >= advanced, "never backward");
    }
}
