use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use crate::{KeyValue, KvError, effective_ttl};

/// Redis, when `REDIS_URL` is set. The connection manager reconnects by
/// itself after Redis restarts.
#[derive(Clone)]
pub struct RedisKv {
    connection: ConnectionManager,
}

impl RedisKv {
    pub async fn connect(url: &str) -> Result<Self, KvError> {
        let client = redis::Client::open(url)
            .map_err(|_| KvError::Unavailable("REDIS_URL is not a valid Redis URL".to_owned()))?;
        let connection = ConnectionManager::new(client).await.map_err(unavailable)?;
        Ok(Self { connection })
    }
}

fn unavailable(error: redis::RedisError) -> KvError {
    KvError::Unavailable(error.to_string())
}

#[async_trait]
impl KeyValue for RedisKv {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        self.connection.clone().get(key).await.map_err(unavailable)
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), KvError> {
        let mut connection = self.connection.clone();
        match ttl {
            Some(ttl) => connection
                .set_ex::<_, _, ()>(key, value, effective_ttl(ttl).as_secs())
                .await
                .map_err(unavailable),
            None => connection
                .set::<_, _, ()>(key, value)
                .await
                .map_err(unavailable),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.connection
            .clone()
            .del::<_, ()>(key)
            .await
            .map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), KvError> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.connection.clone())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}
