use sea_orm::entity::prelude::*;

/// A donor's counted gifts in one currency, maintained by triggers on `donations`
/// (migration 000020, docs/decisions/0031-donor-giving-totals.md); never written by the app.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "donor_giving_totals")]
pub struct Model {
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub donor_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    pub total_cents: i64,
    pub gift_count: i32,
    pub last_gift_date: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
