//! The stdio child process: spawned with the given environment, the proxy's working
//! directory and stderr; stdin written from a bounded queue (a child that stops reading
//! slows the proxy's writers instead of growing memory); stdout framed into lines; its exit
//! watched. Stopping closes stdin, sends SIGTERM, and SIGKILL after a grace period.

use bytes::Bytes;
use std::io;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};

use crate::framing::{Frame, LineFramer};

/// Messages queued for the child's stdin before writers wait.
pub const STDIN_QUEUE: usize = 1024;
/// Frames read from stdout and not yet routed before the reading pauses.
pub const STDOUT_QUEUE: usize = 1024;
/// Bytes read from stdout at once.
const READ_CHUNK: usize = 64 * 1024;

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct ChildSpec {
    pub command: String,
    pub args: Vec<String>,
    /// Run through the platform shell, command and args joined with spaces (as Node does).
    pub shell: bool,
    /// The child's whole environment.
    pub env: Vec<(String, String)>,
}

/// How the child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<String>,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.code, &self.signal) {
            (_, Some(signal)) => write!(f, "child exited with signal {signal}"),
            (Some(code), None) => write!(f, "child exited with code {code}"),
            (None, None) => write!(f, "child exited"),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Signal {
    Term,
    Kill,
}

/// The handle to a running child. Cloning shares it.
#[derive(Clone)]
pub struct ChildProcess {
    stdin: mpsc::Sender<Bytes>,
    close_stdin: watch::Sender<bool>,
    signals: mpsc::UnboundedSender<Signal>,
    exit: watch::Receiver<Option<Exit>>,
    pub pid: Option<u32>,
}

fn command(spec: &ChildSpec) -> Command {
    let mut cmd = if spec.shell {
        let line = std::iter::once(spec.command.as_str())
            .chain(spec.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        if cfg!(windows) {
            let mut c = Command::new("cmd.exe");
            c.args(["/d", "/s", "/c", &line]);
            c
        } else {
            let mut c = Command::new("/bin/sh");
            c.args(["-c", &line]);
            c
        }
    } else {
        let mut c = Command::new(&spec.command);
        c.args(&spec.args);
        c
    };
    cmd.env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(false);
    cmd
}

/// Spawns the child; its stdout frames arrive on the returned receiver, which ends when
/// stdout closes. Must be called inside a tokio runtime.
pub fn spawn(spec: &ChildSpec) -> io::Result<(ChildProcess, mpsc::Receiver<Frame>)> {
    let mut child = command(spec).spawn().map_err(|e| {
        let code = match e.kind() {
            io::ErrorKind::NotFound => "ENOENT",
            io::ErrorKind::PermissionDenied => "EACCES",
            _ => "ESPAWN",
        };
        io::Error::new(e.kind(), format!("spawn {} {code}: {e}", spec.command))
    })?;
    let pid = child.id();
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (stdin_tx, stdin_rx) = mpsc::channel(STDIN_QUEUE);
    let (close_tx, close_rx) = watch::channel(false);
    let (frames_tx, frames_rx) = mpsc::channel(STDOUT_QUEUE);
    let (signals_tx, signals_rx) = mpsc::unbounded_channel();
    let (exit_tx, exit_rx) = watch::channel(None);
    tokio::spawn(write_stdin(stdin, stdin_rx, close_rx));
    tokio::spawn(read_stdout(stdout, frames_tx));
    tokio::spawn(wait(child, signals_rx, exit_tx));
    let process = ChildProcess {
        stdin: stdin_tx,
        close_stdin: close_tx,
        signals: signals_tx,
        exit: exit_rx,
        pid,
    };
    Ok((process, frames_rx))
}

async fn write_stdin(
    mut stdin: tokio::process::ChildStdin,
    mut queue: mpsc::Receiver<Bytes>,
    mut close: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            message = queue.recv() => {
                let Some(message) = message else { break };
                if stdin.write_all(&message).await.is_err() {
                    break;
                }
            }
            _ = async { let _ = close.wait_for(|c| *c).await; } => break,
        }
    }
    let _ = stdin.shutdown().await;
}

async fn read_stdout(mut stdout: tokio::process::ChildStdout, frames: mpsc::Sender<Frame>) {
    let mut framer = LineFramer::default();
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut out = Vec::new();
    loop {
        let n = match stdout.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        framer.push(&chunk[..n], &mut out);
        for frame in out.drain(..) {
            if frames.send(frame).await.is_err() {
                return;
            }
        }
    }
    framer.finish(&mut out);
    for frame in out.drain(..) {
        let _ = frames.send(frame).await;
    }
}

#[cfg(unix)]
fn exit_of(status: std::process::ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    Exit {
        code: status.code(),
        signal: status.signal().map(signal_name),
    }
}

#[cfg(not(unix))]
fn exit_of(status: std::process::ExitStatus) -> Exit {
    Exit {
        code: status.code(),
        signal: None,
    }
}

#[cfg(unix)]
fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGINT => "SIGINT".into(),
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        other => format!("signal {other}"),
    }
}

/// Reaps the child and delivers signals while it is not reaped (so a pid is never signalled
/// after it could have been reused).
async fn wait(
    mut child: Child,
    mut signals: mpsc::UnboundedReceiver<Signal>,
    exit: watch::Sender<Option<Exit>>,
) {
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            Some(signal) = signals.recv() => match signal {
                #[cfg(unix)]
                Signal::Term => {
                    if let Some(pid) = child.id() {
                        // SAFETY: kill(2) with a pid this task has not reaped yet.
                        unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
                    }
                }
                #[cfg(not(unix))]
                Signal::Term => { let _ = child.start_kill(); }
                Signal::Kill => { let _ = child.start_kill(); }
            },
        }
    };
    let ended = match status {
        Ok(status) => exit_of(status),
        Err(_) => Exit {
            code: None,
            signal: None,
        },
    };
    exit.send_replace(Some(ended));
}

impl ChildProcess {
    /// Queues a message (a line without its `\n`); waits while the queue is full. False when
    /// the child no longer reads stdin.
    pub async fn write(&self, line: String) -> bool {
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        self.stdin.send(Bytes::from(bytes)).await.is_ok()
    }

    /// Queues a message without waiting: false when the queue is full or closed.
    pub fn try_write(&self, line: String) -> bool {
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        self.stdin.try_send(Bytes::from(bytes)).is_ok()
    }

    pub fn exited(&self) -> Option<Exit> {
        self.exit.borrow().clone()
    }

    /// Resolves when the child has ended.
    pub async fn wait(&self) -> Exit {
        let mut exit = self.exit.clone();
        let ended = exit.wait_for(Option::is_some).await;
        match ended {
            Ok(e) => e.clone().unwrap_or(Exit {
                code: None,
                signal: None,
            }),
            Err(_) => Exit {
                code: None,
                signal: None,
            },
        }
    }

    /// For a host going away (no await possible, maybe no runtime turn left): stdin is
    /// closed and SIGTERM sent at once, from this thread.
    pub fn terminate_now(&self) {
        self.close_stdin.send_replace(true);
        if self.exited().is_some() {
            return;
        }
        #[cfg(unix)]
        if let Some(pid) = self.pid {
            // SAFETY: kill(2); the child is not reaped yet (its exit is not recorded), so the
            // pid is still its own.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        }
        let _ = self.signals.send(Signal::Term);
    }

    /// Closes stdin, sends SIGTERM, and SIGKILL when the child is still there after `grace`.
    pub async fn stop(&self, grace: Duration) -> Exit {
        self.close_stdin.send_replace(true);
        if let Some(exit) = self.exited() {
            return exit;
        }
        let _ = self.signals.send(Signal::Term);
        match tokio::time::timeout(grace, self.wait()).await {
            Ok(exit) => exit,
            Err(_) => {
                let _ = self.signals.send(Signal::Kill);
                self.wait().await
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> ChildSpec {
        ChildSpec {
            command: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            shell: false,
            env: std::env::vars().collect(),
        }
    }

    #[tokio::test]
    async fn echoes_through_stdin_and_stdout() {
        let (child, mut frames) = spawn(&sh("read line; echo \"$line\"")).unwrap();
        assert!(child.write("{\"a\":1}".into()).await);
        assert_eq!(
            frames.recv().await,
            Some(Frame::Message("{\"a\":1}".into()))
        );
        assert_eq!(child.wait().await.code, Some(0));
    }

    #[tokio::test]
    async fn a_child_ignoring_sigterm_is_killed_after_the_grace() {
        let script = "trap '' TERM; echo '{}'; while :; do sleep 0.1; done";
        let (child, mut frames) = spawn(&sh(script)).unwrap();
        // The trap is set once it printed.
        assert_eq!(frames.recv().await, Some(Frame::Message("{}".into())));
        let exit = child.stop(Duration::from_millis(200)).await;
        assert_eq!(exit.signal.as_deref(), Some("SIGKILL"));
    }

    #[tokio::test]
    async fn missing_command_names_it() {
        let spec = ChildSpec {
            command: "definitely-not-a-command-xyz".into(),
            ..Default::default()
        };
        let error = spawn(&spec).err().unwrap();
        assert!(error
            .to_string()
            .contains("definitely-not-a-command-xyz ENOENT"));
    }
}
