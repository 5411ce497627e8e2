//! Password hashing must not occupy the runtime's threads: a request that
//! needs no hash keeps being served while others hash.
//!
//! The check is deterministic rather than timed: on a runtime with a single
//! thread, a hash computed inline would hold that thread until it is done,
//! so a concurrent task could not run at all while eight hashes are in
//! flight; computed on the blocking pool, it runs while they wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codex_accounts::password;

#[tokio::test(flavor = "current_thread")]
async fn a_concurrent_task_keeps_running_while_passwords_hash() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(2)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    // Let the ticker start.
    tokio::time::sleep(Duration::from_millis(5)).await;

    let before = ticks.load(Ordering::SeqCst);
    let hashes = futures_join_all(
        (0..8)
            .map(|i| async move { password::hash(&format!("password number {i}")).await })
            .collect(),
    )
    .await;
    let during = ticks.load(Ordering::SeqCst) - before;
    ticker.abort();

    for hash in &hashes {
        assert!(hash.as_ref().is_ok_and(|h| h.starts_with("$argon2id$")));
    }
    assert!(
        during > 0,
        "the only runtime thread was held by the hashing: the ticker never ran"
    );

    // Verification goes the same way, including the decoy.
    let stored = hashes[0].as_ref().expect("a hash").clone();
    let before = ticks.load(Ordering::SeqCst);
    let ticker = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(2)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let checks = futures_join_all(
        (0..8)
            .map(|i| {
                let stored = stored.clone();
                async move {
                    if i % 2 == 0 {
                        password::verify_or_decoy("password number 0", Some(&stored)).await
                    } else {
                        password::verify_or_decoy("password number 0", None).await
                    }
                }
            })
            .collect(),
    )
    .await;
    let during = ticks.load(Ordering::SeqCst) - before;
    ticker.abort();
    assert_eq!(
        checks,
        [true, false, true, false, true, false, true, false],
        "the right password matches; the decoy never does"
    );
    assert!(during > 0, "verification held the only runtime thread");
}

/// Polls every future in turn until all are done (a minimal `join_all`, so
/// the test needs no extra crate).
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
