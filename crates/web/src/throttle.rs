//! A small in-memory limiter of login attempts per client address (a fixed window per address).
//! Per instance: with several instances behind a balancer each counts its own share, which still
//! bounds guessing; the account lockout of the store is the limit that holds across instances.

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

#[cfg(test)]
mod tests {
    use super::*;

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
