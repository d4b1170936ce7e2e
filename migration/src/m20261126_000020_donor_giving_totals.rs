//! Per-donor giving, kept current by the database itself
//! (docs/decisions/0031-donor-giving-totals.md), over each donor's counted gifts (amount above
//! zero); a gift without a currency counts as US dollars (the schema default):
//! - `donor_giving`: one row per donor who gave: the number of gifts and the latest date, in
//!   any currency;
//! - `donor_giving_totals`: one row per donor and currency: the sum in integer cents, the number
//!   of gifts and the latest date in that currency.
//!
//! Dynamic donor lists filter on these instead of aggregating every gift of the organization on
//! each read. Triggers on `donations` maintain them whoever writes (the API, imports, the demo
//! generator, psql), so they cannot drift from the gifts:
//! - an insert adds the new gifts to their donors' rows (an upsert that increments);
//! - an update that changes an amount, currency, date or donor, and a delete, recount the
//!   donors concerned from their gifts (a latest date cannot be decremented).
//!
//! PostgreSQL uses statement-level triggers over transition tables, so a batch of gifts is one
//! set-based upsert per table, not one per gift; rows are upserted table by table in donor
//! order, so that transactions writing one statement of gifts each lock them in the same order
//! and cannot deadlock. SQLite has only row triggers, and a single writer. The migration fills
//! both tables from the gifts already stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::schema::OnDelete::Cascade;
use crate::schema::{TableSpec, big_integer, create_all, date, drop_all, integer, table, text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One of the two tables: per donor, or per donor and currency.
#[derive(Clone, Copy)]
enum Summary {
    PerDonor,
    PerCurrency,
}

const SUMMARIES: [Summary; 2] = [Summary::PerCurrency, Summary::PerDonor];

fn specs() -> Vec<TableSpec> {
    SUMMARIES.iter().map(|s| s.spec()).collect()
}

impl Summary {
    fn table(self) -> &'static str {
        match self {
            Summary::PerDonor => "donor_giving",
            Summary::PerCurrency => "donor_giving_totals",
        }
    }

    fn spec(self) -> TableSpec {
        let spec = table(self.table()).col("organization_id", uuid().not_null()).col("donor_id", uuid().not_null());
        let spec = match self {
            Summary::PerDonor => spec.primary_key(&["donor_id"]),
            Summary::PerCurrency => spec
                .col("currency", text().not_null())
                .col("total_cents", big_integer().not_null())
                .primary_key(&["donor_id", "currency"]),
        };
        spec.col("gift_count", integer().not_null())
            .col("last_gift_date", date().not_null())
            .tenant_fk("donor_id", "donors", Cascade)
    }

    /// The index an organization's filter reads alone; the donor id rides along (PostgreSQL:
    /// INCLUDE; SQLite has none, so trailing key columns).
    fn index(self, backend: DbBackend) -> String {
        let (name, key, carried) = match self {
            Summary::PerDonor => ("idx_donor_giving_org", "organization_id, gift_count", "donor_id, last_gift_date"),
            Summary::PerCurrency => {
                ("idx_donor_giving_totals_amount", "organization_id, currency, total_cents", "donor_id")
            }
        };
        let columns = match backend {
            DbBackend::Postgres => format!("({key}) INCLUDE ({carried})"),
            _ => format!("({key}, {carried})"),
        };
        format!("CREATE INDEX {name} ON {} {columns}", self.table())
    }

    /// The primary key, which the upserts conflict on.
    fn key(self) -> &'static str {
        match self {
            Summary::PerDonor => "donor_id",
            Summary::PerCurrency => "donor_id, currency",
        }
    }

    fn columns(self) -> &'static str {
        match self {
            Summary::PerDonor => "organization_id, donor_id, gift_count, last_gift_date",
            Summary::PerCurrency => "organization_id, donor_id, currency, total_cents, gift_count, last_gift_date",
        }
    }

    /// The counted gifts `d` of `source` that meet `and` (SQL text, may be empty), aggregated
    /// into this table's columns, in key order. Cents are computed as `money::sum_cents` does
    /// on each backend.
    fn aggregate(self, backend: DbBackend, source: &str, and: &str) -> String {
        let (group, values) = match self {
            Summary::PerDonor => ("d.organization_id, d.donor_id", String::new()),
            Summary::PerCurrency => {
                let cents = match backend {
                    DbBackend::Postgres => "CAST(SUM(d.amount) * 100 AS BIGINT)",
                    _ => "SUM(CAST(ROUND(d.amount * 100) AS INTEGER))",
                };
                ("d.organization_id, d.donor_id, COALESCE(d.currency, 'USD')", format!(", {cents}"))
            }
        };
        format!(
            "SELECT {group}{values}, COUNT(*), MAX(d.date) FROM {source} WHERE d.amount > 0{and} \
             GROUP BY {group} ORDER BY {group}"
        )
    }

    /// `SET` of an upsert that adds the new gifts (`EXCLUDED`) to the stored row (`t`).
    fn add(self) -> &'static str {
        match self {
            Summary::PerDonor => {
                "gift_count = t.gift_count + EXCLUDED.gift_count, \
                 last_gift_date = GREATEST(t.last_gift_date, EXCLUDED.last_gift_date)"
            }
            Summary::PerCurrency => {
                "total_cents = t.total_cents + EXCLUDED.total_cents, gift_count = t.gift_count + EXCLUDED.gift_count, \
                 last_gift_date = GREATEST(t.last_gift_date, EXCLUDED.last_gift_date)"
            }
        }
    }

    /// `SET` of an upsert that replaces the stored row with a recount.
    fn replace(self) -> &'static str {
        match self {
            Summary::PerDonor => "gift_count = EXCLUDED.gift_count, last_gift_date = EXCLUDED.last_gift_date",
            Summary::PerCurrency => {
                "total_cents = EXCLUDED.total_cents, gift_count = EXCLUDED.gift_count, \
                 last_gift_date = EXCLUDED.last_gift_date"
            }
        }
    }

    /// A stored row `t` still backed by a counted gift `d` (for the recount's delete).
    fn backed(self) -> &'static str {
        match self {
            Summary::PerDonor => "d.organization_id = t.organization_id AND d.donor_id = t.donor_id AND d.amount > 0",
            Summary::PerCurrency => {
                "d.organization_id = t.organization_id AND d.donor_id = t.donor_id \
                 AND COALESCE(d.currency, 'USD') = t.currency AND d.amount > 0"
            }
        }
    }

    fn backfill(self, backend: DbBackend) -> String {
        format!("INSERT INTO {} ({}) {};", self.table(), self.columns(), self.aggregate(backend, "donations d", ""))
    }

    /// PostgreSQL: adds the gifts of the transition table `new_gifts`.
    fn postgres_add(self) -> String {
        format!(
            "INSERT INTO {table} AS t ({columns}) {aggregate} ON CONFLICT ({key}) DO UPDATE SET {add};",
            table = self.table(),
            columns = self.columns(),
            aggregate = self.aggregate(DbBackend::Postgres, "new_gifts d", ""),
            key = self.key(),
            add = self.add(),
        )
    }

    /// PostgreSQL: recounts the donors of the arrays `orgs` and `donors`: upserts their recounts,
    /// then deletes the rows no gift backs any more. Upserting rather than deleting and
    /// re-inserting means a concurrent insert for the same donor cannot hit a duplicate key.
    fn postgres_recount(self) -> String {
        let concerned = "donations d JOIN unnest(orgs, donors) AS concerned(organization_id, donor_id) \
                         ON d.organization_id = concerned.organization_id AND d.donor_id = concerned.donor_id";
        format!(
            "INSERT INTO {table} AS t ({columns}) {aggregate} ON CONFLICT ({key}) DO UPDATE SET {replace};
             DELETE FROM {table} t USING unnest(orgs, donors) AS concerned(organization_id, donor_id)
             WHERE t.organization_id = concerned.organization_id AND t.donor_id = concerned.donor_id
               AND NOT EXISTS (SELECT 1 FROM donations d WHERE {backed});",
            table = self.table(),
            columns = self.columns(),
            aggregate = self.aggregate(DbBackend::Postgres, concerned, ""),
            key = self.key(),
            replace = self.replace(),
            backed = self.backed(),
        )
    }

    /// SQLite, in a row trigger: adds the gift `NEW`.
    fn sqlite_add(self) -> String {
        let (values, add) = match self {
            Summary::PerDonor => (
                "NEW.organization_id, NEW.donor_id, 1, NEW.date",
                "gift_count = gift_count + 1, last_gift_date = MAX(last_gift_date, excluded.last_gift_date)",
            ),
            Summary::PerCurrency => (
                "NEW.organization_id, NEW.donor_id, COALESCE(NEW.currency, 'USD'), \
                 CAST(ROUND(NEW.amount * 100) AS INTEGER), 1, NEW.date",
                "total_cents = total_cents + excluded.total_cents, gift_count = gift_count + 1, \
                 last_gift_date = MAX(last_gift_date, excluded.last_gift_date)",
            ),
        };
        format!(
            "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {add};",
            table = self.table(),
            columns = self.columns(),
            key = self.key(),
        )
    }

    /// SQLite, in a row trigger: recounts the donor of the gift `row` (`OLD` or `NEW`).
    fn sqlite_recount(self, row: &str) -> String {
        let donor = format!(" AND d.organization_id = {row}.organization_id AND d.donor_id = {row}.donor_id");
        format!(
            "DELETE FROM {table} WHERE donor_id = {row}.donor_id; INSERT INTO {table} ({columns}) {aggregate};",
            table = self.table(),
            columns = self.columns(),
            aggregate = self.aggregate(DbBackend::Sqlite, "donations d", &donor),
        )
    }
}

fn postgres_up() -> String {
    let add: String = SUMMARIES.iter().map(|s| s.postgres_add()).collect();
    let recount: String = SUMMARIES.iter().map(|s| s.postgres_recount()).collect();
    // `OR REPLACE`: `migrate fresh` drops every table (and so the triggers) but not functions.
    format!(
        r#"
CREATE OR REPLACE FUNCTION givance_donor_giving_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {add}
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION givance_recount_donor_giving(orgs uuid[], donors uuid[]) RETURNS void LANGUAGE sql AS $$
    {recount}
$$;

-- An update recounts only the donors of gifts whose amount, currency, date or donor changed.
CREATE OR REPLACE FUNCTION givance_donor_giving_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs uuid[];
    donors uuid[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        WITH changed AS (
            SELECT b.organization_id AS old_org, b.donor_id AS old_donor, a.organization_id AS new_org, a.donor_id AS new_donor
            FROM old_gifts b JOIN new_gifts a ON a.id = b.id
            WHERE (a.amount, a.currency, a.date, a.donor_id, a.organization_id)
                  IS DISTINCT FROM (b.amount, b.currency, b.date, b.donor_id, b.organization_id)
        )
        SELECT array_agg(organization_id ORDER BY donor_id), array_agg(donor_id ORDER BY donor_id) INTO orgs, donors
        FROM (SELECT old_org, old_donor FROM changed UNION SELECT new_org, new_donor FROM changed)
            AS concerned(organization_id, donor_id);
    ELSE
        SELECT array_agg(organization_id ORDER BY donor_id), array_agg(donor_id ORDER BY donor_id) INTO orgs, donors
        FROM (SELECT DISTINCT organization_id, donor_id FROM old_gifts) AS concerned;
    END IF;
    IF donors IS NOT NULL THEN
        PERFORM givance_recount_donor_giving(orgs, donors);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_donations_giving_added
    AFTER INSERT ON donations REFERENCING NEW TABLE AS new_gifts
    FOR EACH STATEMENT EXECUTE FUNCTION givance_donor_giving_added();
CREATE TRIGGER trg_donations_giving_updated
    AFTER UPDATE ON donations REFERENCING OLD TABLE AS old_gifts NEW TABLE AS new_gifts
    FOR EACH STATEMENT EXECUTE FUNCTION givance_donor_giving_changed();
CREATE TRIGGER trg_donations_giving_deleted
    AFTER DELETE ON donations REFERENCING OLD TABLE AS old_gifts
    FOR EACH STATEMENT EXECUTE FUNCTION givance_donor_giving_changed();
"#
    )
}

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER IF EXISTS trg_donations_giving_deleted ON donations;
DROP TRIGGER IF EXISTS trg_donations_giving_updated ON donations;
DROP TRIGGER IF EXISTS trg_donations_giving_added ON donations;
DROP FUNCTION IF EXISTS givance_donor_giving_changed();
DROP FUNCTION IF EXISTS givance_recount_donor_giving(uuid[], uuid[]);
DROP FUNCTION IF EXISTS givance_donor_giving_added();
"#;

fn sqlite_up() -> String {
    let each = |f: &dyn Fn(Summary) -> String| SUMMARIES.iter().map(|s| f(*s)).collect::<String>();
    format!(
        "CREATE TRIGGER trg_donations_giving_added AFTER INSERT ON donations WHEN NEW.amount > 0
         BEGIN {add} END;
         CREATE TRIGGER trg_donations_giving_updated AFTER UPDATE ON donations
         WHEN OLD.amount IS NOT NEW.amount OR OLD.currency IS NOT NEW.currency OR OLD.date IS NOT NEW.date
           OR OLD.donor_id IS NOT NEW.donor_id OR OLD.organization_id IS NOT NEW.organization_id
         BEGIN {old} {new} END;
         CREATE TRIGGER trg_donations_giving_deleted AFTER DELETE ON donations BEGIN {old} END;",
        add = each(&|s| s.sqlite_add()),
        old = each(&|s| s.sqlite_recount("OLD")),
        new = each(&|s| s.sqlite_recount("NEW")),
    )
}

const SQLITE_DOWN: &str = "
DROP TRIGGER IF EXISTS trg_donations_giving_deleted;
DROP TRIGGER IF EXISTS trg_donations_giving_updated;
DROP TRIGGER IF EXISTS trg_donations_giving_added;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        create_all(manager, &specs()).await?;
        let conn = manager.get_connection();
        for summary in SUMMARIES {
            conn.execute_unprepared(&summary.backfill(backend)).await?;
            conn.execute_unprepared(&summary.index(backend)).await?;
        }
        match backend {
            DbBackend::Postgres => conn.execute_unprepared(&postgres_up()).await?,
            _ => conn.execute_unprepared(&sqlite_up()).await?,
        };
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let down = if manager.get_database_backend() == DbBackend::Postgres { POSTGRES_DOWN } else { SQLITE_DOWN };
        manager.get_connection().execute_unprepared(down).await?;
        drop_all(manager, &specs()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
