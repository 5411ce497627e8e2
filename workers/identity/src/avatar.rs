//! Avatars: a multipart upload (field `avatar`, at most 5 MB, PNG, JPEG,
//! WebP or GIF judged by content), stored through the object store at
//! `avatars/{userId}/{random}.{ext}` and served publicly under
//! `PUBLIC_ASSETS_URL`. A new upload replaces the old file.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use codex_accounts::token;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Path;
use codex_http_kit::respond::{self, Data, no_content};
use codex_policy::{Viewer, deps};
use codex_users::profile;
use codex_validation::image;
use serde_json::{Value, json};

/// The largest avatar accepted.
pub const MAX_AVATAR: usize = 5 * 1024 * 1024;
/// The largest request body: the avatar plus the multipart framing.
pub const MAX_BODY: usize = MAX_AVATAR + 64 * 1024;

const PREFIX: &str = "avatars/";

fn too_large() -> ApiError {
    ApiError::invalid_fields([("avatar", "File 'avatar' exceeds maximum size of 5MB")])
}

/// Reads the `avatar` field, refusing it as soon as it passes the limit.
async fn read_avatar(multipart: &mut Multipart) -> Result<Vec<u8>, ApiError> {
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::validation("The upload is not a valid multipart form")
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("avatar") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if bytes.len() + chunk.len() > MAX_AVATAR {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
    Err(ApiError::invalid_fields([(
        "avatar",
        "Required file 'avatar' is missing",
    )]))
}

pub async fn upload(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Data<Value>, ApiError> {
    let mut multipart =
        multipart.map_err(|_| ApiError::validation("Expected a multipart/form-data upload"))?;
    let bytes = read_avatar(&mut multipart).await?;
    let kind = image::sniff(&bytes).ok_or_else(|| {
        ApiError::invalid_fields([(
            "avatar",
            "File 'avatar' has invalid type: expected a PNG, JPEG, WebP or GIF image",
        )])
    })?;
    let user_id = viewer.user.id;
    let name = token::issue().map_err(ApiError::internal)?.hash;
    let key = format!("{PREFIX}{user_id}/{}.{}", &name[..24], kind.extension());
    let size = bytes.len();
    state
        .objects()
        .put(&key, bytes, Some(kind.mime_type()))
        .await?;
    let url = format!("{}/{key}", state.config().public_assets_url);
    profile::set_image(deps(&state), &user_id, Some(&url)).await?;
    delete_stored_except(&state, &user_id, Some(&key)).await;
    Ok(Data(
        json!({ "avatarUrl": url, "size": size, "mimeType": kind.mime_type() }),
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

/// Public images: avatars only. Names are random, so they are cached long.
pub async fn serve(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    if !key.starts_with(PREFIX) || key.contains("..") {
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
