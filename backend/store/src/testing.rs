//! Fresh, migrated databases for tests, one per test, on the cluster the test command
//! started. Only compiled with the `testing` feature.

use std::str::FromStr;

use sqlx::{
    Connection, PgConnection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use uuid::Uuid;

use crate::Store;

/// A throw-away database: migrated as the owner, used by the tests as `kurobe_app`.
#[derive(Debug)]
pub struct TestDatabase {
    pub name: String,
    /// Connects as the server does: `kurobe_app`, bound by row-level security.
    pub app_options: PgConnectOptions,
    /// A superuser pool, for arranging fixtures and inspecting rows around the policies.
    pub owner: PgPool,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run tests through `make test`, which starts Postgres and sets it")
    })
}

impl TestDatabase {
    /// Creates and migrates a database. Needs `KUROBE_TEST_ADMIN_URL` (a superuser URL of
    /// the test cluster) and `KUROBE_TEST_APP_PASSWORD` (the password of `kurobe_app`).
    pub async fn create() -> Self {
        let admin = PgConnectOptions::from_str(&env("KUROBE_TEST_ADMIN_URL")).expect("KUROBE_TEST_ADMIN_URL");
        let name = format!("kurobe_test_{}", Uuid::new_v4().simple());
        let mut conn = PgConnection::connect_with(&admin).await.expect("connect to the test cluster");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
        conn.close().await.ok();

        let owner_options = admin.clone().database(&name);
        let owner = PgPoolOptions::new().max_connections(4).connect_with(owner_options).await.expect("owner pool");
        crate::migrate(&owner).await.expect("migrations apply");

        let app_options = admin.database(&name).username("kurobe_app").password(&env("KUROBE_TEST_APP_PASSWORD"));
        Self { name, app_options, owner }
    }

    /// A store connected as the server role.
    pub fn store(&self) -> Store {
        Store::connect_lazy(self.app_options.clone(), 8)
    }

    /// An organisation row created behind the policies, for arranging fixtures.
    pub async fn insert_org(&self, name: &str) -> Uuid {
        let id = Uuid::new_v4();
        sqlx::query("INSERT INTO organisations (id, name) VALUES ($1, $2)")
            .bind(id)
            .bind(name)
            .execute(&self.owner)
            .await
            .expect("insert organisation");
        id
    }
}

impl crate::Scoped {
    /// Counts the rows of `table` this transaction's context can see.
    pub async fn count_rows_for_test(&mut self, table: &str) -> Result<i64, crate::StoreError> {
        Ok(sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&mut *self.tx).await?)
    }

    /// Runs arbitrary SQL as the server role, to prove what the role may not do.
    pub async fn raw_execute_for_test(&mut self, sql: &str) -> Result<u64, crate::StoreError> {
        Ok(sqlx::raw_sql(sql).execute(&mut *self.tx).await?.rows_affected())
    }
}
