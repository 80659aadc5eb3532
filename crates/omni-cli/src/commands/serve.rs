//! `omni serve`: the published snapshot over the PostgreSQL wire protocol (read-only).

use std::path::PathBuf;

use clap::Args;
use omni_sql::serve::{ServeConfig, Server};

use super::{Failure, WarehouseArg};

/// Environment variable holding the password of user `omni`.
const PASSWORD_ENV: &str = "OMNI_SERVE_PASSWORD";

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub wh: WarehouseArg,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:5433")]
    pub listen: String,
    /// File holding the password of user `omni` (a trailing newline is ignored). Without
    /// it, the password comes from OMNI_SERVE_PASSWORD.
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
}

pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    let password = password(
        args.password_file.as_ref(),
        std::env::var_os(PASSWORD_ENV).map(|v| v.to_string_lossy().into_owned()),
    )?;
    let config = ServeConfig::new(omni_sql::Warehouse::new(&args.wh.warehouse), password)?;
    let server = Server::bind(&args.listen, config).await?;
    eprintln!(
        "listening on {} (snapshot {})",
        server.local_addr(),
        server.snapshot()
    );
    eprintln!(
        "connect with: psql \"host={} port={} user=omni dbname=omni\"",
        server.local_addr().ip(),
        server.local_addr().port()
    );
    server.run(stop_signal()).await?;
    eprintln!("stopped");
    Ok(())
}

/// The password: `--password-file` wins over the environment; none at all is a user error.
fn password(file: Option<&PathBuf>, env: Option<String>) -> Result<String, Failure> {
    let (text, origin) = match (file, env) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::user(format!(
                    "cannot read the password file {}: {e}",
                    path.display()
                ))
            })?;
            (text, format!("the password file {}", path.display()))
        }
        (None, Some(v)) => (v, PASSWORD_ENV.to_string()),
        (None, None) => {
            return Err(Failure::user(format!(
                "omni serve needs a password for user `omni`: set {PASSWORD_ENV} or pass \
                 --password-file PATH"
            )));
        }
    };
    let password = text.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(Failure::user(format!(
            "{origin} holds an empty password: set {PASSWORD_ENV} or pass --password-file PATH \
             with a non-empty password"
        )));
    }
    Ok(password)
}

/// Completes on SIGINT (ctrl-c) or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        static STOP: AtomicBool = AtomicBool::new(false);
        extern "C" fn on_signal(_: libc::c_int) {
            // Only an atomic store: async-signal-safe.
            STOP.store(true, Ordering::SeqCst);
        }
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
        // A poll rather than tokio's signal driver, which would need tokio's `signal`
        // feature (a rebuild of everything that depends on tokio).
        while !STOP.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_file_wins_and_loses_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "s3cret\n").unwrap();
        assert_eq!(password(Some(&f), Some("env".into())).unwrap(), "s3cret");
        assert_eq!(password(None, Some("env".into())).unwrap(), "env");
    }

    #[test]
    fn no_or_empty_password_is_a_user_error() {
        let e = password(None, None).unwrap_err();
        assert_eq!(e.code, 1);
        assert!(e.message.contains("OMNI_SERVE_PASSWORD"), "{}", e.message);
        assert!(e.message.contains("--password-file"), "{}", e.message);
        let e = password(None, Some("\n".into())).unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
        let missing = PathBuf::from("/nonexistent/pw");
        let e = password(Some(&missing), None).unwrap_err();
        assert!(e.message.contains("/nonexistent/pw"), "{}", e.message);
    }
}
