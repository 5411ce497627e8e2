//! Avatars: a multipart upload (field `avatar`, at most 5 MB, PNG, JPEG,
//! WebP or GIF judged by content), stored through the object store at
//! `avatars/{userId}/{random}.{ext}` and served publicly under
//! `PUBLIC_ASSETS_URL`. A new upload replaces the old file.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Path;
use codex_http_kit::respond::{self, Data, no_content};
use codex_http_kit::upload::{read_file, store_public};
use codex_policy::{Viewer, deps};
use codex_users::profile;
use codex_validation::image;
use serde_json::{Value, json};

/// The largest avatar accepted.
pub const MAX_AVATAR: usize = 5 * 1024 * 1024;
/// The largest request body: the avatar plus the multipart framing.
pub const MAX_BODY: usize = MAX_AVATAR + 64 * 1024;

const PREFIX: &str = "avatars/";
/// Public images served under `/assets`: avatars, and organisation logos.
const PUBLIC_PREFIXES: [&str; 2] = [PREFIX, "logos/"];

pub async fn upload(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Data<Value>, ApiError> {
    let bytes = read_file(multipart, "avatar", MAX_AVATAR).await?;
    let kind = image::sniff(&bytes).ok_or_else(|| {
        ApiError::invalid_fields([(
            "avatar",
            "File 'avatar' has invalid type: expected a PNG, JPEG, WebP or GIF image",
        )])
    })?;
    let user_id = viewer.user.id;
    let size = bytes.len();
    let folder = format!("{PREFIX}{user_id}");
    let stored = store_public(&state, &folder, bytes, kind.mime_type(), kind.extension()).await?;
    profile::set_image(deps(&state), &user_id, Some(&stored.url)).await?;
    delete_stored_except(&state, &user_id, Some(&stored.key)).await;
    Ok(Data(
        json!({ "avatarUrl": stored.url, "size": size, "mimeType": kind.mime_type() }),
    ))
}

pub async fn remove(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
) -> Result<Response, ApiError> {
    profile::set_image(deps(&state), &viewer.user.id, None).await?;
    delete_stored(&state, &viewer.user.id).await;
    Ok(no_content())
}

/// Removes every stored avatar of the user (after deletion or removal).
pub async fn delete_stored(state: &AppState, user_id: &str) {
    delete_stored_except(state, user_id, None).await;
}

/// Failures are logged: a stray file is harmless, the profile no longer
/// points at it.
async fn delete_stored_except(state: &AppState, user_id: &str, keep: Option<&str>) {
    let prefix = format!("{PREFIX}{user_id}/");
    match state.objects().list(&prefix, 100).await {
        Ok(keys) => {
            for key in keys.iter().filter(|key| Some(key.as_str()) != keep) {
                if let Err(error) = state.objects().delete(key).await {
                    tracing::warn!(%error, "could not delete an old avatar");
                }
            }
        }
        Err(error) => tracing::warn!(%error, "could not list old avatars"),
    }
}

/// Public images: avatars and organisation logos, nothing else. Names are
/// random, so they are cached long.
pub async fn serve(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    if !PUBLIC_PREFIXES.iter().any(|prefix| key.starts_with(prefix)) || key.contains("..") {
        return Err(ApiError::route_not_found());
    }
    let object = state
        .objects()
        .get(&key)
        .await?
        .ok_or_else(ApiError::route_not_found)?;
    let mut response = respond::object(object);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400, immutable"),
    );
    Ok(response)
}
