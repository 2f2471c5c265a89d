//! `shuangshi bench dashboard` end to end on a small count: it generates the batches into a fresh
//! SQLite file, and the dashboard it times counts the people it generated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn bench_dashboard_times_the_dashboard_over_the_generated_people() {
    let out = Command::new(env!("CARGO_BIN_EXE_shuangshi"))
        .args([
            "bench",
            "dashboard",
            "--people",
            "2000",
            "--batches",
            "3",
            "--runs",
            "1",
            "--explain",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 2,000 people in 3 batches: 666 in each closed batch, 668 in the open one.
    assert!(
        text.contains("人员 2,000 人，其中当前批次 668 人"),
        "{text}"
    );
    assert!(text.contains("生成数据耗时"), "{text}");
    assert!(
        text.contains("工作台统计的推荐人数：668 人（生成的当前批次人数 668 人）"),
        "{text}"
    );
    assert!(
        text.contains("| 项目 | 次数 | p50 ms | 最大 ms |"),
        "{text}"
    );
    for label in [
        "| 工作台（",
        "| 汇总名单第一页（不筛选） | 1 |",
        "| 汇总名单第一页（按学校筛选",
    ] {
        let row = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no row {label}:\n{text}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let p50: f64 = cells[3].parse().unwrap();
        let max: f64 = cells[4].parse().unwrap();
        assert!(p50 > 0.0 && max >= p50, "{row}");
    }
    // The term batch's charts are there (its final list was generated) and the plans printed.
    assert!(text.contains("另加聘期图表 2 张"), "{text}");
    assert!(text.contains("【推荐表的行】"), "{text}");
    // The temporary database is removed.
    let dir = text
        .lines()
        .find_map(|l| l.strip_prefix("数据库：SQLite，"))
        .and_then(|l| l.split('（').next())
        .unwrap();
    assert!(!std::path::Path::new(dir).exists(), "{dir} left behind");
}
