//! Loading the retail demo dataset (`kurobe-demo`) into DuckDB files and Postgres schemas.
//! Trusted code: it writes databases, so it never runs on behalf of a request.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use bytes::Bytes;
use futures_util::SinkExt;
use kurobe_demo::{Dialect, ScaleFactor, Table, ddl, index_ddl, write_csv};
use kurobe_duckdb::duckdb;

/// The schema the demo tables live in, in every engine.
pub const DEMO_SCHEMA: &str = "retail";

/// Writes the demo into a DuckDB file at `path`, replacing it only once the new file is
/// complete. Returns the rows loaded. DuckDB names a database after its file, so a file
/// called `retail.duckdb` would make `retail.orders` ambiguous; `demo.duckdb` does not.
pub async fn load_duckdb(path: &Path, scale: ScaleFactor) -> anyhow::Result<u64> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || load_duckdb_blocking(&path, scale)).await?
}

fn load_duckdb_blocking(path: &Path, scale: ScaleFactor) -> anyhow::Result<u64> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let scratch = tempfile::tempdir_in(dir)?;
    let partial: PathBuf = scratch.path().join("demo.duckdb");
    let connection = duckdb::Connection::open(&partial)?;
    connection.execute_batch(&ddl(Dialect::DuckDb, DEMO_SCHEMA))?;
    let mut total = 0;
    for table in Table::ALL {
        let csv = scratch.path().join(format!("{}.csv", table.name()));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&csv)?);
        total += write_csv(table, scale, &mut file)?;
        file.flush()?;
        drop(file);
        // Paths and names here are our own constants and a temporary folder.
        connection.execute_batch(&format!(
            "COPY {DEMO_SCHEMA}.{} FROM '{}' (HEADER, DELIMITER ',')",
            table.name(),
            csv.display()
        ))?;
        std::fs::remove_file(&csv)?;
    }
    connection.execute_batch("CHECKPOINT")?;
    drop(connection);
    std::fs::rename(&partial, path).with_context(|| format!("moving the demo database to {}", path.display()))?;
    Ok(total)
}

/// A `Write` that hands CSV to the async side in chunks, so a table is never held whole.
struct ChunkWriter {
    buffer: Vec<u8>,
    sender: tokio::sync::mpsc::Sender<Bytes>,
}

const CHUNK: usize = 256 * 1024;

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.sender.blocking_send(chunk).map_err(|_| std::io::Error::other("the COPY stopped reading"))
    }
}

/// Loads the demo into `schema` of a Postgres database, replacing that schema. Keys and
/// indexes come after the rows, which is several times faster than loading into them.
pub async fn load_postgres(config: &tokio_postgres::Config, schema: &str, scale: ScaleFactor) -> anyhow::Result<u64> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.context("connecting to Postgres")?;
    let connection = tokio::spawn(connection);
    let quoted = kurobe_connector::catalog::quote_ident(schema);
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {quoted} CASCADE")).await?;
    client.batch_execute(&ddl(Dialect::Postgres, schema)).await?;
    let mut total = 0;
    for table in Table::ALL {
        let sink = client.copy_in(&format!("COPY {quoted}.{} FROM STDIN (FORMAT csv, HEADER)", table.name())).await?;
        let mut sink = std::pin::pin!(sink);
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Bytes>(8);
        let producer = tokio::task::spawn_blocking(move || {
            let mut writer = ChunkWriter { buffer: Vec::with_capacity(CHUNK), sender };
            let rows = write_csv(table, scale, &mut writer)?;
            writer.flush()?;
            Ok::<_, std::io::Error>(rows)
        });
        while let Some(chunk) = receiver.recv().await {
            sink.send(chunk).await?;
        }
        total += producer.await??;
        sink.as_mut().finish().await?;
    }
    client.batch_execute(&index_ddl(Dialect::Postgres, schema)).await?;
    client.batch_execute(&format!("ANALYZE {quoted}.orders, {quoted}.order_items, {quoted}.customers")).await?;
    drop(client);
    connection.await??;
    Ok(total)
}
