//! The connection-level limits HTTP/2 maps from HTTP/1.1's, on raw sockets: a connection
//! silent for `headersTimeout` gets the 408 either way; an h2c connection with no stream for
//! `keepAliveTimeout` gets GOAWAY and is closed; `http2: false` leaves the preface to HTTP/1.1.

use crate::config::Config;
use crate::host::{Host, HostEvent};
use crate::server::http2::preface::PREFACE;
use crate::Server;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Quiet;
impl Host for Quiet {
    fn dispatch(&self, _: HostEvent) {}
}

async fn server(config: Config) -> Server {
    let config = Config {
        host: "127.0.0.1".into(),
        ..config
    };
    Server::bind(config, Arc::new(Quiet)).await.expect("bind")
}

/// Everything the server sends until it closes the connection (bounded).
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut all));
    read.await.expect("closed in time").expect("read");
    all
}

/// The frame types in `bytes`, in order.
fn frame_types(mut bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    while bytes.len() >= 9 {
        let len = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) as usize;
        types.push(bytes[3]);
        bytes = &bytes[(9 + len).min(bytes.len())..];
    }
    types
}

const SETTINGS: [u8; 9] = [0, 0, 0, 4, 0, 0, 0, 0, 0];
const GOAWAY: u8 = 7;

#[tokio::test]
async fn a_silent_connection_gets_408_after_headers_timeout() {
    let s = server(Config {
        headers_timeout: Some(Duration::from_millis(200)),
        ..Config::default()
    })
    .await;
    let mut c = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
    let all = until_closed(&mut c).await;
    assert!(all.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
}

#[tokio::test]
async fn an_h2c_connection_without_streams_gets_goaway_after_keep_alive_timeout() {
    let s = server(Config {
        headers_timeout: Some(Duration::from_millis(200)),
        keep_alive_timeout: Duration::from_millis(200),
        ..Config::default()
    })
    .await;
    let mut c = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
    c.write_all(PREFACE).await.unwrap();
    c.write_all(&SETTINGS).await.unwrap();
    let all = until_closed(&mut c).await;
    let types = frame_types(&all);
    assert_eq!(types.first(), Some(&4), "SETTINGS first: {types:?}");
    assert!(types.contains(&GOAWAY), "{types:?}");
}

#[tokio::test]
async fn with_http2_off_the_preface_is_http1s_to_refuse() {
    let s = server(Config {
        http2: None,
        ..Config::default()
    })
    .await;
    let mut c = TcpStream::connect(("127.0.0.1", s.port())).await.unwrap();
    c.write_all(PREFACE).await.unwrap();
    c.write_all(&SETTINGS).await.unwrap();
    let all = until_closed(&mut c).await;
    assert!(!frame_types(&all).contains(&4), "no HTTP/2 SETTINGS");
}
