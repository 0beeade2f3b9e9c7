//! The `--state FILE` store: a SQLite database in WAL mode, one transaction per change.
//!
//! `synchronous=NORMAL` with WAL: a commit has written its WAL frames to the operating system
//! when it returns, so killing the process (even `kill -9`) right after a response loses
//! nothing; a power loss or kernel crash may lose the last commits (never half of one: the
//! database stays consistent). See `docs/sandbox-state.md`.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use super::{Change, Store, StoreError};
use crate::state::{Data, IdempotencyRecord, Payment, Status, Token};

/// `PRAGMA application_id` of a payreq-sandbox database ("payq").
const APPLICATION_ID: i64 = 0x7061_7971;
/// `PRAGMA user_version` of the schema below.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    reference_id TEXT,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    client_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE tokens (
    token TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE idempotency (
    client_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (client_id, key)
) WITHOUT ROWID;
CREATE TABLE meta (
    name TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) WITHOUT ROWID;
";

/// The SQLite store of `--state FILE`.
#[derive(Debug)]
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

impl Sqlite {
    /// Opens (or creates) the database at `path`, takes an exclusive lock on it for the life
    /// of the process, and loads its contents.
    ///
    /// # Errors
    ///
    /// The file is an old JSON state file, is not a payreq-sandbox database, is in use by
    /// another process, or cannot be read or written.
    pub fn open(path: &Path) -> Result<(Self, Data), StoreError> {
        check_header(path)?;
        let shown = path.display().to_string();
        let fail = |e: rusqlite::Error| describe(&shown, &e);
        let mut conn = Connection::open(path).map_err(fail)?;
        // A second process on the same file fails at once instead of waiting for the lock.
        conn.busy_timeout(std::time::Duration::ZERO).map_err(fail)?;
        // Exclusive before WAL: the lock is held from the first write until exit, and the WAL
        // index lives in memory (no -shm file).
        let mode: String = conn.query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| r.get(0)).map_err(fail)?;
        let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(fail)?;
        if !mode.eq_ignore_ascii_case("exclusive") || !journal.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(format!(
                "{shown}: cannot use WAL mode with an exclusive lock (got {journal}, {mode})"
            )));
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL").map_err(fail)?;
        {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(fail)?;
            let app_id: i64 = tx.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(fail)?;
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(fail)?;
            let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(fail)?;
            if tables == 0 && app_id == 0 {
                tx.execute_batch(SCHEMA).map_err(fail)?;
                tx.execute_batch(&format!(
                    "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
                ))
                .map_err(fail)?;
            } else if app_id != APPLICATION_ID {
                return Err(StoreError::new(format!(
                    "{shown} is an SQLite database of another program, not a payreq-sandbox state file; \
                     pass a new path"
                )));
            } else if version != SCHEMA_VERSION {
                return Err(StoreError::new(format!(
                    "{shown} has state schema version {version}, this payreq-sandbox reads version \
                     {SCHEMA_VERSION}; remove it or pass a new path"
                )));
            }
            tx.commit().map_err(fail)?;
        }
        let data = load(&conn).map_err(|e| match e {
            Load::Sql(e) => describe(&shown, &e),
            Load::Invalid(m) => StoreError::new(format!("{shown}: {m}")),
        })?;
        Ok((Self { conn, path: path.to_owned() }, data))
    }

    fn write_change(&mut self, change: &Change) -> rusqlite::Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match change {
            Change::IssueToken { token, record } => {
                tx.prepare_cached("INSERT OR REPLACE INTO tokens (token, client_id, expires_at) VALUES (?1, ?2, ?3)")?
                    .execute(params![token, record.client_id, record.expires_at])?;
            }
            Change::CreatePayment { payment, idempotency } => {
                upsert_payment(&tx, payment)?;
                if let Some((client_id, key, record)) = idempotency {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO idempotency (client_id, key, request, payment_id, response) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![
                        client_id,
                        key,
                        record.request.to_string(),
                        record.payment_id,
                        record.response.to_string()
                    ])?;
                }
            }
            Change::UpdatePayment(payment) => {
                upsert_payment(&tx, payment)?;
            }
            Change::ExpireTokens { now } => {
                tx.prepare_cached("UPDATE tokens SET expires_at = ?1 WHERE expires_at > ?1")?.execute([now])?;
            }
            Change::ClockOffset(offset) => {
                tx.prepare_cached("INSERT OR REPLACE INTO meta (name, value) VALUES ('clock_offset', ?1)")?
                    .execute([offset])?;
            }
            Change::Reset => {
                tx.execute_batch(
                    "DELETE FROM payments; DELETE FROM tokens; DELETE FROM idempotency; DELETE FROM meta;",
                )?;
            }
        }
        // Dropping an uncommitted transaction (an error above, or a failed COMMIT) rolls it back.
        tx.commit()
    }
}

impl Store for Sqlite {
    fn write(&mut self, change: &Change) -> Result<(), StoreError> {
        self.write_change(change).map_err(|e| describe(&self.path.display().to_string(), &e))
    }
}

fn upsert_payment(tx: &rusqlite::Transaction<'_>, p: &Payment) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO payments \
         (id, amount, currency, redirect_url, reference_id, status, created_at, expires_at, client_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        p.id,
        p.amount,
        p.currency,
        p.redirect_url,
        p.reference_id,
        p.status.as_str(),
        p.created_at,
        p.expires_at,
        p.client_id
    ])
}

/// Refuses, with a message that says what to do, a file that cannot be a state database.
fn check_header(path: &Path) -> Result<(), StoreError> {
    let mut head = Vec::with_capacity(16);
    match File::open(path) {
        Ok(f) => {
            f.take(16).read_to_end(&mut head).map_err(|e| StoreError::new(format!("{}: {e}", path.display())))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::new(format!("{}: {e}", path.display()))),
    }
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return Err(StoreError::new(format!(
            "{} is a JSON state file from an older payreq-sandbox; remove it or pass a new path",
            path.display()
        )));
    }
    if !head.is_empty() && !head.starts_with(b"SQLite format 3\0") {
        return Err(StoreError::new(format!(
            "{} is not a payreq-sandbox state file (an SQLite database); remove it or pass a new path",
            path.display()
        )));
    }
    Ok(())
}

/// A storage error with the file it concerns; "locked" says who is likely to hold the lock.
fn describe(path: &str, e: &rusqlite::Error) -> StoreError {
    if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
        || e.sqlite_error_code() == Some(ErrorCode::DatabaseLocked)
    {
        return StoreError::new(format!("{path} is in use by another process (another payreq-sandbox?): {e}"));
    }
    StoreError::new(format!("{path}: {e}"))
}

enum Load {
    Sql(rusqlite::Error),
    Invalid(String),
}

impl From<rusqlite::Error> for Load {
    fn from(e: rusqlite::Error) -> Self {
        Load::Sql(e)
    }
}

fn load(conn: &Connection) -> Result<Data, Load> {
    let mut data = Data::default();
    let mut stmt = conn.prepare(
        "SELECT id, amount, currency, redirect_url, reference_id, status, created_at, expires_at, client_id \
         FROM payments",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let status: String = row.get(5)?;
        let status = Status::parse(&status).ok_or_else(|| Load::Invalid(format!("unknown status {status:?}")))?;
        let payment = Payment {
            id: row.get(0)?,
            amount: row.get(1)?,
            currency: row.get(2)?,
            redirect_url: row.get(3)?,
            reference_id: row.get(4)?,
            status,
            created_at: row.get(6)?,
            expires_at: row.get(7)?,
            client_id: row.get(8)?,
        };
        data.payments.insert(payment.id.clone(), payment);
    }
    let mut stmt = conn.prepare("SELECT token, client_id, expires_at FROM tokens")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        data.tokens.insert(row.get(0)?, Token { client_id: row.get(1)?, expires_at: row.get(2)? });
    }
    let mut stmt = conn.prepare("SELECT client_id, key, request, payment_id, response FROM idempotency")?;
    let mut rows = stmt.query([])?;
    let json = |s: String| serde_json::from_str(&s).map_err(|e| Load::Invalid(format!("idempotency record: {e}")));
    while let Some(row) = rows.next()? {
        let record =
            IdempotencyRecord { request: json(row.get(2)?)?, payment_id: row.get(3)?, response: json(row.get(4)?)? };
        data.idempotency.entry(row.get(0)?).or_insert_with(HashMap::new).insert(row.get(1)?, record);
    }
    data.clock_offset =
        conn.query_row("SELECT value FROM meta WHERE name = 'clock_offset'", [], |r| r.get(0)).optional()?.unwrap_or(0);
    Ok(data)
}
