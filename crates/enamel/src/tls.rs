//! TLS for the server: rustls with the aws-lc-rs provider, TLS 1.3 and 1.2 only, and a
//! self-signed certificate for the demo and for a first start before a real one is installed.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use enamel_config::TlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::setup::write_private_file;

/// Creates a self-signed certificate for `localhost`/127.0.0.1 when none is configured yet.
/// Returns whether one was created.
pub fn ensure_self_signed(tls: &TlsConfig) -> Result<bool> {
    if tls.cert_file.exists() || tls.key_file.exists() {
        return Ok(false);
    }
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| anyhow!("cannot create a self-signed certificate: {e}"))?;
    write_private_file(
        &tls.key_file,
        certified.signing_key.serialize_pem().as_bytes(),
    )?;
    write_private_file(&tls.cert_file, certified.cert.pem().as_bytes())?;
    Ok(true)
}

/// The server's TLS configuration from the PEM files.
pub fn server_config(tls: &TlsConfig) -> Result<Arc<rustls::ServerConfig>> {
    let certs = read_certs(&tls.cert_file)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key_file).map_err(|e| {
        anyhow!(
            "the TLS key file {} cannot be used: {}",
            tls.key_file.display(),
            pem_problem(&e)
        )
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("the TLS settings are not valid")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| anyhow!("the TLS certificate and key do not work together: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            anyhow!(
                "the TLS certificate file {} cannot be used: {}",
                path.display(),
                pem_problem(&e)
            )
        })?;
    if certs.is_empty() {
        return Err(anyhow!(
            "the TLS certificate file {} holds no certificate",
            path.display()
        ));
    }
    Ok(certs)
}

fn pem_problem(e: &rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "the file does not exist (run `enamel init`, or set tls.cert_file and tls.key_file)"
                .into()
        }
        rustls::pki_types::pem::Error::NoItemsFound => {
            "no PEM item of the right kind was found".into()
        }
        _ => "it is not a valid PEM file".into(),
    }
}
