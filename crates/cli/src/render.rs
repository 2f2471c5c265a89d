//! The text report: Chinese, grouped by file, a summary line; colour only when asked (a terminal).

use std::fmt::Write;

use shuangshi_rules::{Report, Severity};

fn paint(colour: bool, code: &str, s: &str) -> String {
    if colour {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn tag(sev: Severity, colour: bool) -> String {
    let code = match sev {
        Severity::Error => "1;31",
        Severity::Warning => "33",
        Severity::Info => "36",
    };
    paint(colour, code, &format!("[{}]", sev.label()))
}

/// Renders the report as text.
pub fn text(report: &Report, colour: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} 推荐表核验报告", report.batch);
    // Files in report order: those of the forms, then any that only findings name.
    let mut files: Vec<&str> = Vec::new();
    for f in &report.forms {
        if !files.contains(&f.file.as_str()) {
            files.push(&f.file);
        }
    }
    for f in &report.findings {
        if let Some(file) = f.file.as_deref()
            && !files.contains(&file)
        {
            files.push(file);
        }
    }
    for file in files {
        let _ = writeln!(out, "\n{}", paint(colour, "1", file));
        for form in report.forms.iter().filter(|f| f.file == file) {
            let _ = writeln!(
                out,
                "  {}{} ⇄ {}：{} 人（学校派出 {} 人，企业派出 {} 人）",
                form.sheet
                    .as_ref()
                    .map(|s| format!("［{s}］"))
                    .unwrap_or_default(),
                form.school.as_deref().unwrap_or("（未写明学校）"),
                form.enterprise.as_deref().unwrap_or("（未写明企业）"),
                form.people,
                form.sent,
                form.received
            );
        }
        let mut any = false;
        for f in report
            .findings
            .iter()
            .filter(|f| f.file.as_deref() == Some(file))
        {
            any = true;
            let _ = writeln!(
                out,
                "  {} {} {}",
                tag(f.severity, colour),
                f.rule,
                f.message
            );
        }
        if !any {
            let _ = writeln!(out, "  {}", paint(colour, "32", "未发现问题"));
        }
    }
    let batch_level: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.file.is_none())
        .collect();
    if !batch_level.is_empty() {
        let _ = writeln!(out, "\n{}", paint(colour, "1", "全批次"));
        for f in batch_level {
            let _ = writeln!(
                out,
                "  {} {} {}",
                tag(f.severity, colour),
                f.rule,
                f.message
            );
        }
    }
    let (skipped, unreadable): (Vec<_>, Vec<_>) = report.unreadable.iter().partition(|u| u.skipped);
    if !unreadable.is_empty() {
        let _ = writeln!(out, "\n{}", paint(colour, "1;31", "无法读取的文件"));
        for u in &unreadable {
            let _ = writeln!(out, "  {}", u.message);
        }
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "\n{}", paint(colour, "1", "已跳过的文件"));
        for u in &skipped {
            let _ = writeln!(out, "  {}", u.message);
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n汇总：{} 张推荐表，{} 人；错误 {} 项，警告 {} 项，提示 {} 项{}",
        s.forms,
        s.people,
        s.errors,
        s.warnings,
        s.infos,
        match (unreadable.len(), skipped.len()) {
            (0, 0) => String::new(),
            (n, 0) => format!("；{n} 个文件无法读取"),
            (0, m) => format!("；跳过 {m} 个文件"),
            (n, m) => format!("；{n} 个文件无法读取，跳过 {m} 个文件"),
        }
    );
    out
}
