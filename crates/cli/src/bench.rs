//! `shuangshi bench`: generates a workbook in the official layout and times `check` on it against a bare
//! calamine read of every cell of the same file, in the same run, with each step's peak heap memory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use calamine::{Reader, Xlsx};
use shuangshi_rules::{Batch, Column, Input, PersonRow};
use shuangshi_sheet::guard::Limits;
use shuangshi_sheet::write::{Filled, filled_xlsx};

use crate::alloc::peak_during;

/// A valid person row number `i` (even: a teacher sent by the school, odd: an engineer received).
pub fn person(batch: &Batch, school: &str, enterprise: &str, i: usize) -> PersonRow {
    let teacher = i.is_multiple_of(2);
    let (send, recv) = if teacher {
        (school, enterprise)
    } else {
        (enterprise, school)
    };
    let post = if teacher {
        &batch.posts.school[i / 2 % 2]
    } else {
        &batch.posts.enterprise[i / 2 % 2]
    };
    PersonRow::new(0)
        .with(Column::Seq, &(i + 1).to_string())
        .with(Column::Batch, &batch.name)
        .with(Column::Name, &format!("测试{i:05}"))
        .with(Column::SendingUnit, send)
        .with(Column::AdminPost, "无")
        .with(
            Column::Field,
            if i % 4 < 2 {
                "机械制造"
            } else {
                "数控技术"
            },
        )
        .with(
            Column::Title,
            if teacher {
                "副教授"
            } else {
                "高级工程师"
            },
        )
        .with(
            Column::TeacherQualification,
            if teacher {
                "高等学校教师资格"
            } else {
                "无"
            },
        )
        .with(
            Column::SkillQualification,
            if teacher { "无" } else { "技师" },
        )
        .with(Column::Mobile, &format!("139{i:08}"))
        .with(Column::Term, &batch.term)
        .with(Column::ReceivingUnit, recv)
        .with(Column::Post, post)
        .with(Column::Bank, "中国工商银行重庆沙坪坝支行")
        .with(Column::AccountName, school)
        .with(Column::AccountNumber, "3100020109200012345")
        .with(
            Column::Direction,
            if teacher {
                "学校派出"
            } else {
                "企业派出"
            },
        )
        .with(Column::TeachingYears, if teacher { "8" } else { "" })
        .with(Column::EnterpriseYears, if teacher { "" } else { "9" })
        .with(Column::FrontlineYears, if teacher { "" } else { "6" })
        .with(Column::ExchangeForm, "项目合作")
        .with(Column::Priority, if teacher { "骨干教师" } else { "无" })
}

/// The benchmark's workbook: one form of `people` valid rows.
pub fn workbook(batch: &Batch, people: usize) -> anyhow::Result<Vec<u8>> {
    let school = "重庆示范职业技术学院";
    let enterprise = "重庆示范智能制造有限公司";
    let filled = Filled {
        school: school.into(),
        enterprise: enterprise.into(),
        rows: (0..people)
            .map(|i| person(batch, school, enterprise, i))
            .collect(),
        filler: "李老师".into(),
        phone: "023-63865672".into(),
        supplementary: true,
    };
    filled_xlsx(batch, &filled).map_err(|e| anyhow!("{e}"))
}

/// Reads every cell of every sheet with calamine alone; returns the number of non-empty cells.
fn bare_read(path: &Path) -> anyhow::Result<usize> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).map_err(|e| anyhow!("calamine: {e}"))?;
    let mut cells = 0;
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| anyhow!("calamine: {e}"))?;
        cells += range
            .used_cells()
            .filter(|(_, _, v)| !v.to_string().is_empty())
            .count();
    }
    Ok(cells)
}

/// Time spent in each phase of one `check`.
#[derive(Default, Clone, Copy)]
struct Phases {
    read: Duration,
    layout: Duration,
    rules: Duration,
}

/// Reads, finds the forms and runs every rule, as `check` does without `--annotate`
/// ([`shuangshi_sheet::load_forms_path`], in its two steps); returns (people, findings) and the
/// phase times.
fn full_check(path: &Path, batch: &Batch) -> anyhow::Result<((usize, usize), Phases)> {
    let t0 = Instant::now();
    let (_, grids) =
        shuangshi_sheet::read::read_path(path, &Limits::default()).map_err(|e| anyhow!("{e}"))?;
    let t1 = Instant::now();
    let file = path.display().to_string();
    let forms: Vec<_> = grids
        .into_iter()
        .flat_map(|g| shuangshi_sheet::layout::into_forms(&file, g))
        .collect();
    let t2 = Instant::now();
    let report = shuangshi_rules::check(Input {
        batch,
        forms: &forms,
        registry: None,
        history: &[],
    });
    let t3 = Instant::now();
    let phases = Phases {
        read: t1 - t0,
        layout: t2 - t1,
        rules: t3 - t2,
    };
    Ok(((report.summary.people, report.findings.len()), phases))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn run(people: usize, runs: usize, keep: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let batch = Batch::batch10();
    let bytes = workbook(&batch, people)?;
    let path = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("shuangshi-bench-{}.xlsx", std::process::id()))
    });
    std::fs::write(&path, &bytes).map_err(|e| anyhow!("无法写入「{}」：{e}", path.display()))?;
    println!(
        "工作簿：{}（{} 人，{:.1} KiB），每项 {runs} 次取中位数",
        path.display(),
        people,
        bytes.len() as f64 / 1024.0
    );

    let (mut t_bare, mut t_check) = (Vec::new(), Vec::new());
    let (mut m_bare, mut m_check) = (0usize, 0usize);
    let (mut cells, mut outcome) = (0, (0, 0));
    let mut phases: Vec<Phases> = Vec::new();
    for i in 0..runs {
        // Alternate the order so neither side always runs on a warmer cache.
        for step in if i.is_multiple_of(2) { [0, 1] } else { [1, 0] } {
            let start = Instant::now();
            if step == 0 {
                let (r, peak) = peak_during(|| bare_read(&path));
                t_bare.push(start.elapsed());
                m_bare = m_bare.max(peak);
                cells = r?;
            } else {
                let (r, peak) = peak_during(|| full_check(&path, &batch));
                t_check.push(start.elapsed());
                m_check = m_check.max(peak);
                let (o, p) = r?;
                outcome = o;
                phases.push(p);
            }
        }
    }
    if keep.is_none() {
        let _ = std::fs::remove_file(&path);
    }
    let (b, c) = (median(t_bare), median(t_check));
    let mib = |x: usize| x as f64 / (1024.0 * 1024.0);
    println!("| 步骤 | 中位耗时 | 内存峰值 |");
    println!("| --- | --- | --- |");
    println!(
        "| calamine 读取全部单元格（{cells} 个） | {:.1} ms | {:.1} MiB |",
        b.as_secs_f64() * 1e3,
        mib(m_bare)
    );
    println!(
        "| shuangshi check（读取 + 识别 + 全部规则；{} 人，{} 项结果） | {:.1} ms | {:.1} MiB |",
        outcome.0,
        outcome.1,
        c.as_secs_f64() * 1e3,
        mib(m_check)
    );
    println!(
        "| 比值 check / calamine | {:.2} × | {:.2} × |",
        c.as_secs_f64() / b.as_secs_f64().max(1e-9),
        m_check as f64 / (m_bare as f64).max(1.0)
    );
    let ms =
        |f: fn(&Phases) -> Duration| median(phases.iter().map(f).collect()).as_secs_f64() * 1e3;
    println!(
        "\ncheck 各阶段中位耗时：读取（含安全检查）{:.1} ms，识别推荐表 {:.1} ms，规则 {:.1} ms",
        ms(|p| p.read),
        ms(|p| p.layout),
        ms(|p| p.rules)
    );
    Ok(ExitCode::SUCCESS)
}
