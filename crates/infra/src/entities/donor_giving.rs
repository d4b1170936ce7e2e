use sea_orm::entity::prelude::*;

/// A donor's counted gifts in every currency: how many and the latest date. Maintained by
/// triggers on `donations` (migration 000020, docs/decisions/0031-donor-giving-totals.md);
/// never written by the app.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "donor_giving")]
pub struct Model {
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub donor_id: Uuid,
    pub gift_count: i32,
    pub last_gift_date: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
