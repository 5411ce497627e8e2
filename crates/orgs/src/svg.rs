//! SVG logos are rewritten, not trusted. The document is parsed and written
//! out again keeping only an allow-list: the static drawing elements (no
//! animation, scripts, styles, foreign content, images or links) and their
//! geometry and presentation attributes.
//!
//! - Elements outside the list are dropped with everything inside them;
//!   `a` is unwrapped (its drawing is kept, the link is not). Elements in a
//!   namespace other than SVG's are dropped too.
//! - Every attribute value is decoded (entities and character references)
//!   before it is judged, and judged with whitespace and control characters
//!   taken out, so `jav&#x09;ascript:` is seen as `javascript:`.
//! - `href` (or `xlink:href`) is kept only on `use` and gradients, and only
//!   as a local `#fragment`. `url(…)` is kept only as `url(#fragment)`;
//!   `javascript:`, `data:`, external URLs, CSS escapes, comments, at-rules
//!   and any CSS function but a few harmless ones (`rgb()`, `rotate()`, …)
//!   make the attribute (or the `style` declaration) go.
//! - `style` attributes keep only presentation properties.
//! - Declarations, doctypes (so no entity is ever defined), comments and
//!   processing instructions are dropped; text is kept only inside `text`,
//!   `tspan`, `title` and `desc`, and is written back escaped.

use quick_xml::NsReader;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

const SVG_NS: &[u8] = b"http://www.w3.org/2000/svg";
const XLINK_NS: &[u8] = b"http://www.w3.org/1999/xlink";

/// The elements kept.
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "defs",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "title",
    "desc",
    "symbol",
    "use",
];

/// Elements whose text is kept.
const TEXT_ELEMENTS: &[&str] = &["text", "tspan", "title", "desc"];

/// Elements left out while their content is kept.
const UNWRAPPED: &[&str] = &["a"];

/// Elements that may keep an `href` (a local `#fragment` only).
const HREF_ELEMENTS: &[&str] = &["use", "linearGradient", "radialGradient"];

/// Structural and geometry attributes.
const ATTRIBUTES: &[&str] = &[
    "id",
    "class",
    "lang",
    "version",
    "baseProfile",
    "viewBox",
    "preserveAspectRatio",
    "x",
    "y",
    "width",
    "height",
    "rx",
    "ry",
    "cx",
    "cy",
    "r",
    "fx",
    "fy",
    "fr",
    "x1",
    "y1",
    "x2",
    "y2",
    "d",
    "points",
    "pathLength",
    "transform",
    "dx",
    "dy",
    "rotate",
    "textLength",
    "lengthAdjust",
    "offset",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "clipPathUnits",
    "maskUnits",
    "maskContentUnits",
    "refX",
    "refY",
];

/// Presentation properties: allowed as attributes and in `style`.
const PROPERTIES: &[&str] = &[
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "color",
    "stop-color",
    "stop-opacity",
    "clip-path",
    "clip-rule",
    "mask",
    "display",
    "visibility",
    "overflow",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "font-variant",
    "font-stretch",
    "text-anchor",
    "text-decoration",
    "dominant-baseline",
    "alignment-baseline",
    "baseline-shift",
    "letter-spacing",
    "word-spacing",
    "writing-mode",
    "direction",
    "unicode-bidi",
    "vector-effect",
    "shape-rendering",
    "text-rendering",
    "color-interpolation",
    "paint-order",
    "transform-origin",
];

/// CSS functions a value may call besides `url(#fragment)`: colours,
/// transforms and arithmetic, none of which fetches anything.
const FUNCTIONS: &[&str] = &[
    "rgb",
    "rgba",
    "hsl",
    "hsla",
    "hwb",
    "lab",
    "lch",
    "oklab",
    "oklch",
    "matrix",
    "translate",
    "translatex",
    "translatey",
    "scale",
    "scalex",
    "scaley",
    "rotate",
    "skewx",
    "skewy",
    "calc",
    "min",
    "max",
    "clamp",
];

/// What becomes of an element that was opened.
enum Frame {
    Kept(&'static str),
    Unwrapped,
    Dropped,
}

/// `value` as a browser would compare it: no whitespace or control
/// characters (which URL parsers skip inside a scheme), lower case.
fn compact(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// `#id` when `value` is a reference into this document and nothing else.
fn local_fragment(value: &str) -> Option<String> {
    let value: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let id = value.strip_prefix('#')?;
    (!id.is_empty() && id.chars().all(is_id_char)).then_some(value)
}

/// Whether an attribute or `style` value can neither run nor fetch
/// anything: every `url(…)` is `url(#fragment)`, every other function is a
/// harmless one, and there are no escapes, comments, at-rules or schemes.
fn is_safe_value(value: &str) -> bool {
    let compact = compact(value);
    if compact.contains(['\\', '<', '>', '@', '{', '}'])
        || ["/*", "javascript:", "vbscript:", "data:", "//"]
            .iter()
            .any(|banned| compact.contains(banned))
    {
        return false;
    }
    let mut rest = compact.as_str();
    while let Some(open) = rest.find('(') {
        let function = rest[..open]
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .next()
            .unwrap_or_default();
        let after = &rest[open + 1..];
        if function == "url" {
            let inner = after.strip_prefix(['"', '\'']).unwrap_or(after);
            let Some(id) = inner.strip_prefix('#') else {
                return false;
            };
            let end = id.find(|c: char| !is_id_char(c)).unwrap_or(id.len());
            let tail = &id[end..];
            let tail = tail.strip_prefix(['"', '\'']).unwrap_or(tail);
            if end == 0 || !tail.starts_with(')') {
                return false;
            }
        } else if !FUNCTIONS.contains(&function) {
            return false;
        }
        rest = after;
    }
    true
}

/// The presentation declarations of a `style` attribute that are safe, or
/// `None` when none is.
fn clean_style(value: &str) -> Option<String> {
    let kept: Vec<String> = value
        .split(';')
        .filter_map(|declaration| {
            let (property, value) = declaration.split_once(':')?;
            let property = property.trim().to_ascii_lowercase();
            let value = value.trim();
            (PROPERTIES.contains(&property.as_str()) && !value.is_empty() && is_safe_value(value))
                .then(|| format!("{property}:{value}"))
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join(";"))
}

/// What the element `start` becomes, by its namespace and local name.
fn frame_of(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Frame {
    let (namespace, local) = reader.resolve_element(start.name());
    let in_svg = match namespace {
        ResolveResult::Bound(namespace) => namespace.as_ref() == SVG_NS,
        ResolveResult::Unbound => true,
        ResolveResult::Unknown(_) => false,
    };
    if !in_svg {
        return Frame::Dropped;
    }
    let local = local.as_ref();
    if let Some(name) = ELEMENTS.iter().find(|name| name.as_bytes() == local) {
        Frame::Kept(name)
    } else if UNWRAPPED.iter().any(|name| name.as_bytes() == local) {
        Frame::Unwrapped
    } else {
        Frame::Dropped
    }
}

/// The opening tag of `element`, with only the attributes that pass.
fn open_tag(reader: &NsReader<&[u8]>, start: &BytesStart<'_>, element: &str, root: bool) -> String {
    let mut tag = format!("<{element}");
    if root {
        tag.push_str(r#" xmlns="http://www.w3.org/2000/svg""#);
    }
    let mut written: Vec<&'static str> = Vec::new();
    for attribute in start.attributes().flatten() {
        let key = attribute.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let (namespace, local) = reader.resolve_attribute(attribute.key);
        let local = local.as_ref();
        let name = match namespace {
            ResolveResult::Unbound => ATTRIBUTES
                .iter()
                .chain(PROPERTIES)
                .chain(&["href", "style"])
                .find(|name| name.as_bytes() == local),
            ResolveResult::Bound(namespace) if namespace.as_ref() == XLINK_NS => {
                (local == b"href").then_some(&"href")
            }
            _ => None,
        };
        let Some(&name) = name else { continue };
        if written.contains(&name) {
            continue;
        }
        let Ok(value) = attribute.decode_and_unescape_value(reader.decoder()) else {
            continue;
        };
        let value = match name {
            "href" if HREF_ELEMENTS.contains(&element) => local_fragment(&value),
            "href" => None,
            "style" => clean_style(&value),
            _ => is_safe_value(&value).then(|| value.into_owned()),
        };
        if let Some(value) = value {
            tag.push_str(&format!(" {name}=\"{}\"", escape(value.as_str())));
            written.push(name);
        }
    }
    tag
}

/// The sanitised document, or `None` when `bytes` are not an SVG document
/// (malformed XML, or a root element other than `svg`).
pub fn sanitise(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = NsReader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut out = String::new();
    let mut stack: Vec<Frame> = Vec::new();
    // Elements open inside a dropped one (itself included).
    let mut dropped = 0_usize;
    let mut saw_root = false;
    loop {
        let event = reader.read_event().ok()?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Eof => break,
            Event::Start(start) | Event::Empty(start) => {
                let root = stack.is_empty();
                if root && saw_root {
                    return None;
                }
                let frame = if dropped > 0 {
                    Frame::Dropped
                } else {
                    frame_of(&reader, &start)
                };
                if root {
                    if !matches!(frame, Frame::Kept("svg")) {
                        return None;
                    }
                    saw_root = true;
                }
                if let Frame::Kept(element) = frame {
                    out.push_str(&open_tag(&reader, &start, element, root));
                    out.push_str(if empty { "/>" } else { ">" });
                }
                if !empty {
                    if matches!(frame, Frame::Dropped) {
                        dropped += 1;
                    }
                    stack.push(frame);
                }
            }
            Event::End(_) => match stack.pop()? {
                Frame::Kept(element) => out.push_str(&format!("</{element}>")),
                Frame::Unwrapped => {}
                Frame::Dropped => dropped -= 1,
            },
            Event::Text(text) if dropped == 0 && !stack.is_empty() => {
                let text = text.decode().ok()?;
                push_text(&mut out, &stack, &text);
            }
            Event::CData(data) if dropped == 0 && !stack.is_empty() => {
                let text = data.decode().ok()?;
                push_text(&mut out, &stack, &text);
            }
            Event::GeneralRef(reference) if dropped == 0 && !stack.is_empty() => {
                let character = match reference.resolve_char_ref().ok()? {
                    Some(character) => Some(character.to_string()),
                    None => resolve_predefined_entity(&reference.decode().ok()?).map(str::to_owned),
                };
                // An entity nobody defined (doctypes are dropped) is left out.
                if let Some(character) = character {
                    push_text(&mut out, &stack, &character);
                }
            }
            // Declarations, doctypes, comments and processing instructions
            // are left out.
            _ => {}
        }
    }
    (saw_root && stack.is_empty()).then(|| out.into_bytes())
}

/// Writes `text` escaped when the nearest kept element holds text, or when
/// it is only whitespace (layout between elements).
fn push_text(out: &mut String, stack: &[Frame], text: &str) {
    let holder = stack.iter().rev().find_map(|frame| match frame {
        Frame::Kept(element) => Some(*element),
        _ => None,
    });
    let holds_text = holder.is_some_and(|element| TEXT_ELEMENTS.contains(&element));
    if holds_text || text.chars().all(char::is_whitespace) {
        out.push_str(&escape(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean_text(svg: &str) -> String {
        String::from_utf8(sanitise(svg.as_bytes()).expect("an svg")).expect("utf-8")
    }

    /// The element names of `document`, and every attribute name, decoded
    /// attribute value and decoded text, compacted as a browser would read
    /// a URL (no whitespace or control characters, lower case).
    fn decoded_parts(document: &str) -> (Vec<String>, Vec<String>) {
        let mut reader = NsReader::from_reader(document.as_bytes());
        let mut elements = Vec::new();
        let mut parts = Vec::new();
        loop {
            match reader.read_event().expect("the output is well-formed XML") {
                Event::Eof => break,
                Event::Start(start) | Event::Empty(start) => {
                    elements.push(compact(&String::from_utf8_lossy(start.name().as_ref())));
                    for attribute in start.attributes() {
                        let attribute = attribute.expect("a well-formed attribute");
                        if attribute.key.as_ref() == b"xmlns" {
                            continue;
                        }
                        parts.push(compact(&String::from_utf8_lossy(attribute.key.as_ref())));
                        let value = attribute
                            .decode_and_unescape_value(reader.decoder())
                            .expect("only predefined entities");
                        parts.push(compact(&value));
                    }
                }
                Event::Text(text) => parts.push(compact(&text.decode().expect("utf-8"))),
                Event::GeneralRef(reference) => {
                    let name = reference.decode().expect("utf-8").into_owned();
                    assert!(
                        reference.is_char_ref() || resolve_predefined_entity(&name).is_some(),
                        "undefined entity {name} in {document}"
                    );
                }
                _ => {}
            }
        }
        (elements, parts)
    }

    /// Asserts that, decoded, `out` holds no script, handler, animation,
    /// style, foreign content or outside reference.
    fn assert_inert(out: &str) {
        let (elements, parts) = decoded_parts(out);
        for element in &elements {
            assert!(
                ELEMENTS.iter().any(|kept| kept.to_lowercase() == *element),
                "<{element}> left in {out}"
            );
        }
        for part in &parts {
            for banned in [
                "javascript",
                "script:",
                "alert",
                "data:",
                "http",
                "evil",
                "@import",
            ] {
                assert!(!part.contains(banned), "{banned} left in {part:?}: {out}");
            }
            assert!(!part.starts_with("on"), "handler {part:?} left in {out}");
        }
    }

    #[test]
    fn scripts_handlers_and_external_references_are_removed() {
        let out = clean_text(
            r##"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]>
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">
              <script>alert(1)</script><SCRIPT>alert(2)</SCRIPT>
              <foreignObject><div>hi</div></foreignObject>
              <image href="https://evil.example/x.png"/>
              <a xlink:href="javascript:alert(3)"><text>link &x;</text></a>
              <use href="#dot"/><use xlink:href="https://evil.example/s.svg#a"/>
              <rect style="fill:url(https://evil.example/f)" width="1"/>
              <style>@import url(https://evil.example/c.css);</style>
              <circle id="dot" cx="5" cy="5" r="4" fill="url(#grad)" onclick="steal()"/>
            </svg>"##,
        );
        assert_inert(&out);
        assert!(!out.contains("ENTITY") && !out.contains("boom"), "{out}");
        assert!(
            out.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg">"#),
            "{out}"
        );
        assert!(
            out.contains(r##"<circle id="dot" cx="5" cy="5" r="4" fill="url(#grad)"/>"##),
            "{out}"
        );
        assert!(out.contains(r##"<use href="#dot"/>"##), "{out}");
        assert!(out.contains(r#"<rect width="1"/>"#), "{out}");
        assert!(out.contains("<text>link </text>"), "{out}");
    }

    #[test]
    fn encoded_javascript_in_animations_and_links_does_not_survive() {
        let out = clean_text(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\
               <a id=\"l\">\
                 <animate attributeName=\"href\" values=\"jav&#x61;script:alert(1)\"/>\
                 <animate attributeName=\"href\" values=\"jav&#x09;ascript:alert(2)\"/>\
                 <animate attributeName=\"xlink:href\" values=\"java\tscript:alert(3)\" begin=\"0s\" onbegin=\"alert(4)\"/>\
                 <set attributeName=\"href\" to=\"&#106;avascript:alert(5)\"/>\
                 <set attributeName=\"href\" to=\"java&#9;script:alert(6)\"/>\
                 <animateMotion path=\"M0 0\"/><animateTransform attributeName=\"transform\" type=\"rotate\"/>\
                 <discard begin=\"1s\"/>\
                 <rect width=\"10\" height=\"10\"/>\
               </a>\
               <a xlink:href=\"jav&#x09;ascript:alert(7)\"><circle r=\"2\"/></a>\
               <use href=\"jav&#x61;script:alert(8)\"/>\
               <use xlink:href=\"  &#x23;shape\"/>\
               <rect fill=\"url(java&#x09;script:alert(9))\" stroke=\"url(&quot;#ok&quot;)\" width=\"1\"/>\
               <rect style=\"fill:url(&quot;javascript:alert(10)&quot;);stroke:red\" width=\"2\"/>\
               <rect style=\"fill:u\\72l(https://evil.example/x)\" width=\"3\"/>\
             </svg>",
        );
        assert_inert(&out);
        assert!(
            out.contains(r#"<rect width="10" height="10"/>"#),
            "the drawing inside the link is kept: {out}"
        );
        assert!(out.contains(r#"<circle r="2"/>"#), "{out}");
        assert!(out.contains(r##"<use href="#shape"/>"##), "{out}");
        assert!(
            out.contains(r##"<rect stroke="url(&quot;#ok&quot;)" width="1"/>"##),
            "{out}"
        );
        assert!(
            out.contains(r#"<rect style="stroke:red" width="2"/>"#),
            "{out}"
        );
        assert!(out.contains(r#"<rect width="3"/>"#), "{out}");
    }

    #[test]
    fn styles_foreign_content_data_urls_and_other_namespaces_are_removed() {
        let out = clean_text(
            r##"<svg:svg xmlns:svg="http://www.w3.org/2000/svg" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:xlink="http://www.w3.org/1999/xlink">
              <svg:style>rect { fill: url(javascript:alert(1)) }</svg:style>
              <svg:defs><svg:style type="text/css"><![CDATA[ @import url(https://evil.example/a.css); ]]></svg:style></svg:defs>
              <svg:foreignObject><h:iframe src="javascript:alert(2)"/></svg:foreignObject>
              <h:script>alert(3)</h:script>
              <svg:use href="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDQpPC9zY3JpcHQ+PC9zdmc+#x"/>
              <svg:use xlink:href="https://evil.example/sprite.svg#icon"/>
              <svg:image xlink:href="data:image/png;base64,AAAA"/>
              <svg:rect width="4" height="4" transform="rotate(45)" fill="rgb(1,2,3)" filter="url(https://evil.example/f#x)"/>
              <svg:g ONLOAD="alert(5)" onmouseover="alert(6)" xml:base="https://evil.example/"><svg:title>A &amp; B &lt;3</svg:title></svg:g>
              <svg:text x="1">Hi &#x26; bye<svg:tspan>!</svg:tspan></svg:text>
            </svg:svg>"##,
        );
        assert_inert(&out);
        assert!(
            out.contains(
                r#"<rect width="4" height="4" transform="rotate(45)" fill="rgb(1,2,3)"/>"#
            ),
            "{out}"
        );
        assert!(out.contains("<title>A &amp; B &lt;3</title>"), "{out}");
        assert!(
            out.contains(r#"<text x="1">Hi &amp; bye<tspan>!</tspan></text>"#),
            "{out}"
        );
        assert!(!out.contains("<use href"), "{out}");
    }

    #[test]
    fn a_static_drawing_keeps_its_shapes_gradients_and_references() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1" gradientUnits="objectBoundingBox"><stop offset="0" stop-color="#fff"/><stop offset="1" style="stop-color:#000;stop-opacity:0.5"/></linearGradient><radialGradient id="h" href="#g" cx="0.5" cy="0.5" r="0.5"/><clipPath id="c"><circle cx="16" cy="16" r="15"/></clipPath><symbol id="s" viewBox="0 0 2 2"><path d="M0 0L2 2Z" stroke="#123" stroke-width="0.1"/></symbol></defs><g clip-path="url(#c)" opacity="0.9"><rect width="32" height="32" fill="url(#g)"/><ellipse cx="8" cy="8" rx="4" ry="2" fill="url(#h)"/><polygon points="0,0 4,0 2,3"/><polyline points="1,1 2,2" fill="none"/><line x1="0" y1="0" x2="3" y2="3" stroke="black"/><use href="#s" x="4" y="4" width="8" height="8"/></g></svg>"##;
        assert_eq!(clean_text(svg), svg);
    }

    #[test]
    fn only_svg_documents_are_accepted() {
        assert!(sanitise(b"<html><body/></html>").is_none());
        assert!(sanitise(b"<svg><g></svg>").is_none());
        assert!(sanitise(b"not xml at all").is_none());
        assert!(sanitise(b"<svg/><svg/>").is_none());
        assert!(sanitise(br#"<x:svg xmlns:x="http://www.w3.org/1999/xhtml"/>"#).is_none());
        assert!(sanitise(br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#).is_some());
    }
}
