//! Pictures handed over by the services whose workers do not carry the
//! codec (content, org): `POST /internal/pictures`, called over a socket
//! the way those workers call it (`public_files::store_picture_through_identity`,
//! signed by `codex_context::ServiceClient`).

use std::io::Cursor;
use std::net::SocketAddr;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use codex_context::public_files::{self, PictureUpload};
use codex_errors::ErrorCode;
use codex_identity_api::{SERVICE, routes};
use codex_testkit::world::World;
use codex_testkit::{TestApp, test_config};
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use serde_json::json;

/// The identity service listening on a local port, and its base URL.
async fn identity_on_a_socket() -> (TestApp, String) {
    let app = TestApp::new(SERVICE, routes()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let router = app.router();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    (app, url)
}

/// Another service (content, say) that reaches identity at `url`, signing
/// with `secret`.
async fn caller(url: &str, secret: &str) -> World {
    World::with_config(test_config(&[
        ("IDENTITY_API_URL", url),
        ("WORKER_SHARED_SECRET", secret),
    ]))
    .await
}

/// An 800×600 photo-like JPEG.
fn photo() -> Vec<u8> {
    let pixels = ImageBuffer::from_fn(800, 600, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, ImageFormat::Jpeg)
        .expect("encodes");
    out.into_inner()
}

const FOLDER: &str = "content-thumbnails/0b9c2f5e-3f7a-4a51-9a8e-2d1c3b4a5e6f";

#[tokio::test]
async fn a_handed_over_picture_is_stored_as_three_webp_widths() {
    let (identity, url) = identity_on_a_socket().await;
    let content = caller(&url, "test-worker-secret").await;

    let stored =
        public_files::store_picture_through_identity(content.ctx(), FOLDER, "thumbnail", &photo())
            .await
            .expect("stored by identity");

    assert!(stored.key.starts_with(&format!("{FOLDER}/")), "{stored:?}");
    assert!(
        stored.url.ends_with(&format!("{}/md.webp", stored.key)),
        "{stored:?}"
    );
    assert_eq!(stored.content_type, "image/webp");
    for (file, width, height) in [("sm", 200, 150), ("md", 400, 300), ("lg", 800, 600)] {
        let object = identity
            .ctx()
            .objects()
            .get(&format!("{}/{file}.webp", stored.key))
            .await
            .expect("readable")
            .unwrap_or_else(|| panic!("{file}.webp is stored"));
        assert_eq!(object.content_type.as_deref(), Some("image/webp"));
        if file == "md" {
            assert_eq!(object.bytes.len(), stored.size);
        }
        let decoded = image::load_from_memory_with_format(&object.bytes, ImageFormat::WebP)
            .expect("a WebP file");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (width, height),
            "{file}"
        );
    }
    // Nothing was stored by the caller itself.
    assert_nothing_under(content.ctx(), "content-thumbnails/").await;
}

#[tokio::test]
async fn what_identity_finds_wrong_with_the_picture_reaches_the_client_as_written() {
    let (identity, url) = identity_on_a_socket().await;
    let content = caller(&url, "test-worker-secret").await;

    let error = public_files::store_picture_through_identity(
        content.ctx(),
        FOLDER,
        "cover",
        b"<svg onload=alert(1)>",
    )
    .await
    .expect_err("not a picture");
    assert_eq!(error.code(), ErrorCode::ValidationError);
    assert_eq!(
        error.details().expect("details")["details"][0]["path"],
        "cover",
        "{error:?}"
    );
    assert_nothing_under(identity.ctx(), "content-thumbnails/").await;
}

#[tokio::test]
async fn a_caller_with_the_wrong_key_fails_on_its_own_side_and_nothing_is_stored() {
    let (identity, url) = identity_on_a_socket().await;
    let impostor = caller(&url, "another-secret").await;

    let error =
        public_files::store_picture_through_identity(impostor.ctx(), FOLDER, "logo", &photo())
            .await
            .expect_err("refused");
    // Identity's 401 is the calling service's failure, not its client's.
    assert_eq!(error.code(), ErrorCode::Internal, "{error:?}");
    assert_nothing_under(identity.ctx(), "content-thumbnails/").await;
}

#[tokio::test]
async fn unsigned_calls_and_other_folders_are_refused() {
    let (identity, _) = identity_on_a_socket().await;
    let upload = |folder: &str| PictureUpload {
        folder: folder.to_owned(),
        field: "logo".to_owned(),
        data: "iVBORw0KGgo=".to_owned(),
    };

    let unsigned = identity
        .post(public_files::PICTURE_SERVICE_PATH)
        .json(&upload("logos/abc"))
        .send()
        .await;
    unsigned.assert_status(StatusCode::UNAUTHORIZED);

    // Avatars are identity's own, and nothing may climb out of a folder.
    for folder in [
        "avatars/0b9c2f5e",
        "logos/../avatars/x",
        "logos/a/b",
        "logos/",
        "media/x",
        "logos/a b",
    ] {
        let response = signed_post(
            &identity,
            &serde_json::to_vec(&upload(folder)).expect("json"),
        )
        .await;
        response.assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(
            response.json()["error"]["details"]["details"][0]["path"],
            "folder",
            "{folder}"
        );
    }
    let not_base64 = signed_post(
        &identity,
        json!({"folder": "logos/abc", "field": "logo", "data": "%%%"})
            .to_string()
            .as_bytes(),
    )
    .await;
    not_base64.assert_status(StatusCode::BAD_REQUEST);
    let too_large = signed_post(
        &identity,
        &serde_json::to_vec(&PictureUpload {
            data: BASE64.encode(vec![0_u8; public_files::MAX_HANDED_OVER_PICTURE + 1]),
            ..upload("logos/abc")
        })
        .expect("json"),
    )
    .await;
    too_large.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_nothing_under(identity.ctx(), "logos/").await;
}

async fn assert_nothing_under(ctx: &codex_context::Context, prefix: &str) {
    let keys = ctx.objects().list(prefix, 10).await.expect("listable");
    assert_eq!(
        keys,
        Vec::<String>::new(),
        "nothing is stored under {prefix}"
    );
}

async fn signed_post(app: &TestApp, body: &[u8]) -> codex_testkit::TestResponse {
    let now = app.ctx().clock().now().timestamp();
    app.post(public_files::PICTURE_SERVICE_PATH)
        .header("x-worker-timestamp", &now.to_string())
        .header(
            "x-worker-signature",
            &codex_context::signature::sign(b"test-worker-secret", now, body),
        )
        .body(body.to_vec(), "application/json")
        .send()
        .await
}
