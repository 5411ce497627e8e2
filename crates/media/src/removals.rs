//! Stored objects to remove (`storage_removals`): a deleted media item's
//! folders, an abandoned upload. Each is recorded before it is attempted;
//! one that fails keeps its row, its error and a later time to try again,
//! so that nothing stored is forgotten.

use chrono::TimeDelta;
use codex_context::Context;
use codex_errors::ApiError;
use uuid::Uuid;

/// The longest wait between two attempts.
const MAX_BACKOFF: TimeDelta = TimeDelta::hours(6);

/// Attempts removal `id` now; failures are recorded, not returned.
pub async fn attempt(ctx: &Context, id: Uuid) {
    if let Err(error) = try_attempt(ctx, id).await {
        tracing::warn!(removal_id = %id, error = %error.message(), "a storage removal could not be recorded");
    }
}

async fn try_attempt(ctx: &Context, id: Uuid) -> Result<(), ApiError> {
    let Some(row) = ctx
        .database()
        .query_opt(
            "SELECT target, upload_key, upload_id, attempts FROM storage_removals WHERE id = $1",
            &[id.into()],
        )
        .await?
    else {
        return Ok(());
    };
    let target: String = row.get("target")?;
    let upload_key: Option<String> = row.get("upload_key")?;
    let upload_id: Option<String> = row.get("upload_id")?;
    let upload = upload_key.as_deref().zip(upload_id.as_deref());
    let attempts: i32 = row.get("attempts")?;
    match remove(ctx, id, &target, upload).await {
        Ok(()) => {
            ctx.database()
                .execute("DELETE FROM storage_removals WHERE id = $1", &[id.into()])
                .await?;
        }
        Err(error) => {
            tracing::warn!(removal_id = %id, %error, "a storage removal failed; it will be retried");
            let backoff = TimeDelta::minutes(1 << attempts.clamp(0, 9)).min(MAX_BACKOFF);
            let message: String = error.to_string().chars().take(2000).collect();
            ctx.database()
                .execute(
                    "UPDATE storage_removals SET attempts = attempts + 1, last_error = $2, \
                     next_attempt_at = $3 WHERE id = $1",
                    &[
                        id.into(),
                        message.into(),
                        (ctx.clock().now() + backoff).into(),
                    ],
                )
                .await?;
        }
    }
    Ok(())
}

async fn remove(
    ctx: &Context,
    id: Uuid,
    target: &str,
    upload: Option<(&str, &str)>,
) -> Result<(), codex_storage::StorageError> {
    if let Some((key, upload_id)) = upload {
        ctx.objects().abort_multipart(key, upload_id).await?;
        // Aborted: a retry of the rest must not abort it again.
        if let Err(error) = ctx
            .database()
            .execute(
                "UPDATE storage_removals SET upload_key = NULL, upload_id = NULL WHERE id = $1",
                &[id.into()],
            )
            .await
        {
            tracing::warn!(removal_id = %id, %error, "could not record an aborted upload");
        }
    }
    if target.ends_with('/') {
        ctx.objects().delete_prefix(target).await?;
    } else {
        ctx.objects().delete(target).await?;
    }
    Ok(())
}

/// Attempts every removal that is due (at most 100 at a time); returns how
/// many were attempted.
pub async fn retry_due(ctx: &Context) -> Result<usize, ApiError> {
    let rows = ctx
        .database()
        .query(
            "SELECT id FROM storage_removals WHERE next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT 100",
            &[ctx.clock().now().into()],
        )
        .await?;
    let ids = rows
        .iter()
        .map(|row| row.get::<Uuid>("id"))
        .collect::<Result<Vec<_>, _>>()?;
    for id in &ids {
        attempt(ctx, *id).await;
    }
    Ok(ids.len())
}
