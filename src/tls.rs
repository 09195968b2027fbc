//! TLS settings shared by the WebSocket client and the REST token check.
//!
//! One rustls client config with the `ring` provider (chosen explicitly so no
//! process-wide default provider is needed) and the Mozilla root store from
//! `webpki-roots`, so verification behaves the same on every machine.

use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;

/// The verified-by-default client config, built once.
pub fn client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = match ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
            {
                Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
                // The ring provider supports the safe defaults; this arm only
                // exists so a future provider change degrades, not panics.
                Err(_) => ClientConfig::builder()
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
            };
            Arc::new(config)
        })
        .clone()
}
