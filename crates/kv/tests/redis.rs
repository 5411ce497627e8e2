//! The Redis adapter against a real Redis (REDIS_URL, default 127.0.0.1:6379).

use std::time::Duration;

use codex_kv::{KeyValue, RedisKv};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

#[tokio::test]
async fn values_round_trip_expire_and_delete() {
    let kv = RedisKv::connect(&redis_url())
        .await
        .expect("Redis must be reachable (set REDIS_URL)");
    kv.ping().await.expect("ping");
    let key = format!("codex-test:{}", uuid::Uuid::new_v4());
    assert_eq!(kv.get(&key).await, Ok(None));
    kv.put(&key, "value", Some(Duration::from_secs(5)))
        .await
        .expect("put");
    assert_eq!(kv.get(&key).await, Ok(Some("value".to_owned())));

    let client = redis::Client::open(redis_url()).expect("client");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("connection");
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut connection)
        .await
        .expect("ttl");
    assert!(
        (55..=60).contains(&ttl),
        "a 5 s TTL is raised to the 60 s minimum, got {ttl}"
    );

    kv.put(&key, "forever", None)
        .await
        .expect("put without ttl");
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut connection)
        .await
        .expect("ttl");
    assert_eq!(ttl, -1, "no expiry");

    kv.delete(&key).await.expect("delete");
    assert_eq!(kv.get(&key).await, Ok(None));
}

#[tokio::test]
async fn an_unreachable_redis_fails_at_connect_with_a_clear_error() {
    let error = RedisKv::connect("redis://127.0.0.1:9/")
        .await
        .err()
        .expect("nothing listens on port 9");
    assert!(error.to_string().contains("unavailable"), "{error}");
}
