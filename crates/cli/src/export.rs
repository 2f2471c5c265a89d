//! `shuangshi export roster|public|ledger`: the commission's lists as files. The roster is the
//! web export's (`shuangshi_app::export`), unmasked (the commission's own list) and audited; the
//! public list is the one in force (public fields only); the ledger is the finance office's
//! workbook (`shuangshi_app::ledger`), the only export with full account numbers.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::ValueEnum;
use shuangshi_app::Disclosure;
use shuangshi_app::export::{RosterFilter, roster_csv, roster_xlsx};
use shuangshi_store::{AuditEntry, Role, Scope};

use crate::ops::{self, OperatorArgs};
use crate::serve::DbArgs;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Kind {
    /// 汇总名单（与网页导出的列相同）
    Roster,
    /// 公开名单：正式名单已公布时为正式名单，否则为公示名单（只含公开字段）
    Public,
    /// 补助经费拨付表（财务用，含完整账号；仅 xlsx）
    Ledger,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FileFormat {
    Xlsx,
    Csv,
}

pub struct Options {
    pub what: Kind,
    pub batch: Option<String>,
    pub format: FileFormat,
    pub out: PathBuf,
    /// Numbers in full (audited as such); masked otherwise.
    pub full: bool,
    pub db: DbArgs,
    pub operator: OperatorArgs,
}

/// `shuangshi export`.
pub fn run(opts: Options) -> anyhow::Result<ExitCode> {
    match opts.what {
        Kind::Public => return public(opts),
        Kind::Ledger => return ledger(opts),
        Kind::Roster => {}
    }
    ops::runtime()?.block_on(async {
        let session = ops::open(&opts.db, &opts.operator).await?;
        let batch = ops::batch(&session.app, opts.batch.as_deref()).await?;
        let g = session
            .app
            .roster(
                &Scope::All,
                &batch,
                &RosterFilter::default(),
                &Disclosure::new(Role::Admin, session.actor.clone(), opts.full),
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let bytes = match opts.format {
            FileFormat::Xlsx => {
                roster_xlsx(&g.batch_name, &g.people).map_err(|e| anyhow!("{e}"))?
            }
            FileFormat::Csv => roster_csv(&g.people),
        };
        std::fs::write(&opts.out, &bytes).map_err(|e| {
            anyhow!(
                "无法写入「{}」：{}",
                opts.out.display(),
                shuangshi_sheet::io_reason(&e)
            )
        })?;
        let format = match opts.format {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Csv => "csv",
        };
        session
            .app
            .store()
            .audit(AuditEntry::new(
                &session.actor,
                if opts.full {
                    "export.roster_unmasked"
                } else {
                    "export.roster"
                },
                "roster".to_owned(),
                format!(
                    "命令行导出{}汇总名单（{format}）：{} 人 → {}",
                    g.batch_name,
                    g.people.len(),
                    opts.out.display()
                ),
            ))
            .await
            .map_err(|e| anyhow!("{e}"))?;
        println!(
            "已导出{}汇总名单：{} 人，{} → {}",
            g.batch_name,
            g.people.len(),
            format,
            opts.out.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// `shuangshi export public`: the list in force for the public (the final list once published,
/// else the 公示), with the public fields only.
fn public(opts: Options) -> anyhow::Result<ExitCode> {
    ops::runtime()?.block_on(async {
        let session = ops::open(&opts.db, &opts.operator).await?;
        let batch = ops::batch(&session.app, opts.batch.as_deref()).await?;
        let list = match session.app.public_list(batch.number).await {
            Ok(l) => l,
            Err(shuangshi_app::Error::NotFound) => {
                return Err(anyhow!(
                    "{}尚未发布公示或正式名单，没有可导出的公开名单；请先在「遴选与公布」页发布公示",
                    batch.name
                ));
            }
            Err(e) => return Err(anyhow!("{e}")),
        };
        let bytes = match opts.format {
            FileFormat::Xlsx => {
                shuangshi_app::selection::public_xlsx(&list).map_err(|e| anyhow!("{e}"))?
            }
            FileFormat::Csv => {
                let mut out = String::from("\u{feff}");
                let line = |cells: Vec<String>| {
                    cells
                        .iter()
                        .map(|c| shuangshi_app::export::csv_cell(c))
                        .collect::<Vec<_>>()
                        .join(",")
                        + "\r\n"
                };
                out.push_str(&line(
                    shuangshi_app::selection::PUBLIC_HEADERS
                        .iter()
                        .map(|h| (*h).to_owned())
                        .collect(),
                ));
                for e in &list.publication.entries {
                    out.push_str(&line(vec![
                        e.seq.to_string(),
                        e.name.clone(),
                        e.sending_unit.clone(),
                        e.receiving_unit.clone(),
                        e.post.clone(),
                        e.term.clone(),
                        e.direction.clone(),
                    ]));
                }
                out.into_bytes()
            }
        };
        std::fs::write(&opts.out, &bytes).map_err(|e| {
            anyhow!(
                "无法写入「{}」：{}",
                opts.out.display(),
                shuangshi_sheet::io_reason(&e)
            )
        })?;
        let title = shuangshi_app::selection::public_title(&list);
        let n = list.publication.entries.len();
        session
            .app
            .store()
            .audit(AuditEntry::new(
                &session.actor,
                "export.public",
                format!("publication:{}", list.publication.id),
                format!("命令行导出{title}：{n} 人 → {}", opts.out.display()),
            ))
            .await
            .map_err(|e| anyhow!("{e}"))?;
        println!("已导出{title}：{n} 人 → {}", opts.out.display());
        Ok(ExitCode::SUCCESS)
    })
}

/// `shuangshi export ledger`: the finance office's workbook of the subsidy (full account numbers;
/// audited as `export.ledger` by the use case). Default batch: the latest with a final list.
fn ledger(opts: Options) -> anyhow::Result<ExitCode> {
    if opts.format != FileFormat::Xlsx {
        return Err(anyhow!(
            "补助经费拨付表只导出 xlsx（含完整账号，供财务处使用）；请去掉 --format csv"
        ));
    }
    ops::runtime()?.block_on(async {
        let session = ops::open(&opts.db, &opts.operator).await?;
        let batch = match opts.batch.as_deref() {
            Some(_) => ops::batch(&session.app, opts.batch.as_deref()).await?,
            None => session
                .app
                .term_batch(None)
                .await
                .map_err(|e| anyhow!("{e}"))?,
        };
        let bytes = session
            .app
            .ledger_xlsx(&session.actor, &batch)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        std::fs::write(&opts.out, &bytes).map_err(|e| {
            anyhow!(
                "无法写入「{}」：{}",
                opts.out.display(),
                shuangshi_sheet::io_reason(&e)
            )
        })?;
        println!(
            "已导出{}补助经费拨付表（含完整账号，已记入审计日志）→ {}",
            batch.name,
            opts.out.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}
