//! Binding one listening socket, with SO_REUSEPORT when `reusePort` asks for it: several
//! processes (or servers) then listen on the same port and the kernel spreads new
//! connections over them, which is how N instances of a cluster share one port on a
//! machine. Without it, the plain tokio bind is used, exactly as before.
//!
//! It never accepts or serves: `server/` does.

use std::io;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpSocket};

/// The backlog of a listener bound here (tokio's own `TcpListener::bind` uses 1024 too).
const LISTEN_BACKLOG: u32 = 1024;

/// Binds `addr`; with `reuse_port`, other sockets bound the same way may share the port.
pub(crate) async fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
    if !reuse_port {
        return TcpListener::bind(addr).await;
    }
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As tokio's own bind does on Unix: a restarted server can bind at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    set_reuse_port(&socket)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
fn set_reuse_port(socket: &TcpSocket) -> io::Result<()> {
    socket.set_reuseport(true)
}

#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
fn set_reuse_port(_: &TcpSocket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "reusePort (SO_REUSEPORT) is not supported on this platform",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn two_listeners_share_a_port_only_when_both_ask() {
        let first = bind("127.0.0.1:0".parse().unwrap(), true).await.unwrap();
        let addr = first.local_addr().unwrap();
        let second = bind(addr, true).await.expect("a second reusePort listener");
        assert_eq!(second.local_addr().unwrap(), addr);
        let refused = bind(addr, false)
            .await
            .expect_err("a plain bind is refused");
        assert_eq!(refused.kind(), io::ErrorKind::AddrInUse);
    }
}
