//! `POST /internal/pictures`: the content and org services hand over a
//! picture (a thumbnail, a category cover, a logo) with a signed call, and
//! this service, whose worker carries the codec, re-encodes and stores it
//! (`codex_context::public_files::store_picture`). Their workers would not
//! fit their size budget with the codec in them (`crates/images/README.md`).

use axum::extract::State;
use codex_context::public_files::{self, PictureUpload, PublicFile};
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::openapi::DataEnvelope;
use codex_http_kit::respond::Data;
use codex_policy::WorkerCall;

/// The largest request body: the picture in base64 and its two names.
pub const MAX_BODY: usize = public_files::MAX_HANDED_OVER_PICTURE.div_ceil(3) * 4 + 4 * 1024;

#[utoipa::path(post, path = "/internal/pictures", tag = "identity",
    security(("workerSignature" = [])),
    request_body(content = PictureUploadDoc, description = "The picture, base64, and the folder of its owner"),
    responses((status = 200, description = "Stored as WebP 200, 400 and 800 px wide; `url` is the 400 px file", body = DataEnvelope<StoredPictureDoc>)))]
pub async fn store(
    State(state): State<AppState>,
    call: WorkerCall,
) -> Result<Data<PublicFile>, ApiError> {
    let upload: PictureUpload = call.json()?;
    let bytes = upload.checked()?;
    let stored =
        public_files::store_picture(state.ctx(), &upload.folder, &upload.field, &bytes).await?;
    Ok(Data(stored))
}

/// A picture handed over by another service.
#[derive(utoipa::ToSchema)]
#[schema(as = PictureUpload)]
#[allow(dead_code)]
pub struct PictureUploadDoc {
    /// `logos/{orgId}`, `content-thumbnails/{contentId}` or
    /// `category-covers/{categoryId}`.
    folder: String,
    /// The form field the picture came in, named by a 400.
    field: String,
    /// The picture (PNG, JPEG, WebP or GIF, at most 5 MB), base64.
    data: String,
}

/// Where the picture was stored.
#[derive(utoipa::ToSchema)]
#[schema(as = StoredPicture)]
#[allow(dead_code)]
pub struct StoredPictureDoc {
    /// The folder of its three files.
    key: String,
    /// Its `md` file under `PUBLIC_ASSETS_URL`.
    url: String,
    /// The bytes of the `md` file.
    size: usize,
    /// `image/webp`.
    #[schema(rename = "contentType")]
    content_type: String,
}
