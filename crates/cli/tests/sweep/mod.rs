//! The UI sweep: `serve --demo` on a fresh database (PostgreSQL when `TEST_DATABASE_URL` is set,
//! else an SQLite file), and every page of every demo account opened in headless Chromium at
//! 1366×768, starting from the account's home page and following every same-site link and GET
//! form found on the pages it opens (one page per route pattern: numbers in the path read as
//! `{id}`, the query's values dropped), plus the login and the public pages anonymously. Each
//! page fails the run when
//!
//! 1. the page scrolls sideways outside a table's own scroll area (the document, the body, or a
//!    box such as the frame's main pane): the message names the widest elements that stick out;
//! 2. a visible text (the page's text, its title, the `title`, `placeholder` and `aria-label` of
//!    what is shown, the options of its lists) carries an untranslated code: a dotted code
//!    (`login.ok`), an entity reference (`user:2`), a snake_case identifier (`tier_minimums`), an
//!    English status word (`submitted`, `draft`), a CamelCase type name or a template leftover;
//! 3. an element of the DOM carries a CSS class that no loaded stylesheet defines;
//! 4. a same-site link (`a[href]`, `[hx-get]`) or a GET form (submitted with its current values)
//!    answers 4xx/5xx for that account, or sends a signed-in account to the login page.
//!
//! Then a school officer's phone: the login page, 工作台 and 报送 of every school account at
//! 390 px, failing on sideways scrolling. Every problem of the run is listed at the end, with a
//! screenshot per page that had one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

use serde_json::{Value, json};
use shuangshi_store::testing::TestDb;

use super::faults::Server;
use super::webdriver::Browser;

/// The demo's password (`crates/cli/src/demo.rs`).
const PASSWORD: &str = "Demo-Shuangshi-2025";

/// Every demo account, as README.md lists them.
const ACCOUNTS: &[&str] = &[
    "demo_admin",
    "demo_admin2",
    "demo_zcj",
    "demo_gzw",
    "demo_gsl",
    "demo_school",
    "demo_school_zz",
    "demo_school_ret",
    "demo_school_ok",
    "demo_school_new",
    "demo_school_sel",
    "demo_ent",
    "demo_ent_p",
];

/// Pages opened per account at most (the route patterns of one role stay well below).
const MAX_PAGES: usize = 80;

/// CSS classes no stylesheet needs to define, because they are hooks for scripts, not looks:
/// htmx marks the elements it is working on with `htmx-request`, `htmx-swapping`,
/// `htmx-settling` and `htmx-added` (its indicator styles are off, `includeIndicatorStyles`).
/// Only a prefix here: the app's own scripts find their elements by `data-` attributes.
const HOOK_CLASS_PREFIXES: &[&str] = &["htmx-"];

/// The checks of one page, as one script: returns `{overflow, codes, classes, links, fragments,
/// forms}`. `arguments[0]` is the list of hook-class prefixes.
const AUDIT: &str = r#"
const hookPrefixes = arguments[0];
const de = document.documentElement;
const vw = de.clientWidth;
const named = (el) => {
  let s = el.tagName.toLowerCase();
  const id = el.getAttribute('id');
  if (id) s += '#' + id;
  for (const c of el.classList) s += '.' + c;
  return s;
};
const path = (el) => {
  const parts = [];
  for (let e = el; e && e !== document.body && parts.length < 3; e = e.parentElement) parts.unshift(named(e));
  return parts.join(' > ');
};
const out = {overflow: [], codes: [], classes: [], links: [], fragments: [], forms: []};

// 1. Sideways scrolling outside a table's own scroll area: the document, the body (whose
// overflow the frame hides) or any box that scrolls (the frame's main pane does), with the
// elements that stick out of it.
const tableArea = (el) => el.classList.contains('table-wrap') || el.classList.contains('table-responsive') ||
  (el.firstElementChild !== null && el.firstElementChild.tagName === 'TABLE');
const all = document.body.querySelectorAll('*');
const scrollers = [de, document.body].filter((el) => el.scrollWidth > el.clientWidth + 1);
for (const el of all) {
  if (['TEXTAREA', 'SELECT', 'INPUT'].includes(el.tagName) || el.clientWidth === 0) continue;
  const o = getComputedStyle(el).overflowX;
  if ((o === 'auto' || o === 'scroll') && el.scrollWidth > el.clientWidth + 1 && !tableArea(el)) scrollers.push(el);
}
for (const box of scrollers) {
  const root = box === de || box === document.body;
  const limit = root ? vw : box.getBoundingClientRect().left + box.clientWidth;
  const inside = (el) => {
    for (let p = el.parentElement; p && p !== box; p = p.parentElement) {
      if (p === de) return root;
      if (getComputedStyle(p).overflowX !== 'visible') return false;
    }
    return true;
  };
  const off = [];
  for (const el of (root ? all : box.querySelectorAll('*'))) {
    const r = el.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || r.right <= limit + 0.5 || !inside(el)) continue;
    off.push([el, r]);
  }
  // The causes: offenders with no offending element inside.
  const outer = new Set();
  for (const [el] of off) for (let p = el.parentElement; p; p = p.parentElement) outer.add(p);
  const causes = off.filter(([el]) => !outer.has(el)).sort((a, b) => b[1].width - a[1].width);
  const widest = causes.slice(0, 3).map(([el, r]) => `${path(el)} (${Math.round(r.width)} px wide, to ${Math.round(r.right)} px)`);
  out.overflow.push(`${root ? (box === de ? 'the document' : 'the body') : path(box)} is ${box.scrollWidth} px wide in ${box.clientWidth} px; widest: ${widest.join('; ') || 'none found'}`);
}

// 2. Untranslated codes in what the user reads.
const texts = [['text', document.body.innerText], ['title', document.title]];
for (const el of document.querySelectorAll('[title],[placeholder],[aria-label]')) {
  if (!el.getClientRects().length) continue;
  for (const a of ['title', 'placeholder', 'aria-label']) {
    const v = el.getAttribute(a);
    if (v) texts.push([`${a} of ${named(el)}`, v]);
  }
}
for (const o of document.querySelectorAll('option')) texts.push([`option of ${path(o.parentElement)}`, o.textContent]);
const B = '(?<![\\w.@/?&=:-])', E = '(?![\\w.@/?&=-])';
const extensions = /\.(xlsx|xlsm|xls|ods|docx|doc|csv|pdf|png|jpe?g|zip|toml|json|db|txt|md|html|svg)$/;
const patterns = [
  ['dotted code', new RegExp(B + '[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\\.[a-z][a-z0-9_]*)+' + E, 'g'), (m) => !extensions.test(m)],
  ['entity reference', /\b[a-z][a-z_]*:\d+\b/g, () => true],
  ['snake_case identifier', new RegExp(B + '[a-z][a-z0-9]*(?:_[a-z0-9]+)+' + E, 'g'),
   // Account names are data, not codes (the demo's are demo_school…).
   (m) => !/^demo_/.test(m)],
  ['English status word', /\b(?:submitted|accepted|returned|draft|pending|approved|rejected|published|proposed|selected|unselected|confirmed|objected|withdrawn|open|closed|locked|active|inactive|enabled|disabled|true|false|null|undefined|NaN|None|Some|Ok|Err)\b/g, () => true],
  ['CamelCase name', /\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b/g, () => true],
  ['template leftover', /\{\{|\}\}|\{%|%\}/g, () => true],
];
const seenCodes = new Set();
for (const [where, text] of texts) {
  for (const [kind, re, keep] of patterns) {
    for (const m of text.matchAll(re)) {
      if (!keep(m[0]) || seenCodes.has(kind + m[0])) continue;
      seenCodes.add(kind + m[0]);
      const around = text.slice(Math.max(0, m.index - 16), m.index + m[0].length + 16).replace(/\s+/g, ' ');
      out.codes.push(`${kind} 「${m[0]}」\u0001in ${where}: …${around}…`);
    }
  }
}

// 3. Classes no loaded stylesheet defines.
const defined = new Set();
const unescape = (s) => s.replace(/\\([0-9a-fA-F]{1,6}) ?/g, (_, h) => String.fromCodePoint(parseInt(h, 16))).replace(/\\(.)/g, '$1');
const addRules = (rules) => {
  for (const r of rules) {
    if (r.selectorText) for (const m of r.selectorText.matchAll(/\.((?:[\w-]|\\[0-9a-fA-F]{1,6} ?|\\.)+)/g)) defined.add(unescape(m[1]));
    if (r.cssRules) addRules(r.cssRules);
  }
};
for (const s of document.styleSheets) {
  try { addRules(s.cssRules); } catch (e) { out.classes.push(`stylesheet ${s.href} cannot be read: ${e}`); }
}
const missing = new Map();
for (const el of document.querySelectorAll('[class]')) {
  for (const c of el.classList) {
    if (defined.has(c) || hookPrefixes.some((p) => c.startsWith(p)) || missing.has(c)) continue;
    missing.set(c, path(el));
  }
}
for (const [c, where] of missing) out.classes.push(`.${c} (on ${where})`);

// 4. Same-site links, htmx GETs and GET forms, to fetch.
const same = (raw) => {
  try {
    const u = new URL(raw, location.href);
    if (u.origin !== location.origin) return null;
    u.hash = '';
    return u.href;
  } catch (e) { return null; }
};
for (const a of document.querySelectorAll('a[href]')) {
  const h = a.getAttribute('href');
  if (h.startsWith('#') || /^(mailto|tel|javascript):/i.test(h)) continue;
  const u = same(h);
  if (u) out.links.push(u);
}
for (const el of document.querySelectorAll('[hx-get]')) {
  const u = same(el.getAttribute('hx-get'));
  if (u) out.fragments.push(u);
}
for (const f of document.querySelectorAll('form')) {
  if ((f.getAttribute('method') || 'get').toLowerCase() !== 'get' || f.hasAttribute('hx-post')) continue;
  const u = same(f.getAttribute('action') || location.href);
  if (!u) continue;
  const url = new URL(u);
  const data = new URLSearchParams();
  for (const [k, v] of new FormData(f)) if (typeof v === 'string') data.append(k, v);
  url.search = data.toString();
  out.forms.push(url.href);
}
return out;
"#;

/// Fetches `arguments[0]` (URLs) with the page's session, in parallel; `arguments[1]` says
/// whether they are htmx fragments. Each answer: `{url, status, type, final}`.
const FETCH: &str = r#"
const [urls, fragment] = arguments;
return Promise.all(urls.map(async (url) => {
  try {
    const r = await fetch(url, {credentials: 'same-origin', headers: fragment ? {'HX-Request': 'true'} : {}});
    try { await r.body.cancel(); } catch (e) {}
    return {url, status: r.status, type: r.headers.get('content-type') || '', final: r.url};
  } catch (e) {
    return {url, status: 0, type: '', final: String(e)};
  }
}));
"#;

/// The route pattern of a same-site URL: numbers in the path read as `{id}`, and `?…` when the
/// query narrows or changes what the page shows (a value other than paging's): a page is opened
/// once as it is and once filtered, whichever filter.
fn pattern(url: &str) -> String {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, r)| r.find('/').map_or("/", |i| &r[i..]));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                s
            }
        })
        .collect();
    let narrowed = query.split('&').any(|p| {
        let (key, value) = p.split_once('=').unwrap_or((p, ""));
        !key.is_empty() && !value.is_empty() && key != "page" && key != "per_page"
    });
    let mut out = path.join("/");
    if narrowed {
        out.push_str("?…");
    }
    out
}

/// The path of a same-site URL.
fn path_of(url: &str) -> &str {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, r)| r.find('/').map_or("/", |i| &r[i..]));
    rest.split(['?', '#']).next().unwrap_or(rest)
}

/// Never opened as pages: signing out, files, the API.
fn not_a_page(url: &str) -> bool {
    let p = path_of(url);
    p == "/logout" || p.starts_with("/assets/") || p.starts_with("/api/")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What went wrong: each message with the pages it was found on (who, URL), and a screenshot of
/// the first such page.
#[derive(Default)]
struct Problems {
    found: BTreeMap<String, Vec<(String, String)>>,
    details: BTreeMap<String, String>,
    shots: BTreeMap<String, String>,
}

impl Problems {
    /// Records `found` on the page; a message may carry a detail after `\u{1}` (where on the
    /// page), kept from its first page only so that one defect is one entry.
    fn add(&mut self, b: &Browser, who: &str, url: &str, found: Vec<String>) {
        for message in found {
            let (message, detail) = match message.split_once('\u{1}') {
                Some((m, d)) => (m.to_owned(), Some(d.to_owned())),
                None => (message, None),
            };
            if let Some(d) = detail {
                self.details.entry(message.clone()).or_insert(d);
            }
            let pages = self.found.entry(message.clone()).or_default();
            if pages.is_empty() && self.shots.len() < 24 {
                let label = format!(
                    "{who}-{}",
                    path_of(url)
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                        .trim_matches('_')
                );
                if let Some(shot) = b.screenshot(&label) {
                    self.shots.insert(message, shot.display().to_string());
                }
            }
            pages.push((who.to_owned(), url.to_owned()));
        }
    }

    fn report(&self) -> String {
        let mut out = String::new();
        for (message, pages) in &self.found {
            out.push_str(&format!("\n- {message}"));
            if let Some(d) = self.details.get(message) {
                out.push_str(&format!("\n    {d}"));
            }
            out.push_str(&format!("\n    on {} page(s):", pages.len()));
            for (who, url) in pages.iter().take(3) {
                out.push_str(&format!(" [{who}] {url}"));
            }
            if pages.len() > 3 {
                out.push_str(" …");
            }
            if let Some(shot) = self.shots.get(message) {
                out.push_str(&format!("\n    screenshot: {shot}"));
            }
        }
        out
    }
}

/// One account's walk (or the anonymous visitor's, `who` = "anonymous").
struct Walk<'a> {
    b: &'a Browser,
    base: &'a str,
    who: &'a str,
    signed_in: bool,
    /// URLs fetched already (exact).
    fetched: BTreeSet<String>,
    /// Route patterns opened or queued.
    patterns: BTreeSet<String>,
    queue: VecDeque<String>,
    opened: usize,
}

impl<'a> Walk<'a> {
    fn new(b: &'a Browser, base: &'a str, who: &'a str, signed_in: bool, start: &str) -> Self {
        let start = format!("{base}{start}");
        let mut patterns = BTreeSet::new();
        patterns.insert(pattern(&start));
        Walk {
            b,
            base,
            who,
            signed_in,
            fetched: BTreeSet::new(),
            patterns,
            queue: VecDeque::from([start]),
            opened: 0,
        }
    }

    fn run(&mut self, problems: &mut Problems) {
        while let Some(url) = self.queue.pop_front() {
            if self.opened >= MAX_PAGES {
                problems.add(
                    self.b,
                    self.who,
                    &url,
                    vec![format!(
                        "more than {MAX_PAGES} route patterns: the sweep stopped here"
                    )],
                );
                break;
            }
            self.opened += 1;
            self.page(&url, problems);
        }
    }

    /// Opens `url`, checks it, fetches what it leads to and queues the pages not seen yet.
    fn page(&mut self, url: &str, problems: &mut Problems) {
        self.b.goto(url);
        let here = self.b.url();
        let mut found = Vec::new();
        if self.signed_in && path_of(&here) == "/login" {
            found.push(format!(
                "a signed-in account was sent to the login page ({here})"
            ));
            problems.add(self.b, self.who, url, found);
            return;
        }
        let audit = self.b.script(AUDIT, json!([HOOK_CLASS_PREFIXES]));
        for o in strings(&audit["overflow"]) {
            found.push(format!("scrolls sideways: {o}"));
        }
        for c in strings(&audit["codes"]) {
            found.push(format!("untranslated: {c}"));
        }
        for c in strings(&audit["classes"]) {
            found.push(format!("class not in any stylesheet: {c}"));
        }
        let links: Vec<String> = strings(&audit["links"])
            .into_iter()
            .chain(strings(&audit["forms"]))
            .collect();
        found.extend(self.fetch(&links, false, true));
        found.extend(self.fetch(&strings(&audit["fragments"]), true, false));
        problems.add(self.b, self.who, url, found);
    }

    /// Fetches the URLs not fetched yet; queues the HTML pages of new patterns when `follow`.
    fn fetch(&mut self, urls: &[String], fragment: bool, follow: bool) -> Vec<String> {
        let new: Vec<String> = urls
            .iter()
            .filter(|u| path_of(u) != "/logout" && self.fetched.insert((*u).clone()))
            .cloned()
            .collect();
        let mut found = Vec::new();
        if new.is_empty() {
            return found;
        }
        let answers = self.b.script(FETCH, json!([new, fragment]));
        for a in answers.as_array().into_iter().flatten() {
            let url = a["url"].as_str().unwrap_or_default();
            let status = a["status"].as_u64().unwrap_or(0);
            let last = a["final"].as_str().unwrap_or_default();
            let shown = url.strip_prefix(self.base).unwrap_or(url);
            if !(200..400).contains(&status) {
                found.push(format!("link {shown} answers {status} {last}"));
                continue;
            }
            if self.signed_in && path_of(last) == "/login" && path_of(url) != "/login" {
                found.push(format!("link {shown} sends the account to the login page"));
                continue;
            }
            let html = a["type"]
                .as_str()
                .unwrap_or_default()
                .starts_with("text/html");
            if follow && html && !not_a_page(url) && self.patterns.insert(pattern(url)) {
                self.queue.push_back(url.to_owned());
            }
        }
        found
    }
}

/// Signs `user` in through the login page.
fn login(b: &Browser, base: &str, user: &str) {
    b.clear_cookies();
    b.goto(&format!("{base}/login"));
    b.fill("#username", user);
    b.fill("#password", PASSWORD);
    b.click("form button[type=submit]");
    b.wait_text(&["退出"]);
}

/// Sideways scrolling of the page open now, as the audit reports it.
fn overflow(b: &Browser) -> Vec<String> {
    strings(&b.script(AUDIT, json!([HOOK_CLASS_PREFIXES]))["overflow"])
        .into_iter()
        .map(|o| format!("scrolls sideways at 390 px: {o}"))
        .collect()
}

#[test]
fn every_page_of_every_demo_role_fits_the_screen_reads_chinese_and_leads_somewhere() {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDb::new());
    let server = Server::start(
        &[],
        &[
            "--database-url".to_owned(),
            db.url().to_owned(),
            "--demo".to_owned(),
        ],
    );
    let base = format!("http://127.0.0.1:{}", server.port);
    let seeded = started.elapsed();

    let b = Browser::start("sweep");
    b.set_window_size(1366, 768);
    let mut problems = Problems::default();
    let mut opened = BTreeMap::new();

    // The visitor without an account: the login page and the public pages it links to.
    b.clear_cookies();
    let mut walk = Walk::new(&b, &base, "anonymous", false, "/login");
    walk.run(&mut problems);
    opened.insert("anonymous", walk.opened);

    for &user in ACCOUNTS {
        login(&b, &base, user);
        let mut walk = Walk::new(&b, &base, user, true, "/");
        walk.run(&mut problems);
        opened.insert(user, walk.opened);

        // A school officer on a phone: 工作台 and 报送.
        if user.starts_with("demo_school") {
            b.set_window_size(390, 844);
            for page in ["/", "/submissions"] {
                let url = format!("{base}{page}");
                b.goto(&url);
                let found = overflow(&b);
                problems.add(&b, user, &format!("{url} (390 px)"), found);
            }
            b.set_window_size(1366, 768);
        }
    }
    b.clear_cookies();
    b.set_window_size(390, 844);
    let login_url = format!("{base}/login");
    b.goto(&login_url);
    let found = overflow(&b);
    problems.add(&b, "anonymous", &format!("{login_url} (390 px)"), found);

    let pages: usize = opened.values().sum();
    eprintln!(
        "UI sweep: {pages} pages in {:.0?} (demo data seeded in {seeded:.0?}); per account: {opened:?}",
        started.elapsed()
    );
    drop(b);
    drop(server);
    assert!(
        problems.found.is_empty(),
        "the UI sweep found {} problem(s):{}",
        problems.found.len(),
        problems.report()
    );
    assert!(
        opened.values().all(|&n| n >= 2),
        "every account opens more than its home page: {opened:?}"
    );
}

#[test]
fn a_route_pattern_reads_numbers_as_ids_and_keeps_only_the_query_keys() {
    assert_eq!(
        pattern("http://127.0.0.1:9/forms/12/rows/3/edit"),
        "/forms/{id}/rows/{id}/edit"
    );
    assert_eq!(
        pattern("http://127.0.0.1:9/roster?status=draft&page=2"),
        "/roster?…"
    );
    assert_eq!(
        pattern("http://127.0.0.1:9/roster?q=&status=&per_page=20"),
        "/roster"
    );
    assert_eq!(pattern("http://127.0.0.1:9/"), "/");
    assert!(not_a_page("http://127.0.0.1:9/assets/app.css?v=1"));
}
