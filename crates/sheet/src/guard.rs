//! The hostile-file guard: limits, content sniffing, the zip directory check and a bounded
//! decompression pass, run before any parser sees a byte.
//!
//! calamine has no decompression limit and allocates sparse sheets densely, so a 500 KB upload can
//! otherwise claim gigabytes. Everything here reads the file by its content, never by its name,
//! and keeps memory bounded whatever the file declares about itself.

use std::fmt;
use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// Decompressed entries smaller than this are never refused for their compression ratio: small
/// XML parts of real files (styles, an empty sheet) compress very well.
const RATIO_FLOOR: u64 = MIB;

/// How much of a file the reader may use. Every limit is a refusal, never a silent truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file accepted (bytes as uploaded).
    pub max_file_bytes: u64,
    /// The most entries a zip container (xlsx, docx) may hold.
    pub max_zip_entries: usize,
    /// The largest decompressed size of one zip entry.
    pub max_entry_bytes: u64,
    /// The largest decompressed size of all entries together.
    pub max_total_bytes: u64,
    /// The highest compression ratio (uncompressed / compressed) of an entry larger than 1 MiB.
    pub max_ratio: u64,
    /// Rows per sheet: a declared dimension or a cell beyond this is refused.
    pub max_rows: u32,
    /// Columns per sheet.
    pub max_cols: u32,
    /// Non-empty cells in the whole file (for `.xls`, also the dense area calamine allocates).
    pub max_cells: usize,
    /// Cells filled by merged areas, in the whole file.
    pub max_merge_cells: u64,
    /// Bytes of text copied into merged cells, in the whole file (a long text merged over many
    /// cells would otherwise multiply itself).
    pub max_merge_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 20 * MIB,
            max_zip_entries: 1000,
            max_entry_bytes: 64 * MIB,
            max_total_bytes: 256 * MIB,
            max_ratio: 200,
            max_rows: 100_000,
            max_cols: 1024,
            max_cells: 2_000_000,
            max_merge_cells: 100_000,
            max_merge_bytes: 64 * MIB,
        }
    }
}

/// The kinds of file the reader accepts, decided by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Xlsx,
    Xls,
    Ods,
    Docx,
}

impl FileKind {
    /// The kind as users know it.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Xlsx => "Excel 工作簿（.xlsx）",
            FileKind::Xls => "Excel 97-2003 工作簿（.xls）",
            FileKind::Ods => "OpenDocument 表格（.ods）",
            FileKind::Docx => "Word 文档（.docx）",
        }
    }
}

/// A file that could not be read, and why. `Display` is the message shown to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The file as the user named it (upload name or path as given).
    pub file: String,
    pub reason: Reason,
}

impl ReadError {
    pub fn new(file: impl Into<String>, reason: Reason) -> ReadError {
        ReadError {
            file: file.into(),
            reason,
        }
    }
}

/// Why a file could not be read. `Display` says why and what would be accepted, without the file
/// name (which [`ReadError`] adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The file is larger than [`Limits::max_file_bytes`].
    TooLarge { bytes: u64, max: u64 },
    /// The file has no content.
    Empty,
    /// Not an xlsx, xls, ods or docx file; the text says what it is instead.
    NotSupported(String),
    /// Password-protected (an encrypted OOXML package, or an xls with a FILEPASS record).
    Encrypted,
    /// The zip container would decompress beyond the limits; the text gives the numbers.
    ZipBomb(String),
    /// A sheet (or the document) is larger than the limits; the text names the sheet.
    SheetTooLarge(String),
    /// The file is damaged or malformed; the text says where.
    Corrupt(String),
    /// The file could not be opened or read from disk.
    Io(String),
    /// The file was read, but no recommendation form was found in it (produced by the caller).
    NoForm,
    /// A header row was found but its columns cannot be told; the text names the rows and texts.
    Header(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::TooLarge { bytes, max } => write!(
                f,
                "文件大小 {}，超过上限 {}；请删除无关的工作表和图片后另存，或只提交推荐表",
                size(*bytes),
                size(*max)
            ),
            Reason::Empty => write!(f, "文件是空的（0 字节）；请重新保存推荐表后提交"),
            Reason::NotSupported(what) => {
                write!(f, "{what}；请提交 .xlsx、.xls、.ods 或 .docx 格式的推荐表")
            }
            Reason::Encrypted => write!(
                f,
                "文件已加密（设置了打开密码）；请在 Excel 中（Word 文档则在 Word 中）取消密码后另存再提交"
            ),
            Reason::ZipBomb(what) => write!(
                f,
                "压缩包内容异常（{what}）；请用 Excel 或 Word 打开后重新另存再提交"
            ),
            Reason::SheetTooLarge(what) => write!(
                f,
                "{what}；请删除多余的行、列和工作表（只保留推荐表）后另存再提交"
            ),
            Reason::Corrupt(what) => write!(
                f,
                "文件已损坏或格式不规范（{what}）；请用 Excel 或 Word 打开后另存为 .xlsx 或 .docx 再提交"
            ),
            Reason::Io(what) => write!(f, "打开或读取文件失败（{what}）；请检查文件路径和权限"),
            Reason::Header(what) => write!(
                f,
                "{what}；请使用通知附件中推荐表模板的列名（表头可占一行或两行）后再提交"
            ),
            Reason::NoForm => write!(
                f,
                "未找到推荐表表头（序号、批次、姓名…）；请使用通知附件中的推荐表模板填写"
            ),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            Reason::NoForm => write!(f, "文件「{}」中{}", self.file, self.reason),
            _ => write!(f, "文件「{}」无法读取：{}", self.file, self.reason),
        }
    }
}

impl std::error::Error for ReadError {}

/// A byte count for messages: "20 MB", "1.5 MB", "300 KB", "12 字节".
pub(crate) fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    if bytes >= MIB {
        if bytes.is_multiple_of(MIB) {
            format!("{} MB", bytes / MIB)
        } else {
            format!("{:.1} MB", bytes as f64 / MIB as f64)
        }
    } else if bytes >= KIB {
        format!("{} KB", bytes.div_ceil(KIB))
    } else {
        format!("{bytes} 字节")
    }
}

/// Runs a parser call, turning a panic inside a third-party parser into [`Reason::Corrupt`].
pub(crate) fn no_panic<T>(what: &str, f: impl FnOnce() -> Result<T, Reason>) -> Result<T, Reason> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(_) => Err(Reason::Corrupt(format!("{what}时解析器无法处理文件内容"))),
    }
}

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_MAGICS: [&[u8]; 3] = [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"];

/// The kind of file, by content only (the name's extension is never looked at).
///
/// An OLE compound file is `.xls` when it holds a `Workbook` (or BIFF5 `Book`) stream; a zip is
/// `.xlsx` when it holds `xl/workbook.xml`, `.docx` when it holds `word/document.xml` and `.ods`
/// when its `mimetype` says OpenDocument spreadsheet (an `.ods` whose manifest declares encrypted
/// parts is refused as encrypted). Anything else — including a password-protected xlsx/docx, which
/// is an OLE file holding `EncryptionInfo`/`EncryptedPackage` — is `None`;
/// [`crate::read::read_grids`] says why.
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    identify(bytes, &Limits::default()).ok()
}

/// [`sniff`] with the reason when the answer is no.
pub(crate) fn identify(bytes: &[u8], limits: &Limits) -> Result<FileKind, Reason> {
    if bytes.starts_with(&OLE_MAGIC) {
        return identify_ole(bytes);
    }
    if ZIP_MAGICS.iter().any(|m| bytes.starts_with(m)) {
        return identify_zip(bytes, limits);
    }
    Err(Reason::NotSupported(describe_other(bytes).to_string()))
}

fn identify_ole(bytes: &[u8]) -> Result<FileKind, Reason> {
    let opened = no_panic("识别文件类型", || {
        cfb::CompoundFile::open(Cursor::new(bytes))
            .map_err(|e| Reason::Corrupt(format!("OLE 复合文件结构损坏：{e}")))
    });
    let Ok(cf) = opened else {
        // An OLE file whose directory cannot be read: the xls reader reports it as damaged.
        return Ok(FileKind::Xls);
    };
    if cf.exists("EncryptionInfo") || cf.exists("EncryptedPackage") {
        return Err(Reason::Encrypted);
    }
    if cf.is_stream("Workbook") || cf.is_stream("Book") {
        return Ok(FileKind::Xls);
    }
    if cf.exists("WordDocument") {
        return Err(Reason::NotSupported(
            "这是旧版 Word 文档（.doc），无法读取其中的表格（可在 Word 中另存为 .docx）".into(),
        ));
    }
    if cf.exists("PowerPoint Document") {
        return Err(Reason::NotSupported(
            "这是 PowerPoint 演示文稿，不是 Excel 或 Word 文件".into(),
        ));
    }
    Err(Reason::NotSupported(
        "这是其他程序的旧格式文件，不是 Excel 或 Word 文件".into(),
    ))
}

fn identify_zip(bytes: &[u8], limits: &Limits) -> Result<FileKind, Reason> {
    check_eocd_entries(bytes, limits)?;
    let archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Reason::Corrupt(format!("压缩包结构损坏：{e}")))?;
    let mut names = Vec::new();
    for name in archive.file_names_raw() {
        names.push(
            String::from_utf8_lossy(name)
                .replace('\\', "/")
                .to_lowercase(),
        );
    }
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("xl/workbook.xml") {
        Ok(FileKind::Xlsx)
    } else if has("word/document.xml") {
        Ok(FileKind::Docx)
    } else if has("xl/workbook.bin") {
        Err(Reason::NotSupported(
            "这是 Excel 二进制工作簿（.xlsb），暂不支持（可在 Excel 中另存为 .xlsx）".into(),
        ))
    } else if has("content.xml") || has("mimetype") {
        identify_odf(archive, limits)
    } else if has("ppt/presentation.xml") {
        Err(Reason::NotSupported(
            "这是 PowerPoint 演示文稿，不是 Excel 或 Word 文件".into(),
        ))
    } else {
        Err(Reason::NotSupported(
            "这是 zip 压缩包，不是 Excel 或 Word 文件（请解压后提交其中的推荐表）".into(),
        ))
    }
}

/// The longest `mimetype` and `META-INF/manifest.xml` read to tell an OpenDocument file's kind.
const ODF_HEAD_BYTES: u64 = 256;

/// An OpenDocument package: a spreadsheet (`.ods`, or its template `.ots`) is read unless its
/// manifest declares encrypted parts; a text document or anything else is refused by name.
fn identify_odf(
    mut archive: zip::ZipArchive<Cursor<&[u8]>>,
    limits: &Limits,
) -> Result<FileKind, Reason> {
    let mut mimetype = String::new();
    if let Ok(entry) = archive.by_name("mimetype") {
        let mut head = Vec::new();
        entry
            .take(ODF_HEAD_BYTES)
            .read_to_end(&mut head)
            .map_err(|e| Reason::Corrupt(format!("无法解压「mimetype」：{e}")))?;
        mimetype = String::from_utf8_lossy(&head).trim().to_string();
    }
    if manifest_declares_encryption(&mut archive, limits)? {
        return Err(Reason::Encrypted);
    }
    match mimetype.strip_prefix("application/vnd.oasis.opendocument.") {
        Some("spreadsheet" | "spreadsheet-template") => Ok(FileKind::Ods),
        Some("text" | "text-template") => Err(Reason::NotSupported(
            "这是 OpenDocument 文本文档（.odt），无法读取其中的表格（可在 WPS 或 LibreOffice 中另存为 .docx）".into(),
        )),
        Some("presentation" | "presentation-template") => Err(Reason::NotSupported(
            "这是 OpenDocument 演示文稿（.odp），不是表格或文档".into(),
        )),
        _ if archive.index_for_name("content.xml").is_some() => Err(Reason::NotSupported(
            "这是其他类型的 OpenDocument 文件，不是表格（可在 WPS 或 LibreOffice 中另存为 .xlsx）".into(),
        )),
        _ => Err(Reason::NotSupported(
            "这是 zip 压缩包，不是 Excel 或 Word 文件（请解压后提交其中的推荐表）".into(),
        )),
    }
}

/// True when `META-INF/manifest.xml` has an `encryption-data` element (a password-protected
/// OpenDocument file). The manifest is decompressed within the per-entry limit.
fn manifest_declares_encryption(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    limits: &Limits,
) -> Result<bool, Reason> {
    let Some(index) = archive.index_for_name("META-INF/manifest.xml") else {
        return Ok(false);
    };
    let entry = archive
        .by_index(index)
        .map_err(|e| Reason::Corrupt(format!("无法解压「META-INF/manifest.xml」：{e}")))?;
    let mut bounded = entry.take(limits.max_entry_bytes.saturating_add(1));
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    let mut produced: u64 = 0;
    const NEEDLE: &[u8] = b"encryption-data";
    loop {
        let n = bounded
            .read(&mut buf)
            .map_err(|e| Reason::Corrupt(format!("无法解压「META-INF/manifest.xml」：{e}")))?;
        if n == 0 {
            return Ok(false);
        }
        produced = produced.saturating_add(n as u64);
        if produced > limits.max_entry_bytes {
            return Err(Reason::ZipBomb(format!(
                "「META-INF/manifest.xml」解压后超过单个文件上限 {}",
                size(limits.max_entry_bytes)
            )));
        }
        carry.extend_from_slice(buf.get(..n).unwrap_or_default());
        if memchr::memmem::find(&carry, NEEDLE).is_some() {
            return Ok(true);
        }
        let keep = carry.len().saturating_sub(NEEDLE.len());
        carry.drain(..keep);
    }
}

/// What a file that is neither OLE nor zip looks like, for the message.
fn describe_other(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(512)];
    let lower = String::from_utf8_lossy(head).to_lowercase();
    let trimmed = lower.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with(b"%PDF") {
        "这是 PDF 文件，不是 Excel 或 Word 文件"
    } else if head.starts_with(b"\x89PNG")
        || head.starts_with(b"\xFF\xD8\xFF")
        || head.starts_with(b"GIF8")
        || head.starts_with(b"BM")
    {
        "这是图片，不是 Excel 或 Word 文件（扫描件不能代替推荐表电子版）"
    } else if head.starts_with(b"Rar!") || head.starts_with(b"7z\xBC\xAF\x27\x1C") {
        "这是 rar/7z 压缩包，不是 Excel 或 Word 文件（请解压后提交其中的推荐表）"
    } else if head.starts_with(b"{\\rtf") {
        "这是 RTF 文档，不是 Excel 或 Word 文件（可在 Word 中另存为 .docx）"
    } else if trimmed.starts_with("<html")
        || trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<?xml")
        || trimmed.starts_with("<table")
    {
        "这是网页或 XML 格式的表格（常见于系统导出的“伪 xls”），不是真正的 Excel 文件（可在 Excel 中另存为 .xlsx）"
    } else if looks_like_text(head) {
        "这是纯文本文件（如 CSV、TXT），不是 Excel 或 Word 文件（可在 Excel 中另存为 .xlsx）"
    } else {
        "文件内容无法识别，不是 Excel 或 Word 文件"
    }
}

fn looks_like_text(head: &[u8]) -> bool {
    // UTF-8 (allowing a cut multi-byte character at the end) or GBK-like bytes without controls.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    let controls = head
        .iter()
        .filter(|b| **b < 0x20 && !matches!(**b, b'\t' | b'\n' | b'\r'))
        .count();
    (valid || head.iter().any(|b| *b >= 0x80)) && controls == 0
}

/// Reads the entry count from the end-of-central-directory record before the zip crate builds
/// its index (which allocates per entry).
fn check_eocd_entries(bytes: &[u8], limits: &Limits) -> Result<(), Reason> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const EOCD_LEN: usize = 22;
    if bytes.len() < EOCD_LEN {
        return Ok(());
    }
    let earliest = bytes.len().saturating_sub(EOCD_LEN + usize::from(u16::MAX));
    let mut at = bytes.len() - EOCD_LEN;
    loop {
        if bytes.get(at..at + 4) == Some(EOCD) {
            let total = bytes
                .get(at + 10..at + 12)
                .map(|b| u16::from_le_bytes([b[0], b[1]]));
            // 0xFFFF means "see the zip64 record"; the zip crate's count is checked later.
            if let Some(total) = total.filter(|t| *t != u16::MAX)
                && usize::from(total) > limits.max_zip_entries
            {
                return Err(too_many_entries(usize::from(total), limits));
            }
            return Ok(());
        }
        if at == earliest {
            return Ok(());
        }
        at -= 1;
    }
}

fn too_many_entries(n: usize, limits: &Limits) -> Reason {
    Reason::ZipBomb(format!(
        "包含 {n} 个文件，超过上限 {} 个",
        limits.max_zip_entries
    ))
}

/// Checks a zip container (xlsx, docx) before any parser opens it.
///
/// First the central directory only: the entry count, each entry's declared uncompressed size,
/// their total and the compression ratio of entries above 1 MiB. Then, because declared sizes can
/// lie, every entry a parser will read (the `.xml` and `.rels` parts) is decompressed into a
/// counting sink through `take(limit + 1)`: memory stays at one buffer, and an entry that
/// produces more than its limit (or more than it declared) is refused as [`Reason::ZipBomb`].
pub fn inspect_zip(bytes: &[u8], limits: &Limits) -> Result<(), Reason> {
    inspect_zip_with(bytes, limits, &mut ())
}

/// Sees the parts [`inspect_zip`] decompresses, as they stream by: a reader that needs something
/// from a part's raw XML takes it here instead of decompressing and parsing the part again.
pub(crate) trait PartSink {
    /// A part starts; its name as the zip crate decodes it (`None` when it cannot).
    fn begin(&mut self, name: Option<&str>);
    /// The next decompressed bytes of the part (never more than the limits allow).
    fn data(&mut self, chunk: &[u8]);
    /// The part was decompressed completely and passed every check.
    fn end(&mut self);
}

impl PartSink for () {
    fn begin(&mut self, _: Option<&str>) {}
    fn data(&mut self, _: &[u8]) {}
    fn end(&mut self) {}
}

/// [`inspect_zip`], showing every part it decompresses to `sink`.
pub(crate) fn inspect_zip_with(
    bytes: &[u8],
    limits: &Limits,
    sink: &mut dyn PartSink,
) -> Result<(), Reason> {
    check_eocd_entries(bytes, limits)?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Reason::Corrupt(format!("压缩包结构损坏：{e}")))?;
    if archive.len() > limits.max_zip_entries {
        return Err(too_many_entries(archive.len(), limits));
    }

    struct Part {
        index: usize,
        name: String,
        compressed: u64,
    }
    let mut parts = Vec::new();
    let mut declared_total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|e| Reason::Corrupt(format!("压缩包目录损坏：{e}")))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if entry.encrypted() {
            return Err(Reason::Encrypted);
        }
        let (declared, compressed) = (entry.size(), entry.compressed_size());
        if declared > limits.max_entry_bytes {
            return Err(Reason::ZipBomb(format!(
                "「{name}」解压后 {}，超过单个文件上限 {}",
                size(declared),
                size(limits.max_entry_bytes)
            )));
        }
        check_ratio(&name, declared, compressed, limits)?;
        declared_total = declared_total.saturating_add(declared);
        if declared_total > limits.max_total_bytes {
            return Err(total_too_large(declared_total, limits));
        }
        let lower = name.to_lowercase();
        if lower.ends_with(".xml") || lower.ends_with(".rels") {
            parts.push(Part {
                index,
                name,
                compressed,
            });
        }
    }

    // The declared sizes passed; now make sure they are true for what the parsers will read.
    let mut actual_total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for part in parts {
        let mut entry = archive
            .by_index(part.index)
            .map_err(|e| Reason::Corrupt(format!("无法解压「{}」：{e}", part.name)))?;
        let declared = entry.size();
        sink.begin(entry.name().ok().as_deref());
        let limit = limits.max_entry_bytes;
        let mut bounded = (&mut entry).take(limit.saturating_add(1));
        let mut produced: u64 = 0;
        loop {
            match bounded.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    produced = produced.saturating_add(n as u64);
                    if actual_total.saturating_add(produced) > limits.max_total_bytes {
                        return Err(total_too_large(actual_total + produced, limits));
                    }
                    if produced <= limit {
                        sink.data(buf.get(..n).unwrap_or_default());
                    }
                }
                Err(e) if produced >= declared || e.to_string().contains("declared") => {
                    // The zip crate stops an entry that grows past its declared size ("File is
                    // larger than its declared uncompressed size").
                    return Err(Reason::ZipBomb(format!(
                        "「{}」解压后的实际大小超过它声明的 {}",
                        part.name,
                        size(declared)
                    )));
                }
                Err(e) => {
                    return Err(Reason::Corrupt(format!("无法解压「{}」：{e}", part.name)));
                }
            }
        }
        if produced > limit {
            return Err(Reason::ZipBomb(format!(
                "「{}」解压后超过单个文件上限 {}",
                part.name,
                size(limit)
            )));
        }
        if produced > declared {
            return Err(Reason::ZipBomb(format!(
                "「{}」解压后的实际大小超过它声明的 {}",
                part.name,
                size(declared)
            )));
        }
        check_ratio(&part.name, produced, part.compressed, limits)?;
        actual_total = actual_total.saturating_add(produced);
        sink.end();
    }
    Ok(())
}

fn check_ratio(
    name: &str,
    uncompressed: u64,
    compressed: u64,
    limits: &Limits,
) -> Result<(), Reason> {
    if uncompressed > RATIO_FLOOR && uncompressed / compressed.max(1) > limits.max_ratio {
        return Err(Reason::ZipBomb(format!(
            "「{name}」压缩比 {}:1，超过上限 {}:1",
            uncompressed / compressed.max(1),
            limits.max_ratio
        )));
    }
    Ok(())
}

fn total_too_large(total: u64, limits: &Limits) -> Reason {
    Reason::ZipBomb(format!(
        "解压后 {}，超过上限 {}",
        size(total),
        size(limits.max_total_bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_say_why_and_what_is_accepted() {
        let e = ReadError::new("a.xlsx", Reason::Encrypted);
        assert_eq!(
            e.to_string(),
            "文件「a.xlsx」无法读取：文件已加密（设置了打开密码）；请在 Excel 中（Word 文档则在 Word 中）取消密码后另存再提交"
        );
        let e = ReadError::new(
            "b.pdf",
            Reason::NotSupported(describe_other(b"%PDF-1.7").into()),
        );
        assert!(
            e.to_string()
                .starts_with("文件「b.pdf」无法读取：这是 PDF 文件")
        );
        assert!(
            e.to_string()
                .ends_with("请提交 .xlsx、.xls、.ods 或 .docx 格式的推荐表")
        );
        let e = ReadError::new(
            "c.xlsx",
            Reason::TooLarge {
                bytes: 25 * MIB + MIB / 2,
                max: 20 * MIB,
            },
        );
        assert!(e.to_string().contains("文件大小 25.5 MB，超过上限 20 MB"));
        let e = ReadError::new("d.docx", Reason::NoForm);
        assert!(
            e.to_string()
                .contains("未找到推荐表表头（序号、批次、姓名…）")
        );
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(12), "12 字节");
        assert_eq!(size(1500), "2 KB");
        assert_eq!(size(256 * MIB), "256 MB");
    }

    #[test]
    fn sniffing_ignores_names_and_recognises_common_wrong_files() {
        assert_eq!(sniff(b"%PDF-1.4 ..."), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(
            describe_other("序号,姓名\n1,张三\n".as_bytes()),
            "这是纯文本文件（如 CSV、TXT），不是 Excel 或 Word 文件（可在 Excel 中另存为 .xlsx）"
        );
        assert!(describe_other(b"<html><table>").contains("网页"));
        assert!(describe_other(&[0u8, 1, 2, 3, 250]).contains("无法识别"));
        assert!(matches!(
            identify(b"PK\x03\x04garbage", &Limits::default()),
            Err(Reason::Corrupt(_))
        ));
    }

    #[test]
    fn the_entry_count_is_read_from_the_end_record() {
        let mut eocd = b"PK\x05\x06".to_vec();
        eocd.extend([
            0, 0, 0, 0, 0x10, 0x27, 0x10, 0x27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        assert!(matches!(
            check_eocd_entries(&eocd, &Limits::default()),
            Err(Reason::ZipBomb(m)) if m.contains("10000 个文件")
        ));
    }
}
