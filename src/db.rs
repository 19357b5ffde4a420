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
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, TransactionTrait,
};

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

/// The first key of the PostgreSQL advisory locks this server takes (the second names the
/// schema): an arbitrary constant, "sndr" in ASCII.
const ADVISORY_LOCK_CLASS: i32 = 0x736e_6472;

/// Runs the pending migrations. Instances starting together on one database (two replicas of a
/// deployment) take turns: without that, both would run the same migration and the second
/// would fail on the objects the first created. On PostgreSQL the turn is an advisory lock; on
/// SQLite, a lock on a file beside the database.
pub async fn migrate(db: &DatabaseConnection, config: &Config) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        let _turn = match sqlite_file(&config.database_url) {
            Some(file) => Some(lock_file(file.with_extension("migrate-lock")).await?),
            None => None,
        };
        return Migrator::up(db, None).await.context("running migrations");
    }
    // A transaction holds one connection (and with it the lock) while the migrations run on
    // others; committing releases it.
    let turn = db
        .begin()
        .await
        .context("running migrations: taking the lock")?;
    turn.execute_unprepared(&format!(
        "SELECT pg_advisory_xact_lock({ADVISORY_LOCK_CLASS}, hashtext(current_schema()))"
    ))
    .await
    .context("running migrations: taking the lock")?;
    let migrated = Migrator::up(db, None).await.context("running migrations");
    turn.commit()
        .await
        .context("running migrations: releasing the lock")?;
    migrated
}

/// The database file a `sqlite:` URL names (`None` for an in-memory database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

/// Waits for an exclusive lock on `path` (created if missing); dropping the file releases it.
async fn lock_file(path: std::path::PathBuf) -> anyhow::Result<std::fs::File> {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("running migrations: cannot open {}", path.display()))?;
        file.lock()
            .with_context(|| format!("running migrations: cannot lock {}", path.display()))?;
        Ok(file)
    })
    .await
    .context("running migrations: the lock task failed")?
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
    // Two instances creating the schema at once would collide in the catalog even with
    // IF NOT EXISTS; they take turns.
    let turn = db
        .begin()
        .await
        .context("DATABASE_SCHEMA: taking the lock")?;
    turn.execute_unprepared(&format!(
        "SELECT pg_advisory_xact_lock({ADVISORY_LOCK_CLASS}, hashtext('{schema}'))"
    ))
    .await
    .context("DATABASE_SCHEMA: taking the lock")?;
    turn.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
        .await
        .context("creating DATABASE_SCHEMA")?;
    turn.commit().await.context("creating DATABASE_SCHEMA")?;
    db.close().await.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_file("sqlite://./data/soundroom.db?mode=rwc"),
            Some("./data/soundroom.db".into())
        );
        assert_eq!(sqlite_file("sqlite:///tmp/x.db"), Some("/tmp/x.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://:memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/db"), None);
    }
}
