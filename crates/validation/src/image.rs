//! Image uploads judged by their content, never by the type a client
//! declares: the first bytes must be those of a PNG, JPEG, WebP or GIF file.
//! [`strip_metadata`] then takes out what a camera or editor wrote about the
//! picture (EXIF with its GPS position, XMP, comments), without decoding it.

/// An image format recognised by its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl ImageKind {
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    /// The kind a stored content type names, if it is one of ours.
    pub fn from_mime_type(mime_type: &str) -> Option<Self> {
        [Self::Png, Self::Jpeg, Self::Webp, Self::Gif]
            .into_iter()
            .find(|kind| kind.mime_type() == mime_type)
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Gif => "gif",
        }
    }
}

/// The format `bytes` are in, or `None` when they are not a known image.
pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(ImageKind::Webp)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageKind::Gif)
    } else {
        None
    }
}

/// `bytes` without their metadata, with the picture untouched. Only whole
/// segments, chunks or blocks are dropped, and only those known to carry
/// no part of the picture; nothing is decoded or re-encoded.
///
/// - **JPEG:** every APPn segment but JFIF (APP0), an ICC colour profile
///   (APP2) and Adobe's colour transform (APP14) is dropped, so Exif and XMP
///   (APP1) and Photoshop/IPTC (APP13) go, and so do comments (COM) and
///   anything after the end of the image. The Exif orientation, when it
///   turns the picture, is kept in a minimal Exif segment of its own.
/// - **PNG:** critical chunks and the ancillary chunks that affect how the
///   picture looks (transparency, colour, gamma, pixel size, animation)
///   are copied whole, CRC included; `eXIf`, `tEXt`, `zTXt`, `iTXt`,
///   `tIME` and any other chunk go, as does anything after `IEND`.
/// - **WebP:** the `EXIF` and `XMP ` chunks (and any unknown one) go; the
///   RIFF size and the `VP8X` flags are corrected.
/// - **GIF:** comment extensions and application extensions other than the
///   animation loop (`NETSCAPE2.0`, `ANIMEXTS1.0`) go.
///
/// A file cut short keeps what could be read whole. Bytes that are not a
/// `kind` file at all come back unchanged.
pub fn strip_metadata(kind: ImageKind, bytes: &[u8]) -> Vec<u8> {
    if sniff(bytes) != Some(kind) {
        return bytes.to_vec();
    }
    match kind {
        ImageKind::Jpeg => strip_jpeg(bytes),
        ImageKind::Png => strip_png(bytes),
        ImageKind::Webp => strip_webp(bytes),
        ImageKind::Gif => strip_gif(bytes),
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    let pair = bytes.get(at..at.checked_add(2)?)?;
    Some(usize::from(u16::from_be_bytes([pair[0], pair[1]])))
}

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let quad = bytes.get(at..at.checked_add(4)?)?;
    usize::try_from(u32::from_be_bytes([quad[0], quad[1], quad[2], quad[3]])).ok()
}

fn le32(bytes: &[u8], at: usize) -> Option<usize> {
    let quad = bytes.get(at..at.checked_add(4)?)?;
    usize::try_from(u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]])).ok()
}

const JPEG_SOS: u8 = 0xDA;
const JPEG_EOI: u8 = 0xD9;
const JPEG_APP0: u8 = 0xE0;
const JPEG_APP1: u8 = 0xE1;
const JPEG_APP2: u8 = 0xE2;
const JPEG_APP14: u8 = 0xEE;
const JPEG_COM: u8 = 0xFE;

/// Whether a JPEG segment with this marker and payload is kept.
fn keep_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        JPEG_APP0 => payload.starts_with(b"JFIF\0"),
        JPEG_APP2 => payload.starts_with(b"ICC_PROFILE\0"),
        JPEG_APP14 => payload.starts_with(b"Adobe"),
        0xE1..=0xEF | JPEG_COM => false,
        _ => true,
    }
}

/// The orientation (2 to 8) an Exif payload gives, when it turns the
/// picture.
fn exif_orientation(payload: &[u8]) -> Option<u16> {
    let tiff = payload.strip_prefix(b"Exif\0\0")?;
    let big_endian = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let pair = tiff.get(at..at.checked_add(2)?)?;
        Some(if big_endian {
            u16::from_be_bytes([pair[0], pair[1]])
        } else {
            u16::from_le_bytes([pair[0], pair[1]])
        })
    };
    let u32_at = |at: usize| -> Option<usize> {
        let quad = tiff.get(at..at.checked_add(4)?)?;
        let quad = [quad[0], quad[1], quad[2], quad[3]];
        usize::try_from(if big_endian {
            u32::from_be_bytes(quad)
        } else {
            u32::from_le_bytes(quad)
        })
        .ok()
    };
    let ifd = u32_at(4)?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries).find_map(|index| {
        let entry = ifd.checked_add(2)?.checked_add(index.checked_mul(12)?)?;
        let (tag, kind, count) = (u16_at(entry)?, u16_at(entry + 2)?, u32_at(entry + 4)?);
        let value = u16_at(entry + 8)?;
        (tag == 0x0112 && kind == 3 && count == 1 && (2..=8).contains(&value)).then_some(value)
    })
}

/// An APP1 segment holding only an Exif orientation.
fn orientation_segment(orientation: u16) -> Vec<u8> {
    let mut segment = vec![0xFF, JPEG_APP1, 0, 34];
    segment.extend_from_slice(b"Exif\0\0MM\0*\0\0\0\x08");
    segment.extend_from_slice(&[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    segment.extend_from_slice(&orientation.to_be_bytes());
    segment.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    segment
}

/// The end of the entropy-coded data starting at `from`: the first marker
/// that is neither a stuffed `FF 00` nor a restart marker.
fn entropy_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < bytes.len() {
        if bytes[at] == 0xFF {
            match bytes.get(at + 1) {
                Some(0x00 | 0xD0..=0xD7) => at += 2,
                Some(_) => return at,
                None => return bytes.len(),
            }
        } else {
            at += 1;
        }
    }
    bytes.len()
}

fn strip_jpeg(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..2]);
    let mut orientation_written = false;
    let mut at = 2;
    while bytes.get(at) == Some(&0xFF) {
        // Fill bytes may precede a marker.
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else { break };
        at += 1;
        match marker {
            JPEG_EOI => {
                out.extend_from_slice(&[0xFF, JPEG_EOI]);
                break;
            }
            // Markers without a segment.
            0x01 | 0xD0..=0xD7 => out.extend_from_slice(&[0xFF, marker]),
            _ => {
                let Some(length) = be16(bytes, at).filter(|length| *length >= 2) else {
                    break;
                };
                let Some(segment) = at.checked_add(length).and_then(|end| bytes.get(at..end))
                else {
                    break;
                };
                if keep_jpeg_segment(marker, &segment[2..]) {
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(segment);
                } else if marker == JPEG_APP1
                    && !orientation_written
                    && let Some(orientation) = exif_orientation(&segment[2..])
                {
                    out.extend_from_slice(&orientation_segment(orientation));
                    orientation_written = true;
                }
                at += length;
                if marker == JPEG_SOS {
                    let end = entropy_end(bytes, at);
                    out.extend_from_slice(&bytes[at..end]);
                    at = end;
                }
            }
        }
    }
    out
}

/// The ancillary PNG chunks that change how the picture looks.
const PNG_KEPT_ANCILLARY: &[&[u8; 4]] = &[
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs", b"hIST", b"sPLT",
    b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT",
];

fn strip_png(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..8]);
    let mut at = 8;
    while let Some(length) = be32(bytes, at) {
        let Some(end) = length
            .checked_add(12)
            .and_then(|size| at.checked_add(size))
            .filter(|end| *end <= bytes.len())
        else {
            break;
        };
        let kind = &bytes[at + 4..at + 8];
        // A critical chunk has an upper-case first letter.
        let critical = kind[0] & 0x20 == 0;
        if critical || PNG_KEPT_ANCILLARY.iter().any(|kept| kept[..] == *kind) {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
        if kind == b"IEND" {
            break;
        }
    }
    out
}

/// The WebP chunks that hold the picture, its animation or its colours.
const WEBP_KEPT: &[&[u8; 4]] = &[
    b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP",
];
const VP8X_XMP: u8 = 0x04;
const VP8X_EXIF: u8 = 0x08;

fn strip_webp(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..12]);
    let end_of_riff = le32(bytes, 4)
        .and_then(|size| size.checked_add(8))
        .map_or(bytes.len(), |end| end.min(bytes.len()));
    let mut flags_at = None;
    let mut at = 12;
    while let Some(size) = le32(bytes, at + 4) {
        let Some(data_end) = size.checked_add(at + 8).filter(|end| *end <= end_of_riff) else {
            break;
        };
        let kind = &bytes[at..at + 4];
        if WEBP_KEPT.iter().any(|kept| kept[..] == *kind) {
            if kind == b"VP8X" && size > 0 {
                flags_at = Some(out.len() + 8);
            }
            out.extend_from_slice(&bytes[at..data_end]);
            if size % 2 == 1 {
                out.push(0);
            }
        }
        at = data_end + size % 2;
    }
    if let Some(flags_at) = flags_at {
        out[flags_at] &= !(VP8X_EXIF | VP8X_XMP);
    }
    let riff_size = u32::try_from(out.len() - 8).unwrap_or(u32::MAX);
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    out
}

/// The end of the GIF data sub-blocks starting at `from` (after their
/// terminator), or `None` when they run past the end.
fn gif_sub_blocks_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let size = usize::from(*bytes.get(at)?);
        at += 1;
        if size == 0 {
            return Some(at);
        }
        at = at.checked_add(size).filter(|at| *at <= bytes.len())?;
    }
}

/// The size of a colour table that `flags` announce.
fn gif_colour_table(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

fn strip_gif(bytes: &[u8]) -> Vec<u8> {
    const TRAILER: u8 = 0x3B;
    let mut out = Vec::with_capacity(bytes.len());
    let Some(&flags) = bytes.get(10) else {
        return bytes.to_vec();
    };
    let mut at = 13 + gif_colour_table(flags);
    let Some(header) = bytes.get(..at) else {
        return bytes.to_vec();
    };
    out.extend_from_slice(header);
    loop {
        let block_end = match bytes.get(at) {
            Some(0x21) => {
                let Some(end) = gif_sub_blocks_end(bytes, at + 2) else {
                    break;
                };
                let keep = match bytes.get(at + 1) {
                    // Graphic control and plain text.
                    Some(0xF9 | 0x01) => true,
                    // Application: only the animation loop.
                    Some(0xFF) => matches!(
                        bytes.get(at + 2..at + 14),
                        Some(b"\x0bNETSCAPE2.0" | b"\x0bANIMEXTS1.0")
                    ),
                    // Comments and anything unknown.
                    _ => false,
                };
                if keep {
                    out.extend_from_slice(&bytes[at..end]);
                }
                end
            }
            Some(0x2C) => {
                let Some(&flags) = bytes.get(at + 9) else {
                    break;
                };
                // Descriptor, local colour table, LZW code size, then data.
                let data = at + 10 + gif_colour_table(flags) + 1;
                let Some(end) = gif_sub_blocks_end(bytes, data) else {
                    break;
                };
                out.extend_from_slice(&bytes[at..end]);
                end
            }
            _ => break,
        };
        at = block_end;
    }
    out.push(TRAILER);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_signature() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some(ImageKind::Gif));
    }

    #[test]
    fn disguised_and_truncated_files_are_not_images() {
        for bytes in [
            &b"<html><script>alert(1)</script>"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"\x89PNG",
            b"RIFF\x24\0\0\0WAVE",
            b"RIFF",
            b"",
        ] {
            assert_eq!(sniff(bytes), None, "{bytes:?}");
        }
    }

    /// CRC-32 as PNG computes it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = u32::try_from(data.len())
            .unwrap_or_default()
            .to_be_bytes()
            .to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let crc = crc32(&chunk[4..]);
        chunk.extend_from_slice(&crc.to_be_bytes());
        chunk
    }

    /// The chunk types of a PNG, each checked against its CRC.
    fn png_chunks(png: &[u8]) -> Vec<String> {
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let mut kinds = Vec::new();
        let mut at = 8;
        while at < png.len() {
            let length = be32(png, at).expect("a length");
            let end = at + 12 + length;
            assert!(end <= png.len(), "chunk within the file");
            let crc = u32::from_be_bytes(png[end - 4..end].try_into().expect("four bytes"));
            assert_eq!(crc, crc32(&png[at + 4..end - 4]), "CRC of chunk at {at}");
            kinds.push(String::from_utf8_lossy(&png[at + 4..at + 8]).into_owned());
            at = end;
        }
        kinds
    }

    /// A valid 1×1 PNG: signature, IHDR, IDAT, IEND.
    const TINY_PNG: [u8; 68] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
        0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00,
        0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    /// An Exif (TIFF) payload with an orientation and a GPS directory.
    fn exif_payload(orientation: u16) -> Vec<u8> {
        let mut exif = b"Exif\0\0II*\0\x08\0\0\0".to_vec();
        // IFD0: two entries, orientation and the GPS directory's offset.
        exif.extend_from_slice(&[2, 0]);
        exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
        exif.extend_from_slice(&orientation.to_le_bytes());
        exif.extend_from_slice(&[0, 0]);
        exif.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
        exif.extend_from_slice(&[0, 0, 0, 0]);
        exif.extend_from_slice(b"GPSLatitude 51.5007N GPSLongitude 0.1246W");
        exif
    }

    fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let length = u16::try_from(payload.len() + 2).unwrap_or_default();
        let mut segment = vec![0xFF, marker];
        segment.extend_from_slice(&length.to_be_bytes());
        segment.extend_from_slice(payload);
        segment
    }

    /// The picture part of a JPEG: tables, frame, scan with stuffed bytes
    /// and a restart marker, end.
    fn jpeg_picture() -> Vec<u8> {
        let mut picture = jpeg_segment(0xDB, &[0; 65]);
        picture.extend(jpeg_segment(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        picture.extend(jpeg_segment(0xC4, &[0; 29]));
        picture.extend(jpeg_segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
        picture.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0x78]);
        picture.extend_from_slice(&[0xFF, 0xD9]);
        picture
    }

    fn hostile_jpeg(orientation: u16) -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(jpeg_segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        jpeg.extend(jpeg_segment(0xE1, &exif_payload(orientation)));
        jpeg.extend(jpeg_segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>51</exif:GPSLatitude></x:xmpmeta>",
        ));
        jpeg.extend(jpeg_segment(0xE2, b"ICC_PROFILE\0\x01\x01profile"));
        jpeg.extend(jpeg_segment(0xE2, b"MPF\0GPS in a multi-picture index"));
        jpeg.extend(jpeg_segment(0xED, b"Photoshop 3.0\08BIM GPS caption"));
        jpeg.extend(jpeg_segment(0xFE, b"taken at home, GPS 51.5N"));
        jpeg.extend(jpeg_picture());
        jpeg.extend_from_slice(b"GPS trailer after the end of the image");
        jpeg
    }

    /// The markers of a JPEG's segments, walked as a decoder walks them.
    fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "starts with SOI");
        let mut markers = Vec::new();
        let mut at = 2;
        loop {
            assert_eq!(jpeg.get(at), Some(&0xFF), "a marker at {at}");
            let marker = jpeg[at + 1];
            markers.push(marker);
            if marker == JPEG_EOI {
                assert_eq!(at + 2, jpeg.len(), "nothing after EOI");
                return markers;
            }
            at += 2 + be16(jpeg, at + 2).expect("a length");
            if marker == JPEG_SOS {
                at = entropy_end(jpeg, at);
            }
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    #[test]
    fn jpeg_metadata_is_dropped_and_the_picture_kept() {
        let jpeg = hostile_jpeg(6);
        assert!(contains(&jpeg, b"GPS"));
        let clean = strip_metadata(ImageKind::Jpeg, &jpeg);
        for gone in [
            &b"GPS"[..],
            b"xmpmeta",
            b"Photoshop",
            b"taken at home",
            b"MPF",
            b"trailer",
        ] {
            assert!(!contains(&clean, gone), "{}", String::from_utf8_lossy(gone));
        }
        assert_eq!(sniff(&clean), Some(ImageKind::Jpeg));
        assert_eq!(
            jpeg_markers(&clean),
            vec![0xE0, 0xE1, 0xE2, 0xDB, 0xC0, 0xC4, JPEG_SOS, JPEG_EOI]
        );
        assert!(contains(&clean, b"ICC_PROFILE"), "the colour profile stays");
        assert!(clean.ends_with(&jpeg_picture()), "the picture is untouched");
        // The orientation survives on its own, so the picture stays upright.
        let exif = &clean[20 + 4..20 + 34 + 2];
        assert_eq!(exif_orientation(exif), Some(6));
        assert!(!contains(&clean, &[0x25, 0x88]), "no GPS directory");

        // Upright pictures need no Exif at all.
        let upright = strip_metadata(ImageKind::Jpeg, &hostile_jpeg(1));
        assert_eq!(
            jpeg_markers(&upright),
            vec![0xE0, 0xE2, 0xDB, 0xC0, 0xC4, JPEG_SOS, JPEG_EOI]
        );
    }

    #[test]
    fn png_metadata_chunks_are_dropped_and_every_crc_still_holds() {
        let mut png = TINY_PNG[..33].to_vec();
        png.extend(png_chunk(b"eXIf", &exif_payload(1)[6..]));
        png.extend(png_chunk(b"tEXt", b"Comment\0GPS 51.5N 0.12W"));
        png.extend(png_chunk(b"zTXt", b"Raw profile\0\0GPS"));
        png.extend(png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<GPS/>"));
        png.extend(png_chunk(b"tIME", &[7, 233, 1, 2, 3, 4, 5]));
        png.extend(png_chunk(b"pHYs", &[0, 0, 11, 19, 0, 0, 11, 19, 1]));
        png.extend_from_slice(&TINY_PNG[33..]);
        png.extend_from_slice(b"GPS after IEND");
        assert!(contains(&png, b"GPS"));

        let clean = strip_metadata(ImageKind::Png, &png);
        assert!(!contains(&clean, b"GPS"));
        assert_eq!(png_chunks(&clean), ["IHDR", "pHYs", "IDAT", "IEND"]);
        let mut expected = TINY_PNG[..33].to_vec();
        expected.extend(png_chunk(b"pHYs", &[0, 0, 11, 19, 0, 0, 11, 19, 1]));
        expected.extend_from_slice(&TINY_PNG[33..]);
        assert_eq!(clean, expected);
        assert_eq!(strip_metadata(ImageKind::Png, &TINY_PNG), TINY_PNG);
    }

    fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(&u32::try_from(data.len()).unwrap_or_default().to_le_bytes());
        chunk.extend_from_slice(data);
        if data.len() % 2 == 1 {
            chunk.push(0);
        }
        chunk
    }

    fn webp(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(
            &u32::try_from(body.len() + 4)
                .unwrap_or_default()
                .to_le_bytes(),
        );
        file.extend_from_slice(b"WEBP");
        file.extend(body);
        file
    }

    #[test]
    fn webp_exif_and_xmp_chunks_are_dropped_and_the_header_fixed() {
        // VP8X flags: alpha, EXIF and XMP; a 1×1 canvas.
        let vp8x = riff_chunk(b"VP8X", &[0x10 | 0x08 | 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let alpha = riff_chunk(b"ALPH", &[0, 1, 2]);
        let picture = riff_chunk(b"VP8L", &[0x2F, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11]);
        let file = webp(&[
            vp8x,
            riff_chunk(b"EXIF", &exif_payload(1)[6..]),
            alpha.clone(),
            picture.clone(),
            riff_chunk(b"XMP ", b"<x:xmpmeta><GPS/></x:xmpmeta>"),
        ]);
        let clean = strip_metadata(ImageKind::Webp, &file);
        assert!(!contains(&clean, b"GPS") && !contains(&clean, b"EXIF"));
        assert!(!contains(&clean, b"XMP "));
        let expected = webp(&[
            riff_chunk(b"VP8X", &[0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            alpha,
            picture,
        ]);
        assert_eq!(clean, expected, "only the flags and the RIFF size change");
        assert_eq!(le32(&clean, 4), Some(clean.len() - 8));
    }

    #[test]
    fn gif_comments_and_foreign_application_blocks_are_dropped() {
        let header = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff".to_vec();
        let looping = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\0\0\0".to_vec();
        let xmp = b"\x21\xff\x0bXMP DataXMP\x05<GPS>\0".to_vec();
        let comment = b"\x21\xfe\x0ctaken at GPS\0".to_vec();
        let control = b"\x21\xf9\x04\0\0\0\0\0".to_vec();
        let image = b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0".to_vec();
        let file = [
            header.clone(),
            looping.clone(),
            xmp,
            comment,
            control.clone(),
            image.clone(),
            b"\x3bGPS after the trailer".to_vec(),
        ]
        .concat();
        let clean = strip_metadata(ImageKind::Gif, &file);
        assert!(!contains(&clean, b"GPS"));
        assert_eq!(
            clean,
            [header, looping, control, image, vec![0x3B]].concat()
        );
    }

    #[test]
    fn files_cut_short_or_mislabelled_never_leak_or_panic() {
        let mut png = TINY_PNG[..33].to_vec();
        png.extend(png_chunk(b"eXIf", &exif_payload(3)[6..]));
        png.extend_from_slice(&TINY_PNG[33..]);
        let samples = [
            (ImageKind::Jpeg, hostile_jpeg(6)),
            (ImageKind::Png, png),
            (
                ImageKind::Webp,
                webp(&[riff_chunk(b"EXIF", &exif_payload(1)[6..])]),
            ),
            (
                ImageKind::Gif,
                b"GIF89a\x01\0\x01\0\0\0\0\x21\xfe\x03GPS\0\x3b".to_vec(),
            ),
        ];
        for (kind, file) in samples {
            for end in 0..=file.len() {
                let clean = strip_metadata(kind, &file[..end]);
                if sniff(&file[..end]) == Some(kind) {
                    assert!(!contains(&clean, b"GPS"), "{kind:?} cut at {end}");
                } else {
                    assert_eq!(clean, &file[..end], "not a {kind:?}: unchanged");
                }
            }
        }
        let png = TINY_PNG.to_vec();
        assert_eq!(strip_metadata(ImageKind::Jpeg, &png), png, "mislabelled");
    }
}
