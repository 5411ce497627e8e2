//! Public files are stored without the metadata of the images they are:
//! an avatar's EXIF would otherwise publish where the photo was taken.

use codex_config::{Config, Environment};
use codex_context::{Context, public_files};

mod support;

fn context() -> Context {
    let ports = support::offline_ports();
    let source = std::collections::HashMap::<String, String>::new();
    let config = Config::from_source(&source, Environment::Test).expect("config");
    Context::new(config, ports)
}

/// A valid 1×1 PNG: signature, IHDR, IDAT, IEND.
const TINY_PNG: [u8; 68] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// TINY_PNG with a `tEXt` chunk after its header (its CRC is left zero:
/// nothing reads it, the chunk is dropped whole).
fn png_with_text() -> Vec<u8> {
    let text = b"tEXtComment\0GPS 51.5007N 0.1246W";
    let mut png = TINY_PNG[..33].to_vec();
    png.extend_from_slice(
        &u32::try_from(text.len() - 4)
            .unwrap_or_default()
            .to_be_bytes(),
    );
    png.extend_from_slice(text);
    png.extend_from_slice(&[0, 0, 0, 0]);
    png.extend_from_slice(&TINY_PNG[33..]);
    png
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test]
async fn images_are_stored_without_their_metadata() {
    let ctx = context();
    let png = png_with_text();
    assert!(contains(&png, b"GPS"));
    let stored = public_files::store(&ctx, "avatars/u1", png, "image/png", "png")
        .await
        .expect("stored");
    let object = ctx
        .objects()
        .get(&stored.key)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(object.bytes, TINY_PNG, "the picture without the text chunk");
    assert_eq!(object.content_type.as_deref(), Some("image/png"));
}

#[tokio::test]
async fn other_files_are_stored_as_they_are() {
    let ctx = context();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><title>GPS</title></svg>"#.to_vec();
    let png = png_with_text();
    for (bytes, content_type) in [
        (svg, "image/svg+xml"),
        // Bytes that are not the type they are stored as are not touched.
        (png, "image/jpeg"),
    ] {
        let stored = public_files::store(&ctx, "logos/o1", bytes.clone(), content_type, "x")
            .await
            .expect("stored");
        let object = ctx
            .objects()
            .get(&stored.key)
            .await
            .expect("get")
            .expect("present");
        assert_eq!(object.bytes, bytes, "{content_type}");
    }
}

#[tokio::test]
async fn a_picture_is_stored_as_three_webp_files_and_replaces_the_old_one() {
    let ctx = context();
    let old = public_files::store_picture(&ctx, "avatars/u2", "avatar", &png_with_text())
        .await
        .expect("stored");
    let new = public_files::store_picture(&ctx, "avatars/u2", "avatar", &TINY_PNG)
        .await
        .expect("stored");
    assert!(
        new.url.ends_with(&format!("/{}/md.webp", new.key)),
        "{}",
        new.url
    );
    for size in ["sm", "md", "lg"] {
        let object = ctx
            .objects()
            .get(&format!("{}/{size}.webp", new.key))
            .await
            .expect("get")
            .expect("present");
        assert_eq!(object.content_type.as_deref(), Some("image/webp"));
        assert!(object.bytes.starts_with(b"RIFF"));
        assert!(!contains(&object.bytes, b"GPS"));
        if size == "md" {
            assert_eq!(object.bytes.len(), new.size);
        }
    }
    public_files::remove_all(&ctx, "avatars/u2", Some(&new.key)).await;
    let left = ctx.objects().list("avatars/u2/", 100).await.expect("list");
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(
        left.iter()
            .all(|key| key.starts_with(&format!("{}/", new.key)))
    );
    assert!(!left.iter().any(|key| key.starts_with(&old.key)));
}

#[tokio::test]
async fn a_file_that_is_no_picture_is_a_400_naming_the_field() {
    let ctx = context();
    let error = public_files::store_picture(&ctx, "avatars/u3", "avatar", b"<svg/>")
        .await
        .expect_err("refused");
    assert_eq!(error.status().as_u16(), 400);
    assert!(error.body().to_string().contains("avatar"));
    let left = ctx.objects().list("avatars/u3/", 100).await.expect("list");
    assert!(left.is_empty());
}
