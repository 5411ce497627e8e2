//! S3 multipart uploads: the parts, and the few XML documents of the S3
//! API that the Workers adapter writes and reads itself (natively
//! aws-sdk-s3 does this). The documents come from our own bucket, but
//! they are read as untrusted text all the same: a missing or malformed
//! element is an error, never a panic.

/// A part the client has stored, as it reports it to complete the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// The `ETag` the storage answered the part's `PUT` with.
    pub etag: String,
}

/// A part as the storage lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    pub part_number: u32,
    pub etag: String,
    pub size: u64,
}

/// The body of `CompleteMultipartUpload`.
pub fn complete_body(parts: &[CompletedPart]) -> String {
    let mut body = String::from("<CompleteMultipartUpload>");
    for part in parts {
        body.push_str("<Part><PartNumber>");
        body.push_str(&part.part_number.to_string());
        body.push_str("</PartNumber><ETag>");
        body.push_str(&escape(&part.etag));
        body.push_str("</ETag></Part>");
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

/// The `UploadId` of an `InitiateMultipartUploadResult`.
pub fn parse_upload_id(xml: &str) -> Option<String> {
    elements(xml, "UploadId")
        .next()
        .map(unescape)
        .filter(|id| !id.is_empty())
}

/// The parts of a `ListPartsResult`, and whether the list was cut short
/// (then `NextPartNumberMarker` says where to go on).
pub fn parse_parts(xml: &str) -> Option<(Vec<StoredPart>, Option<u32>)> {
    let mut parts = Vec::new();
    for part in elements(xml, "Part") {
        parts.push(StoredPart {
            part_number: elements(part, "PartNumber").next()?.trim().parse().ok()?,
            etag: unescape(elements(part, "ETag").next()?),
            size: elements(part, "Size").next()?.trim().parse().ok()?,
        });
    }
    let truncated = elements(xml, "IsTruncated").next().map(str::trim) == Some("true");
    let next = if truncated {
        Some(
            elements(xml, "NextPartNumberMarker")
                .next()?
                .trim()
                .parse()
                .ok()?,
        )
    } else {
        None
    };
    Some((parts, next))
}

/// The `Code` of an S3 error document.
pub fn parse_error_code(xml: &str) -> Option<String> {
    elements(xml, "Code").next().map(unescape)
}

/// The text of each `<name>…</name>` in `xml`, in order (no attributes,
/// no nesting of the same name: what the S3 documents above use).
fn elements<'a>(xml: &'a str, name: &str) -> impl Iterator<Item = &'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let end = start + rest[start..].find(&close)?;
        let text = &rest[start..end];
        rest = &rest[end + close.len()..];
        Some(text)
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_complete_body_lists_the_parts_with_their_quoted_etags_escaped() {
        let body = complete_body(&[
            CompletedPart {
                part_number: 1,
                etag: "\"a1\"".into(),
            },
            CompletedPart {
                part_number: 2,
                etag: "<b>".into(),
            },
        ]);
        assert_eq!(
            body,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a1&quot;</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>&lt;b&gt;</ETag></Part></CompleteMultipartUpload>"
        );
    }

    #[test]
    fn the_upload_id_and_the_parts_are_read_from_the_s3_documents() {
        let created = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>abc&amp;1</UploadId></InitiateMultipartUploadResult>"#;
        assert_eq!(parse_upload_id(created).as_deref(), Some("abc&1"));
        assert_eq!(parse_upload_id("<Error><Code>X</Code></Error>"), None);

        let listed = "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>\
            <Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag><Size>5</Size></Part>\
            <Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag><Size>7</Size></Part></ListPartsResult>";
        let (parts, next) = parse_parts(listed).unwrap_or_default();
        assert_eq!(
            parts,
            vec![
                StoredPart {
                    part_number: 1,
                    etag: "\"e1\"".into(),
                    size: 5
                },
                StoredPart {
                    part_number: 2,
                    etag: "\"e2\"".into(),
                    size: 7
                },
            ]
        );
        assert_eq!(next, Some(2));
        assert_eq!(
            parse_parts(
                "<ListPartsResult><Part><PartNumber>x</PartNumber></Part></ListPartsResult>"
            ),
            None
        );
        assert_eq!(
            parse_error_code("<Error><Code>NoSuchUpload</Code></Error>").as_deref(),
            Some("NoSuchUpload")
        );
    }
}
