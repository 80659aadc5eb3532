//! `omni serve`: the published warehouse snapshot over the PostgreSQL wire protocol.
//!
//! Built on `datafusion-postgres` (pgwire + a `pg_catalog` for DataFusion), with what a
//! shared, read-only analytics endpoint needs on top:
//!
//! - **authentication**: SCRAM-SHA-256 for one user, `omni` ([`SERVE_USER`]); a wrong user or
//!   password gets `28P01`;
//! - **read-only**: statements that would change anything (`INSERT`, `CREATE`, `COPY`,
//!   `SELECT ... INTO`, `SET datafusion.*`, ...) are refused with SQLSTATE `25006`
//!   (read_only_sql_transaction); the session goes on. Every statement that reaches DataFusion
//!   is planned and checked first ([`SQLOptions`] without DDL, DML or statements), so a write
//!   dressed up as a query is refused too;
//! - **snapshots**: each new connection gets the snapshot `CURRENT` names at connect time and
//!   keeps it for its whole life (snapshot directories never change once published, so a
//!   session never sees half a build). Sessions are cached per snapshot id and reopened when
//!   `CURRENT` changes, so a new build (or a rollback) is served without a restart;
//! - a malformed or hostile connection only ends itself; shutdown is the caller's future.
//!
//! ```no_run
//! # async fn demo() -> omni_sql::Result<()> {
//! use omni_sql::serve::{ServeConfig, Server};
//! let config = ServeConfig::new(omni_sql::Warehouse::new("warehouse"), "s3cret".into())?;
//! let server = Server::bind("127.0.0.1:5433", config).await?;
//! eprintln!("listening on {} (snapshot {})", server.local_addr(), server.snapshot());
//! server.run(std::future::pending()).await
//! # }
//! ```

use std::fmt::Debug;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{Set, Statement};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::pgwire::api::auth::sasl::SASLAuthStartupHandler;
use datafusion_postgres::pgwire::api::auth::sasl::scram::{
    ScramAuth, gen_salted_password, random_nonce,
};
use datafusion_postgres::pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use datafusion_postgres::pgwire::api::cancel::{CancelHandler, DefaultCancelHandler};
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::results::{Response, Tag};
use datafusion_postgres::pgwire::api::{
    ClientInfo, ConnectionManager, ErrorHandler, METADATA_USER, PgWireServerHandlers,
};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use datafusion_postgres::pgwire::tokio::process_socket;
use datafusion_postgres::{DfSessionService, QueryHook};
use futures::Sink;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use crate::warehouse::Warehouse;

/// The one user `omni serve` accepts.
pub const SERVE_USER: &str = "omni";

/// SQLSTATE for a write refused by a read-only server (read_only_sql_transaction).
pub const READ_ONLY_SQLSTATE: &str = "25006";

/// PBKDF2 rounds of the SCRAM verifier (PostgreSQL's default).
const SCRAM_ITERATIONS: usize = 4096;

/// What the server serves and to whom.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    warehouse: Warehouse,
    password: String,
}

impl ServeConfig {
    /// A configuration; refuses an empty password (a server without one is never started).
    pub fn new(warehouse: Warehouse, password: String) -> Result<Self> {
        if password.is_empty() {
            return Err(Error::Usage(
                "the password for `omni serve` is empty: set OMNI_SERVE_PASSWORD or pass \
                 --password-file PATH with a non-empty password"
                    .into(),
            ));
        }
        Ok(ServeConfig {
            warehouse,
            password,
        })
    }
}

/// A bound server: the listener is open and the published snapshot was opened once (so a
/// broken warehouse fails at start, not at the first client).
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
    snapshot: String,
}

impl Server {
    /// Binds `addr` (`host:port`; port 0 picks a free one) and opens the published snapshot.
    pub async fn bind(addr: &str, config: ServeConfig) -> Result<Server> {
        let shared = Arc::new(Shared::new(config));
        let snapshot = shared.snapshot().await?.run_id;
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            Error::Usage(format!(
                "cannot listen on {addr}: {e} (pick another address with --listen HOST:PORT)"
            ))
        })?;
        Ok(Server {
            listener,
            shared,
            snapshot,
        })
    }

    /// The address actually listened on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// The run id of the snapshot published when the server started.
    pub fn snapshot(&self) -> &str {
        &self.snapshot
    }

    /// Serves connections until `shutdown` completes, then closes the listener and every
    /// open connection.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((socket, peer)) => {
                        let shared = self.shared.clone();
                        connections.spawn(serve_connection(shared, socket, peer));
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        drop(self.listener);
        let open = connections.len();
        connections.shutdown().await;
        tracing::info!("server stopped; {open} open connection(s) closed");
        Ok(())
    }
}

async fn serve_connection(shared: Arc<Shared>, socket: TcpStream, peer: SocketAddr) {
    let snapshot = match shared.snapshot().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("connection from {peer} dropped: {e}");
            return;
        }
    };
    let _ = socket.set_nodelay(true);
    let handlers = Arc::new(ConnectionHandlers {
        service: snapshot.service,
        startup: Arc::new(NamedUserStartup(
            SASLAuthStartupHandler::new(shared.parameters.clone())
                .with_scram(shared.scram())
                .with_connection_manager(shared.connections.clone()),
        )),
        cancel: Arc::new(DefaultCancelHandler::new(shared.connections.clone())),
    });
    // A client that sends garbage or hangs up mid-startup only ends its own connection.
    if let Err(e) = process_socket(socket, None, handlers).await {
        tracing::debug!("connection from {peer} ended: {e}");
    }
}

/// State shared by all connections.
#[derive(Debug)]
struct Shared {
    warehouse: Warehouse,
    verifier: Arc<ScramVerifier>,
    parameters: Arc<DefaultServerParameterProvider>,
    connections: Arc<ConnectionManager>,
    current: Mutex<Option<Snapshot>>,
}

/// One opened snapshot: its run id and the pgwire service over its session.
#[derive(Clone)]
struct Snapshot {
    run_id: String,
    service: Arc<DfSessionService>,
}

impl Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn new(config: ServeConfig) -> Shared {
        let mut parameters = DefaultServerParameterProvider::default();
        // What clients (psql, BI tools) read to know the session cannot write.
        parameters.default_transaction_read_only = true;
        parameters.is_superuser = false;
        Shared {
            warehouse: config.warehouse,
            verifier: Arc::new(ScramVerifier::new(&config.password)),
            parameters: Arc::new(parameters),
            connections: Arc::new(ConnectionManager::new()),
            current: Mutex::new(None),
        }
    }

    fn scram(&self) -> ScramAuth {
        let mut scram = ScramAuth::new(self.verifier.clone());
        scram.set_iterations(SCRAM_ITERATIONS);
        scram
    }

    /// The snapshot `CURRENT` names now, opened once per run id. If a newly published
    /// snapshot cannot be opened, the previous one keeps being served (with a warning).
    async fn snapshot(&self) -> Result<Snapshot> {
        let run_id = self.warehouse.current()?.ok_or_else(|| Error::NoSnapshot {
            path: self.warehouse.root().to_path_buf(),
        })?;
        let mut current = self.current.lock().await;
        if let Some(s) = current.as_ref()
            && s.run_id == run_id
        {
            return Ok(s.clone());
        }
        match open_service(&self.warehouse, &run_id).await {
            Ok(service) => {
                tracing::info!("serving snapshot {run_id}");
                let s = Snapshot { run_id, service };
                *current = Some(s.clone());
                Ok(s)
            }
            Err(e) => match current.as_ref() {
                Some(previous) => {
                    tracing::warn!(
                        "cannot open snapshot {run_id} ({e}); still serving {}",
                        previous.run_id
                    );
                    Ok(previous.clone())
                }
                None => Err(e),
            },
        }
    }
}

/// A session over one snapshot (tables, omnicanal's UDFs, `pg_catalog`) and the pgwire
/// service on it, with the read-only guard as the first query hook.
async fn open_service(warehouse: &Warehouse, run_id: &str) -> Result<Arc<DfSessionService>> {
    let dir = warehouse.snapshot_dir(run_id);
    if !dir.is_dir() {
        return Err(Error::Corrupt {
            path: dir,
            message: format!("CURRENT names snapshot {run_id}, which is missing"),
        });
    }
    let ctx = crate::session::open_snapshot(&dir).await?;
    setup_pg_catalog(&ctx, "datafusion", EmptyContextProvider)
        .map_err(|e| Error::Internal(format!("setting up pg_catalog: {e}")))?;
    let hooks: Vec<Arc<dyn QueryHook>> = vec![
        Arc::new(ReadOnlyHook { snapshot: dir }),
        Arc::new(CursorStatementHook),
        Arc::new(SetShowHook),
        Arc::new(TransactionStatementHook),
    ];
    Ok(Arc::new(DfSessionService::new_with_hooks(
        Arc::new(ctx),
        hooks,
    )))
}

/// The pgwire handlers of one connection: the snapshot's service and a fresh SCRAM state.
struct ConnectionHandlers {
    service: Arc<DfSessionService>,
    startup: Arc<NamedUserStartup>,
    cancel: Arc<DefaultCancelHandler>,
}

impl PgWireServerHandlers for ConnectionHandlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.service.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancel.clone()
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(LogErrors)
    }
}

struct LogErrors;

/// SCRAM startup whose failure names the user who connected: pgwire reports the user name
/// inside the SCRAM message, which libpq leaves empty (`failed for user ""`).
struct NamedUserStartup(SASLAuthStartupHandler<DefaultServerParameterProvider>);

impl StartupHandler for NamedUserStartup {
    fn on_startup<'life0, 'life1, 'async_trait, C>(
        &'life0 self,
        client: &'life1 mut C,
        message: PgWireFrontendMessage,
    ) -> BoxFuture<'async_trait, PgWireResult<()>>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync + 'async_trait,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            match self.0.on_startup(client, message).await {
                Err(PgWireError::InvalidPassword(_)) => Err(PgWireError::InvalidPassword(
                    client
                        .metadata()
                        .get(METADATA_USER)
                        .cloned()
                        .unwrap_or_default(),
                )),
                other => other,
            }
        })
    }
}

impl ErrorHandler for LogErrors {
    fn on_error<C: ClientInfo>(&self, client: &C, error: &mut PgWireError) {
        tracing::debug!("to {}: {error}", client.socket_addr());
    }
}

/// The SCRAM verifier of the one password: salted once at start.
#[derive(Debug)]
struct ScramVerifier {
    salt: Vec<u8>,
    salted_password: Vec<u8>,
}

impl ScramVerifier {
    fn new(password: &str) -> Self {
        let salt = random_nonce().into_bytes();
        let salted_password = gen_salted_password(password, &salt, SCRAM_ITERATIONS);
        ScramVerifier {
            salt,
            salted_password,
        }
    }

    fn password_for(&self, user: Option<&str>) -> PgWireResult<Password> {
        if user == Some(SERVE_USER) {
            Ok(Password::new(
                Some(self.salt.clone()),
                self.salted_password.clone(),
            ))
        } else {
            // PostgreSQL answers an unknown user exactly like a wrong password.
            Err(PgWireError::InvalidPassword(
                user.unwrap_or_default().to_string(),
            ))
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

// `AuthSource` and `QueryHook` are `#[async_trait]` traits; their methods are written here in
// the form that macro expands to, which saves a dependency.
impl AuthSource for ScramVerifier {
    fn get_password<'life0, 'life1, 'async_trait>(
        &'life0 self,
        login: &'life1 LoginInfo<'_>,
    ) -> BoxFuture<'async_trait, PgWireResult<Password>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        let answer = self.password_for(login.user());
        Box::pin(async move { answer })
    }
}

/// Refuses whatever would change the warehouse or the shared session; see the module docs.
/// Also stops statements on a snapshot that a later build has pruned (`keep_snapshots`).
#[derive(Debug)]
struct ReadOnlyHook {
    snapshot: PathBuf,
}

impl ReadOnlyHook {
    async fn verdict(&self, statement: &Statement, ctx: &SessionContext) -> Verdict {
        if !self.snapshot.is_dir() {
            // PostgreSQL's own code for a snapshot that is gone: 72000 snapshot_too_old.
            return Verdict::Refuse(user_error(
                "72000",
                format!(
                    "the snapshot this connection reads ({}) has been pruned by a newer build; \
                     reconnect to read the published one",
                    self.snapshot.display()
                ),
            ));
        }
        verdict(statement, ctx).await
    }
}

/// What the guard decided about one statement.
enum Verdict {
    /// Let the next hooks and DataFusion run it.
    Pass,
    /// Acknowledge a harmless `SET` without running it (PostgreSQL settings DataFusion does
    /// not have; running them would only log an error).
    AcknowledgeSet,
    Refuse(PgWireError),
}

impl QueryHook for ReadOnlyHook {
    fn handle_simple_query<'life0, 'life1, 'life2, 'life3, 'async_trait>(
        &'life0 self,
        statement: &'life1 Statement,
        session_context: &'life2 SessionContext,
        _client: &'life3 mut dyn HookClient,
    ) -> BoxFuture<'async_trait, Option<PgWireResult<Response>>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.verdict(statement, session_context)
                .await
                .into_response()
        })
    }

    fn handle_extended_parse_query<'life0, 'life1, 'life2, 'life3, 'async_trait>(
        &'life0 self,
        statement: &'life1 Statement,
        session_context: &'life2 SessionContext,
        _client: &'life3 (dyn ClientInfo + Send + Sync),
    ) -> BoxFuture<'async_trait, Option<PgWireResult<LogicalPlan>>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            match self.verdict(statement, session_context).await {
                Verdict::Refuse(e) => Some(Err(e)),
                // The SET hook plans SET statements; refused ones never get here.
                Verdict::Pass | Verdict::AcknowledgeSet => None,
            }
        })
    }

    fn handle_extended_query<'life0, 'life1, 'life2, 'life3, 'life4, 'life5, 'async_trait>(
        &'life0 self,
        statement: &'life1 Statement,
        _logical_plan: &'life2 LogicalPlan,
        _params: &'life3 datafusion::common::ParamValues,
        session_context: &'life4 SessionContext,
        _client: &'life5 mut dyn HookClient,
    ) -> BoxFuture<'async_trait, Option<PgWireResult<Response>>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        'life4: 'async_trait,
        'life5: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.verdict(statement, session_context)
                .await
                .into_response()
        })
    }
}

impl Verdict {
    fn into_response(self) -> Option<PgWireResult<Response>> {
        match self {
            Verdict::Pass => None,
            Verdict::AcknowledgeSet => Some(Ok(Response::Execution(Tag::new("SET")))),
            Verdict::Refuse(e) => Some(Err(e)),
        }
    }
}

/// Leading keywords of statements that write (or would, on PostgreSQL).
const WRITE_KEYWORDS: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "ALTER", "DROP",
    "TRUNCATE", "COPY", "GRANT", "REVOKE", "COMMENT", "VACUUM", "ANALYZE", "REINDEX", "CLUSTER",
    "REFRESH", "LOCK", "CALL", "DO", "INSTALL", "LOAD", "ATTACH", "DETACH", "UNLOAD", "RENAME",
    "MSCK", "CACHE", "UNCACHE", "PUT", "REMOVE", "IMPORT", "EXPORT",
];

/// PostgreSQL settings a client may change for its own connection (kept in the connection by
/// the SET hook, never in the shared session).
const CONNECTION_SETTINGS: &[&str] = &[
    "statement_timeout",
    "datestyle",
    "bytea_output",
    "intervalstyle",
    "application_name",
    "extra_float_digits",
    "search_path",
];

async fn verdict(statement: &Statement, ctx: &SessionContext) -> Verdict {
    if let Statement::Set(set) = statement {
        return set_verdict(set);
    }
    let text = statement.to_string();
    let keyword = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    if WRITE_KEYWORDS.contains(&keyword.as_str()) {
        return Verdict::Refuse(read_only_error(&keyword));
    }
    match statement {
        // Answered by the next hooks without touching the session.
        Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. } => Verdict::Pass,
        Statement::Declare { stmts } => {
            for d in stmts {
                if let Some(q) = &d.for_query {
                    let inner = Statement::Query(q.clone());
                    if let Verdict::Refuse(e) = check_plan(&inner, ctx).await {
                        return Verdict::Refuse(e);
                    }
                }
            }
            Verdict::Pass
        }
        _ => check_plan(statement, ctx).await,
    }
}

/// Plans the statement and refuses it if the plan holds DDL, DML or COPY (e.g. `SELECT ...
/// INTO`, `WITH ... INSERT`) or a session statement (`PREPARE`, DataFusion's `SET`). A
/// statement that does not plan passes: the normal path reports its error.
async fn check_plan(statement: &Statement, ctx: &SessionContext) -> Verdict {
    let plan = match ctx
        .state()
        .statement_to_plan(DfStatement::Statement(Box::new(statement.clone())))
        .await
    {
        Ok(p) => p,
        Err(_) => return Verdict::Pass,
    };
    let no_writes = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false);
    if no_writes.verify_plan(&plan).is_err() {
        let what = match &plan {
            LogicalPlan::Ddl(ddl) => ddl.name().to_string(),
            LogicalPlan::Dml(dml) => dml.op.to_string(),
            LogicalPlan::Copy(_) => "COPY".to_string(),
            _ => "a statement that writes".to_string(),
        };
        return Verdict::Refuse(read_only_error(&what));
    }
    if let Err(e) = no_writes.with_allow_statements(false).verify_plan(&plan) {
        return Verdict::Refuse(user_error(
            "0A000",
            format!("{e}: omni serve runs queries (SELECT, EXPLAIN, SHOW) only"),
        ));
    }
    Verdict::Pass
}

fn set_verdict(set: &Set) -> Verdict {
    match set {
        Set::SingleAssignment {
            scope: None,
            hivevar: false,
            variable,
            ..
        } => {
            let name = variable.to_string().to_ascii_lowercase();
            if CONNECTION_SETTINGS.contains(&name.as_str()) {
                Verdict::Pass
            } else if name.starts_with("datafusion.") {
                Verdict::Refuse(user_error(
                    READ_ONLY_SQLSTATE,
                    format!(
                        "cannot SET {name}: DataFusion settings are shared by every client of \
                         this read-only server"
                    ),
                ))
            } else {
                Verdict::AcknowledgeSet
            }
        }
        Set::SetTimeZone { local: false, .. } => Verdict::Pass,
        Set::SetNames { .. } | Set::SetNamesDefault {} | Set::SetTransaction { .. } => {
            Verdict::AcknowledgeSet
        }
        other => Verdict::Refuse(user_error(
            READ_ONLY_SQLSTATE,
            format!("`{other}` is not supported by this read-only server"),
        )),
    }
}

fn read_only_error(what: &str) -> PgWireError {
    user_error(
        READ_ONLY_SQLSTATE,
        format!(
            "cannot execute {what}: omni serve is read-only (the warehouse changes only through \
             `omni build`; query it with SELECT)"
        ),
    )
}

fn user_error(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        code.to_string(),
        message,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

    async fn ctx() -> SessionContext {
        let ctx = crate::session::new_context();
        ctx.sql("CREATE TABLE profiles AS SELECT 1 AS id")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        ctx
    }

    async fn check(sql: &str) -> std::result::Result<bool, String> {
        let ctx = ctx().await;
        let mut stmts = PostgresCompatibilityParser::new().parse(sql).unwrap();
        match verdict(&stmts.remove(0), &ctx).await {
            Verdict::Pass => Ok(true),
            Verdict::AcknowledgeSet => Ok(false),
            Verdict::Refuse(PgWireError::UserError(info)) => Err(info.code.clone()),
            Verdict::Refuse(other) => panic!("unexpected error kind {other}"),
        }
    }

    #[tokio::test]
    async fn queries_pass() {
        for sql in [
            "SELECT count(*) FROM profiles",
            "EXPLAIN SELECT * FROM profiles",
            "SHOW TABLES",
            "SHOW search_path",
            "BEGIN",
            "COMMIT",
            "SET application_name = 'metabase'",
            "SET TIME ZONE 'UTC'",
            "DECLARE c CURSOR FOR SELECT * FROM profiles",
        ] {
            assert_eq!(check(sql).await, Ok(true), "{sql}");
        }
    }

    #[tokio::test]
    async fn writes_are_refused_as_read_only() {
        for sql in [
            "INSERT INTO profiles VALUES (2)",
            "UPDATE profiles SET id = 3",
            "DELETE FROM profiles",
            "CREATE TABLE t (a INT)",
            "CREATE VIEW v AS SELECT 1",
            "DROP TABLE profiles",
            "COPY profiles TO '/tmp/x.csv'",
            "SELECT * INTO copied FROM profiles",
            "EXPLAIN ANALYZE SELECT * INTO copied FROM profiles",
            "SET datafusion.execution.target_partitions = 1",
            "DECLARE c CURSOR FOR SELECT * INTO copied FROM profiles",
        ] {
            assert_eq!(
                check(sql).await,
                Err(READ_ONLY_SQLSTATE.to_string()),
                "{sql}"
            );
        }
    }

    #[tokio::test]
    async fn session_statements_are_not_supported() {
        assert_eq!(
            check("PREPARE p AS SELECT 1").await,
            Err("0A000".to_string())
        );
    }

    #[tokio::test]
    async fn unknown_postgres_settings_are_acknowledged_not_run() {
        assert_eq!(
            check("SET client_min_messages = 'warning'").await,
            Ok(false)
        );
        assert_eq!(check("SET NAMES 'UTF8'").await, Ok(false));
    }

    #[tokio::test]
    async fn a_pruned_snapshot_is_reported_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx().await;
        let stmt = PostgresCompatibilityParser::new()
            .parse("SELECT 1")
            .unwrap()
            .remove(0);
        let hook = ReadOnlyHook {
            snapshot: dir.path().to_path_buf(),
        };
        assert!(matches!(hook.verdict(&stmt, &ctx).await, Verdict::Pass));
        let hook = ReadOnlyHook {
            snapshot: dir.path().join("pruned"),
        };
        match hook.verdict(&stmt, &ctx).await {
            Verdict::Refuse(PgWireError::UserError(info)) => assert_eq!(info.code, "72000"),
            _ => panic!("a pruned snapshot must be refused"),
        }
    }

    #[test]
    fn only_the_omni_user_has_a_password() {
        let v = ScramVerifier::new("pw");
        assert!(v.password_for(Some(SERVE_USER)).is_ok());
        assert!(matches!(
            v.password_for(Some("postgres")),
            Err(PgWireError::InvalidPassword(u)) if u == "postgres"
        ));
        assert!(v.password_for(None).is_err());
    }

    #[test]
    fn an_empty_password_is_refused() {
        let e = ServeConfig::new(Warehouse::new("w"), String::new()).unwrap_err();
        assert!(e.to_string().contains("OMNI_SERVE_PASSWORD"), "{e}");
    }
}
