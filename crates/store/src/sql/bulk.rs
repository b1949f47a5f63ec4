//! [`BulkStore`] on SQL: multi-row upserts through connections set up for loading.

use super::upsert::{ASSETS, CUSTOMERS, DOCUMENTS, HISTORY};
use super::*;

/// Rows per multi-row statement of [`BulkStore::load_info`]: 500 × 7 columns stays far below the
/// parameter limits of SQLite (32766) and PostgreSQL (65535).
const BULK_ROWS: usize = 500;

impl EncodedInfo {
    /// Encodes owned rows, moving their text rather than copying it.
    pub fn encode(
        customers: Vec<Customer>,
        assets: Vec<AssetRow>,
        documents: Vec<Document>,
        history: Vec<HistoryRow>,
    ) -> EncodedInfo {
        EncodedInfo {
            customers,
            assets: assets.into_iter().map(EncodedAsset::from).collect(),
            documents: documents.into_iter().map(EncodedDocument::from).collect(),
            history: history.into_iter().map(EncodedHistory::from).collect(),
        }
    }

    /// Encodes borrowed rows.
    pub fn encode_batch(batch: &InfoBatch<'_>) -> EncodedInfo {
        EncodedInfo::encode(
            batch.customers.to_vec(),
            batch.assets.to_vec(),
            batch.documents.to_vec(),
            batch.history.to_vec(),
        )
    }
}

impl From<AssetRow> for EncodedAsset {
    fn from(a: AssetRow) -> EncodedAsset {
        EncodedAsset {
            sort_key: sort_hex(&a.sort_key),
            item: wire_json_text(&a.item),
            org_code: a.org_code,
            list_api: a.list_api,
            asset_key: a.asset_key,
            customer_id: a.customer_id,
            updated_at: a.updated_at,
        }
    }
}

impl From<Document> for EncodedDocument {
    fn from(d: Document) -> EncodedDocument {
        EncodedDocument {
            body: wire_json_text(&d.body),
            org_code: d.org_code,
            api_id: d.api_id,
            subject_key: d.subject_key,
            customer_id: d.customer_id,
            updated_at: d.updated_at,
        }
    }
}

impl From<HistoryRow> for EncodedHistory {
    fn from(h: HistoryRow) -> EncodedHistory {
        EncodedHistory {
            sort_key: sort_hex(&h.sort_key),
            body: wire_json_text(&h.body),
            org_code: h.org_code,
            api_id: h.api_id,
            subject_key: h.subject_key,
            customer_id: h.customer_id,
            occurred: h.occurred,
        }
    }
}

/// Writes encoded rows with multi-row upserts, [`BULK_ROWS`] rows per statement.
async fn write_encoded(conn: &mut sqlx::AnyConnection, backend: Backend, batch: &EncodedInfo) -> StoreResult<()> {
    for chunk in batch.customers.chunks(BULK_ROWS) {
        let sql = CUSTOMERS.rows(backend, chunk.len());
        let mut query = sqlx::query(&sql);
        for c in chunk {
            query = query
                .bind(c.org_code.as_str())
                .bind(c.customer_id.as_str())
                .bind(c.ci.as_str())
                .bind(c.customer_name.as_str())
                .bind(c.reg_date.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    for chunk in batch.assets.chunks(BULK_ROWS) {
        let sql = ASSETS.rows(backend, chunk.len());
        let mut query = sqlx::query(&sql);
        for a in chunk {
            query = query
                .bind(a.org_code.as_str())
                .bind(a.list_api.as_str())
                .bind(a.asset_key.as_str())
                .bind(a.customer_id.as_str())
                .bind(a.sort_key.as_str())
                .bind(a.item.as_str())
                .bind(a.updated_at);
        }
        query.execute(&mut *conn).await?;
    }
    for chunk in batch.documents.chunks(BULK_ROWS) {
        let sql = DOCUMENTS.rows(backend, chunk.len());
        let mut query = sqlx::query(&sql);
        for d in chunk {
            query = query
                .bind(d.org_code.as_str())
                .bind(d.api_id.as_str())
                .bind(d.subject_key.as_str())
                .bind(d.customer_id.as_str())
                .bind(d.body.as_str())
                .bind(d.updated_at);
        }
        query.execute(&mut *conn).await?;
    }
    for chunk in batch.history.chunks(BULK_ROWS) {
        let sql = HISTORY.rows(backend, chunk.len());
        let mut query = sqlx::query(&sql);
        for h in chunk {
            query = query
                .bind(h.org_code.as_str())
                .bind(h.api_id.as_str())
                .bind(h.subject_key.as_str())
                .bind(h.sort_key.as_str())
                .bind(h.customer_id.as_str())
                .bind(h.occurred.as_str())
                .bind(h.body.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// [`BulkLoad`] through connections of the pool set up for loading while the load lasts: one on
/// SQLite (it has one writer), one per core on PostgreSQL, whose server then works on as many
/// batches at once (with one, the server's single process was the slowest stage of the pipeline).
///
/// On SQLite a second connection checkpoints while the writer writes the next batch: copying the
/// WAL into the database was a quarter of the writer thread's time when the writer's commits did
/// it (automatic checkpoints, now off on the writer).
struct SqlBulkLoad {
    backend: Backend,
    /// Connections waiting for a batch.
    idle: Vec<Loading>,
    /// Batches being written, each giving its connection back.
    writing: tokio::task::JoinSet<StoreResult<Loading>>,
    /// SQLite: the checkpointing connection, idle or at work.
    checkpointer: Option<Checkpointer>,
    /// Batches written since the WAL last started over.
    since_restart: usize,
    /// Statements that put a connection's settings back.
    restore: Vec<String>,
    /// Rows given to the load so far.
    rows: u64,
}

enum Checkpointer {
    Idle(Loading),
    Working(tokio::task::JoinHandle<StoreResult<Loading>>),
}

/// Every this many batches the SQLite load lets a checkpoint catch up with everything written
/// before the next batch begins, so that the WAL starts over instead of growing with the load (a
/// checkpoint running beside the writer never finds the WAL wholly copied).
const BULK_WAL_RESTART: usize = 8;

/// A passive checkpoint: copies what is committed, waiting for nobody.
async fn checkpoint(mut loading: Loading) -> StoreResult<Loading> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(loading.connection()).await?;
    Ok(loading)
}

/// A connection with the loading settings: closed when dropped (an error, or a load given up)
/// rather than returned to the pool with them; [`Loading::release`] returns it after restoring.
struct Loading(Option<sqlx::pool::PoolConnection<sqlx::Any>>);

impl Loading {
    fn connection(&mut self) -> &mut sqlx::AnyConnection {
        self.0.as_mut().expect("a loading connection until released")
    }

    async fn release(mut self, restore: &[String], backend: Backend) -> StoreResult<()> {
        for statement in restore {
            sqlx::query(statement).execute(self.connection()).await?;
        }
        if backend == Backend::Sqlite {
            // With synchronous back to NORMAL, a checkpoint syncs the WAL before copying it.
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(self.connection()).await?;
        }
        self.0.take();
        Ok(())
    }
}

impl Drop for Loading {
    fn drop(&mut self) {
        if let Some(connection) = self.0.take() {
            drop(connection.detach());
        }
    }
}

/// Page cache of a bulk-loading SQLite connection (KiB, as `PRAGMA cache_size` takes negative
/// numbers): a batch's index pages stay in memory instead of being spilled and read back.
const BULK_CACHE_KIB: i64 = 65_536;

impl SqlBulkLoad {
    async fn start(store: &SqlStore) -> StoreResult<SqlBulkLoad> {
        let connections = match store.backend {
            Backend::Sqlite => 2, // the writer and the checkpointer
            Backend::Postgres => std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4),
        };
        let mut idle = Vec::new();
        let mut restore = Vec::new();
        for _ in 0..connections {
            let mut loading = Loading(Some(store.pool.acquire().await?));
            let setup: Vec<String> = match store.backend {
                // Loading is repeatable: a crash of the machine mid-load may lose the load (a crash
                // of the process cannot corrupt the database), and synchronous = OFF saves the
                // fsyncs of every checkpoint, which on a busy disk took longer than the writing.
                Backend::Sqlite => {
                    restore.clear();
                    for setting in ["synchronous", "cache_size", "wal_autocheckpoint"] {
                        let value: i64 =
                            sqlx::query_scalar(&format!("PRAGMA {setting}")).fetch_one(loading.connection()).await?;
                        restore.push(format!("PRAGMA {setting} = {value}"));
                    }
                    vec![
                        "PRAGMA synchronous = OFF".into(),
                        format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"),
                        "PRAGMA wal_autocheckpoint = 0".into(),
                    ]
                }
                // Commits do not wait for their WAL flush; a crash may lose the last batches, never
                // make the database inconsistent.
                Backend::Postgres => {
                    restore = vec!["RESET synchronous_commit".into()];
                    vec!["SET synchronous_commit = off".into()]
                }
            };
            for statement in &setup {
                sqlx::query(statement).execute(loading.connection()).await?;
            }
            idle.push(loading);
        }
        let checkpointer = match store.backend {
            Backend::Sqlite => idle.pop().map(Checkpointer::Idle),
            Backend::Postgres => None,
        };
        Ok(SqlBulkLoad {
            backend: store.backend,
            idle,
            writing: tokio::task::JoinSet::new(),
            checkpointer,
            since_restart: 0,
            restore,
            rows: 0,
        })
    }

    /// The checkpointer back from its work (waiting for it if `wait`), if it is done.
    async fn checkpointer_done(&mut self, wait: bool) -> StoreResult<Option<Loading>> {
        match self.checkpointer.take() {
            None => Ok(None),
            Some(Checkpointer::Idle(loading)) => Ok(Some(loading)),
            Some(Checkpointer::Working(work)) if wait || work.is_finished() => match work.await {
                Ok(done) => done.map(Some),
                Err(failed) => Err(StoreError::Corrupt(format!("a bulk-load checkpoint failed: {failed}"))),
            },
            Some(working) => {
                self.checkpointer = Some(working);
                Ok(None)
            }
        }
    }

    /// SQLite, between batches (no write in flight): starts a checkpoint of what is committed
    /// beside the next batch, or every [`BULK_WAL_RESTART`] batches finishes one first.
    async fn checkpoint_between_batches(&mut self) -> StoreResult<()> {
        self.since_restart += 1;
        let restart = self.since_restart >= BULK_WAL_RESTART;
        let Some(loading) = self.checkpointer_done(restart).await? else { return Ok(()) };
        self.checkpointer = Some(if restart {
            self.since_restart = 0;
            Checkpointer::Idle(checkpoint(loading).await?)
        } else {
            Checkpointer::Working(tokio::spawn(checkpoint(loading)))
        });
        Ok(())
    }

    /// The connection of the next batch written, or its error.
    async fn written(&mut self) -> StoreResult<Option<Loading>> {
        match self.writing.join_next().await {
            None => Ok(None),
            Some(Ok(done)) => done.map(Some),
            Some(Err(failed)) => Err(StoreError::Corrupt(format!("a bulk-load writer failed: {failed}"))),
        }
    }
}

#[async_trait]
impl BulkLoad for SqlBulkLoad {
    async fn load(&mut self, batch: EncodedInfo) -> StoreResult<()> {
        let mut loading = match self.idle.pop() {
            Some(loading) => loading,
            None => self.written().await?.ok_or_else(|| StoreError::Corrupt("no bulk-load connection".into()))?,
        };
        if self.backend == Backend::Sqlite {
            self.checkpoint_between_batches().await?;
        }
        self.rows += batch.rows() as u64;
        let backend = self.backend;
        self.writing.spawn(async move {
            use sqlx::Connection;
            let mut tx = match backend {
                Backend::Sqlite => loading.connection().begin_with("BEGIN IMMEDIATE").await?,
                Backend::Postgres => loading.connection().begin().await?,
            };
            write_encoded(&mut tx, backend, &batch).await?;
            tx.commit().await?;
            Ok(loading)
        });
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> StoreResult<()> {
        while let Some(loading) = self.written().await? {
            self.idle.push(loading);
        }
        if let Some(loading) = self.checkpointer_done(true).await? {
            self.idle.push(loading);
        }
        if let (Backend::Postgres, Some(loading)) = (self.backend, self.idle.first_mut()) {
            // What was loaded stays loaded whether or not the planner can be told (as after an import).
            if let Err(error) = statistics::refresh_after(loading.connection(), self.rows).await {
                tracing::warn!(%error, "the load is written, but the database's statistics were not refreshed");
            }
        }
        for loading in std::mem::take(&mut self.idle) {
            loading.release(&self.restore, self.backend).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl BulkStore for SqlStore {
    async fn load_info(&self, batch: &InfoBatch<'_>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        write_encoded(&mut tx, self.backend, &EncodedInfo::encode_batch(batch)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn bulk_load(&self) -> StoreResult<Box<dyn BulkLoad>> {
        Ok(Box::new(SqlBulkLoad::start(self).await?))
    }
}
