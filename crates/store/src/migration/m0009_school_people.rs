//! `m0009_school_people`: `people_index` by `(batch_id, school_id)`. Every save of a school's check
//! reads and replaces that school's people in the identity index; with only the `(batch_id, …)`
//! indexes of m0002 that was a scan of the whole batch's people, so a row saved in a batch ten
//! times larger cost three times as much (`shuangshi bench serve --scale 10`, README 「服务端基准」).

use sea_orm_migration::prelude::*;

use super::index;

pub(super) struct SchoolPeople;

impl MigrationName for SchoolPeople {
    fn name(&self) -> &str {
        "m0009_school_people"
    }
}

#[derive(DeriveIden)]
enum PeopleIndex {
    Table,
    BatchId,
    SchoolId,
}

#[async_trait::async_trait]
impl MigrationTrait for SchoolPeople {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            index("idx_people_school", PeopleIndex::Table)
                .col(PeopleIndex::BatchId)
                .col(PeopleIndex::SchoolId)
                .to_owned(),
        )
        .await
    }
}
