//! Issue 12: the school's 推荐表 grid at 1366×768 in Chromium — the page never scrolls sideways,
//! 序号/姓名 stay pinned on the left and 企业确认/操作 on the right while the grid scrolls, a
//! finding is the cell's outline with its message, rule and clause in a popover, the keyboard
//! walks the cells and Enter opens the row's editor at that cell, the saved row comes back in
//! view below the header with its message readable, and 新增一行 starts with the school's bank
//! details (the account kept in full though the page showed it masked).

use serde_json::{Value, json};
use shuangshi_rules::Column;
use shuangshi_store::{Actor, FormContent, Scope};

use crate::browser::{assert_fits, login};
use crate::school::{cells, engineer, form, open_batch, pair, partner, teacher};
use crate::support::TestApp;
use crate::webdriver::{Browser, KEY_DOWN, KEY_ENTER, KEY_RIGHT};

const NAMES: [&str; 12] = [
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴刚", "徐丽", "孙浩",
];

/// The rectangle of the first element matching `css`: [left, top, right, bottom] in px.
fn rect(b: &Browser, css: &str) -> [f64; 4] {
    let v = b.script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();
         return [r.left, r.top, r.right, r.bottom];",
        json!([css]),
    );
    let n = |i: usize| v[i].as_f64().unwrap_or(f64::NAN);
    [n(0), n(1), n(2), n(3)]
}

fn js(b: &Browser, script: &str) -> Value {
    b.script(script, json!([]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_school_works_its_form_grid_at_1366_by_768_in_chromium() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "表格", "中职").await;
    let fid = partner(&app, &batch, &p).await;
    // Twelve people; the seventh's mobile has ten digits (F04 on that cell).
    let rows: Vec<Vec<String>> = NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mobile = format!("13{}{:08}", 5 + i % 4, 10_000 + i);
            let mut r = if i % 2 == 0 {
                cells(&teacher(&p, &mobile))
            } else {
                cells(&engineer(&p, &mobile))
            };
            r[Column::Seq as usize] = (i + 1).to_string();
            r[Column::Name as usize] = (*name).to_owned();
            if i == 6 {
                r[Column::Mobile as usize] = "1380013800".into();
            }
            r
        })
        .collect();
    let content = FormContent {
        header_school: p.school.name.clone(),
        header_enterprise: p.enterprise.name.clone(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        rows,
    };
    let stored = app
        .store()
        .replace_rows(&Scope::All, fid, &content, None, &Actor::system())
        .await
        .unwrap()
        .unwrap();
    let bad_row = stored.form.rows[6].id;
    let account = stored.form.rows[0].cells[Column::AccountNumber as usize].clone();

    let (base, server) = app.serve().await;

    let new_name = "郑新";
    tokio::task::block_in_place(|| {
        let b = Browser::start("grid");
        b.set_window_size(1366, 768);
        login(&b, &base, &p.school_user);
        b.goto(&format!("{base}/forms/{fid}"));
        b.wait_text(&["交流互聘人员推荐表", "张伟", "孙浩"]);
        assert_fits(&b, 1366, "the form page");

        // The grid scrolls inside its own box; its header row and the actions are on screen.
        js(
            &b,
            "document.getElementById('grid-wrap').scrollIntoView({block: 'start'})",
        );
        let wide = js(
            &b,
            "const w = document.getElementById('grid-wrap'); return [w.scrollWidth, w.clientWidth]",
        );
        assert!(
            wide[0].as_f64() > wide[1].as_f64(),
            "the grid is wider than its box and scrolls in it: {wide}"
        );
        let wrap = rect(&b, "#grid-wrap");
        assert!(
            wrap[2] <= 1366.5,
            "the grid's box fits the screen: {wrap:?}"
        );
        let edit = rect(&b, "#grid tbody tr:first-child a.row-action");
        assert!(
            edit[0] >= wrap[0] && edit[2] <= wrap[2],
            "编辑 is on screen without scrolling the grid: {edit:?} in {wrap:?}"
        );
        let shown = js(
            &b,
            "const w = document.getElementById('grid-wrap');
             const head = w.querySelector('thead').getBoundingClientRect().bottom;
             return [...w.querySelectorAll('tbody tr')].filter(tr => {
               const r = tr.getBoundingClientRect();
               return r.top >= head - 1 && r.bottom <= w.getBoundingClientRect().bottom + 1;
             }).length",
        );
        assert!(
            shown.as_u64() >= Some(8),
            "at least eight rows show at once at 1366×768: {shown} (rows, header and box: {})",
            js(
                &b,
                "const w = document.getElementById('grid-wrap');
                 return [[...w.querySelectorAll('tbody tr')].map(tr => Math.round(tr.getBoundingClientRect().height)),
                         w.querySelector('thead').getBoundingClientRect().height, w.clientHeight,
                         [...w.querySelectorAll('tbody tr:first-child td')].map(td => Math.round(td.getBoundingClientRect().height))]"
            )
        );

        // Scrolled to its far right, 序号 and 姓名 stay where they were; the units scroll away.
        let seq = rect(&b, "#grid tbody tr:first-child td:nth-child(1)");
        let name = rect(&b, "#grid tbody tr:first-child td:nth-child(3)");
        let unit = rect(&b, "#grid tbody tr:first-child td:nth-child(4)");
        js(
            &b,
            "const w = document.getElementById('grid-wrap'); w.scrollLeft = w.scrollWidth;",
        );
        let seq2 = rect(&b, "#grid tbody tr:first-child td:nth-child(1)");
        let name2 = rect(&b, "#grid tbody tr:first-child td:nth-child(3)");
        let unit2 = rect(&b, "#grid tbody tr:first-child td:nth-child(4)");
        assert!(
            (seq[0] - seq2[0]).abs() < 1.0 && (name[0] - name2[0]).abs() < 1.0,
            "序号 and 姓名 are pinned: {seq:?} → {seq2:?}, {name:?} → {name2:?}"
        );
        assert!(
            unit2[0] < unit[0] - 100.0,
            "the other columns scroll: {unit:?} → {unit2:?}"
        );
        js(&b, "document.getElementById('grid-wrap').scrollLeft = 0;");

        // The error is the cell's outline and its rule; the message waits in a popover.
        let bad_cell = format!("#row-{bad_row} td[data-col='9']");
        let outline = b.script(
            "const s = getComputedStyle(document.querySelector(arguments[0]));
             return [s.outlineStyle, s.outlineColor, s.outlineWidth];",
            json!([bad_cell]),
        );
        assert_eq!(outline, json!(["solid", "rgb(224, 60, 60)", "2px"]));
        let pop = format!("{bad_cell} .cell-pop");
        let display = |b: &Browser| {
            b.script(
                "return getComputedStyle(document.querySelector(arguments[0])).display",
                json!([pop]),
            )
        };
        assert_eq!(
            display(&b),
            json!("none"),
            "the message is not spelled out in the grid"
        );
        let clean = rect(&b, "#grid tbody tr:first-child");
        let tall = rect(&b, &format!("#row-{bad_row}"));
        assert!(
            tall[3] - tall[1] <= (clean[3] - clean[1]) * 1.5,
            "the row with an error is not much taller than a clean one: {tall:?} vs {clean:?}"
        );

        // The keyboard: from the first cell, down six rows and right to 手机号码.
        b.click("#grid tbody tr:first-child td:nth-child(1)");
        b.press(&[KEY_DOWN; 6]);
        b.press(&[KEY_RIGHT; 9]);
        let focused = js(
            &b,
            "const a = document.activeElement; return [a.tagName, a.dataset.col || '', a.parentElement.id]",
        );
        assert_eq!(focused, json!(["TD", "9", format!("row-{bad_row}")]));
        assert_eq!(
            display(&b),
            json!("block"),
            "focus opens the cell's popover"
        );
        let popped = b.text_of(&pop);
        assert!(
            popped.contains("F04") && popped.contains("通知条款"),
            "the popover gives the message, the rule and its clause: {popped}"
        );
        let pr = rect(&b, &pop);
        assert!(
            pr[0] >= 0.0 && pr[2] <= 1366.5 && pr[1] >= 0.0 && pr[3] <= 768.5,
            "the popover is on screen: {pr:?} (its cell: {:?})",
            rect(&b, &bad_cell)
        );

        // Enter opens that row's editor with the caret in 手机号码; the save comes back to it.
        b.press(&[KEY_ENTER]);
        b.wait_path(&format!("/forms/{fid}/rows/{bad_row}/edit"));
        assert!(b.url().ends_with("#f-c9"), "{}", b.url());
        let active = js(&b, "return document.activeElement.id");
        assert_eq!(active, json!("f-c9"));
        b.fill("#f-c9", "13800138000");
        b.click(".form-actions button[type=submit]");
        b.wait_path(&format!("/forms/{fid}"));
        assert!(b.url().ends_with(&format!("#row-{bad_row}")), "{}", b.url());
        b.wait_text(&["已保存"]);
        let head = rect(&b, "#grid thead");
        let row = rect(&b, &format!("#row-{bad_row}"));
        assert!(
            row[1] >= head[3] - 1.0 && row[3] <= 768.5,
            "the saved row is in view below the grid's header: {row:?}, header {head:?}"
        );
        let flash = rect(&b, "#flash .alert");
        assert!(
            flash[1] >= 0.0 && flash[3] <= 768.5 && flash[0] >= 0.0 && flash[2] <= 1366.5,
            "the message after the save is on screen: {flash:?}"
        );
        assert!(!b.exists("td.cell-error"), "the fix cleared the outline");

        // 新增一行 starts with the school's bank details, the account as the page shows it.
        b.click("details.add-row > summary");
        let value = |css: &str| {
            b.script(
                "return document.querySelector(arguments[0]).value",
                json!([css]),
            )
        };
        assert_eq!(value("#f-c13"), json!("中国工商银行重庆分行"));
        assert_eq!(value("#f-c14"), json!(p.school.name));
        let masked = value("#f-c15");
        assert_eq!(masked, json!("***************1234"));
        for (col, v) in cells(&teacher(&p, "13600136000")).iter().enumerate() {
            if (13..=15).contains(&col) || col == Column::Seq as usize {
                continue;
            }
            let v = if col == Column::Name as usize {
                new_name
            } else {
                v
            };
            b.script(
                "document.querySelector(arguments[0]).value = arguments[1]",
                json!([format!("#f-c{col}"), v]),
            );
        }
        b.click("details.add-row .form-actions button[type=submit]");
        b.wait_text(&["已添加", new_name]);
    });
    server.abort();

    let after = form(&app, fid).await;
    assert_eq!(after.rows.len(), 13);
    let added = after
        .rows
        .iter()
        .find(|r| r.cell(Column::Name) == new_name)
        .expect("the new row");
    assert_eq!(
        added.cell(Column::AccountNumber),
        account,
        "the masked account sent back is the school's, in full"
    );
    assert_eq!(after.rows[6].cell(Column::Mobile), "13800138000");
}
