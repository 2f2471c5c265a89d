//! The organisation registry (单位名录) and the lists of earlier batches, from CSV or xlsx.
//!
//! CSV comes in UTF-8 (with or without BOM) or in GBK/GB18030 — what Excel on a Chinese Windows saves
//! as 「CSV（逗号分隔）」. Columns are found by their header texts. Every problem is reported, each with
//! its file, row, column, the value and what would be accepted; nothing is half-loaded.

use std::collections::HashMap;
use std::path::Path;

use shuangshi_rules::text::{norm, parse_mobile, uscc_is_valid};
use shuangshi_rules::{Batch, Org, PastPerson, Registry};

use crate::guard::Limits;
use crate::read::read_grids;

/// Why a registry (or history list) could not be used: every problem found, in Chinese.
#[derive(Debug, Clone, PartialEq)]
pub struct TableError {
    pub file: String,
    pub problems: Vec<String>,
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "文件「{}」有 {} 处问题：",
            self.file,
            self.problems.len()
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TableError {}

fn fail(file: &str, problem: String) -> TableError {
    TableError {
        file: file.to_string(),
        problems: vec![problem],
    }
}

/// Decodes CSV bytes: UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK).
pub fn decode_csv(file: &str, bytes: &[u8]) -> Result<String, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(fail(
            file,
            "文本编码无法识别；请另存为「CSV UTF-8（逗号分隔）」或 GBK 编码的 CSV".to_string(),
        ));
    }
    Ok(text.into_owned())
}

/// A table: (1-based row number, cells) for every non-empty row.
type Table = Vec<(u32, Vec<String>)>;

/// Reads a CSV or xlsx/xls file into rows of text.
fn read_table(file: &str, bytes: &[u8], limits: &Limits) -> Result<Table, TableError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(fail(
            file,
            format!(
                "文件大小 {} 字节，超过上限 {} 字节",
                bytes.len(),
                limits.max_file_bytes
            ),
        ));
    }
    if crate::guard::sniff(bytes).is_some() || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        let (_, grids) = read_grids(file, bytes, limits).map_err(|e| fail(file, e.to_string()))?;
        let Some(grid) = grids.into_iter().find(|g| !g.rows.is_empty()) else {
            return Ok(Vec::new());
        };
        return Ok(grid
            .rows
            .iter()
            .map(|r| {
                let width = r.cells.last().map_or(0, |(c, _)| *c as usize + 1);
                let mut cells = vec![String::new(); width];
                for (c, cell) in &r.cells {
                    cells[*c as usize] = cell.raw.trim().to_string();
                }
                (r.index + 1, cells)
            })
            .collect());
    }
    let text = decode_csv(file, bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| fail(file, format!("第{}行 CSV 格式错误：{e}", i + 1)))?;
        let cells: Vec<String> = rec.iter().map(|s| s.trim().to_string()).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            let line = rec.position().map_or(i as u32 + 1, |p| p.line() as u32);
            rows.push((line, cells));
        }
    }
    Ok(rows)
}

/// Finds the header row (the first row naming `required`) and maps each wanted column to its index.
fn find_columns(
    file: &str,
    table: &Table,
    wanted: &[(&'static str, &[&str])],
    required: &[&'static str],
) -> Result<(usize, HashMap<&'static str, usize>), TableError> {
    for (pos, (_, cells)) in table.iter().enumerate().take(10) {
        let mut map = HashMap::new();
        for (i, cell) in cells.iter().enumerate() {
            let h = norm(cell);
            if let Some((key, _)) = wanted
                .iter()
                .find(|(_, names)| names.iter().any(|n| h == *n))
            {
                map.entry(*key).or_insert(i);
            }
        }
        if required.iter().all(|r| map.contains_key(r)) {
            return Ok((pos, map));
        }
    }
    Err(fail(
        file,
        format!(
            "未找到表头；第一行应为列名：{}",
            wanted.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(",")
        ),
    ))
}

const ORG_COLUMNS: [(&str, &[&str]); 5] = [
    ("单位名称", &["单位名称", "名称", "单位"]),
    ("单位类别", &["单位类别", "类别", "学校类别", "企业类别"]),
    ("隶属关系", &["隶属关系", "隶属"]),
    (
        "统一社会信用代码",
        &["统一社会信用代码", "信用代码", "社会信用代码"],
    ),
    ("所在区县", &["所在区县", "区县"]),
];

/// Parses a registry: `单位名称,单位类别,隶属关系,统一社会信用代码,所在区县`.
pub fn parse_registry(
    file: &str,
    bytes: &[u8],
    batch: &Batch,
    limits: &Limits,
) -> Result<Registry, TableError> {
    let table = read_table(file, bytes, limits)?;
    let (header, cols) = find_columns(file, &table, &ORG_COLUMNS, &["单位名称", "单位类别"])?;
    let get = |cells: &[String], key: &str| {
        cols.get(key)
            .and_then(|&i| cells.get(i))
            .cloned()
            .unwrap_or_default()
    };
    let categories: Vec<&str> = batch
        .tiers
        .iter()
        .map(|t| t.name.as_str())
        .chain(batch.enterprise_kinds.iter().map(|k| k.name.as_str()))
        .collect();
    let mut problems = Vec::new();
    let mut orgs = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (line, cells) in table.iter().skip(header + 1) {
        let name = get(cells, "单位名称");
        let org = Org {
            name: name.clone(),
            category: get(cells, "单位类别"),
            affiliation: get(cells, "隶属关系"),
            credit_code: get(cells, "统一社会信用代码"),
            district: get(cells, "所在区县"),
        };
        if norm(&name).is_empty() {
            problems.push(format!("第{line}行「单位名称」为空；请填写单位全称"));
            continue;
        }
        if let Some(first) = seen.insert(norm(&name), *line) {
            problems.push(format!(
                "第{line}行「单位名称」「{name}」与第{first}行重复；每个单位只能登记一次"
            ));
        }
        if !categories.iter().any(|c| norm(c) == norm(&org.category)) {
            problems.push(format!(
                "第{line}行「单位类别」填写为「{}」，无法识别；应为 {} 之一",
                org.category,
                categories.join("、")
            ));
        }
        if !org.credit_code.is_empty() && !uscc_is_valid(&org.credit_code) {
            problems.push(format!(
                "第{line}行「统一社会信用代码」「{}」校验不通过（GB 32100-2015）；请核对18位代码，字母 I、O、Z、S、V 不会出现",
                org.credit_code
            ));
        }
        orgs.push(org);
    }
    if problems.is_empty() {
        Ok(Registry::new(orgs))
    } else {
        Err(TableError {
            file: file.to_string(),
            problems,
        })
    }
}

/// Reads a registry file (CSV, xlsx or xls).
pub fn read_registry(path: &Path, batch: &Batch, limits: &Limits) -> Result<Registry, TableError> {
    let file = path.display().to_string();
    let bytes = read_capped(path, limits).map_err(|p| fail(&file, p))?;
    parse_registry(&file, &bytes, batch, limits)
}

const HISTORY_COLUMNS: [(&str, &[&str]); 4] = [
    ("批次", &["批次"]),
    ("姓名", &["姓名"]),
    ("派出单位", &["派出单位", "单位"]),
    ("手机号码", &["手机号码", "手机", "联系电话"]),
];

/// Parses a list of earlier batches' people (`批次,姓名,派出单位,手机号码`) for D03.
pub fn parse_history(
    file: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<PastPerson>, TableError> {
    let table = read_table(file, bytes, limits)?;
    let (header, cols) = find_columns(file, &table, &HISTORY_COLUMNS, &["姓名", "派出单位"])?;
    let get = |cells: &[String], key: &str| {
        cols.get(key)
            .and_then(|&i| cells.get(i))
            .cloned()
            .unwrap_or_default()
    };
    Ok(table
        .iter()
        .skip(header + 1)
        .map(|(_, cells)| PastPerson {
            batch: get(cells, "批次"),
            name: get(cells, "姓名"),
            unit: get(cells, "派出单位"),
            mobile: parse_mobile(&get(cells, "手机号码")).unwrap_or_default(),
        })
        .filter(|p| !norm(&p.name).is_empty())
        .collect())
}

/// Reads a history file (CSV, xlsx or xls).
pub fn read_history(path: &Path, limits: &Limits) -> Result<Vec<PastPerson>, TableError> {
    let file = path.display().to_string();
    let bytes = read_capped(path, limits).map_err(|p| fail(&file, p))?;
    parse_history(&file, &bytes, limits)
}

fn read_capped(path: &Path, limits: &Limits) -> Result<Vec<u8>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("无法打开：{}", crate::io_reason(&e)))?;
    if meta.len() > limits.max_file_bytes {
        return Err(format!(
            "文件大小 {} 字节，超过上限 {} 字节",
            meta.len(),
            limits.max_file_bytes
        ));
    }
    std::fs::read(path).map_err(|e| format!("无法读取：{}", crate::io_reason(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Registry, TableError> {
        parse_registry("orgs.csv", text, &Batch::batch10(), &Limits::default())
    }

    #[test]
    fn utf8_with_bom_and_gbk_read_the_same() {
        let text = "单位名称,单位类别,隶属关系,统一社会信用代码,所在区县\n甲学院,国家双高,,,沙坪坝区\n乙公司,国有企业,市国资委,91350100M000100Y43,\n";
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        for bytes in [text.as_bytes().to_vec(), bom, gbk.into_owned()] {
            let reg = parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(reg.len(), 2);
            assert_eq!(
                reg.find("甲 学院").map(|o| o.category.as_str()),
                Some("国家双高")
            );
            assert_eq!(
                reg.find("乙公司").map(|o| o.affiliation.as_str()),
                Some("市国资委")
            );
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_row() {
        let text = "单位名称,单位类别,统一社会信用代码\n甲学院,双高,\n乙公司,国有企业,91350100M000100Y44\n甲学院,中职,\n,中职,\n";
        let err = parse(text.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("must fail"));
        assert_eq!(err.problems.len(), 4, "{err}");
        let all = err.to_string();
        assert!(all.contains("第2行「单位类别」填写为「双高」"), "{all}");
        assert!(
            all.contains("第3行「统一社会信用代码」「91350100M000100Y44」"),
            "{all}"
        );
        assert!(
            all.contains("第4行「单位名称」「甲学院」与第2行重复"),
            "{all}"
        );
        assert!(all.contains("第5行「单位名称」为空"), "{all}");
    }

    #[test]
    fn undecodable_bytes_are_refused() {
        let err = parse(b"\xff\xfe\xfd\x80\x81")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("编码无法识别") || err.contains("未找到表头"),
            "{err}"
        );
    }

    #[test]
    fn history_lists_by_name_and_mobile() {
        let text = "批次,姓名,派出单位,手机号码\n第九批,张三,甲学院,138 1234 5678\n";
        let h = parse_history("h.csv", text.as_bytes(), &Limits::default()).unwrap_or_default();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].mobile, "13812345678");
    }
}
