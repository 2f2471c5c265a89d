//! `shuangshi export roster|public|ledger`: the commission's lists as files. The roster is the
//! web export's (`shuangshi_app::export`), unmasked (the commission's own list) and audited; the
//! published list and the subsidy ledger do not exist yet and are refused with a message.

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
    /// 公示名单（尚未提供）
    Public,
    /// 补助台账（尚未提供）
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
        Kind::Public => {
            return Err(anyhow!(
                "公示名单尚不能导出：本系统还没有公示环节（遴选与公示上线后提供）；现在可导出汇总名单：shuangshi export roster --out 文件"
            ));
        }
        Kind::Ledger => {
            return Err(anyhow!(
                "补助台账尚不能导出：本系统还没有补助发放环节（上线后提供）；现在可导出汇总名单：shuangshi export roster --out 文件"
            ));
        }
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
