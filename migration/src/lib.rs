//! Database migrations, one file per migration. A landed migration is never edited: add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261120_000001_initial;
mod m20261120_000002_friends_player;
mod m20261120_000003_catalog_library;
mod m20261120_000004_security;
mod m20261120_000005_rooms;
mod m20261201_000001_invites_by_host;
mod m20261202_000001_account_email;
mod m20261202_000001_messenger;
mod m20261203_000001_calls;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261120_000001_initial::Migration),
            Box::new(m20261120_000002_friends_player::Migration),
            Box::new(m20261120_000003_catalog_library::Migration),
            Box::new(m20261120_000004_security::Migration),
            Box::new(m20261120_000005_rooms::Migration),
            Box::new(m20261201_000001_invites_by_host::Migration),
            Box::new(m20261202_000001_account_email::Migration),
            Box::new(m20261202_000001_messenger::Migration),
            Box::new(m20261203_000001_calls::Migration),
        ]
    }
}
