//! Running the binary: one-shot commands with a deadline, and a server child that is killed
//! when the test ends, whatever happens. Polls with deadlines; never sleeps blindly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use givance_tests::TestDb;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

pub const BIN: &str = env!("CARGO_BIN_EXE_givance");

/// Generous: a debug build migrating a PostgreSQL database on a loaded 2-core machine.
pub const STARTUP: Duration = Duration::from_secs(90);
/// An unreachable database is given up on after the pool's 5 s connect timeout.
pub const ONE_SHOT: Duration = Duration::from_secs(60);

/// The binary, run in `dir`, with no `GIVANCE_*` setting inherited from the environment.
pub fn givance(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("GIVANCE_DATABASE_URL")
        .env_remove("GIVANCE_BIND")
        .env_remove("GIVANCE_LOG")
        .env_remove("GIVANCE_LOG_FORMAT")
        .env_remove("GIVANCE_JWT_HS256_SECRET")
        .env_remove("GIVANCE_JWKS_FILE")
        .env_remove("GIVANCE_JWKS_URL")
        .env_remove("GIVANCE_JWT_ISSUER")
        .env_remove("GIVANCE_JWT_AUDIENCE")
        // Were anything to panic or print a backtrace, this would make it show.
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null());
    cmd
}

pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }

    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Fails unless the command exited 0.
    pub fn success(self) -> Self {
        assert!(self.status.success(), "exit {:?}\nstdout:\n{}\nstderr:\n{}", self.status, self.stdout, self.stderr);
        self
    }

    /// Fails unless the command failed with `code` and exactly one clean line on stderr.
    pub fn fails_in_one_line(&self, code: i32) -> &str {
        assert_eq!(self.status.code(), Some(code), "stderr:\n{}", self.stderr);
        let lines = self.stderr_lines();
        assert_eq!(lines.len(), 1, "exactly one line on stderr, got:\n{}", self.stderr);
        let line = lines[0];
        assert!(line.starts_with("givance: "), "{line}");
        for bad in ["panicked", "backtrace", "RUST_BACKTRACE", "Error {", "\u{1b}["] {
            assert!(!line.contains(bad), "{bad:?} in {line}");
        }
        line
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = pipe.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
}

/// Runs a command to completion, killing it if it outlives `deadline`.
pub fn run(mut cmd: Command, deadline: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start givance");
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("givance did not finish within {deadline:?}: {:?}", cmd.get_args().collect::<Vec<_>>());
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// `givance serve` running as a child; killed on drop.
pub struct Server {
    child: Child,
    pub address: SocketAddr,
    lines: Receiver<String>,
    log: Vec<String>,
}

impl Server {
    /// Starts `cmd` (a `serve` command) and waits for its "listening on http://..." log line.
    pub fn start(mut cmd: Command) -> Server {
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start givance serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server { child, address: SocketAddr::from(([127, 0, 0, 1], 0)), lines, log: Vec::new() };
        let started = Instant::now();
        loop {
            if let Ok(line) = server.lines.recv_timeout(Duration::from_millis(50)) {
                let address = line
                    .split("listening on http://")
                    .nth(1)
                    .and_then(|rest| rest.split(|c: char| c == '"' || c.is_whitespace()).next())
                    .map(|addr| addr.parse::<SocketAddr>().expect("a socket address in the listening line"));
                server.log.push(line);
                if let Some(address) = address {
                    server.address = address;
                    return server;
                }
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                server.collect_log();
                panic!("givance serve exited ({status}) before listening:\n{}", server.log.join("\n"));
            }
            assert!(
                started.elapsed() < STARTUP,
                "no 'listening on' line within {STARTUP:?}:\n{}",
                server.log.join("\n")
            );
        }
    }

    fn collect_log(&mut self) {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
            self.log.push(line);
        }
    }

    pub fn get(&self, path: &str) -> (u16, String, String) {
        http_get(self.address, path).unwrap_or_else(|err| panic!("GET {path}: {err}"))
    }

    /// Polls `/readyz` until it answers 200.
    pub fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            if let Ok((200, _, _)) = http_get(self.address, "/readyz") {
                return;
            }
            assert!(started.elapsed() < STARTUP, "/readyz never answered 200");
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM and waits for a graceful exit; returns the status and every log line.
    pub fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "givance serve ignored SIGTERM");
            thread::sleep(Duration::from_millis(10));
        };
        self.collect_log();
        (status, std::mem::take(&mut self.log))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A minimal HTTP/1.1 GET: `(status, head, body)`.
pub fn http_get(address: SocketAddr, path: &str) -> std::io::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    Ok((status, head.to_owned(), body.to_owned()))
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The user tables in the database, read from the catalogue.
pub async fn tables(db: &TestDb) -> Vec<String> {
    let sql = match db.backend() {
        DatabaseBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
    };
    let rows = db.conn().query_all_raw(Statement::from_string(db.backend(), sql)).await.unwrap();
    rows.iter().map(|row| row.try_get_by_index::<String>(0).unwrap()).collect()
}

/// A minimal HTTP/1.1 request with headers and an optional JSON body: `(status, head, body)`.
pub fn http_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    json: Option<&str>,
) -> std::io::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = json.unwrap_or_default();
    if json.is_some() {
        request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    Ok((status, head.to_owned(), body.to_owned()))
}
