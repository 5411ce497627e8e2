//! SVG logos are rewritten, not trusted: the document is parsed and written
//! out again without `script`, `foreignObject`, `iframe`, `object`, `embed`,
//! `image`, `use` pointing elsewhere, `style` elements, `on*` attributes,
//! and any `href`, `xlink:href` or `src` that is not a local `#fragment`.
//! Declarations, doctypes and processing instructions are dropped too, so no
//! entity can be expanded.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesStart, Event};

/// Elements dropped with everything inside them.
const DROPPED_ELEMENTS: &[&[u8]] = &[
    b"script",
    b"foreignobject",
    b"iframe",
    b"object",
    b"embed",
    b"image",
    b"style",
    b"audio",
    b"video",
    b"canvas",
    b"handler",
    b"listener",
];

fn local_name(name: &[u8]) -> Vec<u8> {
    let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
    local.to_ascii_lowercase()
}

fn is_dropped(name: &[u8]) -> bool {
    DROPPED_ELEMENTS.contains(&local_name(name).as_slice())
}

/// A copy of `start` without dangerous attributes.
fn clean(start: &BytesStart<'_>) -> BytesStart<'static> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut cleaned = BytesStart::new(name);
    for attribute in start.attributes().flatten() {
        let key = local_name(attribute.key.as_ref());
        let value = String::from_utf8_lossy(&attribute.value).into_owned();
        let lowered = value.to_ascii_lowercase();
        let dangerous = key.starts_with(b"on")
            || (matches!(key.as_slice(), b"href" | b"src" | b"action" | b"formaction")
                && !value.trim_start().starts_with('#'))
            || lowered.contains("javascript:")
            || lowered.contains("url(") && !lowered.contains("url(#")
            || key == b"style" && (lowered.contains("url(") || lowered.contains("expression("));
        if !dangerous {
            cleaned.push_attribute((attribute.key.as_ref(), value.as_bytes()));
        }
    }
    cleaned
}

/// The sanitised document, or `None` when `bytes` are not an SVG document
/// (malformed XML, or a root element other than `svg`).
pub fn sanitise(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut writer = Writer::new(Vec::new());
    let mut skipping = 0_usize;
    let mut depth = 0_usize;
    let mut saw_root = false;
    let mut buffer = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buffer).ok()?;
        match event {
            Event::Eof => break,
            Event::Start(start) => {
                if depth == 0 {
                    if saw_root || local_name(start.name().as_ref()) != b"svg" {
                        return None;
                    }
                    saw_root = true;
                }
                depth += 1;
                if skipping > 0 || is_dropped(start.name().as_ref()) {
                    skipping += 1;
                } else {
                    writer.write_event(Event::Start(clean(&start))).ok()?;
                }
            }
            Event::End(end) => {
                depth = depth.checked_sub(1)?;
                if skipping > 0 {
                    skipping -= 1;
                } else {
                    writer.write_event(Event::End(end.into_owned())).ok()?;
                }
            }
            Event::Empty(start) => {
                if depth == 0 {
                    if saw_root || local_name(start.name().as_ref()) != b"svg" {
                        return None;
                    }
                    saw_root = true;
                }
                if skipping == 0 && !is_dropped(start.name().as_ref()) {
                    writer.write_event(Event::Empty(clean(&start))).ok()?;
                }
            }
            Event::Text(text) if skipping == 0 && depth > 0 => {
                writer.write_event(Event::Text(text.into_owned())).ok()?;
            }
            Event::CData(data) if skipping == 0 && depth > 0 => {
                writer.write_event(Event::CData(data.into_owned())).ok()?;
            }
            // Declarations, doctypes (and so entities), comments and
            // processing instructions are left out.
            _ => {}
        }
        buffer.clear();
    }
    (saw_root && depth == 0).then(|| writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean_text(svg: &str) -> String {
        String::from_utf8(sanitise(svg.as_bytes()).expect("an svg")).expect("utf-8")
    }

    #[test]
    fn scripts_handlers_and_external_references_are_removed() {
        let out = clean_text(
            r##"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]>
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">
              <script>alert(1)</script><SCRIPT>alert(2)</SCRIPT>
              <foreignObject><div>hi</div></foreignObject>
              <image href="https://evil.example/x.png"/>
              <a xlink:href="javascript:alert(3)"><text>link</text></a>
              <use href="#dot"/><use xlink:href="https://evil.example/s.svg#a"/>
              <rect style="fill:url(https://evil.example/f)" width="1"/>
              <style>@import url(https://evil.example/c.css);</style>
              <circle id="dot" cx="5" cy="5" r="4" fill="url(#grad)" onclick="steal()"/>
            </svg>"##,
        );
        for banned in [
            "script",
            "SCRIPT",
            "onload",
            "onclick",
            "foreignObject",
            "evil.example",
            "javascript:",
            "ENTITY",
            "@import",
        ] {
            assert!(!out.contains(banned), "{banned} left in {out}");
        }
        assert!(out.contains("<svg"), "{out}");
        assert!(
            out.contains(r##"<circle id="dot" cx="5" cy="5" r="4" fill="url(#grad)"/>"##),
            "{out}"
        );
        assert!(out.contains(r##"<use href="#dot"/>"##), "{out}");
        assert!(out.contains("<text>link</text>"), "{out}");
    }

    #[test]
    fn only_svg_documents_are_accepted() {
        assert!(sanitise(b"<html><body/></html>").is_none());
        assert!(sanitise(b"<svg><g></svg>").is_none());
        assert!(sanitise(b"not xml at all").is_none());
        assert!(sanitise(b"<svg/><svg/>").is_none());
        assert!(sanitise(br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#).is_some());
    }
}
