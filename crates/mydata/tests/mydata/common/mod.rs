//! Running the `mydata` binary as a user does, for the black-box tests of this crate.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The binary, with none of the caller's `MYDATA_*` settings leaking into the test.
pub fn mydata() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mydata"));
    for (var, _) in std::env::vars().filter(|(name, _)| name.starts_with("MYDATA_")) {
        command.env_remove(var);
    }
    command
}

/// Runs `command`, reads the first line of its output and closes the pipe, as `| head -1` does;
/// returns how the command ended and what it wrote to standard error.
pub fn read_one_line_of(command: &mut Command) -> (std::process::ExitStatus, String) {
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("mydata runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "the command wrote nothing");
    let out = child.wait_with_output().unwrap();
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A server process that is killed when the test ends, whatever happens.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Stops the server as an operator would (SIGTERM) and waits for it to exit, so that what it
    /// logs on the way is written: a kill loses the lines still queued for the log's writer.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.0.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        for _ in 0..300 {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the server did not stop within 30 s of SIGTERM");
    }
}

/// A free port on loopback, for a listener the test must know before the server announces it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `mydata ARGS` and returns it with the base URL of its `listening on` line.
pub fn start(args: &[&str]) -> (Server, String) {
    start_with_env(args, &[])
}

pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> (Server, String) {
    start_logging_to(args, env, Stdio::null())
}

/// Like [`start`], with extra environment and its standard error (the log) sent to `log`.
pub fn start_logging_to(args: &[&str], env: &[(&str, &str)], log: impl Into<Stdio>) -> (Server, String) {
    let mut command = mydata();
    command.envs(env.iter().copied());
    let mut child = command.args(args).stdout(Stdio::piped()).stderr(log).spawn().expect("spawn mydata");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    for line in BufReader::new(stdout).lines() {
        if let Some(url) = line.expect("the server's standard output").strip_prefix("listening on ") {
            return (server, url.to_owned());
        }
    }
    panic!("the server exited before announcing");
}
