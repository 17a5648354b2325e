//! HTTPS (`sslCert`, `sslKey`, `sslCa`): PEM files into a rustls server config. Every error
//! names the file, so a misconfigured start rejects with something a person can act on.
//!
//! It reads certificates at start only; it never handles a connection (the listener does).

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: Option<String>,
    pub key: Option<String>,
    pub ca: Option<String>,
}

impl TlsFiles {
    pub fn any(&self) -> bool {
        self.cert.is_some() || self.key.is_some() || self.ca.is_some()
    }
}

fn read(what: &str, path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {what} file {path}: {e}"))
}

fn certificates(what: &str, path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read(what, path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("invalid {what} file {path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "invalid {what} file {path}: no PEM certificate in it"
        ));
    }
    Ok(certs)
}

/// The rustls config for these files. The CA's certificates are appended to the served
/// chain, which is what Node's `ca` does for a server that does not ask for client certs.
/// With `http2`, ALPN offers `h2` before `http/1.1`.
pub fn server_config(files: &TlsFiles, http2: bool) -> Result<Arc<ServerConfig>, String> {
    let (Some(cert), Some(key)) = (&files.cert, &files.key) else {
        return Err("HTTPS needs both sslCert and sslKey".into());
    };
    let mut chain = certificates("sslCert", cert)?;
    if let Some(ca) = &files.ca {
        chain.extend(certificates("sslCa", ca)?);
    }
    let key_pem = read("sslKey", key)?;
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("invalid sslKey file {key}: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| format!("sslKey file {key} does not fit sslCert file {cert}: {e}"))?;
    config.alpn_protocols = match http2 {
        true => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        false => vec![b"http/1.1".to_vec()],
    };
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(cert: &str, key: &str) -> TlsFiles {
        TlsFiles {
            cert: Some(cert.into()),
            key: Some(key.into()),
            ca: None,
        }
    }

    #[test]
    fn errors_name_the_file() {
        let err = server_config(
            &files("/nonexistent/cert.pem", "/nonexistent/key.pem"),
            true,
        )
        .unwrap_err();
        assert!(
            err.contains("sslCert") && err.contains("/nonexistent/cert.pem"),
            "{err}"
        );
        let dir = std::env::temp_dir().join(format!("mcp-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let junk = junk.to_str().unwrap();
        let err = server_config(&files(junk, junk), true).unwrap_err();
        assert!(err.contains(junk) && err.contains("sslCert"), "{err}");
        assert!(server_config(
            &TlsFiles {
                cert: Some(junk.into()),
                ..Default::default()
            },
            true
        )
        .is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
