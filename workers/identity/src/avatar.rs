//! Avatars: a multipart upload (field `avatar`, at most 5 MB), checked and
//! stored by `codex_accounts::avatar`; and the public images (avatars,
//! organisation logos) served under `PUBLIC_ASSETS_URL`.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use codex_accounts::avatar::{self, MAX_AVATAR};
use codex_context::public_files;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Path;
use codex_http_kit::openapi::DataEnvelope;
use codex_http_kit::respond::{self, Data, no_content};
use codex_http_kit::upload::read_file;
use codex_policy::Viewer;
use serde::Serialize;

/// The largest request body: the avatar plus the multipart framing.
pub const MAX_BODY: usize = MAX_AVATAR + 64 * 1024;

/// What an upload answers: the `md` file (400 px wide, WebP); `sm.webp`
/// and `lg.webp` are beside it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uploaded {
    avatar_url: String,
    size: usize,
    mime_type: String,
}

/// The multipart body of an avatar upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AvatarForm {
    /// PNG, JPEG, WebP or GIF, at most 5 MB and 16.7 megapixels; re-encoded
    /// to WebP 200, 400 and 800 px wide, without its metadata.
    #[schema(value_type = String, format = Binary)]
    avatar: Vec<u8>,
}

#[utoipa::path(post, path = "/api/user/avatar", tag = "identity",
    security(("session" = [])),
    request_body(content = AvatarForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "Stored; the profile's image is the new avatar", body = DataEnvelope<Uploaded>)))]
pub async fn upload(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Data<Uploaded>, ApiError> {
    let bytes = read_file(multipart, "avatar", MAX_AVATAR).await?;
    let stored = avatar::replace(state.ctx(), &viewer.user.id, &bytes).await?;
    Ok(Data(Uploaded {
        avatar_url: stored.url,
        size: stored.size,
        mime_type: stored.content_type,
    }))
}

#[utoipa::path(delete, path = "/api/user/avatar", tag = "identity",
    security(("session" = [])),
    responses((status = 204, description = "Removed")))]
pub async fn remove(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
) -> Result<Response, ApiError> {
    avatar::remove(state.ctx(), &viewer.user.id).await?;
    Ok(no_content())
}

/// The policy public files are sent with: were one opened as a document
/// (an SVG logo), nothing in it could run, load or submit anything.
pub const PUBLIC_FILE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// Whether a stored content type is a raster image, which browsers never
/// run; anything else (an SVG logo) is sent as a download, so a link to it
/// is not opened as a document on our origin. `<img>` ignores this.
fn is_raster_image(content_type: Option<&str>) -> bool {
    matches!(
        content_type,
        Some("image/png" | "image/jpeg" | "image/webp" | "image/gif")
    )
}

/// Public images: avatars, organisation logos, content thumbnails and
/// category covers, nothing else. Names are
/// random, so they are cached long. Each is sent with a sandboxing content
/// security policy and `nosniff`, and anything but a raster image as an
/// attachment.
// The policy is `PUBLIC_FILE_POLICY`.
#[utoipa::path(get, path = "/assets/{key}", tag = "identity",
    params(("key" = String, Path, description = "The file's key; it may contain slashes")),
    responses((status = 200, description = "The image's bytes, with its content type", content_type = "application/octet-stream", body = Vec<u8>)))]
pub async fn serve(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    if !public_files::is_public(&key) {
        return Err(ApiError::route_not_found());
    }
    let object = state
        .objects()
        .get(&key)
        .await?
        .ok_or_else(ApiError::route_not_found)?;
    let raster = is_raster_image(object.content_type.as_deref());
    let mut response = respond::object(object);
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400, immutable"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PUBLIC_FILE_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !raster {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    Ok(response)
}
