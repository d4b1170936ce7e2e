//! Scenario A without Givance: `GET /page` runs the first donors page's query (the largest
//! organization's 50 newest active donors) over a tokio-postgres pool and returns them as JSON.
//! Settings: BENCH_REF_PG_HOST (a host or a socket directory), BENCH_REF_PG_PORT,
//! BENCH_REF_PG_USER, BENCH_REF_PG_DATABASE, BENCH_REF_ORG (the organization's id),
//! BENCH_REF_BIND (address to listen on).

use actix_web::{App, HttpResponse, HttpServer, web};
use deadpool_postgres::{Manager, Pool};
use serde::Serialize;

type Time = chrono::DateTime<chrono::Utc>;

#[derive(Serialize)]
struct Donor {
    id: uuid::Uuid,
    external_id: Option<String>,
    donor_type: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    spouse_first_name: Option<String>,
    spouse_last_name: Option<String>,
    spouse_email: Option<String>,
    address_street: Option<String>,
    address_city: Option<String>,
    address_state: Option<String>,
    address_zip: Option<String>,
    address_country: Option<String>,
    journey_stage: Option<String>,
    ai_classification: Option<String>,
    last_contact_date: Option<Time>,
    notes: Option<String>,
    tags: Option<serde_json::Value>,
    custom_fields: Option<serde_json::Value>,
    created_at: Option<Time>,
    updated_at: Option<Time>,
    deleted_at: Option<Time>,
}

#[derive(Serialize)]
struct Page {
    data: Vec<Donor>,
}

const QUERY: &str = "SELECT id, external_id, donor_type, first_name, last_name, email, phone, \
    spouse_first_name, spouse_last_name, spouse_email, address_street, address_city, address_state, \
    address_zip, address_country, journey_stage, ai_classification, last_contact_date, notes, tags, \
    custom_fields, created_at, updated_at, deleted_at FROM donors \
    WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2";

async fn page(pool: web::Data<Pool>, org: web::Data<uuid::Uuid>) -> HttpResponse {
    let Ok(client) = pool.get().await else { return HttpResponse::ServiceUnavailable().finish() };
    let Ok(statement) = client.prepare_cached(QUERY).await else { return HttpResponse::InternalServerError().finish() };
    let Ok(rows) = client.query(&statement, &[&**org, &51i64]).await else {
        return HttpResponse::InternalServerError().finish();
    };
    let data = rows
        .iter()
        .take(50)
        .map(|r| Donor {
            id: r.get(0),
            external_id: r.get(1),
            donor_type: r.get(2),
            first_name: r.get(3),
            last_name: r.get(4),
            email: r.get(5),
            phone: r.get(6),
            spouse_first_name: r.get(7),
            spouse_last_name: r.get(8),
            spouse_email: r.get(9),
            address_street: r.get(10),
            address_city: r.get(11),
            address_state: r.get(12),
            address_zip: r.get(13),
            address_country: r.get(14),
            journey_stage: r.get(15),
            ai_classification: r.get(16),
            last_contact_date: r.get(17),
            notes: r.get(18),
            tags: r.get(19),
            custom_fields: r.get(20),
            created_at: r.get(21),
            updated_at: r.get(22),
            deleted_at: r.get(23),
        })
        .collect();
    HttpResponse::Ok().json(Page { data })
}

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_owned());
    let mut config = tokio_postgres::Config::new();
    config
        .host(setting("BENCH_REF_PG_HOST", "127.0.0.1"))
        .port(setting("BENCH_REF_PG_PORT", "5432").parse().map_err(|_| invalid("BENCH_REF_PG_PORT"))?)
        .user(setting("BENCH_REF_PG_USER", "postgres"))
        .dbname(setting("BENCH_REF_PG_DATABASE", "givance_bench"));
    let pool = Pool::builder(Manager::new(config, tokio_postgres::NoTls))
        .max_size(64)
        .build()
        .map_err(|_| invalid("the pool settings"))?;
    let org: uuid::Uuid = setting("BENCH_REF_ORG", "").parse().map_err(|_| invalid("BENCH_REF_ORG"))?;
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(pool.clone()))
            .app_data(web::Data::new(org))
            .route("/page", web::get().to(page))
    })
    .bind(setting("BENCH_REF_BIND", "127.0.0.1:18090"))?
    .run()
    .await
}
