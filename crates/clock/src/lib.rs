//! Time, behind a trait, so that services never read the system clock
//! directly and tests can hold time still.
//!
//! On the native host [`SystemClock`] uses the OS clock and tokio timers; on
//! Cloudflare Workers it uses the JavaScript clock and the Workers timer
//! (`chrono::Utc::now()` would panic there).

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// The error of [`with_timeout`]: the operation took longer than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

/// Runs `operation`, giving up after `limit` on whichever runtime we are on.
pub async fn with_timeout<T>(
    clock: &dyn Clock,
    limit: Duration,
    operation: impl Future<Output = T>,
) -> Result<T, TimedOut> {
    use futures::future::{Either, select};
    let operation = std::pin::pin!(operation);
    let timer = std::pin::pin!(clock.sleep(limit));
    match select(operation, timer).await {
        Either::Left((value, _)) => Ok(value),
        Either::Right(((), _)) => Err(TimedOut),
    }
}

/// Runs `call` until it succeeds, at most `attempts` times, waiting
/// `pause`, then twice `pause`, and so on, between attempts; the last
/// error is returned. Only for calls that are safe to repeat (a delete, a
/// put of the same value) to a binding that can fail for a moment: R2 and
/// KV ask for retries on their 5xx, and locally Miniflare's shared state
/// can answer `SQLITE_BUSY`.
pub async fn retry<T, E, F, Fut>(
    clock: &dyn Clock,
    attempts: u32,
    pause: Duration,
    mut call: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(_) if attempt < attempts => {
                clock.sleep(pause * attempt).await;
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// The real clock of the runtime we are compiled for.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[cfg(target_arch = "wasm32")]
#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // js Date::now() is milliseconds since the epoch as an f64.
        #[allow(clippy::cast_possible_truncation)]
        let millis = js_sys::Date::now() as i64;
        DateTime::from_timestamp_millis(millis).unwrap_or_default()
    }

    async fn sleep(&self, duration: Duration) {
        // Workers timers are not Send; the runtime is single-threaded, so
        // wrapping is sound there.
        worker::send::SendFuture::new(worker::Delay::from(duration)).await;
    }
}

/// A clock that stands still until told to move: for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sleeping on a manual clock really waits (so a timeout in a test is
    /// a real timeout, and an operation racing it gets its chance), then
    /// moves the clock by the same amount.
    async fn sleep(&self, duration: Duration) {
        SystemClock.sleep(duration).await;
        self.advance(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timeout_returns_the_value_when_fast_enough() {
        let result = with_timeout(&SystemClock, Duration::from_secs(5), async { 7 }).await;
        assert_eq!(result, Ok(7));
    }

    #[tokio::test]
    async fn timeout_gives_up_on_a_hung_operation() {
        let hung = futures::future::pending::<()>();
        let result = with_timeout(&SystemClock, Duration::from_millis(20), hung).await;
        assert_eq!(result, Err(TimedOut));
    }

    #[tokio::test]
    async fn retry_repeats_a_failing_call_with_growing_pauses_then_gives_up() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let clock = ManualClock::new(start);
        let calls = std::cell::Cell::new(0);
        let flaky = retry(&clock, 3, Duration::from_millis(5), || {
            calls.set(calls.get() + 1);
            let succeeds = calls.get() == 3;
            async move { if succeeds { Ok("done") } else { Err("busy") } }
        })
        .await;
        assert_eq!((flaky, calls.get()), (Ok("done"), 3));
        // Paused 5 ms, then 10 ms.
        assert_eq!((clock.now() - start).num_milliseconds(), 15);

        calls.set(0);
        let broken: Result<(), &str> = retry(&clock, 3, Duration::from_millis(1), || {
            calls.set(calls.get() + 1);
            async { Err("down") }
        })
        .await;
        assert_eq!((broken, calls.get()), (Err("down"), 3));

        calls.set(0);
        let once: Result<u8, &str> = retry(&clock, 3, Duration::from_millis(1), || {
            calls.set(calls.get() + 1);
            async { Ok(1) }
        })
        .await;
        assert_eq!((once, calls.get()), (Ok(1), 1));
    }

    #[tokio::test]
    async fn manual_clock_moves_only_when_told() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!((clock.now() - start).num_seconds(), 90);
        clock.sleep(Duration::from_millis(20)).await;
        assert_eq!((clock.now() - start).num_milliseconds(), 90_020);
    }
}
