//! `m0006_scale`: the indexes the reads of a batch need once the tables hold many batches
//! (`shuangshi bench dashboard`, README 「工作台与汇总名单的规模测试」).
//!
//! - `people_index` by `mobile_key` and by `name_key` alone: saving a school's check reads every
//!   person sharing a key *in any batch* (D03 across batches), which the `(batch_id, key)`
//!   indexes of m0002 cannot serve (without them each save scans the whole table: 0.4–0.7 s at
//!   1,000,000 people).

use sea_orm_migration::prelude::*;

use super::index;

pub(super) struct Scale;

impl MigrationName for Scale {
    fn name(&self) -> &str {
        "m0006_scale"
    }
}

#[derive(DeriveIden)]
enum PeopleIndex {
    Table,
    MobileKey,
    NameKey,
}

/// The indexes this migration creates, by name (the benchmark drops them to measure without).
pub(crate) const INDEXES: [&str; 2] = ["idx_people_mobile_any", "idx_people_name_any"];

#[async_trait::async_trait]
impl MigrationTrait for Scale {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            index(INDEXES[0], PeopleIndex::Table)
                .col(PeopleIndex::MobileKey)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(INDEXES[1], PeopleIndex::Table)
                .col(PeopleIndex::NameKey)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
