//! A bounded, deterministic mutation test of every reader (xlsx, xls, docx, the CSV registry):
//! seed files written here, then bit flips, truncations, swapped and renamed zip entries, and
//! absurd XML (deep nesting, a huge attribute, billion laughs). No case may panic, none may hold
//! more than [`MEMORY_BOUND`] of heap, and every refusal must be a Chinese message.

use std::io::{Cursor, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

use shuangshi_rules::{Batch, Cell, Column, PersonRow};
use shuangshi_sheet::guard::Limits;
use shuangshi_sheet::write::{Filled, filled_docx, filled_xlsx};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::alloc::peak_during;
use crate::read::biff;

/// No mutated file may make a reader hold more than this many live heap bytes.
const MEMORY_BOUND: usize = 96 << 20;

/// The seed of the sequence of mutations (fixed: a failure is reproduced by running again).
const SEED: u64 = 0x5348_5541_4e47_5348;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 17
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn filled() -> Filled {
    let mut row = PersonRow::new(1);
    for (c, v) in [
        (Column::Seq, "1"),
        (Column::Batch, "第十批"),
        (Column::Name, "张三"),
        (Column::SendingUnit, "重庆市甲职业学校"),
        (Column::Mobile, "13800138000"),
        (Column::AccountNumber, "3100012345678901234"),
        (Column::Direction, "学校派出"),
    ] {
        row.set(c, Cell::text(v));
    }
    Filled {
        school: "重庆市甲职业学校".into(),
        enterprise: "重庆乙科技有限公司".into(),
        rows: vec![row],
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        supplementary: true,
    }
}

fn xls_seed() -> Vec<u8> {
    let sheet = vec![
        biff::dimensions(0, 4, 0, 16),
        biff::label(0, 0, "第十批推荐表"),
        biff::merged(&[(0, 0, 0, 15), (2, 3, 2, 2)]),
        biff::label_sst(1, 0, 0),
        biff::label_sst(1, 9, 1),
        biff::number(2, 0, 1.0),
        biff::label(2, 2, "张三"),
        biff::number(2, 9, 13_812_345_678.0),
    ];
    biff::workbook(&[], &["序号", "手机号码"], &[("推荐表", sheet)])
}

const CSV_SEED: &str = "单位名称,单位类别,隶属关系,统一社会信用代码,所在区县\n\
重庆市甲职业学校,中职,市教委,,渝中区\n\
重庆乙科技有限公司,民营企业,,,江北区\n";

/// The entries of a zip, in order.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut e = archive.by_index(i).unwrap();
            let name = e.name().unwrap().to_string();
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            (name, content)
        })
        .collect()
}

fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, content) in entries {
        w.start_file(name.as_str(), options).unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The main XML part of a zip seed (the first sheet, or the document).
fn main_part(entries: &[(String, Vec<u8>)]) -> usize {
    entries
        .iter()
        .position(|(n, _)| n.ends_with("sheet1.xml") || n.ends_with("document.xml"))
        .unwrap()
}

/// Hostile XML in place of `entries[at]`.
fn absurd_xml(entries: &[(String, Vec<u8>)], at: usize, which: usize) -> Vec<u8> {
    let original = String::from_utf8_lossy(&entries[at].1).to_string();
    let xml = match which {
        // Deep nesting inside the root element.
        0 => {
            let depth = 200_000;
            let inner = format!("{}{}", "<x>".repeat(depth), "</x>".repeat(depth));
            match original.rfind("</") {
                Some(i) => format!("{}{inner}{}", &original[..i], &original[i..]),
                None => inner,
            }
        }
        // A 4 MB attribute on the root element.
        1 => {
            let huge = "A".repeat(4 << 20);
            match original.find("?>") {
                Some(i) => {
                    let rest = &original[i + 2..];
                    let close = rest.find('>').unwrap_or(0);
                    format!(
                        "{}{} huge=\"{huge}\"{}",
                        &original[..i + 2],
                        &rest[..close],
                        &rest[close..]
                    )
                }
                None => format!("<r huge=\"{huge}\"/>"),
            }
        }
        // Billion laughs.
        2 => {
            let mut dtd =
                String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
            for i in 1..10 {
                let prev = if i == 1 {
                    "lol".to_owned()
                } else {
                    format!("lol{}", i - 1)
                };
                dtd.push_str(&format!(
                    "<!ENTITY lol{i} \"{}\">\n",
                    format!("&{prev};").repeat(10)
                ));
            }
            dtd.push_str("]>\n");
            let body = original
                .find("?>")
                .map_or(original.as_str(), |i| &original[i + 2..]);
            let body = body
                .replacen("<v>", "<v>&lol9;", 1)
                .replacen("<w:t>", "<w:t>&lol9;", 1);
            format!("{dtd}{body}")
        }
        // Unclosed everything.
        _ => original[..original.len() / 2].replace('>', ""),
    };
    let mut out = entries.to_vec();
    out[at].1 = xml.into_bytes();
    zip_of(&out)
}

/// The mutations of one seed: `flips` bit-flipped copies, `cuts` truncated ones, and for a zip
/// the entry-level and XML mutations.
fn mutants(seed: &[u8], zip: bool, rng: &mut Lcg, flips: usize, cuts: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for _ in 0..flips {
        let mut m = seed.to_vec();
        for _ in 0..1 + rng.below(8) {
            let i = rng.below(m.len());
            m[i] ^= 1 << rng.below(8);
        }
        out.push(m);
    }
    for _ in 0..cuts {
        out.push(seed[..rng.below(seed.len())].to_vec());
    }
    // A run of bytes overwritten with 0xFF or zeros (a length field gone wild).
    for _ in 0..flips / 4 {
        let mut m = seed.to_vec();
        let at = rng.below(m.len());
        let fill = if rng.below(2) == 0 { 0xFF } else { 0 };
        for b in m.iter_mut().skip(at).take(1 + rng.below(16)) {
            *b = fill;
        }
        out.push(m);
    }
    if zip {
        let e = entries(seed);
        for _ in 0..12 {
            // Two entries' contents swapped.
            let (a, b) = (rng.below(e.len()), rng.below(e.len()));
            let mut s = e.clone();
            let tmp = s[a].1.clone();
            s[a].1 = s[b].1.clone();
            s[b].1 = tmp;
            out.push(zip_of(&s));
            // One entry's content duplicated into another, and entries reordered.
            let mut d = e.clone();
            d[b].1 = d[a].1.clone();
            let n = d.len();
            let by = 1 + rng.below(n);
            d.rotate_left(by % n.max(1));
            out.push(zip_of(&d));
            // One entry dropped.
            let mut r = e.clone();
            r.remove(a);
            out.push(zip_of(&r));
        }
        let at = main_part(&e);
        for which in 0..4 {
            out.push(absurd_xml(&e, at, which));
        }
    }
    out
}

/// Runs `read` on every mutant: no panic, bounded memory, Chinese refusals. Returns how many were
/// refused.
fn survive(kind: &str, mutants: &[Vec<u8>], read: impl Fn(&[u8]) -> Result<(), String>) -> usize {
    let mut refused = 0;
    for (i, m) in mutants.iter().enumerate() {
        let outcome = catch_unwind(AssertUnwindSafe(|| peak_during(|| read(m))));
        let (result, peak) = match outcome {
            Ok(r) => r,
            Err(e) => {
                let what = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                let path = std::env::temp_dir().join(format!("shuangshi-mutant-{kind}-{i}"));
                let _ = std::fs::write(&path, m);
                panic!(
                    "{kind} mutant {i} panicked ({what}); saved to {}",
                    path.display()
                );
            }
        };
        assert!(
            peak < MEMORY_BOUND,
            "{kind} mutant {i} held {peak} bytes of heap"
        );
        if let Err(message) = result {
            refused += 1;
            assert!(has_cjk(&message), "{kind} mutant {i}: {message}");
        }
    }
    refused
}

#[test]
fn mutated_files_never_panic_stay_bounded_and_are_refused_in_chinese() {
    let batch = Batch::batch10();
    let limits = Limits::default();
    let mut rng = Lcg(SEED);
    let xlsx = filled_xlsx(&batch, &filled()).unwrap();
    let docx = filled_docx(&batch, &filled()).unwrap();
    let xls = xls_seed();

    // The seeds themselves are read.
    assert!(shuangshi_sheet::load("推荐表.xlsx", &xlsx, &limits).is_ok());
    assert!(shuangshi_sheet::load("推荐表.docx", &docx, &limits).is_ok());
    assert!(shuangshi_sheet::read::read_grids("推荐表.xls", &xls, &limits).is_ok());
    assert!(
        shuangshi_sheet::orgs::parse_registry("名录.csv", CSV_SEED.as_bytes(), &batch, &limits)
            .is_ok()
    );

    let load = |name: &'static str| {
        move |bytes: &[u8]| {
            shuangshi_sheet::load(name, bytes, &limits)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    };
    let mut total = 0;
    let m = mutants(&xlsx, true, &mut rng, 60, 20);
    total += m.len();
    let refused = survive("xlsx", &m, load("推荐表.xlsx"));
    assert!(
        refused > m.len() / 4,
        "only {refused} of {} xlsx refused",
        m.len()
    );

    let m = mutants(&docx, true, &mut rng, 60, 20);
    total += m.len();
    let refused = survive("docx", &m, load("推荐表.docx"));
    assert!(
        refused > m.len() / 4,
        "only {refused} of {} docx refused",
        m.len()
    );

    let m = mutants(&xls, false, &mut rng, 80, 20);
    total += m.len();
    let refused = survive("xls", &m, |bytes| {
        shuangshi_sheet::read::read_grids("推荐表.xls", bytes, &limits)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    assert!(refused > 0, "no xls mutant refused");

    let mut m = mutants(CSV_SEED.as_bytes(), false, &mut rng, 60, 20);
    m.push(vec![b'"'; 1 << 20]);
    m.push([CSV_SEED.as_bytes(), &[0xFF, 0xFE, 0, 0x81, 0x30]].concat());
    m.push(format!("{}\n{}", CSV_SEED, ",".repeat(100_000)).into_bytes());
    total += m.len();
    let refused = survive("csv", &m, |bytes| {
        shuangshi_sheet::orgs::parse_registry("名录.csv", bytes, &batch, &limits)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    assert!(refused > 0, "no csv mutant refused");

    assert!((300..1_000).contains(&total), "{total} cases");
}
