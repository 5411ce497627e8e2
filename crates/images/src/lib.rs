//! Uploaded pictures (content thumbnails, category covers, avatars and
//! logos) are never stored as sent. Each is judged by its content, decoded,
//! turned upright by its Exif orientation and re-encoded to WebP at three
//! widths: `sm` 200, `md` 400 and `lg` 800 pixels. Only pixels survive, so
//! the metadata a camera wrote (the place in Exif, XMP, comments) is gone,
//! and so is anything a polyglot file hid beside or after the picture.
//!
//! The encoder is the lossless WebP one of the `image` crate, the only
//! well-kept WebP encoder written in Rust, so the same bytes come out on
//! the native host and on Workers. A picture narrower than a width is not
//! enlarged: that variant keeps its width.
//!
//! A decoded picture is held in memory whole, so pictures above
//! [`MAX_PIXELS`] are refused before any pixel is decoded, and big ones are
//! first shrunk by averaging (cheap in time and memory) to twice the
//! largest width, then resampled with Lanczos3.

use std::io::Cursor;

use codex_errors::ApiError;
use codex_validation::image::{ImageKind, sniff};
use image::codecs::webp::WebPEncoder;
use image::imageops;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{
    DynamicImage, ExtendedColorType, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Limits,
    Pixel,
};

/// The most pixels a picture may have: 16.7 megapixels (4096×4096; a
/// phone's 12-megapixel photo fits). Decoded, that is at most 64 MiB, which
/// leaves a worker's 128 MB room for the rest.
pub const MAX_PIXELS: u64 = 4096 * 4096;
/// The longest side a picture may have.
pub const MAX_SIDE: u32 = 12_000;
/// The most memory the decoder may take.
const MAX_DECODE_BYTES: u64 = 4 * MAX_PIXELS;

/// One of the three widths every picture is stored at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Sm,
    Md,
    Lg,
}

impl Size {
    pub const ALL: [Self; 3] = [Self::Sm, Self::Md, Self::Lg];

    /// The width in pixels.
    pub fn width(self) -> u32 {
        match self {
            Self::Sm => 200,
            Self::Md => 400,
            Self::Lg => 800,
        }
    }

    /// Its name in a stored key: `{folder}/{name}.webp`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sm => "sm",
            Self::Md => "md",
            Self::Lg => "lg",
        }
    }

    /// The file name of this variant.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Sm => "sm.webp",
            Self::Md => "md.webp",
            Self::Lg => "lg.webp",
        }
    }
}

/// The content type of every variant.
pub const WEBP: &str = "image/webp";

/// One re-encoded variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub size: Size,
    pub width: u32,
    pub height: u32,
    /// A WebP file.
    pub bytes: Vec<u8>,
}

/// A picture re-encoded at the three widths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variants {
    /// What the upload was.
    pub source: ImageKind,
    /// Its size once upright.
    pub width: u32,
    pub height: u32,
    /// `sm`, `md`, `lg`, in that order.
    pub variants: Vec<Variant>,
}

/// Why a picture was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("expected a PNG, JPEG, WebP or GIF image")]
    NotAnImage,
    #[error(
        "the image is too large: at most 16.7 megapixels and {MAX_SIDE} pixels on a side are accepted"
    )]
    TooLarge,
    #[error("the image could not be read: {0}")]
    Unreadable(String),
}

impl ImageError {
    /// The 400 `VALIDATION_ERROR` naming the upload's form field.
    pub fn for_field(&self, field: &str) -> ApiError {
        let message = match self {
            Self::NotAnImage => format!("File '{field}' has invalid type: {self}"),
            _ => format!("File '{field}': {self}"),
        };
        ApiError::invalid_fields([(field.to_owned(), message)])
    }
}

/// Decodes `bytes` and re-encodes them at the three widths.
pub fn variants(bytes: &[u8]) -> Result<Variants, ImageError> {
    let source = sniff(bytes).ok_or(ImageError::NotAnImage)?;
    let (picture, orientation) = decode(bytes, source)?;
    // One pipeline per pixel layout, opaque or not, so that the code for
    // every other layout the decoders know is never compiled in.
    let (width, height, variants) = if picture.color().has_alpha() {
        three_widths(picture.into_rgba8(), orientation, ExtendedColorType::Rgba8)?
    } else {
        three_widths(picture.into_rgb8(), orientation, ExtendedColorType::Rgb8)?
    };
    Ok(Variants {
        source,
        width,
        height,
        variants,
    })
}

fn format_of(kind: ImageKind) -> ImageFormat {
    match kind {
        ImageKind::Png => ImageFormat::Png,
        ImageKind::Jpeg => ImageFormat::Jpeg,
        ImageKind::Webp => ImageFormat::WebP,
        ImageKind::Gif => ImageFormat::Gif,
    }
}

fn unreadable(error: image::ImageError) -> ImageError {
    match error {
        image::ImageError::Limits(_) => ImageError::TooLarge,
        other => ImageError::Unreadable(other.to_string()),
    }
}

/// The picture and its Exif orientation; its size is checked from the
/// header first. A GIF gives its first frame.
fn decode(bytes: &[u8], kind: ImageKind) -> Result<(DynamicImage, Orientation), ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format_of(kind));
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::Unreadable("it has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooLarge);
    }
    let orientation = decoder.orientation().map_err(unreadable)?;
    let picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    Ok((picture, orientation))
}

type Buffer<P> = ImageBuffer<P, Vec<u8>>;

/// `picture` turned as its Exif orientation says.
fn upright<P: Pixel<Subpixel = u8> + 'static>(
    picture: Buffer<P>,
    orientation: Orientation,
) -> Buffer<P> {
    match orientation {
        Orientation::NoTransforms => picture,
        Orientation::Rotate90 => imageops::rotate90(&picture),
        Orientation::Rotate180 => imageops::rotate180(&picture),
        Orientation::Rotate270 => imageops::rotate270(&picture),
        Orientation::FlipHorizontal => imageops::flip_horizontal(&picture),
        Orientation::FlipVertical => imageops::flip_vertical(&picture),
        Orientation::Rotate90FlipH => imageops::flip_horizontal(&imageops::rotate90(&picture)),
        Orientation::Rotate270FlipH => imageops::flip_horizontal(&imageops::rotate270(&picture)),
    }
}

/// The upright picture's size and its three variants.
fn three_widths<P: Pixel<Subpixel = u8> + 'static>(
    picture: Buffer<P>,
    orientation: Orientation,
    layout: ExtendedColorType,
) -> Result<(u32, u32, Vec<Variant>), ImageError> {
    let picture = upright(picture, orientation);
    let (width, height) = picture.dimensions();
    let working = shrink_for_resampling(picture);
    let variants = Size::ALL
        .into_iter()
        .map(|size| encode(&working, size, layout))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((width, height, variants))
}

/// A picture wider than twice the largest width is first brought down to
/// that by averaging blocks of pixels, so that Lanczos3 then works on a
/// small picture.
fn shrink_for_resampling<P: Pixel<Subpixel = u8> + 'static>(picture: Buffer<P>) -> Buffer<P> {
    let limit = 2 * Size::Lg.width();
    if picture.width() <= limit {
        return picture;
    }
    let height = scaled_height(picture.width(), picture.height(), limit);
    imageops::thumbnail(&picture, limit, height)
}

/// The height that keeps the proportions at `width`, at least 1.
fn scaled_height(from_width: u32, from_height: u32, width: u32) -> u32 {
    let height = (u64::from(from_height) * u64::from(width) + u64::from(from_width) / 2)
        / u64::from(from_width);
    u32::try_from(height.max(1)).unwrap_or(u32::MAX)
}

fn encode<P: Pixel<Subpixel = u8> + 'static>(
    picture: &Buffer<P>,
    size: Size,
    layout: ExtendedColorType,
) -> Result<Variant, ImageError> {
    let width = size.width().min(picture.width());
    let height = scaled_height(picture.width(), picture.height(), width);
    let resized;
    let pixels = if (width, height) == picture.dimensions() {
        picture
    } else {
        resized = imageops::resize(picture, width, height, FilterType::Lanczos3);
        &resized
    };
    let mut bytes = Vec::new();
    WebPEncoder::new_lossless(&mut bytes)
        .encode(pixels.as_raw(), width, height, layout)
        .map_err(|error| ImageError::Unreadable(error.to_string()))?;
    Ok(Variant {
        size,
        width,
        height,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, RgbImage, Rgba};

    fn photo(width: u32, height: u32) -> RgbImage {
        ImageBuffer::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        })
    }

    fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).expect("encodes");
        out.into_inner()
    }

    fn decoded(bytes: &[u8]) -> DynamicImage {
        image::load_from_memory_with_format(bytes, ImageFormat::WebP).expect("a WebP file")
    }

    #[test]
    fn each_format_becomes_three_webp_widths_with_its_proportions() {
        let picture = DynamicImage::ImageRgb8(photo(1000, 500));
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Gif] {
            let result = variants(&encoded(&picture, format)).expect("accepted");
            assert_eq!((result.width, result.height), (1000, 500));
            let sizes: Vec<_> = result
                .variants
                .iter()
                .map(|v| (v.size, v.width, v.height))
                .collect();
            assert_eq!(
                sizes,
                [
                    (Size::Sm, 200, 100),
                    (Size::Md, 400, 200),
                    (Size::Lg, 800, 400)
                ],
                "{format:?}"
            );
            for variant in &result.variants {
                assert_eq!(sniff(&variant.bytes), Some(ImageKind::Webp));
                let back = decoded(&variant.bytes);
                assert_eq!(
                    (back.width(), back.height()),
                    (variant.width, variant.height)
                );
            }
        }
    }

    #[test]
    fn a_webp_upload_is_re_encoded_too() {
        let picture = DynamicImage::ImageRgb8(photo(300, 300));
        let result = variants(&encoded(&picture, ImageFormat::WebP)).expect("accepted");
        assert_eq!(result.source, ImageKind::Webp);
        assert_eq!(result.variants[0].width, 200);
    }

    #[test]
    fn a_small_picture_is_not_enlarged() {
        let picture = DynamicImage::ImageRgb8(photo(120, 90));
        let result = variants(&encoded(&picture, ImageFormat::Png)).expect("accepted");
        for variant in &result.variants {
            assert_eq!((variant.width, variant.height), (120, 90));
        }
    }

    #[test]
    fn transparency_is_kept() {
        let picture = DynamicImage::ImageRgba8(ImageBuffer::from_fn(400, 400, |x, _| {
            Rgba([255, 0, 0, if x < 200 { 0 } else { 255 }])
        }));
        let result = variants(&encoded(&picture, ImageFormat::Png)).expect("accepted");
        let back = decoded(&result.variants[1].bytes).into_rgba8();
        assert_eq!(back.get_pixel(10, 10)[3], 0);
        assert_eq!(back.get_pixel(390, 10)[3], 255);
    }

    #[test]
    fn metadata_and_trailing_payloads_do_not_survive() {
        let picture = DynamicImage::ImageRgb8(photo(64, 64));
        let mut png = encoded(&picture, ImageFormat::Png);
        // A polyglot: an HTML page after the end of the PNG, and a text
        // chunk would be gone too since only pixels are re-encoded.
        png.extend_from_slice(b"<html><script>alert(1)</script></html>");
        let result = variants(&png).expect("accepted");
        for variant in &result.variants {
            let text = String::from_utf8_lossy(&variant.bytes);
            assert!(!text.contains("<script>"));
        }
    }

    #[test]
    fn exif_orientation_turns_the_picture_upright() {
        // A 40×20 JPEG whose Exif says "rotate 90° clockwise" (orientation 6).
        let picture = DynamicImage::ImageRgb8(photo(40, 20));
        let jpeg = encoded(&picture, ImageFormat::Jpeg);
        let exif: &[u8] = &[
            b'E', b'x', b'i', b'f', 0, 0, // header
            b'M', b'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF, IFD at 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // Orientation = 6
            0, 0, 0, 0, // no next IFD
        ];
        let length = u16::try_from(exif.len() + 2).expect("short");
        let mut with_exif = jpeg[..2].to_vec();
        with_exif.extend_from_slice(&[0xFF, 0xE1]);
        with_exif.extend_from_slice(&length.to_be_bytes());
        with_exif.extend_from_slice(exif);
        with_exif.extend_from_slice(&jpeg[2..]);
        let result = variants(&with_exif).expect("accepted");
        assert_eq!((result.width, result.height), (20, 40));
        let back = decoded(&result.variants[0].bytes);
        assert_eq!((back.width(), back.height()), (20, 40));
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        assert_eq!(variants(b"GIF8 not really"), Err(ImageError::NotAnImage));
        assert_eq!(variants(b"<svg/>"), Err(ImageError::NotAnImage));
        let mut cut = encoded(&DynamicImage::ImageRgb8(photo(50, 50)), ImageFormat::Png);
        cut.truncate(60);
        assert!(matches!(variants(&cut), Err(ImageError::Unreadable(_))));
    }

    #[test]
    fn a_picture_above_the_pixel_limit_is_refused_from_its_header() {
        // A PNG header claiming 10000×10000 pixels, with no pixel data: it
        // must be refused without allocating 300 MB.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&10_000_u32.to_be_bytes());
        ihdr.extend_from_slice(&10_000_u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        png.extend_from_slice(&13_u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        for chunk in [&b"IDAT"[..], b"IEND"] {
            png.extend_from_slice(&0_u32.to_be_bytes());
            png.extend_from_slice(chunk);
            png.extend_from_slice(&crc32(chunk).to_be_bytes());
        }
        assert_eq!(variants(&png), Err(ImageError::TooLarge));
    }

    fn crc32(bytes: &[u8]) -> u32 {
        crc32fast::hash(bytes)
    }

    #[test]
    fn the_error_is_a_validation_error_on_the_field() {
        let error = ImageError::NotAnImage.for_field("thumbnail");
        assert_eq!(error.status().as_u16(), 400);
        assert!(
            error
                .body()
                .to_string()
                .contains("File 'thumbnail' has invalid type")
        );
    }
}
