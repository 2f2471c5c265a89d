//! `shuangshi bench import` end to end on a small count: it writes the forms as files, checks the
//! folder and imports it into a fresh database (SQLite, and PostgreSQL when `TEST_DATABASE_URL`
//! is set), and the import takes in every form and person the check read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn bench(extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shuangshi"))
        .args(["bench", "import", "--forms", "9", "--runs", "1"])
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("SHUANGSHI_DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 9 forms: 5 schools, the last with one form; 6 people in a school's first form, 8 in its
    // second: 5 × 6 + 4 × 8.
    assert!(
        text.contains("学校 5 所、推荐表 9 张") && text.contains("人员 62 人"),
        "{text}"
    );
    assert!(
        text.contains("| 步骤 step | 中位耗时 median | 每张推荐表 per form |"),
        "{text}"
    );
    for label in ["| shuangshi check（", "| shuangshi import（"] {
        let row = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no row {label}:\n{text}"));
        assert!(row.contains("9 张推荐表、62 人"), "{row}");
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let ms: f64 = cells[2].trim_end_matches(" ms").parse().unwrap();
        assert!(ms > 0.0, "{row}");
    }
    let ratio = text
        .lines()
        .find(|l| l.starts_with("| 比值 import / check"))
        .unwrap_or_else(|| panic!("no ratio:\n{text}"));
    let cells: Vec<&str> = ratio.split('|').map(str::trim).collect();
    let r: f64 = cells[2].trim_end_matches(" ×").parse().unwrap();
    assert!(r > 0.0, "{ratio}");
    assert!(
        text.contains("核对：import 导入 9 个文件中的 9 张推荐表、62 人（5 所学校，9 张有变化，")
            && text.contains("check 读到 9 张、62 人：一致"),
        "{text}"
    );
    // The temporary folder (forms and databases) is removed.
    let dir = text
        .lines()
        .find_map(|l| l.strip_prefix("临时文件夹："))
        .and_then(|l| l.split('（').next())
        .unwrap();
    assert!(!std::path::Path::new(dir).exists(), "{dir} left behind");
    text
}

#[test]
fn bench_import_checks_and_imports_the_generated_forms() {
    let text = bench(&[]);
    assert!(text.contains("数据库：SQLite"), "{text}");
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        let text = bench(&["--database-url", &url]);
        assert!(text.contains("数据库：PostgreSQL"), "{text}");
    }
}
