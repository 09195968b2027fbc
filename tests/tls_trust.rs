//! What wsmon trusts, against a real rustls server whose certificate was
//! made by the recipe most tutorials give: `openssl req -x509 -newkey
//! rsa:2048 -nodes -subj /CN=… -addext subjectAltName=…` (a self-signed
//! CA:TRUE certificate served as the server's own).
//!
//! - named in `ca_file` it is trusted (as curl `--cacert`, Python and Go
//!   trust it), the host name still checked;
//! - without `ca_file` it is refused, and the diagnosis says what the
//!   server presented and what wsmon trusted (never "web roots only");
//! - installed as the system store (`SSL_CERT_FILE`, read by
//!   rustls-native-certs) it is trusted without `ca_file` (the real binary,
//!   since the store is read once per process).

mod real;
mod safety_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use safety_support::openssl_cert;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use wsmon::config::validate::parse;
use wsmon::diagnose::{Diagnosis, DiagnosisKind};
use wsmon::facts::*;
use wsmon::session::*;

const BIN: &str = env!("CARGO_BIN_EXE_wsmon");

/// A wss:// server on 127.0.0.1 serving `cert`, sending "hello over tls".
async fn tls_server(cert: &Path, key: &Path) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .expect("pem")
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(key).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
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
                while ws.next().await.is_some() {}
            });
        }
    });
    port
}

fn profile_text(host: &str, port: u16, extra: &str) -> String {
    format!(
        "[settings]\nconnect_timeout = \"3s\"\n[profiles.p]\nserver = \"https://{host}:{port}\"\n{extra}\n[[profiles.p.endpoints]]\nname = \"tls\"\nurl = \"{{ws}}/ws/\"\n"
    )
}

/// One attempt in this process: the record, the texts received and the
/// diagnosis.
async fn attempt(dir: &Path, text: &str) -> (AttemptRecord, Vec<String>, Diagnosis) {
    let file = dir.join("profiles.toml");
    std::fs::write(&file, text).expect("write");
    let config = parse(&file, text).expect("valid profiles");
    let profile = config
        .profile(None)
        .expect("profile")
        .activate()
        .expect("activate");
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile.clone(),
        Mode::Once {
            hold: Duration::from_millis(200),
        },
        tx,
    );
    let mut texts = Vec::new();
    let record = tokio::time::timeout(Duration::from_secs(15), async {
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
    let diagnosis = wsmon::report::diagnosis(&profile, &profile.endpoints[0], &record, None);
    (record, texts, diagnosis)
}

#[tokio::test]
async fn an_openssl_self_signed_certificate_in_ca_file_is_trusted() {
    let dir = real::scratch("tls-trust");
    let (cert, key) = openssl_cert(
        dir.path(),
        "server",
        "localhost",
        "DNS:localhost,IP:127.0.0.1",
    );
    let port = tls_server(&cert, &key).await;
    let ca = format!("ca_file = \"{}\"", cert.display());

    for host in ["localhost", "127.0.0.1"] {
        let (record, texts, diagnosis) = attempt(dir.path(), &profile_text(host, port, &ca)).await;
        assert!(record.close().is_some(), "{host}: {record:?}");
        assert_eq!(texts, ["hello over tls"], "{host}");
        assert_eq!(diagnosis.kind, DiagnosisKind::Ok, "{host}: {diagnosis:?}");
    }

    // Without ca_file: refused, and the diagnosis says what was presented
    // and what was trusted.
    let (record, _, diagnosis) = attempt(dir.path(), &profile_text("localhost", port, "")).await;
    assert_eq!(
        record.failure().expect("refused").kind,
        FailureKind::Tls,
        "{record:?}"
    );
    assert_eq!(diagnosis.kind, DiagnosisKind::TlsError);
    let all = format!("{} {}", diagnosis.summary, diagnosis.fixes.join(" "));
    assert!(all.contains("CaUsedAsEndEntity"), "{all}");
    assert!(all.contains("subject \"CN=localhost\""), "{all}");
    assert!(all.contains("names localhost, 127.0.0.1"), "{all}");
    assert!(all.contains("the system store"), "{all}");
    assert!(all.contains("Mozilla web roots"), "{all}");
    assert!(all.contains("`ca_file`"), "{all}");
    assert!(!all.contains("web roots only"), "{all}");
}

#[tokio::test]
async fn a_ca_file_certificate_is_trusted_only_for_its_own_names() {
    let dir = real::scratch("tls-names");
    let (cert, key) = openssl_cert(dir.path(), "other", "other.example", "DNS:other.example");
    let port = tls_server(&cert, &key).await;
    let ca = format!("ca_file = \"{}\"", cert.display());
    let (record, texts, diagnosis) =
        attempt(dir.path(), &profile_text("localhost", port, &ca)).await;
    assert!(texts.is_empty(), "opened for a name it does not list");
    assert_eq!(
        record.failure().expect("refused").kind,
        FailureKind::Tls,
        "{record:?}"
    );
    let all = format!("{} {}", diagnosis.summary, diagnosis.fixes.join(" "));
    assert!(all.contains("name mismatch"), "{all}");
    assert!(all.contains("names other.example"), "{all}");
    assert!(
        all.contains(&format!("ca_file {}", cert.display())),
        "{all}"
    );
    assert!(all.contains("SNI"), "{all}");
    assert!(all.contains("the one in ca_file"), "{all}");
    assert!(!all.contains("web roots only"), "{all}");
}

#[tokio::test]
async fn the_system_store_is_trusted_via_ssl_cert_file() {
    let dir = real::scratch("tls-store");
    let (cert, key) = openssl_cert(
        dir.path(),
        "server",
        "localhost",
        "DNS:localhost,IP:127.0.0.1",
    );
    let port = tls_server(&cert, &key).await;
    let profiles = dir.path().join("profiles.toml");
    std::fs::write(&profiles, profile_text("localhost", port, "")).expect("write");
    let check = |store: &Path| {
        tokio::process::Command::new(BIN)
            .arg("--config")
            .arg(&profiles)
            .args(["check", "--format", "json"])
            .arg("--log-file")
            .arg(dir.path().join("wsmon.log"))
            .env("SSL_CERT_FILE", store)
            .env_remove("SSL_CERT_DIR")
            .env_remove("WSMON_CONFIG")
            .kill_on_drop(true)
            .output()
    };
    let out = check(&cert).await.expect("run wsmon");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"healthy\": true"), "{stdout}");

    // A store without it: refused, and the diagnosis counts the store.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").expect("write");
    let out = check(&empty).await.expect("run wsmon");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("tls_error"), "{stdout}");
    assert!(
        stdout.contains("the system store (empty or not found)"),
        "{stdout}"
    );
}
