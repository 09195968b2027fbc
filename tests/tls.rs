//! TLS against a real local TLS server with a private CA: verified by
//! default (refused with a clear `tls_error`), accepted with `ca_file`, with
//! `insecure = true`, and mutual TLS with a client certificate.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use wsmon::config::validate::parse;
use wsmon::diagnose::DiagnosisKind;
use wsmon::facts::*;
use wsmon::session::*;

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// A private CA, a server certificate for localhost/127.0.0.1 and a
    /// client certificate, all as PEM files.
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca =
            CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
        let write =
            |name: &str, text: String| std::fs::write(dir.path().join(name), text).expect("write");
        write("ca.pem", ca.pem());
        for (name, sans) in [
            (
                "server",
                vec!["localhost".to_string(), "127.0.0.1".to_string()],
            ),
            ("client", vec!["wsmon-client".to_string()]),
        ] {
            let key = KeyPair::generate().expect("key");
            let cert = CertificateParams::new(sans)
                .expect("params")
                .signed_by(&key, &ca)
                .expect("sign");
            write(&format!("{name}.pem"), cert.pem());
            write(&format!("{name}-key.pem"), key.serialize_pem());
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

/// A wss:// server on 127.0.0.1 that sends "hello over tls"; with
/// `require_client_cert`, only clients with a certificate from the CA.
async fn tls_server(pki: &Pki, require_client_cert: bool) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(pki.path("server.pem"))
        .expect("pem")
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(pki.path("server-key.pem")).expect("key");
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_file_iter(pki.path("ca.pem")).expect("pem") {
            roots.add(ca.expect("ca")).expect("add");
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(certs, key).expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else {
                    return;
                };
                let _ = ws.send(Message::text("hello over tls")).await;
                // Keep reading so the client's close is answered.
                while ws.next().await.is_some() {}
            });
        }
    });
    port
}

/// Runs one attempt of a profile written with `extra` TLS lines.
async fn attempt(pki: &Pki, port: u16, extra: &str) -> (AttemptRecord, Vec<String>, DiagnosisKind) {
    let text = format!(
        "[profiles.p]\nserver = \"https://localhost:{port}\"\n{extra}\n[[profiles.p.endpoints]]\nname = \"tls\"\nurl = \"{{ws}}/ws/\"\n"
    );
    let file = pki.path("profiles.toml");
    std::fs::write(&file, &text).expect("write");
    let config = parse(&file, &text).expect("valid profiles");
    let mut profile = config
        .profile(None)
        .expect("profile")
        .activate()
        .expect("activate");
    profile.settings = common::fast_settings();
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile.clone(),
        Mode::Once {
            hold: Duration::from_millis(300),
        },
        tx,
    );
    let mut texts = Vec::new();
    let record = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = rx.recv().await {
            match event {
                Event::Session {
                    event: SessionEvent::Messages(b),
                    ..
                } => texts.extend(b.messages.iter().filter_map(|p| match &p.data {
                    PayloadData::Text(t) => Some(t.to_string()),
                    PayloadData::Binary(_) => None,
                })),
                Event::Session {
                    event: SessionEvent::Closed(r),
                    ..
                } => return *r,
                _ => {}
            }
        }
        panic!("engine ended");
    })
    .await
    .expect("attempt ended");
    sup.shutdown().await;
    let kind = wsmon::report::diagnosis(&profile, &profile.endpoints[0], &record, None).kind;
    (record, texts, kind)
}

fn pem_line(pki: &Pki, key: &str, file: &str) -> String {
    format!("{key} = \"{}\"", pki.path(file).display())
}

#[tokio::test]
async fn a_private_ca_is_refused_by_default_and_trusted_with_ca_file() {
    let pki = Pki::new();
    let port = tls_server(&pki, false).await;

    let (record, _, kind) = attempt(&pki, port, "").await;
    let failure = record.failure().expect("refused");
    assert_eq!(failure.kind, FailureKind::Tls, "{failure:?}");
    assert_eq!(kind, DiagnosisKind::TlsError);

    let (record, texts, kind) = attempt(&pki, port, &pem_line(&pki, "ca_file", "ca.pem")).await;
    assert!(record.close().is_some(), "{record:?}");
    assert_eq!(texts, ["hello over tls"]);
    assert_eq!(kind, DiagnosisKind::Ok);
}

#[tokio::test]
async fn insecure_skips_verification() {
    let pki = Pki::new();
    let port = tls_server(&pki, false).await;
    let (record, texts, _) = attempt(&pki, port, "insecure = true").await;
    assert!(record.close().is_some(), "{record:?}");
    assert_eq!(texts, ["hello over tls"]);
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let pki = Pki::new();
    let port = tls_server(&pki, true).await;
    let ca = pem_line(&pki, "ca_file", "ca.pem");

    let (record, texts, _) = attempt(&pki, port, &ca).await;
    assert!(
        texts.is_empty(),
        "opened without a client certificate: {record:?}"
    );

    let with_cert = format!(
        "{ca}\n{}\n{}",
        pem_line(&pki, "client_cert", "client.pem"),
        pem_line(&pki, "client_key", "client-key.pem")
    );
    let (record, texts, _) = attempt(&pki, port, &with_cert).await;
    assert!(record.close().is_some(), "{record:?}");
    assert_eq!(texts, ["hello over tls"]);
}

#[test]
fn tls_settings_are_validated_with_locations() {
    let text = "[profiles.p]\nserver = \"https://h\"\nca_file = \"missing.pem\"\nclient_cert = \"c.pem\"\n";
    let err = parse(Path::new("/nonexistent/profiles.toml"), text)
        .expect_err("invalid")
        .to_string();
    assert!(
        err.contains("profiles.toml:3:11") && err.contains("ca_file") && err.contains("no file at"),
        "{err}"
    );
    assert!(err.contains("client_key` is not"), "{err}");
}
