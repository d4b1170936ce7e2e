use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "todos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    #[sea_orm(column_name = "type")]
    pub todo_type: Option<String>,
    pub due_date: Option<Date>,
    pub priority: Option<String>,
    pub status: Option<String>,
    pub donor_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub assigned_to: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub is_ai_generated: Option<bool>,
    pub ai_reasoning: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((3, 2)))", nullable)]
    pub ai_confidence: Option<Decimal>,
    pub completed_at: Option<DateTimeUtc>,
    pub completed_by: Option<Uuid>,
    pub created_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// A suggested task's natural key (migration 000019); NULL for tasks people create.
    pub suggestion_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
