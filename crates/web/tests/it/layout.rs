//! The layout of `crates/web/src`: modules by domain with no import cycle between domains, shared
//! helpers that know no domain, and every route declared once.
//!
//! A domain is a top-level module directory of `src` (`forms`, `review`, …) or a directory under
//! `src/admin` (`admin/accounts`, …). `shared/` and the cross-cutting files at the top (`auth.rs`,
//! `policy.rs`, `ui.rs`, …) are no domain; `lib.rs` (the router) and `openapi.rs` (the document)
//! assemble the domains and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use axum::http::Method;
use shuangshi_web::policy::{Access, Routes};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
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

/// The domain a module path (`forms::checks`, `admin::orgs::api`) belongs to: `None` for the
/// shared and cross-cutting modules.
fn domain_of(segments: &[&str], domains: &BTreeSet<String>) -> Option<String> {
    let first = *segments.first()?;
    if first == "admin" {
        let second = segments.get(1)?;
        let d = format!("admin/{second}");
        return domains.contains(&d).then_some(d);
    }
    domains.contains(first).then(|| first.to_owned())
}

/// The domains: every directory of `src` but `shared`, and every directory of `src/admin`.
fn domains() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !path.is_dir() || name == "shared" {
            continue;
        }
        if name == "admin" {
            for sub in std::fs::read_dir(&path).unwrap() {
                let sub = sub.unwrap().path();
                if sub.is_dir() {
                    out.insert(format!(
                        "admin/{}",
                        sub.file_name().unwrap().to_string_lossy()
                    ));
                }
            }
        } else {
            out.insert(name);
        }
    }
    out
}

/// The `crate::…` paths a source file names, outside comments.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `shuangshi_crate::`
            }
            let segments: Vec<String> = rest
                .split("::")
                .map(|s| {
                    s.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .take_while(|s| !s.is_empty())
                .collect();
            out.push(segments);
        }
        // `use crate::{forms, review}` is not written in this crate; a grouped import at the
        // root would be seen as the bare `crate::` path, which names no domain.
    }
    out
}

/// Who imports whom: (from, to) for each pair of domains, with the file that does it.
fn domain_edges() -> BTreeMap<(String, String), String> {
    let domains = domains();
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut edges = BTreeMap::new();
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let module: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
        let text = std::fs::read_to_string(&file).unwrap();
        let from = domain_of(&module, &domains);
        if from.is_none() && (rel == "lib.rs" || rel == "openapi.rs") {
            continue;
        }
        for path in crate_paths(&text) {
            let segs: Vec<&str> = path.iter().map(String::as_str).collect();
            let Some(to) = domain_of(&segs, &domains) else {
                continue;
            };
            match &from {
                Some(from) if *from == to => {}
                Some(from) => {
                    edges
                        .entry((from.clone(), to))
                        .or_insert_with(|| rel.clone());
                }
                None => panic!(
                    "{rel} is shared or cross-cutting but imports the domain `{to}` (crate::{})",
                    path.join("::")
                ),
            }
        }
    }
    edges
}

#[test]
fn domains_import_each_other_without_a_cycle() {
    let domains = domains();
    for d in ["forms", "review", "roster", "admin/accounts", "submissions"] {
        assert!(domains.contains(d), "domain {d} not found in {domains:?}");
    }
    let edges = domain_edges();
    assert!(!edges.is_empty(), "no import between domains was found");
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    // Depth-first search; a node met again on the current path closes a cycle.
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for n in next.get(node).into_iter().flatten() {
            if let Some(c) = visit(n, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for d in &domains {
        if let Some(cycle) = visit(d, &next, &mut Vec::new(), &mut done) {
            let links: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let file = &edges[&(w[0].to_owned(), w[1].to_owned())];
                    format!("{} → {} ({file})", w[0], w[1])
                })
                .collect();
            panic!("import cycle between domains: {}", links.join(", "));
        }
    }
}

#[test]
fn imports_are_read_outside_comments() {
    let text = "use crate::forms::checks::Standing;\n// crate::review is a comment\nlet x = crate::review::pages::parse_status(s);";
    let paths = crate_paths(text);
    assert_eq!(
        paths,
        vec![
            vec![
                "forms".to_owned(),
                "checks".to_owned(),
                "Standing".to_owned()
            ],
            vec![
                "review".to_owned(),
                "pages".to_owned(),
                "parse_status".to_owned()
            ],
        ]
    );
}

#[test]
fn every_route_is_declared_once() {
    let all = shuangshi_web::routes().registered();
    let unique: BTreeSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a route is registered twice");
}

async fn ok() -> &'static str {
    "ok"
}

#[test]
#[should_panic(expected = "route declared twice: GET /x")]
fn declaring_a_route_twice_panics() {
    let _ = Routes::new()
        .get("/x", Access::Public, ok)
        .get("/x", Access::SignedIn, ok);
}

#[test]
#[should_panic(expected = "route declared twice: POST /y")]
fn merging_a_route_twice_panics() {
    let a = Routes::new().post("/y", Access::Public, ok);
    let b = Routes::new().route(Method::POST, "/y", Access::Public, ok);
    let _ = a.merge(b);
}

#[test]
fn the_same_path_may_have_several_methods() {
    let r = Routes::new()
        .get("/z", Access::Public, ok)
        .post("/z", Access::SignedIn, ok);
    assert_eq!(r.registered(), vec![("GET", "/z"), ("POST", "/z")]);
}
