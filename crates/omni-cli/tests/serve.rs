//! End-to-end tests of `omni serve`: the demo warehouse over the PostgreSQL wire protocol,
//! driven by the real `psql` client and by `tokio-postgres`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASSWORD: &str = "correct horse";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn omni(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omni"))
        .args(args)
        .env_remove("OMNI_WAREHOUSE")
        .env_remove("OMNI_SERVE_PASSWORD")
        .output()
        .expect("run omni")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The demo pipeline writing its warehouse and exports inside `dir`, built once.
fn build_demo(dir: &Path) -> PathBuf {
    let pipeline = std::fs::read_to_string(repo().join("pipelines/retail_demo.toml")).unwrap();
    let sample = repo().join("sample_data");
    let pipeline = pipeline
        .replace("\"../sample_data/", &format!("\"{}/", sample.display()))
        .replace("\"../exports/", &format!("\"{}/exports/", dir.display()))
        .replace("\"../warehouse\"", "\"warehouse\"");
    let p = dir.join("demo.toml");
    std::fs::write(&p, pipeline).unwrap();
    rebuild(dir);
    dir.join("warehouse")
}

/// Runs the demo pipeline of `dir` again: a new snapshot is published.
fn rebuild(dir: &Path) {
    let o = omni(&["build", "-q", dir.join("demo.toml").to_str().unwrap()]);
    assert!(o.status.success(), "build failed: {}", text(&o.stderr));
}

/// A number from `omni sql`, the reference the server's answers are checked against.
fn omni_sql_count(wh: &Path, query: &str) -> i64 {
    let o = omni(&[
        "sql",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
        query,
    ]);
    assert!(o.status.success(), "{query}: {}", text(&o.stderr));
    let out = text(&o.stdout);
    let value = out.lines().nth(1).expect("a header and a row");
    value.trim().parse().expect("a number")
}

/// Rows from `omni sql --format csv` (values without commas or quotes).
fn omni_sql_rows(wh: &Path, query: &str) -> Vec<Vec<String>> {
    let o = omni(&[
        "sql",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
        query,
    ]);
    assert!(o.status.success(), "{query}: {}", text(&o.stderr));
    text(&o.stdout)
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// A running `omni serve`; killed when dropped.
struct Server {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(wh: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_omni"))
            .args(["serve", "--warehouse", wh.to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .env("OMNI_SERVE_PASSWORD", PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start omni serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let reader = BufReader::new(child.stderr.take().unwrap());
        let log = stderr.clone();
        // Drains stderr for the server's whole life, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                log.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(rest) = line.strip_prefix("listening on ") {
                    let _ = tx.send(rest.to_string());
                }
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            stderr,
        };
        let ready = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                panic!(
                    "omni serve did not report `listening on`: {}",
                    server.stderr.lock().unwrap()
                )
            });
        // "127.0.0.1:PORT (snapshot RUN)"
        let (addr, snapshot) = ready
            .split_once(" (snapshot ")
            .expect("address and snapshot");
        assert!(snapshot.ends_with(')'), "{ready}");
        let current = std::fs::read_to_string(wh.join("CURRENT")).unwrap();
        assert_eq!(snapshot.trim_end_matches(')'), current.trim());
        server.addr = addr.to_string();
        server
    }

    fn host(&self) -> &str {
        self.addr.split_once(':').unwrap().0
    }

    fn port(&self) -> &str {
        self.addr.split_once(':').unwrap().1
    }

    /// `psql` with `args`, password `password`.
    fn psql_as(&self, user: &str, password: &str, args: &[&str]) -> Output {
        Command::new("psql")
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args([
                "-h",
                self.host(),
                "-p",
                self.port(),
                "-U",
                user,
                "-d",
                "omni",
            ])
            .args(args)
            .env("PGPASSWORD", password)
            .env("PGSSLMODE", "disable")
            .env("PGCONNECT_TIMEOUT", "20")
            .env_remove("PGSERVICE")
            .output()
            .expect("run psql (install Debian's postgresql-client; .ci/run does)")
    }

    fn psql(&self, args: &[&str]) -> Output {
        self.psql_as("omni", PASSWORD, args)
    }

    fn conninfo(&self, password: &str) -> String {
        format!(
            "host={} port={} user=omni password='{password}' dbname=omni",
            self.host(),
            self.port()
        )
    }

    async fn connect(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.conninfo(PASSWORD), NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}: {}", self.stderr.lock().unwrap()));
        tokio::spawn(connection);
        client
    }

    fn assert_alive(&self) {
        let o = self.psql(&["-c", "SELECT 1 + 1"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout).trim(), "2");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

#[test]
fn psql_queries_lists_tables_cannot_write_and_garbage_does_not_kill_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let wh = build_demo(dir.path());
    let server = Server::start(&wh);

    // A query result equals omni sql's.
    let expected = omni_sql_count(&wh, "SELECT count(*) FROM profiles");
    assert!(expected > 0);
    let o = server.psql(&["-c", "SELECT count(*) FROM profiles"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), expected.to_string());

    // Our SQL functions are there.
    let o = server.psql(&["-c", "SELECT normalize_email(' Ana@Example.COM ')"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "ana@example.com");

    // psql's catalog commands: \dt lists the warehouse tables, \d TABLE its columns.
    let o = server.psql(&["-c", "\\dt"]);
    assert!(o.status.success(), "\\dt: {}", text(&o.stderr));
    let tables = text(&o.stdout);
    for t in [
        "profiles",
        "identity_map",
        "transactions",
        "rfm",
        "source_records",
    ] {
        assert!(
            tables.lines().any(|l| l.split('|').nth(1) == Some(t)),
            "\\dt lacks {t}: {tables}"
        );
    }
    // What BI tools read to list tables.
    for q in [
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY 1",
    ] {
        let o = server.psql(&["-c", q]);
        assert!(o.status.success(), "{q}: {}", text(&o.stderr));
        let names = text(&o.stdout);
        assert!(names.lines().any(|l| l == "profiles"), "{q}: {names}");
        assert!(names.lines().any(|l| l == "identity_edges"), "{q}: {names}");
    }
    let o = server.psql(&["-c", "\\d profiles"]);
    assert!(o.status.success(), "\\d profiles: {}", text(&o.stderr));
    let columns = text(&o.stdout);
    assert!(columns.contains("customer_id"), "{columns}");
    assert!(columns.contains("lifetime_value"), "{columns}");

    // Writes are refused with SQLSTATE 25006, and the server goes on serving.
    for write in [
        "INSERT INTO profiles (customer_id) VALUES ('c_x')",
        "CREATE TABLE t AS SELECT 1 AS a",
        "DROP TABLE profiles",
        "SELECT * INTO copied FROM profiles",
    ] {
        let o = server.psql(&["-v", "VERBOSITY=verbose", "-c", write]);
        assert!(!o.status.success(), "{write} was accepted");
        let err = text(&o.stderr);
        assert!(err.contains("25006"), "{write}: {err}");
        assert!(err.contains("read-only"), "{write}: {err}");
    }
    let o = server.psql(&["-c", "SELECT count(*) FROM profiles"]);
    assert_eq!(text(&o.stdout).trim(), expected.to_string());
    assert_eq!(
        omni_sql_count(&wh, "SELECT count(*) FROM profiles"),
        expected,
        "the warehouse is unchanged"
    );

    // A wrong password or another user is refused with 28P01.
    for (user, password) in [("omni", "wrong"), ("postgres", PASSWORD)] {
        let o = server.psql_as(
            user,
            password,
            &["-v", "VERBOSITY=verbose", "-c", "SELECT 1"],
        );
        assert!(!o.status.success(), "{user}/{password} got in");
        let err = text(&o.stderr).to_lowercase();
        assert!(
            err.contains(&format!(
                "password authentication failed for user \"{user}\""
            )),
            "{err}"
        );
    }
    server.assert_alive();

    send_garbage(&server);
    server.assert_alive();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_binds_parameters_and_twenty_clients_are_served_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let wh = build_demo(dir.path());
    let server = Arc::new(Server::start(&wh));

    // 20 customers and their order counts, as `omni sql` sees them.
    let expected = omni_sql_rows(
        &wh,
        "SELECT customer_id, CAST(orders AS BIGINT) AS n FROM profiles \
         ORDER BY orders DESC, customer_id LIMIT 20",
    );
    assert_eq!(expected.len(), 20);

    // 20 clients at once, each binding its own customer id, each answered right.
    let mut tasks = Vec::new();
    for (i, row) in expected.into_iter().enumerate() {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let client = server.connect().await;
            let got = client
                .query_one(
                    "SELECT CAST(orders AS BIGINT) FROM profiles WHERE customer_id = $1",
                    &[&row[0]],
                )
                .await
                .unwrap_or_else(|e| panic!("client {i}: {e}"));
            let orders: i64 = got.get(0);
            assert_eq!(
                orders.to_string(),
                row[1],
                "client {i}, customer {}",
                row[0]
            );
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    // A numeric parameter.
    let client = server.connect().await;
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM profiles WHERE CAST(orders AS BIGINT) >= $1",
            &[&2i64],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        n,
        omni_sql_count(&wh, "SELECT count(*) FROM profiles WHERE orders >= 2")
    );

    // The extended protocol refuses writes too, with the same SQLSTATE ...
    let err = client
        .execute(
            "INSERT INTO profiles (customer_id) VALUES ($1)",
            &[&"c_x".to_string()],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&SqlState::READ_ONLY_SQL_TRANSACTION),
        "{err}"
    );
    // ... and the connection is still usable.
    let n: i64 = client
        .query_one("SELECT count(*) FROM profiles", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, omni_sql_count(&wh, "SELECT count(*) FROM profiles"));

    // A wrong password over the Rust client: 28P01.
    let err = tokio_postgres::connect(&server.conninfo("nope"), NoTls)
        .await
        .err()
        .expect("a wrong password is refused");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD), "{err}");
}

/// Sends malformed startup messages; the server must stay up.
fn send_garbage(server: &Server) {
    // Deterministic noise, a startup packet claiming 2 GB, and a truncated one.
    let mut noise = Vec::with_capacity(4096);
    let mut x: u32 = 0x2545_f491;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(x as u8);
    }
    let huge_length = [0x7f, 0xff, 0xff, 0xff, 0x00, 0x03, 0x00, 0x00];
    let truncated = [0x00, 0x00, 0x00, 0x40, 0x00, 0x03, 0x00, 0x00, b'u', b's'];
    for payload in [&noise[..], &huge_length[..], &truncated[..]] {
        let mut s = TcpStream::connect(&server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let _ = s.write_all(payload);
        let _ = s.shutdown(std::net::Shutdown::Write);
        // The server answers (an error or nothing) and closes this connection.
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
    server.assert_alive();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_snapshot_is_served_to_new_connections_without_restart_and_sigterm_stops() {
    let dir = tempfile::tempdir().unwrap();
    let wh = build_demo(dir.path());
    let server = Server::start(&wh);
    let runs = "SELECT count(*) FROM runs";
    let old = server.connect().await;
    let n: i64 = old.query_one(runs, &[]).await.unwrap().get(0);
    assert_eq!(n, 1);

    rebuild(dir.path());
    assert_eq!(omni_sql_count(&wh, runs), 2);

    let new = server.connect().await;
    let n: i64 = new.query_one(runs, &[]).await.unwrap().get(0);
    assert_eq!(n, 2, "a new connection sees the new snapshot");
    // An open connection keeps the whole snapshot it started with.
    let n: i64 = old.query_one(runs, &[]).await.unwrap().get(0);
    assert_eq!(n, 1, "an open connection keeps its snapshot");

    // SIGTERM: a clean stop (exit 0), the port closed.
    drop((old, new));
    stop_with_sigterm(server);
}

#[cfg(unix)]
fn stop_with_sigterm(mut server: Server) {
    let kill = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", server.stderr.lock().unwrap());
    assert!(
        server.stderr.lock().unwrap().contains("stopped"),
        "{}",
        server.stderr.lock().unwrap()
    );
    assert!(
        TcpStream::connect(&server.addr).is_err(),
        "the port is closed"
    );
}

#[cfg(not(unix))]
fn stop_with_sigterm(_server: Server) {}

#[test]
fn refuses_to_start_without_a_password_or_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let o = omni(&["serve", "--warehouse", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("OMNI_SERVE_PASSWORD"), "{err}");
    assert!(err.contains("--password-file"), "{err}");

    let pw = dir.path().join("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    let o = omni(&[
        "serve",
        "--warehouse",
        dir.path().join("empty").to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("no published snapshot"), "{err}");
}
