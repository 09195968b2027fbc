//! TLS settings shared by the WebSocket client and the REST token check.
//!
//! One rustls client config with the `ring` provider (chosen explicitly so
//! no process-wide default provider is needed). Trusted, like curl, Python
//! and browsers on the same machine: the **system store**
//! (`rustls-native-certs`: the distribution's bundle, or `SSL_CERT_FILE` /
//! `SSL_CERT_DIR` when set) **and** the Mozilla roots compiled in
//! (`webpki-roots`, so a machine with no store still reaches public
//! servers). A profile's `ca_file` adds to both, and a certificate listed in
//! it (or installed in the system store) that the server presents as its
//! own (the self-signed CA:TRUE certificate `openssl req -x509` makes) is
//! trusted as OpenSSL and Go do,
//! the host name and dates still checked. A profile may also present a
//! client certificate (mutual TLS) or turn verification off
//! (`insecure = true`, never a default).
//!
//! A refused certificate's error says what was presented (subject, issuer,
//! names) and what was trusted, for the TLS diagnosis.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, SignatureScheme};

/// TLS options of a profile; the default is verified TLS with the Mozilla
/// roots and no client certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Extra CA certificates (PEM) trusted besides the Mozilla roots.
    pub ca_file: Option<PathBuf>,
    /// Client certificate chain (PEM) for mutual TLS, with its key.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// No certificate verification at all. Explicit only, marked loudly.
    pub insecure: bool,
}

/// The system store's certificates, read once (`SSL_CERT_FILE` /
/// `SSL_CERT_DIR` when set, else the platform's store).
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// The verified-by-default client config, built once.
pub fn client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let built = verifier(&provider, None).and_then(|verifier| {
                ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| e.to_string())
                    .map(|b| {
                        b.dangerous()
                            .with_custom_certificate_verifier(verifier)
                            .with_no_client_auth()
                    })
            });
            match built {
                Ok(config) => Arc::new(config),
                // The ring provider supports the safe defaults and the web
                // roots always parse; this arm only exists so a future
                // change degrades, not panics.
                Err(_) => Arc::new(
                    ClientConfig::builder()
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth(),
                ),
            }
        })
        .clone()
}

/// The client config of a profile: the shared default when nothing is set;
/// otherwise built from its options (PEM files read here).
pub fn profile_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, String> {
    if *options == TlsOptions::default() {
        return Ok(client_config());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = if options.insecure {
        Arc::new(AcceptAnyCertificate(provider))
    } else {
        verifier(&provider, options.ca_file.as_deref())?
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&options.client_cert, &options.client_key) {
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("client_key {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("client_cert/client_key: {e}"))?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The system store + web roots (+ `ca_file`) verifier.
fn verifier(
    provider: &Arc<CryptoProvider>,
    ca_file: Option<&Path>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    // The ca_file is read and checked now (a bad one is a config error);
    // the system store only at the first TLS handshake (see `Verifier`).
    let mut pinned = Vec::new();
    let mut ca_note = None;
    if let Some(path) = ca_file {
        let certs = read_certs(path)?;
        let mut check = rustls::RootCertStore::empty();
        let (added, _ignored) = check.add_parsable_certificates(certs.iter().cloned());
        if added == 0 {
            return Err(format!(
                "ca_file {}: no usable CA certificate in it",
                path.display()
            ));
        }
        ca_note = Some(format!("ca_file {} ({added} certificates)", path.display()));
        pinned = certs;
    }
    Ok(Arc::new(Verifier {
        provider: provider.clone(),
        pinned,
        ca_note,
        built: OnceLock::new(),
    }))
}

/// The WebPKI verifier over the system store, the web roots and the
/// `ca_file` certificates, with the words saying what is trusted.
#[derive(Debug)]
struct Built {
    inner: Arc<WebPkiServerVerifier>,
    /// "the system store (146 certificates), the Mozilla web roots (150), …"
    trusted: String,
}

impl Built {
    fn new(
        provider: &Arc<CryptoProvider>,
        pinned: &[CertificateDer<'static>],
        ca_note: Option<&str>,
    ) -> Result<Built, String> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let web = roots.len();
        let (system, _) = roots.add_parsable_certificates(system_roots().iter().cloned());
        let mut trusted = Vec::new();
        if system > 0 {
            trusted.push(format!("the system store ({system} certificates)"));
        } else {
            trusted.push("the system store (empty or not found)".to_string());
        }
        trusted.push(format!("the Mozilla web roots ({web})"));
        roots.add_parsable_certificates(pinned.iter().cloned());
        trusted.extend(ca_note.map(str::to_string));
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("TLS setup: {e}"))?;
        Ok(Built {
            inner,
            trusted: trusted.join(", "),
        })
    }
}

/// WebPKI verification, plus: a `ca_file` (or system store) certificate
/// presented as the server's own is accepted (name and dates checked), and
/// every refusal
/// says what was presented and what was trusted.
#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    /// The `ca_file` certificates, DER, as listed.
    pinned: Vec<CertificateDer<'static>>,
    /// "ca_file PATH (N certificates)", when set.
    ca_note: Option<String>,
    /// Built at the first TLS handshake: reading the system store costs
    /// ~10 ms per start, which a profile of ws:// endpoints never needs.
    built: OnceLock<Result<Built, String>>,
}

impl Verifier {
    fn built(&self) -> Result<&Built, rustls::Error> {
        self.built
            .get_or_init(|| Built::new(&self.provider, &self.pinned, self.ca_note.as_deref()))
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }

    /// The certificate is one the user listed in `ca_file`: trusted
    /// directly, as OpenSSL and Go trust a self-signed certificate given as
    /// a CA, but only for the names it lists and within its dates.
    fn verify_pinned(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let parsed = ParsedCertificate::try_from(end_entity)?;
        verify_server_name(&parsed, server_name)?;
        let (_, cert) = x509_parser::parse_x509_certificate(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let validity = cert.validity();
        let now = now.as_secs() as i64;
        if now < validity.not_before.timestamp() {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet,
            ));
        }
        if now > validity.not_after.timestamp() {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
        }
        Ok(ServerCertVerified::assertion())
    }
}

/// The refusals that only mean "no chain to a trust anchor": a
/// certificate that is itself a CA (webpki's `CaUsedAsEndEntity`, which
/// rustls passes on as an `Other` error) or one issued by no trusted CA.
fn no_chain(cause: &CertificateError) -> bool {
    match cause {
        CertificateError::UnknownIssuer => true,
        CertificateError::Other(other) => format!("{other:?}").contains("CaUsedAsEndEntity"),
        _ => false,
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let built = self.built()?;
        let result = built.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let listed = self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref());
        // A self-signed certificate installed in the system store is
        // trusted as its own anchor too, as OpenSSL does.
        let in_store = || {
            system_roots()
                .iter()
                .any(|p| p.as_ref() == end_entity.as_ref())
        };
        let result = match result {
            Err(rustls::Error::InvalidCertificate(cause))
                if no_chain(&cause) && (listed || in_store()) =>
            {
                self.verify_pinned(end_entity, server_name, now)
            }
            other => other,
        };
        result.map_err(|error| match error {
            rustls::Error::InvalidCertificate(cause) => rustls::Error::InvalidCertificate(
                CertificateError::Other(OtherError(Arc::new(Refused {
                    cause,
                    presented: describe(end_entity),
                    trusted: built.trusted.clone(),
                    in_ca_file: listed,
                }))),
            ),
            other => other,
        })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A refused certificate, with what wsmon knows about it. Displayed as
/// `<rustls reason> [certificate: …] [trusted: …]`: the diagnosis reads
/// those brackets. (rustls shows a certificate error with `Debug`, so
/// `Debug` is the same text.)
struct Refused {
    cause: CertificateError,
    presented: String,
    trusted: String,
    in_ca_file: bool,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            // Its Display is a bare "other error": say the inner one.
            CertificateError::Other(inner) => write!(f, "{}", inner.0)?,
            // The variant name is what the diagnosis matches on.
            cause @ (CertificateError::UnknownIssuer
            | CertificateError::BadSignature
            | CertificateError::NotValidYet) => write!(f, "{cause:?}")?,
            cause => write!(f, "{cause}")?,
        }
        write!(f, " [certificate: {}]", self.presented)?;
        if self.in_ca_file {
            write!(f, " [listed in ca_file]")?;
        }
        write!(f, " [trusted: {}]", self.trusted)
    }
}

impl std::fmt::Debug for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Refused {}

/// `subject "CN=localhost, O=Acme", issuer "…", names localhost, 127.0.0.1,
/// valid 2026-01-01 to 2027-01-01, CA`.
pub fn describe(der: &[u8]) -> String {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return "not a parsable X.509 certificate".into();
    };
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => names.push(dns.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes)
                            .map(|b| std::net::IpAddr::from(b).to_string())
                            .ok(),
                        16 => <[u8; 16]>::try_from(*bytes)
                            .map(|b| std::net::IpAddr::from(b).to_string())
                            .ok(),
                        _ => None,
                    };
                    names.extend(ip);
                }
                _ => {}
            }
        }
    }
    let names = if names.is_empty() {
        "no subjectAltName names".to_string()
    } else {
        format!("names {}", names.join(", "))
    };
    let validity = cert.validity();
    let date = |t: &x509_parser::time::ASN1Time| t.to_datetime().date().to_string();
    let ca = if cert.is_ca() { ", CA:TRUE" } else { "" };
    let self_signed = if cert.subject() == cert.issuer() {
        ", self-signed".to_string()
    } else {
        format!(", issuer \"{}\"", cert.issuer())
    };
    format!(
        "subject \"{}\"{self_signed}, {names}, valid {} to {}{ca}",
        cert.subject(),
        date(&validity.not_before),
        date(&validity.not_after),
    )
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect();
    let certs = certs.map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", path.display()));
    }
    Ok(certs)
}

/// `insecure = true`: accepts any certificate, still checks the handshake
/// signatures (so the session is encrypted, just not authenticated).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
