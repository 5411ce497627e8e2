//! Public images (avatars, organisation logos, content thumbnails, category
//! covers): where they are kept in the object store and where they are
//! served. Each upload gets a fresh random name under its owner's folder
//! (`avatars/{userId}/…`, `logos/{orgId}/…`, `content-thumbnails/{contentId}/…`,
//! `category-covers/{categoryId}/…`), so a URL never serves other bytes and
//! may be cached for good; once a new upload is in place, the folder's
//! other files are removed.
//!
//! A picture is stored as the three WebP files `codex_images` makes of it,
//! `{folder}/{name}/{sm,md,lg}.webp`; its URL is the `md` one, and the
//! others are beside it. An SVG logo is stored as one file (`store`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use codex_errors::{ApiError, ErrorCode};
use codex_validation::image::{self, ImageKind};
use serde::{Deserialize, Serialize};

use crate::Context;

/// The folders whose files anyone may read under `PUBLIC_ASSETS_URL`.
pub const PUBLIC_PREFIXES: [&str; 4] = [
    "avatars/",
    "logos/",
    "content-thumbnails/",
    "category-covers/",
];

/// A file stored for anyone to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicFile {
    /// Its key in the object store; for a picture, the folder of its three
    /// files.
    pub key: String,
    /// Where it is served: under `PUBLIC_ASSETS_URL`; for a picture, its
    /// `md` file.
    pub url: String,
    /// The bytes served at `url`.
    pub size: usize,
    /// Their content type.
    pub content_type: String,
}

/// Re-encodes `bytes` (the upload of form field `field`) with
/// `codex_images` and stores the three files under `{folder}/{random}/`.
/// A picture that is not one, or too large, is a 400 naming `field`.
pub async fn store_picture(
    ctx: &Context,
    folder: &str,
    field: &str,
    bytes: &[u8],
) -> Result<PublicFile, ApiError> {
    let picture = codex_images::variants(bytes).map_err(|error| error.for_field(field))?;
    let key = format!("{folder}/{}", random_name()?);
    let mut served = None;
    for variant in picture.variants {
        let file = format!("{key}/{}", variant.size.file_name());
        let size = variant.bytes.len();
        ctx.objects()
            .put(&file, variant.bytes, Some(codex_images::WEBP))
            .await?;
        if variant.size == codex_images::Size::Md {
            served = Some((file, size));
        }
    }
    let (file, size) = served.ok_or_else(|| ApiError::internal("no md variant was made"))?;
    Ok(PublicFile {
        url: format!("{}/{file}", ctx.config().public_assets_url),
        key,
        size,
        content_type: codex_images::WEBP.to_owned(),
    })
}

/// Whether `key` names a public file (and nothing that climbs out of one).
pub fn is_public(key: &str) -> bool {
    PUBLIC_PREFIXES.iter().any(|prefix| key.starts_with(prefix)) && !key.contains("..")
}

/// Where the identity service takes pictures to re-encode for the services
/// whose workers do not carry the codec (content and org: see
/// `crates/images/README.md`): a signed worker call with a [`PictureUpload`].
pub const PICTURE_SERVICE_PATH: &str = "/internal/pictures";

/// The largest picture another service may hand over: the upload limit of
/// thumbnails, covers and logos.
pub const MAX_HANDED_OVER_PICTURE: usize = 5 * 1024 * 1024;

/// The folders whose pictures another service may hand over: never
/// `avatars/`, which only identity writes.
const HANDED_OVER_PREFIXES: [&str; 3] = ["logos/", "content-thumbnails/", "category-covers/"];

/// A picture handed to the identity service to re-encode and store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PictureUpload {
    /// Its owner's folder, e.g. `content-thumbnails/{contentId}`.
    pub folder: String,
    /// The form field it came in, named by a 400 when it is no picture.
    pub field: String,
    /// The uploaded bytes, base64 (standard alphabet, padded).
    pub data: String,
}

impl PictureUpload {
    /// The picture's bytes, once all is checked: a folder of
    /// [`HANDED_OVER_PREFIXES`] with one plain segment after it, a field
    /// name of letters, base64, and at most [`MAX_HANDED_OVER_PICTURE`]
    /// bytes. Nothing is decoded as a picture here.
    pub fn checked(&self) -> Result<Vec<u8>, ApiError> {
        let owner = HANDED_OVER_PREFIXES
            .iter()
            .find_map(|prefix| self.folder.strip_prefix(prefix));
        let plain = |segment: &str| {
            !segment.is_empty()
                && segment.len() <= 64
                && segment
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        };
        if !owner.is_some_and(plain) {
            return Err(ApiError::invalid_fields([(
                "folder",
                "is not a folder pictures may be handed over to",
            )]));
        }
        if self.field.is_empty()
            || self.field.len() > 32
            || !self.field.bytes().all(|byte| byte.is_ascii_alphabetic())
        {
            return Err(ApiError::invalid_fields([("field", "is not a field name")]));
        }
        let bytes = BASE64
            .decode(&self.data)
            .map_err(|_| ApiError::invalid_fields([("data", "is not base64")]))?;
        if bytes.len() > MAX_HANDED_OVER_PICTURE {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("{} must be at most 5 MB", self.field),
            ));
        }
        Ok(bytes)
    }
}

/// Re-encodes and stores a picture for a service that may run on a worker
/// without the codec (content, org). Natively, where every service carries
/// it, this is [`store_picture`]; on Workers the picture goes to the
/// identity service, which does the same ([`store_picture_through_identity`]).
/// Either way the stored files and the answer are the same.
pub async fn store_picture_anywhere(
    ctx: &Context,
    folder: &str,
    field: &str,
    bytes: &[u8],
) -> Result<PublicFile, ApiError> {
    // Not `cfg!`: the codec must not be linked into those workers at all.
    #[cfg(target_arch = "wasm32")]
    {
        store_picture_through_identity(ctx, folder, field, bytes).await
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        store_picture(ctx, folder, field, bytes).await
    }
}

/// Hands a picture to the identity service (`POST /internal/pictures`,
/// signed), which re-encodes and stores it as [`store_picture`] would. Its
/// 400 for a picture that is none, or too large, names `field` and reaches
/// the client as it was written.
pub async fn store_picture_through_identity(
    ctx: &Context,
    folder: &str,
    field: &str,
    bytes: &[u8],
) -> Result<PublicFile, ApiError> {
    let upload = PictureUpload {
        folder: folder.to_owned(),
        field: field.to_owned(),
        data: BASE64.encode(bytes),
    };
    let body = serde_json::to_value(&upload).map_err(ApiError::internal)?;
    let answer = ctx
        .services()?
        .post("identity", PICTURE_SERVICE_PATH, &body)
        .await?;
    serde_json::from_value(answer["data"].clone()).map_err(ApiError::internal)
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
    let size = bytes.len();
    ctx.objects().put(&key, bytes, Some(content_type)).await?;
    let url = format!("{}/{key}", ctx.config().public_assets_url);
    Ok(PublicFile {
        key,
        url,
        size,
        content_type: content_type.to_owned(),
    })
}

/// Removes every file of `folder` but `keep` (a file, or a picture's
/// folder). Failures are logged: a stray file is harmless once nothing
/// points at it.
pub async fn remove_all(ctx: &Context, folder: &str, keep: Option<&str>) {
    let prefix = format!("{folder}/");
    let kept = |key: &str| {
        keep.is_some_and(|keep| {
            key == keep
                || key
                    .strip_prefix(keep)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    };
    match ctx.objects().list(&prefix, 100).await {
        Ok(keys) => {
            for key in keys.iter().filter(|key| !kept(key)) {
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
