//! The end of a transcoding job told to its creator: the media crate
//! decides what a callback, RunPod's webhook or the sweep changes, and each
//! item that became ready or failed is mailed to its creator, whose address
//! is the accounts crate's.

use codex_context::Context;
use codex_errors::ApiError;
use codex_mail::Email;
use codex_media::transcoding::{self, Applied, Callback, Finished, RunPodWebhook};
use uuid::Uuid;

/// [`transcoding::apply_callback`], then the mail if the job ended.
pub async fn apply_callback(ctx: &Context, callback: &Callback) -> Result<Applied, ApiError> {
    let applied = transcoding::apply_callback(ctx, callback).await?;
    tell(ctx, &applied).await;
    Ok(applied)
}

/// [`transcoding::apply_runpod_webhook`], then the mail if the job ended.
pub async fn apply_runpod_webhook(
    ctx: &Context,
    media_id: Uuid,
    webhook: &RunPodWebhook,
) -> Result<Applied, ApiError> {
    let applied = transcoding::apply_runpod_webhook(ctx, media_id, webhook).await?;
    tell(ctx, &applied).await;
    Ok(applied)
}

/// [`transcoding::sweep_stuck`], mailing each creator; how many were
/// failed.
pub async fn sweep_stuck(ctx: &Context) -> Result<usize, ApiError> {
    let swept = transcoding::sweep_stuck(ctx).await?;
    for finished in &swept {
        notify(ctx, finished).await;
    }
    Ok(swept.len())
}

/// The scheduled sweep, logged rather than returned.
pub async fn maintain(ctx: &Context) {
    match sweep_stuck(ctx).await {
        Ok(0) => {}
        Ok(swept) => tracing::warn!(swept, "silent transcoding jobs failed"),
        Err(error) => {
            tracing::warn!(error = %error.message(), "the sweep of silent transcoding jobs failed");
        }
    }
}

async fn tell(ctx: &Context, applied: &Applied) {
    if let Applied::Changed(Some(finished)) = applied {
        notify(ctx, finished).await;
    }
}

/// Mails the creator that their item is ready or failed. Failures are
/// logged (never the address): the item's state is what counts.
pub async fn notify(ctx: &Context, finished: &Finished) {
    let user = match codex_accounts::user::find_live(ctx.database(), &finished.creator_id).await {
        Ok(Some(user)) => user,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(media_id = %finished.media_id, %error, "could not look up the creator to mail");
            return;
        }
    };
    let email = message(&user.email, &user.name, finished);
    if let Err(error) = ctx.mailer().send(&email).await {
        tracing::warn!(media_id = %finished.media_id, %error, "could not mail the end of a transcoding job");
    }
}

fn message(to: &str, name: &str, finished: &Finished) -> Email {
    let title = &finished.title;
    let (subject, body) = match &finished.error {
        None => (
            format!("Your media is ready: {title}"),
            format!("\"{title}\" has been transcoded and is ready to publish."),
        ),
        Some(error) => (
            format!("Transcoding failed: {title}"),
            format!(
                "\"{title}\" could not be transcoded:\n\n{error}\n\n\
                 You can try again from your media library, up to three attempts in all."
            ),
        ),
    };
    Email {
        to: to.to_owned(),
        subject,
        text: format!("Hello {name},\n\n{body}\n"),
        html: None,
    }
}
