use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub clerk_id: String,
    pub name: String,
    pub slug: String,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub donor_journey_graph: Option<Json>,
    pub ai_instructions: Option<String>,
    pub website_url: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub website_data: Option<Json>,
    pub website_last_crawled: Option<DateTimeUtc>,
    /// ISO 3166-1 alpha-2 (migration 13, not in the spec).
    pub country: Option<String>,
    /// 1 to 12 (migration 16, not in the spec).
    pub fiscal_year_start_month: i32,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
