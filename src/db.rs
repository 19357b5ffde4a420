//! Database connection and migrations, for SQLite and PostgreSQL alike.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use crate::config::Config;

/// Connects and counts every statement run into `counter`.
pub async fn connect_counted(
    config: &Config,
    counter: Arc<AtomicU64>,
) -> anyhow::Result<DatabaseConnection> {
    let mut db = connect(config).await?;
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
}

pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("DATA_DIR: cannot create {}", config.data_dir.display()))?;
    }
    if let Some(schema) = &config.database_schema {
        create_schema(&config.database_url, schema).await?;
    }
    let mut opts = ConnectOptions::new(config.database_url.clone());
    opts.connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if config.is_sqlite() {
        // SQLite allows one writer at a time; sqlx sets `foreign_keys = ON` and a 5 s busy
        // timeout on every connection it opens. Under WAL, `synchronous = NORMAL` syncs the
        // log at checkpoints rather than at every commit: a commit survives a crash of the
        // process, and only the last ones may be lost when the machine loses power.
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        });
    } else {
        opts.max_connections(32);
    }
    if let Some(schema) = &config.database_schema {
        opts.set_schema_search_path(schema.clone());
    }
    let db = Database::connect(opts)
        .await
        .context("DATABASE_URL: cannot connect")?;
    if config.is_sqlite() {
        // WAL lets readers run beside the writer; the mode is stored in the file itself.
        db.execute_unprepared("PRAGMA journal_mode = WAL")
            .await
            .context("sqlite: enabling WAL")?;
    }
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("running migrations")
}

/// PostgreSQL: make sure `schema` exists before connecting with it as the search path.
async fn create_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    if !schema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || schema.is_empty()
    {
        anyhow::bail!("DATABASE_SCHEMA: use letters, digits and '_' only");
    }
    let db = Database::connect(url)
        .await
        .context("DATABASE_URL: cannot connect")?;
    db.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
        .await
        .context("creating DATABASE_SCHEMA")?;
    db.close().await.ok();
    Ok(())
}
