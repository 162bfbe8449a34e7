use std::time::Duration;

use sqlx::{
    PgPool, Postgres, Transaction,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::{Context, StoreError};

/// The platform schema, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// A handle on the platform database, connected as the unprivileged server role.
#[derive(Debug, Clone)]
pub struct Store {
    pool: PgPool,
}

/// A transaction whose tenant context is already set. Every store operation is a method on
/// this type, so none can run outside a context.
#[derive(Debug)]
pub struct Scoped {
    pub(crate) tx: Transaction<'static, Postgres>,
}

impl Store {
    /// Connects lazily: the pool opens connections on first use, so the server starts (and
    /// reports not-ready) while Postgres is down, and recovers by itself when it returns.
    pub fn connect_lazy(options: PgConnectOptions, max_connections: u32) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(300))
            .connect_lazy_with(options);
        Self { pool }
    }

    /// Opens a transaction and sets its tenant context before anything else runs in it.
    pub async fn begin(&self, context: &Context) -> Result<Scoped, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "SELECT set_config('kurobe.org_id', $1, true), set_config('kurobe.user_id', $2, true), \
             set_config('kurobe.login_email', $3, true), set_config('kurobe.api_key_id', $4, true)",
        )
        .bind(context.org_id.map(|id| id.to_string()).unwrap_or_default())
        .bind(context.user_id.map(|id| id.to_string()).unwrap_or_default())
        .bind(context.login_email.as_deref().unwrap_or_default())
        .bind(context.api_key_id.map(|id| id.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        Ok(Scoped { tx })
    }

    /// A round trip to Postgres, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Refuses to serve through a role that row-level security would not bind: a superuser,
    /// a `BYPASSRLS` role, or the owner of the platform tables.
    pub async fn check_role_is_restricted(&self) -> Result<RoleCheck, StoreError> {
        let (name, superuser, bypass, owns): (String, bool, bool, bool) = sqlx::query_as(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, \
                    EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = current_schema() \
                            AND t.tablename = 'organisations' AND pg_has_role(current_user, t.tableowner, 'USAGE')) \
             FROM pg_roles r WHERE r.rolname = current_user",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(RoleCheck { name, superuser, bypass_rls: bypass, owns_tables: owns })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// What the server's database role is allowed to skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCheck {
    pub name: String,
    pub superuser: bool,
    pub bypass_rls: bool,
    pub owns_tables: bool,
}

impl RoleCheck {
    pub fn is_restricted(&self) -> bool {
        !self.superuser && !self.bypass_rls && !self.owns_tables
    }
}

impl Scoped {
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
