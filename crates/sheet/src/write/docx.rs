//! The official form as a Word document (the notice's attachment is a Word table): title, the header
//! line, the 16-column table (and the 补充信息 columns when asked), footer and note, A4 landscape.

use std::io::{Cursor, Write};

use shuangshi_rules::{Batch, Column};
use zip::write::SimpleFileOptions;

use super::WriteError;
use super::template::{Filled, title};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

/// Escapes text for XML content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn paragraph(text: &str, bold: bool, size_half_points: u32, centered: bool) -> String {
    format!(
        r#"<w:p><w:pPr>{}</w:pPr><w:r><w:rPr><w:rFonts w:eastAsia="宋体"/>{}<w:sz w:val="{size_half_points}"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        if centered {
            r#"<w:jc w:val="center"/>"#
        } else {
            ""
        },
        if bold { "<w:b/>" } else { "" },
        esc(text)
    )
}

fn cell(text: &str, bold: bool) -> String {
    format!(
        r#"<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/></w:tcPr><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr>{}<w:sz w:val="18"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p></w:tc>"#,
        if bold { "<w:b/>" } else { "" },
        esc(text)
    )
}

/// The filled form as a .docx file.
pub fn filled_docx(batch: &Batch, filled: &Filled) -> Result<Vec<u8>, WriteError> {
    let columns: Vec<Column> = if filled.supplementary {
        Column::ALL.to_vec()
    } else {
        Column::OFFICIAL.to_vec()
    };
    let mut body = String::new();
    body.push_str(&paragraph(&title(batch), true, 32, true));
    body.push_str(&paragraph(
        &format!(
            "交流互聘学校（盖章）：{}        交流互聘企业（盖章）：{}",
            filled.school, filled.enterprise
        ),
        false,
        21,
        false,
    ));
    body.push_str(r#"<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders><w:top w:val="single" w:sz="4"/><w:left w:val="single" w:sz="4"/><w:bottom w:val="single" w:sz="4"/><w:right w:val="single" w:sz="4"/><w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/></w:tblBorders></w:tblPr><w:tblGrid>"#);
    for _ in &columns {
        body.push_str("<w:gridCol/>");
    }
    body.push_str("</w:tblGrid><w:tr>");
    for c in &columns {
        body.push_str(&cell(c.template_header(), true));
    }
    body.push_str("</w:tr>");
    for (i, row) in filled.rows.iter().enumerate() {
        body.push_str("<w:tr>");
        for c in &columns {
            let text = if *c == Column::Seq {
                (i + 1).to_string()
            } else {
                row.get(*c).raw.clone()
            };
            body.push_str(&cell(&text, false));
        }
        body.push_str("</w:tr>");
    }
    body.push_str("</w:tbl>");
    body.push_str(&paragraph(
        &format!(
            "学校填表人：{}        联系电话：{}",
            filled.filler, filled.phone
        ),
        false,
        21,
        false,
    ));
    body.push_str(&paragraph(
        "注：本表所有内容必须填写准确、规范、完整，须同时加盖校企双方公章。",
        false,
        21,
        false,
    ));
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/><w:pgMar w:top="720" w:right="567" w:bottom="720" w:left="567" w:header="425" w:footer="425" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let err = |e: &dyn std::fmt::Display| WriteError(format!("Word 文件写入失败：{e}"));
    for (name, content) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/document.xml", document.as_str()),
    ] {
        zip.start_file(name, opts).map_err(|e| err(&e))?;
        zip.write_all(content.as_bytes()).map_err(|e| err(&e))?;
    }
    let cursor = zip.finish().map_err(|e| err(&e))?;
    Ok(cursor.into_inner())
}
