//! Inference backends: where an answer's text is generated.
//!
//! The default is the built-in MLX runtime ([`LOCAL`]). A person who outgrows one laptop can
//! add an **endpoint**: an OpenAI-compatible server they run themselves on their own machines
//! (exo, `mlx_lm.server`, LM Studio, Ollama, Jan, GPT4All, ...). Ledge never distributes a
//! model itself; it uses those engines.
//!
//! Retrieval, prompt assembly, citations and conversations stay in Ledge. Only the assembled
//! conversation (system rules, earlier turns, the `<source>` blocks and the question, as chat
//! messages; the server applies its own chat template) goes to the endpoint, and only to one
//! the person added, at an address [`address`] allows: their own machine or network unless
//! they overrode it for that endpoint.
//!
//! ```text
//! Assistant::ask ─ retrieve ─ assemble ─┬─ local:    Generator (MLX) on the prompt's token ids
//!                                       └─ endpoint: EndpointClient::chat(messages), streamed
//!                                            └─ fails and fallback allowed ─> local
//! ```
//!
//! [`openai`] is the client (plain HTTP/1.1 through `ureq`, Server-Sent Events parsed here);
//! [`discover`] finds the known servers listening on this machine; [`manage`] lists, adds,
//! tests and chooses backends the same way for the CLI and the app.

pub mod address;
pub mod discover;
pub mod manage;
pub mod openai;

use std::fmt;

use serde::Serialize;

pub use address::{AddressClass, AddressError, Reach};
pub use openai::{ChatOutcome, ChatParams, EndpointClient, Timeouts};

/// The name of the built-in MLX runtime, wherever a backend name is expected.
pub const LOCAL: &str = "local";

/// The setting naming the backend answers use by default ([`LOCAL`] when unset).
pub const DEFAULT_BACKEND_SETTING: &str = "default_backend";

/// What can go wrong with an endpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The endpoint's address is not one Ledge may send context to.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The endpoint's address could not be understood.
    #[error("`{url}` is not an endpoint address: {reason}")]
    BadUrl {
        /// What was given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A backend name that cannot be used.
    #[error("`{name}` cannot name a backend: {reason}")]
    BadName {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// No backend has this name.
    #[error("there is no backend `{name}`; see `ledge backends list`")]
    NoSuchBackend {
        /// The name asked for.
        name: String,
    },
    /// A backend with this name exists already.
    #[error("a backend named `{name}` exists already")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// Nothing answered at the endpoint.
    #[error("cannot reach {endpoint}: {reason}")]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// What happened.
        reason: String,
    },
    /// The endpoint took too long.
    #[error("{endpoint} did not answer within {seconds} s ({waiting_for})")]
    Timeout {
        /// The endpoint.
        endpoint: String,
        /// The limit.
        seconds: u64,
        /// What Ledge was waiting for.
        waiting_for: &'static str,
    },
    /// The answer stopped arriving part way.
    #[error("{endpoint} stopped part way through the answer: {reason}")]
    StreamBroken {
        /// The endpoint.
        endpoint: String,
        /// What happened.
        reason: String,
    },
    /// The server does not have the model asked for.
    #[error("{endpoint} has no model `{model}`; it offers: {}", if available.is_empty() { "nothing".to_owned() } else { available.join(", ") })]
    ModelMissing {
        /// The endpoint.
        endpoint: String,
        /// The model asked for.
        model: String,
        /// What it lists at `/v1/models`.
        available: Vec<String>,
    },
    /// The server offers several models and the endpoint names none.
    #[error("{endpoint} offers several models ({}); choose one with `ledge backends add ... --model ID`", available.join(", "))]
    ModelChoiceNeeded {
        /// The endpoint.
        endpoint: String,
        /// What it lists.
        available: Vec<String>,
    },
    /// The server answered with an error.
    #[error("{endpoint} answered {status}: {message}")]
    Server {
        /// The endpoint.
        endpoint: String,
        /// The HTTP status (200 for an error sent inside the stream).
        status: u16,
        /// Its message, shortened.
        message: String,
    },
    /// The server answered something that is not the OpenAI API.
    #[error("{endpoint} does not speak the OpenAI API as expected: {reason}")]
    BadResponse {
        /// The endpoint.
        endpoint: String,
        /// What was wrong.
        reason: String,
    },
}

/// A configured endpoint: an OpenAI-compatible server the person added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Its name (`ledge ask --backend NAME`).
    pub name: String,
    /// Where it is.
    pub url: EndpointUrl,
    /// The model id to ask for; `None`: the server's only model.
    pub model: Option<String>,
    /// Whether a public address was allowed (with the warning).
    pub allow_public: bool,
    /// Whether a question it fails falls back to the built-in model.
    pub fallback_local: bool,
}

impl Endpoint {
    /// What the person allowed for it.
    pub fn reach(&self) -> Reach {
        if self.allow_public {
            Reach::AllowPublic
        } else {
            Reach::OwnNetwork
        }
    }
}

/// An endpoint ready to be added: its name checked, its address parsed and allowed by the
/// address policy (resolved now; it is checked again at every connection). Returns it with
/// where it is.
pub fn prepare_endpoint(
    name: &str,
    url: &str,
    model: Option<String>,
    allow_public: bool,
    fallback_local: bool,
) -> Result<(Endpoint, AddressClass), BackendError> {
    check_name(name)?;
    let endpoint = Endpoint {
        name: name.to_owned(),
        url: EndpointUrl::parse(url)?,
        model,
        allow_public,
        fallback_local,
    };
    let (_, class) = EndpointClient::new(endpoint.clone(), Timeouts::default()).check_address()?;
    Ok((endpoint, class))
}

/// Checks a backend name: short, printable, not [`LOCAL`].
pub fn check_name(name: &str) -> Result<(), BackendError> {
    let bad = |reason| {
        Err(BackendError::BadName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() || name.len() > 64 {
        return bad("use 1 to 64 characters");
    }
    if name == LOCAL {
        return bad("`local` is the built-in model");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return bad("use letters, digits, `-`, `_` and `.`");
    }
    Ok(())
}

/// An endpoint's address: plain `http://`, a host, a port and the API's base path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointUrl {
    /// The host as given: a name or an IP address (IPv6 without brackets).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The API's base path, without a trailing slash (usually `/v1`).
    pub base_path: String,
}

impl EndpointUrl {
    /// Parses `http://HOST:PORT[/PATH]` or `HOST:PORT[/PATH]`; the path defaults to `/v1`,
    /// the port to 80. `https://` is refused: Ledge talks plain HTTP to machines on the
    /// person's own network and has no TLS stack.
    pub fn parse(text: &str) -> Result<EndpointUrl, BackendError> {
        let bad = |reason: &str| BackendError::BadUrl {
            url: text.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = text.trim();
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("http://{trimmed}")
        };
        let uri: ureq::http::Uri = with_scheme
            .parse()
            .map_err(|e: ureq::http::uri::InvalidUri| bad(&e.to_string()))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(bad(
                    "https is not supported: Ledge talks plain HTTP to servers on your own machines and network",
                ));
            }
            _ => return Err(bad("only http:// addresses are supported")),
        }
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad(
                "user names and passwords in the address are not supported",
            ));
        }
        let host = uri.host().ok_or_else(|| bad("no host"))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_owned();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if uri.query().is_some() {
            return Err(bad("a query string is not part of an endpoint address"));
        }
        let path = uri.path().trim_end_matches('/');
        let base_path = if path.is_empty() {
            "/v1".to_owned()
        } else {
            path.to_owned()
        };
        Ok(EndpointUrl {
            host,
            port: uri.port_u16().unwrap_or(80),
            base_path,
        })
    }

    /// The host as it goes into a URL or a `Host` header (IPv6 in brackets).
    pub fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "http://{}:{}{}",
            self.host_for_url(),
            self.port,
            self.base_path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_addresses_parse_with_defaults() {
        let url = EndpointUrl::parse("127.0.0.1:8080").unwrap();
        assert_eq!(url.host, "127.0.0.1");
        assert_eq!(url.port, 8080);
        assert_eq!(url.base_path, "/v1");
        assert_eq!(url.to_string(), "http://127.0.0.1:8080/v1");

        let url = EndpointUrl::parse("http://mac-studio.local:52415/").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.base_path.as_str()),
            ("mac-studio.local", 52415, "/v1")
        );
        let url = EndpointUrl::parse("http://[fd00::2]:11434/api/v1").unwrap();
        assert_eq!(url.host, "fd00::2");
        assert_eq!(url.base_path, "/api/v1");
        assert_eq!(url.to_string(), "http://[fd00::2]:11434/api/v1");
        assert_eq!(EndpointUrl::parse("http://box").unwrap().port, 80);
    }

    #[test]
    fn endpoint_addresses_that_cannot_be_used_are_refused() {
        for text in [
            "https://box:443",
            "ftp://box:21",
            "http://user:pw@box:80",
            "http://box:80/v1?x=1",
            "http://:80",
            "",
        ] {
            assert!(
                matches!(EndpointUrl::parse(text), Err(BackendError::BadUrl { .. })),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("studio").is_ok());
        assert!(check_name("mac-studio_2.lan").is_ok());
        for bad in ["", "local", "two words", "a/b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
