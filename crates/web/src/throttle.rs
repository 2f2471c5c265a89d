//! Small in-memory counters per instance: [`LoginThrottle`], login attempts per client address (a
//! fixed window per address; with several instances behind a balancer each counts its own share,
//! which still bounds guessing; the account lockout of the store is the limit that holds across
//! instances), and [`RefusalCounter`], refused requests per account, which says when an account
//! has been refused often enough to be audited.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts attempts per address in fixed windows.
#[derive(Debug)]
pub struct LoginThrottle {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginThrottle {
    pub fn new(max: u32, window: Duration) -> Self {
        LoginThrottle {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt from `ip`; `false` when the address has used up its window.
    pub fn allow(&self, ip: &str) -> bool {
        let now = Instant::now();
        let Ok(mut seen) = self.seen.lock() else {
            return true;
        };
        if seen.len() > 10_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = seen.entry(ip.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.max
    }
}

/// Refusals (403, 404 out of scope, CSRF) before an account is audited for them.
pub const REFUSALS_AUDITED_AT: u32 = 5;

/// The window [`REFUSALS_AUDITED_AT`] refusals must fall in.
pub const REFUSAL_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Counts refused requests per account in fixed windows (in memory, per instance).
#[derive(Debug)]
pub struct RefusalCounter {
    at: u32,
    window: Duration,
    seen: Mutex<HashMap<i64, (Instant, u32)>>,
}

impl Default for RefusalCounter {
    fn default() -> Self {
        RefusalCounter::new(REFUSALS_AUDITED_AT, REFUSAL_WINDOW)
    }
}

impl RefusalCounter {
    pub fn new(at: u32, window: Duration) -> Self {
        RefusalCounter {
            at,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Records a refusal of `user_id`; returns the count when it has just reached the threshold
    /// (once per window: the `at`-th refusal since the window opened), else `None`.
    pub fn record(&self, user_id: i64) -> Option<u32> {
        let now = Instant::now();
        let Ok(mut seen) = self.seen.lock() else {
            return None;
        };
        if seen.len() > 10_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = seen.entry(user_id).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        (entry.1 == self.at).then_some(entry.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_reach_the_threshold_once_per_window() {
        let c = RefusalCounter::new(3, Duration::from_secs(600));
        assert_eq!(c.record(1), None);
        assert_eq!(c.record(1), None);
        assert_eq!(c.record(2), None);
        assert_eq!(c.record(1), Some(3));
        assert_eq!(c.record(1), None);
        let c = RefusalCounter::new(1, Duration::ZERO);
        assert_eq!(c.record(1), Some(1));
        assert_eq!(c.record(1), Some(1));
    }

    #[test]
    fn limits_per_address() {
        let t = LoginThrottle::new(2, Duration::from_secs(60));
        assert!(t.allow("a") && t.allow("a"));
        assert!(!t.allow("a"));
        assert!(t.allow("b"));
        let t = LoginThrottle::new(1, Duration::ZERO);
        assert!(t.allow("a") && t.allow("a"));
    }
}
