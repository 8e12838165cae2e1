//! Finding the OpenAI-compatible servers already running on this machine.
//!
//! Only loopback is probed, and only the ports the known engines use by default: one
//! `GET /v1/models` each, with short timeouts. Machines elsewhere on the network are never
//! scanned; the person adds them by address.

use std::time::Duration;

use serde::Serialize;

use super::openai::{EndpointClient, Timeouts};
use super::{BackendError, Endpoint, EndpointUrl};

/// A server Ledge knows by its default port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KnownServer {
    /// What usually listens there.
    pub product: &'static str,
    /// Its default port.
    pub port: u16,
}

/// The engines Ledge looks for, by default port.
pub const KNOWN_SERVERS: &[KnownServer] = &[
    KnownServer {
        product: "exo",
        port: 52415,
    },
    KnownServer {
        product: "mlx_lm.server",
        port: 8080,
    },
    KnownServer {
        product: "LM Studio",
        port: 1234,
    },
    KnownServer {
        product: "Ollama",
        port: 11434,
    },
    KnownServer {
        product: "Jan / Osaurus",
        port: 1337,
    },
    KnownServer {
        product: "GPT4All",
        port: 4891,
    },
];

/// What a probe found.
#[derive(Debug, Clone, Serialize)]
pub struct Discovered {
    /// The server expected on that port (another OpenAI-compatible server may be the one
    /// answering).
    pub product: &'static str,
    /// Its address.
    pub url: EndpointUrl,
    /// The models it lists, or why it could not be asked.
    pub models: Result<Vec<String>, String>,
}

fn probe_endpoint(port: u16) -> Endpoint {
    Endpoint {
        name: format!("probe-{port}"),
        url: EndpointUrl {
            host: "127.0.0.1".into(),
            port,
            base_path: "/v1".into(),
        },
        model: None,
        allow_public: false,
        fallback_local: false,
    }
}

/// Probes `servers` on 127.0.0.1; returns those where something accepts a connection (with
/// the models it lists, or the error when it does not speak the OpenAI API).
pub fn discover_local(servers: &[KnownServer]) -> Vec<Discovered> {
    let timeouts = Timeouts {
        connect: Duration::from_millis(300),
        first_response: Duration::from_secs(2),
        idle: Duration::from_secs(2),
    };
    let mut found = Vec::new();
    for server in servers {
        let client = EndpointClient::new(probe_endpoint(server.port), timeouts);
        let models = match client.models() {
            Ok(models) => Ok(models),
            Err(BackendError::Unreachable { .. }) => continue,
            Err(error) => Err(error.to_string()),
        };
        tracing::debug!(port = server.port, ok = models.is_ok(), "probed");
        found.push(Discovered {
            product: server.product,
            url: client.endpoint().url.clone(),
            models,
        });
    }
    found
}
