//! The sealed scan of a form (PDF, PNG or JPEG), checked before it is stored: [`check_scan`] takes
//! the bytes as uploaded and says what they are, or why they cannot be a scan.
//!
//! The kind comes from the first bytes, never from the file name. Then the file must really be
//! one: a PDF is parsed (lopdf, each stream it decodes while loading bounded by
//! [`MAX_PDF_STREAM_BYTES`]) and must have a page and no active content — no JavaScript (`/JS`,
//! `/JavaScript`, whether in `/OpenAction`, an `/AA` additional action, a link or the name tree),
//! no `/Launch` action, no embedded file (`/EmbeddedFile(s)`, `/EF`), no XFA form — looked for in
//! every object the file holds and, as a second net, in its raw bytes. An image is decoded in
//! full (the `image` crate, PNG and JPEG only) within [`MAX_SCAN_PIXELS`] and
//! [`MAX_DECODE_BYTES`]. Nothing here panics on input; every refusal is a Chinese sentence that
//! says what would be accepted.

use std::io::Cursor;

use lopdf::{Dictionary, Document, LoadOptions, Object};

/// A 1×1 PNG that passes [`check_scan`]: the demo's "sealed scan", and the tests'.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The largest scan accepted, in bytes.
pub const MAX_SCAN_BYTES: usize = 20 * 1024 * 1024;

/// The most any one stream of a PDF may decompress to while it is loaded (object and
/// cross-reference streams): far above what a scan's object streams need.
pub const MAX_PDF_STREAM_BYTES: usize = 16 * 1024 * 1024;

/// The most pixels an image scan may have: an A4 page at 600 dpi is about 35 million.
pub const MAX_SCAN_PIXELS: u64 = 50_000_000;

/// The most memory decoding one image may take.
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// What a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanKind {
    Pdf,
    Png,
    Jpeg,
}

impl ScanKind {
    /// The content type it is stored and served with.
    pub fn content_type(self) -> &'static str {
        match self {
            ScanKind::Pdf => "application/pdf",
            ScanKind::Png => "image/png",
            ScanKind::Jpeg => "image/jpeg",
        }
    }

    /// The kind by the first bytes, `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<ScanKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(ScanKind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ScanKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ScanKind::Jpeg)
        } else {
            None
        }
    }
}

/// Why bytes are not an acceptable scan. `Display` is the Chinese reason (the caller adds the
/// file name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("是空文件，请重新选择扫描件")]
    Empty,
    #[error("超过 {} MB，请降低扫描分辨率后重新上传", MAX_SCAN_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("不是 PDF、JPG 或 PNG 文件（按文件内容识别，与扩展名无关）；请上传盖章后的扫描件")]
    NotAScan,
    #[error(
        "以 PDF 文件头开始，但无法按 PDF 读取（文件已损坏，或并非 PDF）；请用扫描仪或「打印为 PDF」重新生成后上传"
    )]
    PdfUnreadable,
    #[error("是没有任何页面的 PDF；请上传含盖章页的扫描件")]
    PdfNoPages,
    #[error(
        "含有{0}，不能作为盖章扫描件；请上传扫描仪生成的 PDF，或用「打印为 PDF」另存一份不含脚本与附件的 PDF 后上传"
    )]
    PdfActive(&'static str),
    #[error("无法按 {0} 图片完整解码（文件不完整或已损坏）；请重新扫描或另存后上传")]
    ImageUnreadable(&'static str),
    #[error(
        "图片尺寸过大（{width} × {height} 像素），超过 {} 万像素的上限；请以 300 dpi 左右重新扫描后上传",
        MAX_SCAN_PIXELS / 10_000
    )]
    ImageTooLarge { width: u32, height: u32 },
}

/// Checks an uploaded scan (see the module docs): its kind, or why it is refused.
pub fn check_scan(bytes: &[u8]) -> Result<ScanKind, ScanError> {
    if bytes.is_empty() {
        return Err(ScanError::Empty);
    }
    if bytes.len() > MAX_SCAN_BYTES {
        return Err(ScanError::TooLarge);
    }
    let kind = ScanKind::sniff(bytes).ok_or(ScanError::NotAScan)?;
    match kind {
        ScanKind::Pdf => check_pdf(bytes)?,
        ScanKind::Png => check_image(bytes, image::ImageFormat::Png, "PNG")?,
        ScanKind::Jpeg => check_image(bytes, image::ImageFormat::Jpeg, "JPG")?,
    }
    Ok(kind)
}

/// What active content is called in the refusal.
const JAVASCRIPT: &str = " JavaScript 脚本";
const LAUNCH: &str = "启动外部程序的动作（/Launch）";
const EMBEDDED: &str = "嵌入的文件（附件）";
const XFA: &str = " XFA 动态表单";

/// Raw byte patterns of active content, for objects a loader might not reach (outside the
/// cross-reference table). Long enough never to occur by chance in image data.
const RAW_PATTERNS: &[(&[u8], &str)] = &[
    (b"/JavaScript", JAVASCRIPT),
    (b"/Launch", LAUNCH),
    (b"/EmbeddedFile", EMBEDDED),
    (b"/XFA", XFA),
];

fn check_pdf(bytes: &[u8]) -> Result<(), ScanError> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_PDF_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let doc =
        Document::load_mem_with_options(bytes, options).map_err(|_| ScanError::PdfUnreadable)?;
    if let Some(what) = active_content(&doc) {
        return Err(ScanError::PdfActive(what));
    }
    for (pattern, what) in RAW_PATTERNS {
        if memchr::memmem::find(bytes, pattern).is_some() {
            return Err(ScanError::PdfActive(what));
        }
    }
    if doc.get_pages().is_empty() {
        return Err(ScanError::PdfNoPages);
    }
    Ok(())
}

/// A dictionary key that makes a PDF active.
fn active_key(key: &[u8]) -> Option<&'static str> {
    match key {
        b"JS" | b"JavaScript" => Some(JAVASCRIPT),
        b"EmbeddedFile" | b"EmbeddedFiles" | b"EF" => Some(EMBEDDED),
        b"XFA" => Some(XFA),
        b"Launch" => Some(LAUNCH),
        _ => None,
    }
}

/// A name value that makes a PDF active (`/S /JavaScript`, `/S /Launch`, `/Type /EmbeddedFile`).
fn active_name(name: &[u8]) -> Option<&'static str> {
    match name {
        b"JavaScript" => Some(JAVASCRIPT),
        b"Launch" => Some(LAUNCH),
        b"EmbeddedFile" | b"EmbeddedFiles" => Some(EMBEDDED),
        b"XFA" => Some(XFA),
        _ => None,
    }
}

/// The first active content in any object of `doc` or its trailer. Walks every object without
/// following references (each indirect object is visited on its own), with an explicit stack, so
/// neither a reference cycle nor deep nesting can make it loop or overflow.
fn active_content(doc: &Document) -> Option<&'static str> {
    let mut stack: Vec<&Object> = doc.objects.values().collect();
    if let Some(what) = active_dict(&doc.trailer, &mut stack) {
        return Some(what);
    }
    while let Some(object) = stack.pop() {
        let found = match object {
            Object::Dictionary(d) => active_dict(d, &mut stack),
            Object::Stream(s) => active_dict(&s.dict, &mut stack),
            Object::Array(items) => {
                stack.extend(items.iter());
                None
            }
            Object::Name(name) => active_name(name),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn active_dict<'a>(dict: &'a Dictionary, stack: &mut Vec<&'a Object>) -> Option<&'static str> {
    for (key, value) in dict.iter() {
        if let Some(what) = active_key(key) {
            return Some(what);
        }
        stack.push(value);
    }
    None
}

fn check_image(
    bytes: &[u8],
    format: image::ImageFormat,
    label: &'static str,
) -> Result<(), ScanError> {
    let unreadable = || ScanError::ImageUnreadable(label);
    let (width, height) = image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| unreadable())?;
    if u64::from(width) * u64::from(height) > MAX_SCAN_PIXELS {
        return Err(ScanError::ImageTooLarge { width, height });
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    reader.decode().map_err(|_| unreadable())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_png_is_a_scan() {
        assert_eq!(check_scan(TINY_PNG), Ok(ScanKind::Png));
        assert!(check_scan(&TINY_PNG[..TINY_PNG.len() - 12]).is_err());
    }

    #[test]
    fn kinds_come_from_the_content() {
        assert_eq!(ScanKind::sniff(b"%PDF-1.7\n"), Some(ScanKind::Pdf));
        assert_eq!(ScanKind::sniff(b"\x89PNG\r\n\x1a\n"), Some(ScanKind::Png));
        assert_eq!(
            ScanKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ScanKind::Jpeg)
        );
        assert_eq!(ScanKind::sniff(b"GIF89a"), None);
        assert_eq!(check_scan(b""), Err(ScanError::Empty));
        assert_eq!(check_scan(b"<html>"), Err(ScanError::NotAScan));
        assert_eq!(
            check_scan(&vec![b'%'; MAX_SCAN_BYTES + 1]),
            Err(ScanError::TooLarge)
        );
    }
}
