//! Public images (avatars, organisation logos): where they are kept in the
//! object store and where they are served. Each file gets a fresh random
//! name under its owner's folder (`avatars/{userId}/…`, `logos/{orgId}/…`),
//! so a URL never serves other bytes and may be cached for good; once a
//! new upload is in place, the folder's other files are removed.
//!
//! Raster images (PNG, JPEG, WebP, GIF) are stored without their metadata
//! (`codex_validation::image::strip_metadata`): a photo's EXIF would
//! otherwise publish where it was taken.

use codex_errors::ApiError;
use codex_validation::image::{self, ImageKind};

use crate::Context;

/// The folders whose files anyone may read under `PUBLIC_ASSETS_URL`.
pub const PUBLIC_PREFIXES: [&str; 2] = ["avatars/", "logos/"];

/// A file stored for anyone to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFile {
    /// Its key in the object store.
    pub key: String,
    /// Where it is served: under `PUBLIC_ASSETS_URL`.
    pub url: String,
}

/// Whether `key` names a public file (and nothing that climbs out of one).
pub fn is_public(key: &str) -> bool {
    PUBLIC_PREFIXES.iter().any(|prefix| key.starts_with(prefix)) && !key.contains("..")
}

/// Stores `bytes` as `{folder}/{random}.{extension}`. `folder` is one of
/// ours, e.g. `avatars/{userId}`. An image of a raster type that its bytes
/// bear out loses its metadata first. Once the owner points at the new
/// file, [`remove_all`] with `keep` clears the old ones.
pub async fn store(
    ctx: &Context,
    folder: &str,
    bytes: Vec<u8>,
    content_type: &str,
    extension: &str,
) -> Result<PublicFile, ApiError> {
    let bytes = without_metadata(bytes, content_type);
    let key = format!("{folder}/{}.{extension}", random_name()?);
    ctx.objects().put(&key, bytes, Some(content_type)).await?;
    let url = format!("{}/{key}", ctx.config().public_assets_url);
    Ok(PublicFile { key, url })
}

/// Removes every file of `folder` but `keep`. Failures are logged: a stray
/// file is harmless once nothing points at it.
pub async fn remove_all(ctx: &Context, folder: &str, keep: Option<&str>) {
    let prefix = format!("{folder}/");
    match ctx.objects().list(&prefix, 100).await {
        Ok(keys) => {
            for key in keys.iter().filter(|key| Some(key.as_str()) != keep) {
                if let Err(error) = ctx.objects().delete(key).await {
                    tracing::warn!(%error, "could not delete an old public file");
                }
            }
        }
        Err(error) => tracing::warn!(%error, "could not list old public files"),
    }
}

/// `bytes` without their metadata when `content_type` is a raster image
/// type and the bytes are that kind of image; otherwise as they are.
fn without_metadata(bytes: Vec<u8>, content_type: &str) -> Vec<u8> {
    match ImageKind::from_mime_type(content_type) {
        Some(kind) if image::sniff(&bytes) == Some(kind) => image::strip_metadata(kind, &bytes),
        _ => bytes,
    }
}

fn random_name() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(hex::encode(bytes))
}
