use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub permissions: Option<Json>,
    pub is_active: Option<bool>,
    pub gmail_refresh_token: Option<String>,
    pub gmail_email: Option<String>,
    pub microsoft_refresh_token: Option<String>,
    pub microsoft_email: Option<String>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
