//! The nine media types a creator may upload, what each is stored as, and
//! how its first bytes are recognised: a file is judged by its content,
//! never by the type the browser declared.

use serde::{Deserialize, Serialize};

/// Video or audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    Video,
    Audio,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
        }
    }
}

impl std::str::FromStr for MediaType {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "video" => Ok(Self::Video),
            "audio" => Ok(Self::Audio),
            other => Err(format!("unknown media type {other:?}")),
        }
    }
}

/// The container a file's first bytes show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// ISO base media (`ftyp`): MP4, MOV, M4A.
    IsoMedia,
    /// EBML: WebM and Matroska.
    Ebml,
    /// RIFF with the given form type (`AVI `, `WAVE`).
    Riff([u8; 4]),
    /// MPEG audio: an ID3 tag or an MPEG frame sync.
    MpegAudio,
    Ogg,
}

/// One accepted MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub mime_type: &'static str,
    pub media_type: MediaType,
    /// The original's file extension in storage.
    pub extension: &'static str,
    pub container: Container,
}

/// The nine accepted types (catalogue §2.1).
pub const KINDS: [Kind; 9] = [
    kind("video/mp4", MediaType::Video, "mp4", Container::IsoMedia),
    kind(
        "video/quicktime",
        MediaType::Video,
        "mov",
        Container::IsoMedia,
    ),
    kind(
        "video/x-msvideo",
        MediaType::Video,
        "avi",
        Container::Riff(*b"AVI "),
    ),
    kind("video/webm", MediaType::Video, "webm", Container::Ebml),
    kind("audio/mpeg", MediaType::Audio, "mp3", Container::MpegAudio),
    kind("audio/mp4", MediaType::Audio, "m4a", Container::IsoMedia),
    kind(
        "audio/wav",
        MediaType::Audio,
        "wav",
        Container::Riff(*b"WAVE"),
    ),
    kind("audio/webm", MediaType::Audio, "weba", Container::Ebml),
    kind("audio/ogg", MediaType::Audio, "ogg", Container::Ogg),
];

const fn kind(
    mime_type: &'static str,
    media_type: MediaType,
    extension: &'static str,
    container: Container,
) -> Kind {
    Kind {
        mime_type,
        media_type,
        extension,
        container,
    }
}

/// The accepted kind of `mime_type` (exact, lower case), if any.
pub fn by_mime_type(mime_type: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|kind| kind.mime_type == mime_type)
}

/// How many leading bytes [`sniff`] needs.
pub const SNIFF_BYTES: u64 = 16;

/// The container `bytes` (the start of a file) begin with, if any.
pub fn sniff(bytes: &[u8]) -> Option<Container> {
    match bytes {
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => Some(Container::IsoMedia),
        [0x1a, 0x45, 0xdf, 0xa3, ..] => Some(Container::Ebml),
        [b'R', b'I', b'F', b'F', _, _, _, _, a, b, c, d, ..] => {
            Some(Container::Riff([*a, *b, *c, *d]))
        }
        [b'I', b'D', b'3', ..] => Some(Container::MpegAudio),
        // An MPEG audio frame header: 11 set sync bits, a valid version and
        // layer.
        [0xff, second, ..]
            if second & 0xe0 == 0xe0 && second & 0x06 != 0 && second & 0x18 != 0x08 =>
        {
            Some(Container::MpegAudio)
        }
        [b'O', b'g', b'g', b'S', ..] => Some(Container::Ogg),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_recognised_by_its_first_bytes_and_nothing_else_is() {
        let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0";
        let webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81";
        let wav = b"RIFF\x24\x08\0\0WAVEfmt ";
        let avi = b"RIFF\x24\x08\0\0AVI LIST";
        let id3 = b"ID3\x04\0\0\0\0\0\x23TSSE";
        let frame = b"\xff\xfb\x90\x64\0\0\0\0\0\0\0\0\0\0\0\0";
        let ogg = b"OggS\0\x02\0\0\0\0\0\0\0\0\0\0";
        assert_eq!(sniff(mp4), Some(Container::IsoMedia));
        assert_eq!(sniff(webm), Some(Container::Ebml));
        assert_eq!(sniff(wav), Some(Container::Riff(*b"WAVE")));
        assert_eq!(sniff(avi), Some(Container::Riff(*b"AVI ")));
        assert_eq!(sniff(id3), Some(Container::MpegAudio));
        assert_eq!(sniff(frame), Some(Container::MpegAudio));
        assert_eq!(sniff(ogg), Some(Container::Ogg));
        for other in [
            &b"<html><script>alert(1)</script>"[..],
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            b"PK\x03\x04zip",
            b"\xff\xd8\xff\xe0JFIF",
            b"",
            b"\0\0\0",
        ] {
            assert_eq!(sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn every_kind_has_a_distinct_type_and_extension() {
        for kind in &KINDS {
            assert_eq!(by_mime_type(kind.mime_type), Some(kind));
            assert_eq!(
                KINDS
                    .iter()
                    .filter(|k| k.extension == kind.extension)
                    .count(),
                1
            );
        }
        assert_eq!(by_mime_type("video/MP4"), None);
        assert_eq!(by_mime_type("image/png"), None);
    }
}
