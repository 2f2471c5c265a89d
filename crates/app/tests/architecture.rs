//! The invariants ARCHITECTURE.md states about the application layer, checked on the sources.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources(crate_dir: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&workspace().join(crate_dir).join("src"), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The store's functions that change a form's content, a submission or a review: only the
/// application layer may call them, so that every change is followed by its check.
const STATE_CHANGES: &[&str] = &[
    ".replace_rows(",
    ".add_row(",
    ".update_row(",
    ".delete_row(",
    ".update_form_meta(",
    ".submit(&",
    ".review(&",
];

#[test]
fn only_the_application_layer_changes_forms_submissions_and_reviews() {
    let mut offenders = Vec::new();
    for krate in ["crates/web", "crates/cli"] {
        for (path, text) in sources(krate) {
            // The benchmark seeds at scale straight through the store; its pages are then read
            // through the application, which computes the missing checks once.
            if path.ends_with("bench_serve.rs") {
                continue;
            }
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                // A call chained on the line after `app` or `state.app` is the application's.
                let prev = n.checked_sub(1).map_or("", |p| lines[p].trim());
                let on_app = code.contains("app.")
                    || code.contains(".app")
                    || (code.trim_start().starts_with('.')
                        && (prev.ends_with("app") || prev.ends_with(".app")));
                for call in STATE_CHANGES {
                    if code.contains(call) && !on_app {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "store changes outside the application layer:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn only_the_store_knows_sql() {
    let mut offenders = Vec::new();
    for krate in [
        "crates/rules",
        "crates/sheet",
        "crates/app",
        "crates/web",
        "crates/cli",
    ] {
        for (path, text) in sources(krate) {
            // A log filter naming the database crates' targets is not SQL.
            let code: String = text
                .lines()
                .filter(|l| !l.contains("EnvFilter"))
                .collect::<Vec<_>>()
                .join("\n");
            if code.contains("sea_orm") || code.contains("sqlx") {
                offenders.push(path.display().to_string());
            }
        }
        let manifest = std::fs::read_to_string(workspace().join(krate).join("Cargo.toml")).unwrap();
        assert!(
            !manifest.contains("sea-orm") && !manifest.contains("sqlx"),
            "{krate} depends on the database directly"
        );
    }
    assert!(
        offenders.is_empty(),
        "SQL outside crates/store: {offenders:?}"
    );
}

#[test]
fn the_web_crate_does_not_run_the_rule_engine_on_page_views() {
    // Pages read stored findings; the engine runs in the application layer once per change.
    // `/api/v1/check` (a file checked and nothing stored) is the one door that runs it directly.
    let mut offenders = Vec::new();
    for (path, text) in sources("crates/web") {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if (code.contains("check_forms(") || code.contains("check_school("))
                && !code.trim_start().starts_with("pub use")
            {
                offenders.push(format!("{}:{}", path.display(), n + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the engine run from the web crate: {offenders:?}"
    );
}

/// Numbers are masked in one place: no door masks (or forgets to mask) on its own; every value
/// goes through `shuangshi_app::Disclosure`.
#[test]
fn only_the_disclosure_masks_numbers() {
    let mut offenders = Vec::new();
    for krate in ["crates/web", "crates/cli", "crates/app"] {
        for (path, text) in sources(krate) {
            if path.ends_with("disclosure.rs") {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if ["mask_mobile(", "mask_account(", "mask_numbers_in("]
                    .iter()
                    .any(|f| code.contains(f))
                {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    // The template filters `mobile` and `account` are the one exception kept for templates.
    offenders.retain(|o| !o.contains("filters.rs") && !o.contains("fmt.rs"));
    assert!(
        offenders.is_empty(),
        "numbers masked outside the Disclosure:\n{}",
        offenders.join("\n")
    );
}
