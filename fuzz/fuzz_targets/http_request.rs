//! The request path end to end, from raw bytes: a real server on loopback reads any HTTP/1.1
//! request head and body (Content-Length or chunked, cut into arbitrary writes), through the
//! body reader, its limits and the header checks, to the JSON-RPC classifier. It must never
//! panic (libFuzzer aborts on a panic in any thread) and must keep answering `/ping`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mcp_proxy_core::{Config, Host, HostEvent, Server, ServerOutcome};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

/// A host whose `createServer` always fails (500): every request is answered at once.
struct Refusing(OnceLock<Server>);

impl Host for Refusing {
    fn dispatch(&self, event: HostEvent) {
        if let HostEvent::CreateServer { token, .. } = event {
            if let Some(server) = self.0.get().cloned() {
                runtime().spawn(async move {
                    server.server_ready(
                        token,
                        ServerOutcome::CreateFailed {
                            message: "fuzz".into(),
                        },
                    );
                });
            }
        }
    }
}

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let host = Arc::new(Refusing(OnceLock::new()));
        let config = Config {
            host: "127.0.0.1".into(),
            // Small, so bodies cross it often.
            max_body_size: Some(512),
            max_batch_size: 8,
            callback_timeout: Duration::from_millis(100),
            ..Config::default()
        };
        let server = runtime()
            .block_on(Server::bind(config, host.clone()))
            .expect("bind");
        let _ = host.0.set(server.clone());
        server.port()
    })
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Prefix a well-formed head so most inputs reach the body reader.
    framed: bool,
    method: u8,
    chunked: bool,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
    /// Where the bytes are split into separate writes.
    cuts: Vec<u16>,
    /// Stop writing early (the client leaves mid-request).
    truncate: Option<u16>,
}

fn request(input: &Input<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    if !input.framed {
        out.extend_from_slice(input.body);
        return out;
    }
    let method = ["POST", "GET", "DELETE", "OPTIONS"][usize::from(input.method % 4)];
    out.extend_from_slice(format!("{method} /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n").as_bytes());
    out.extend_from_slice(
        b"content-type: application/json\r\naccept: application/json, text/event-stream\r\n",
    );
    for (name, value) in input.headers.iter().take(16) {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if input.chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
        for piece in input.body.chunks(7) {
            out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            out.extend_from_slice(piece);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    } else {
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", input.body.len()).as_bytes());
        out.extend_from_slice(input.body);
    }
    out
}

async fn exchange(port: u16, bytes: &[u8], cuts: &[u16]) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return;
    };
    let mut at = 0;
    let mut cuts: Vec<usize> = cuts
        .iter()
        .map(|c| usize::from(*c) % (bytes.len() + 1))
        .collect();
    cuts.sort_unstable();
    cuts.push(bytes.len());
    for cut in cuts {
        if cut > at {
            if stream.write_all(&bytes[at..cut]).await.is_err() {
                return;
            }
            at = cut;
        }
    }
    let _ = stream.shutdown().await;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_millis(300), stream.read_to_end(&mut sink)).await;
}

async fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    if stream
        .write_all(b"GET /ping HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    answer.starts_with(b"HTTP/1.1 200") && answer.ends_with(b"pong")
}

fuzz_target!(|input: Input<'_>| {
    let port = port();
    let mut bytes = request(&input);
    if let Some(keep) = input.truncate {
        bytes.truncate(usize::from(keep));
    }
    runtime().block_on(async {
        exchange(port, &bytes, &input.cuts).await;
        assert!(ping(port).await, "the server stopped answering /ping");
    });
});
