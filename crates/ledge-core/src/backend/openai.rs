//! A client for OpenAI-compatible chat servers: `GET /v1/models` and streamed
//! `POST /v1/chat/completions` (Server-Sent Events).
//!
//! Plain HTTP/1.1 through `ureq`, configured so that a request goes nowhere but the endpoint's
//! checked address: no proxy from the environment, no redirects followed, and the connection
//! opened to the address the policy checked (the `Host` header keeps the name). Timeouts: to
//! connect, to the first response, and between two reads of the stream (a stalled server is
//! caught as quickly as a dead one).

use std::io::{self, BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ledge_llm::chat::Message;
use ledge_llm::generate::CancelToken;
use serde::Serialize;
use serde_json::{Value, json};
use ureq::Body;
use ureq::http::Response;

use super::address::{AddressClass, resolve_checked, system_resolve};
use super::{BackendError, Endpoint};

/// How long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open a connection.
    pub connect: Duration,
    /// From sending the request to the response's headers.
    pub first_response: Duration,
    /// Between two reads of the answer (servers send keep-alive comments while they read a
    /// long prompt).
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            first_response: Duration::from_secs(300),
            // Also the wait for the first piece while a CPU server reads a long prompt.
            idle: Duration::from_secs(120),
        }
    }
}

/// How the server should generate.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatParams {
    /// The longest answer, in tokens.
    pub max_tokens: usize,
    /// Sampling temperature (0: greedy).
    pub temperature: f32,
    /// Nucleus sampling (1: off).
    pub top_p: f32,
    /// A seed, for servers that take one.
    pub seed: Option<u64>,
    /// A repetition penalty (sent only when not 1; servers that do not know it ignore it).
    pub repetition_penalty: f32,
}

/// A finished (or cancelled) streamed answer.
#[derive(Debug, Clone, Serialize)]
pub struct ChatOutcome {
    /// The text.
    pub text: String,
    /// The model the server says answered.
    pub model: String,
    /// Prompt tokens, when the server reports usage.
    pub prompt_tokens: Option<usize>,
    /// Answer tokens, when the server reports usage.
    pub completion_tokens: Option<usize>,
    /// Text pieces received (about one per token for most servers).
    pub pieces: usize,
    /// From sending the request to the first piece of text.
    pub time_to_first_token: Duration,
    /// From sending the request to the end.
    pub total: Duration,
    /// Why it ended: the server's `finish_reason` (`stop`, `length`), or `cancelled`.
    pub finish: String,
    /// The address it was computed at.
    pub address: SocketAddr,
    /// Where that address is.
    pub class: AddressClass,
}

/// Resolves a host (a parameter for tests; Ledge uses the system resolver).
pub type Resolver = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;

/// A client for one endpoint.
#[derive(Debug, Clone)]
pub struct EndpointClient {
    endpoint: Endpoint,
    timeouts: Timeouts,
    resolve: Resolver,
}

/// The longest line of an event stream accepted (a JSON chunk is a few hundred bytes).
const MAX_LINE: u64 = 1 << 20;
/// The most of an error body kept.
const MAX_ERROR_BODY: u64 = 64 * 1024;

fn shorten(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The message in an OpenAI-style error body (`{"error": "..."}` or
/// `{"error": {"message": "..."}}`), else the body itself.
fn error_message(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(value) => match &value["error"] {
            Value::String(message) => shorten(message),
            Value::Object(object) => match object.get("message") {
                Some(Value::String(message)) => shorten(message),
                _ => shorten(body),
            },
            _ => shorten(body),
        },
        Err(_) => shorten(body),
    }
}

/// Reads the `data` of Server-Sent Events, one event at a time.
#[derive(Debug)]
pub struct SseReader<R> {
    reader: R,
    line: String,
}

impl<R: BufRead> SseReader<R> {
    /// Events from `reader`.
    pub fn new(reader: R) -> Self {
        SseReader {
            reader,
            line: String::new(),
        }
    }

    /// The next event's data (its `data:` lines joined by newlines); `None` at the end of the
    /// stream. Comments (`: keepalive`) and other fields are skipped.
    pub fn next_data(&mut self) -> io::Result<Option<String>> {
        let mut data: Option<String> = None;
        loop {
            self.line.clear();
            let read = (&mut self.reader)
                .take(MAX_LINE)
                .read_line(&mut self.line)?;
            if read == 0 {
                // The end, possibly without the blank line that closes the last event.
                return Ok(data);
            }
            if !self.line.ends_with('\n') && read as u64 == MAX_LINE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "an event stream line longer than 1 MiB",
                ));
            }
            let line = self.line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if data.is_some() {
                    return Ok(data);
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            if field == "data" {
                match &mut data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => data = Some(value.to_owned()),
                }
            }
        }
    }
}

/// Whether a read failed on a timeout (ureq wraps its own error in the `io::Error`).
fn is_timeout(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::TimedOut
        || error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .is_some_and(|inner| matches!(inner, ureq::Error::Timeout(_)))
}

/// Whether a failed attempt may be retried at the endpoint's next address: nothing was sent.
fn not_connected(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::ConnectionFailed | ureq::Error::Timeout(ureq::Timeout::Connect) => true,
        ureq::Error::Io(e) => matches!(
            e.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::AddrNotAvailable
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
        ),
        _ => false,
    }
}

impl EndpointClient {
    /// A client for `endpoint`.
    pub fn new(endpoint: Endpoint, timeouts: Timeouts) -> Self {
        EndpointClient {
            endpoint,
            timeouts,
            resolve: system_resolve,
        }
    }

    /// The same client resolving host names with `resolve`.
    pub fn with_resolver(mut self, resolve: Resolver) -> Self {
        self.resolve = resolve;
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn label(&self) -> String {
        format!("`{}` ({})", self.endpoint.name, self.endpoint.url)
    }

    /// The endpoint's addresses, checked against the address policy, and where they are.
    pub fn check_address(&self) -> Result<(Vec<SocketAddr>, AddressClass), BackendError> {
        let url = &self.endpoint.url;
        Ok(resolve_checked(
            &url.host,
            url.port,
            self.endpoint.reach(),
            &self.resolve,
        )?)
    }

    fn agent(&self) -> ureq::Agent {
        let config = ureq::Agent::config_builder()
            // Never through a proxy named in the environment, never redirected elsewhere.
            .proxy(None)
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_connect(Some(self.timeouts.connect))
            .timeout_recv_response(Some(self.timeouts.first_response))
            .timeout_per_read(Some(self.timeouts.idle))
            .user_agent(concat!("ledge/", env!("CARGO_PKG_VERSION")))
            .build();
        ureq::Agent::new_with_config(config)
    }

    fn map_error(&self, error: ureq::Error) -> BackendError {
        match error {
            ureq::Error::Timeout(ureq::Timeout::Connect) => BackendError::Unreachable {
                endpoint: self.label(),
                reason: format!("no connection within {} s", self.timeouts.connect.as_secs()),
            },
            ureq::Error::Timeout(ureq::Timeout::PerRead) => BackendError::Timeout {
                endpoint: self.label(),
                seconds: self.timeouts.idle.as_secs(),
                waiting_for: "the next part of the answer",
            },
            ureq::Error::Timeout(_) => BackendError::Timeout {
                endpoint: self.label(),
                seconds: self.timeouts.first_response.as_secs(),
                waiting_for: "the response",
            },
            other => BackendError::Unreachable {
                endpoint: self.label(),
                reason: other.to_string(),
            },
        }
    }

    /// Sends a request to the first checked address that accepts a connection.
    fn send(
        &self,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(Response<Body>, SocketAddr, AddressClass), BackendError> {
        let (addresses, class) = self.check_address()?;
        let url = &self.endpoint.url;
        let host_header = format!("{}:{}", url.host_for_url(), url.port);
        let agent = self.agent();
        let mut last = None;
        for address in addresses {
            // The checked address itself, so no second lookup can lead elsewhere.
            let target = format!("http://{address}{}{path}", url.base_path);
            tracing::debug!(endpoint = %self.endpoint.name, %target, "request");
            let result = match body {
                Some(body) => agent
                    .post(&target)
                    .header("Host", &host_header)
                    .header("Content-Type", "application/json")
                    .header("Accept", "text/event-stream")
                    .send(body),
                None => agent
                    .get(&target)
                    .header("Host", &host_header)
                    .header("Accept", "application/json")
                    .call(),
            };
            match result {
                Ok(response) => return Ok((response, address, class)),
                Err(error) if not_connected(&error) => last = Some(error),
                Err(error) => return Err(self.map_error(error)),
            }
        }
        Err(match last {
            Some(error) => self.map_error(error),
            None => BackendError::Unreachable {
                endpoint: self.label(),
                reason: "no address".into(),
            },
        })
    }

    fn error_body(response: &mut Response<Body>) -> String {
        response
            .body_mut()
            .with_config()
            .limit(MAX_ERROR_BODY)
            .read_to_string()
            .map(|body| error_message(&body))
            .unwrap_or_default()
    }

    /// The model ids the server lists at `/models`.
    pub fn models(&self) -> Result<Vec<String>, BackendError> {
        let (mut response, _, _) = self.send("/models", None)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(BackendError::Server {
                endpoint: self.label(),
                status,
                message: Self::error_body(&mut response),
            });
        }
        let bad = |reason: String| BackendError::BadResponse {
            endpoint: self.label(),
            reason,
        };
        let body = response
            .body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_string()
            .map_err(|e| bad(format!("reading /models: {e}")))?;
        let value: Value =
            serde_json::from_str(&body).map_err(|e| bad(format!("/models is not JSON: {e}")))?;
        let Some(list) = value["data"].as_array() else {
            return Err(bad("/models has no `data` list".into()));
        };
        Ok(list
            .iter()
            .filter_map(|model| model["id"].as_str().map(str::to_owned))
            .collect())
    }

    /// The model to ask for: the endpoint's, else the server's only one.
    pub fn model(&self) -> Result<String, BackendError> {
        if let Some(model) = &self.endpoint.model {
            return Ok(model.clone());
        }
        let mut available = self.models()?;
        match available.len() {
            1 => Ok(available.remove(0)),
            0 => Err(BackendError::ModelMissing {
                endpoint: self.label(),
                model: "(any)".into(),
                available,
            }),
            _ => Err(BackendError::ModelChoiceNeeded {
                endpoint: self.label(),
                available,
            }),
        }
    }

    /// Streams an answer to `messages`, calling `on_text` with each piece. Stops early, with
    /// `finish` = `cancelled`, when `cancel` is set.
    pub fn chat(
        &self,
        messages: &[Message],
        params: &ChatParams,
        cancel: &CancelToken,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<ChatOutcome, BackendError> {
        // Timed from here: asking the server for its model is part of the HTTP path's cost.
        let started = Instant::now();
        let model = self.model()?;
        let mut body = json!({
            "model": model,
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        });
        if let Some(seed) = params.seed {
            body["seed"] = json!(seed);
        }
        if params.repetition_penalty != 1.0 {
            body["repetition_penalty"] = json!(params.repetition_penalty);
        }
        let body = serde_json::to_vec(&body).map_err(|e| BackendError::BadResponse {
            endpoint: self.label(),
            reason: format!("cannot encode the request: {e}"),
        })?;

        let (mut response, address, class) = self.send("/chat/completions", Some(&body))?;
        let status = response.status().as_u16();
        if status != 200 {
            let message = Self::error_body(&mut response);
            // A model the server does not have is the common case: say which it has.
            if (400..500).contains(&status)
                && let Ok(available) = self.models()
                && !available.contains(&model)
            {
                return Err(BackendError::ModelMissing {
                    endpoint: self.label(),
                    model,
                    available,
                });
            }
            return Err(BackendError::Server {
                endpoint: self.label(),
                status,
                message,
            });
        }
        tracing::info!(endpoint = %self.endpoint.name, %address, %class, model, "answering over an endpoint");

        let broken = |reason: String| BackendError::StreamBroken {
            endpoint: self.label(),
            reason,
        };
        let mut events = SseReader::new(BufReader::new(response.into_body().into_reader()));
        let mut outcome = ChatOutcome {
            text: String::new(),
            model,
            prompt_tokens: None,
            completion_tokens: None,
            pieces: 0,
            time_to_first_token: Duration::ZERO,
            total: Duration::ZERO,
            finish: String::new(),
            address,
            class,
        };
        let mut done = false;
        loop {
            if cancel.is_cancelled() {
                outcome.finish = "cancelled".into();
                break;
            }
            let data = match events.next_data() {
                Ok(Some(data)) => data,
                Ok(None) => break,
                Err(error) if is_timeout(&error) => {
                    return Err(BackendError::Timeout {
                        endpoint: self.label(),
                        seconds: self.timeouts.idle.as_secs(),
                        waiting_for: "the next part of the answer",
                    });
                }
                Err(error) => return Err(broken(error.to_string())),
            };
            if data.trim() == "[DONE]" {
                done = true;
                break;
            }
            let chunk: Value =
                serde_json::from_str(&data).map_err(|e| BackendError::BadResponse {
                    endpoint: self.label(),
                    reason: format!("an event is not JSON: {e}"),
                })?;
            if !chunk["error"].is_null() {
                return Err(BackendError::Server {
                    endpoint: self.label(),
                    status,
                    message: error_message(&data),
                });
            }
            if let Some(model) = chunk["model"].as_str()
                && !model.is_empty()
            {
                model.clone_into(&mut outcome.model);
            }
            let choice = &chunk["choices"][0];
            if let Some(piece) = choice["delta"]["content"].as_str()
                && !piece.is_empty()
            {
                if outcome.pieces == 0 {
                    outcome.time_to_first_token = started.elapsed();
                }
                outcome.pieces += 1;
                outcome.text.push_str(piece);
                on_text(piece);
            }
            if let Some(finish) = choice["finish_reason"].as_str() {
                finish.clone_into(&mut outcome.finish);
            }
            let usage = &chunk["usage"];
            if let Some(n) = usage["prompt_tokens"].as_u64() {
                outcome.prompt_tokens = Some(n as usize);
            }
            if let Some(n) = usage["completion_tokens"].as_u64() {
                outcome.completion_tokens = Some(n as usize);
            }
        }
        if !done && outcome.finish.is_empty() {
            return Err(broken(
                "the connection closed before the answer ended".into(),
            ));
        }
        outcome.total = started.elapsed();
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_data(input: &str) -> Vec<String> {
        let mut reader = SseReader::new(input.as_bytes());
        let mut out = Vec::new();
        while let Some(data) = reader.next_data().unwrap() {
            out.push(data);
        }
        out
    }

    #[test]
    fn event_streams_yield_data_and_skip_comments_and_other_fields() {
        let input = ": keepalive 10/200\n\n\
                     data: {\"a\":1}\n\n\
                     event: message\r\nid: 7\r\ndata:{\"b\":2}\r\n\r\n\
                     data: first\ndata: second\n\n\
                     data: [DONE]\n\n";
        assert_eq!(
            all_data(input),
            vec![
                "{\"a\":1}".to_owned(),
                "{\"b\":2}".to_owned(),
                "first\nsecond".to_owned(),
                "[DONE]".to_owned()
            ]
        );
        // A last event without its closing blank line still counts; an empty stream is empty.
        assert_eq!(all_data("data: x"), vec!["x".to_owned()]);
        assert!(all_data("").is_empty());
        assert!(all_data(": only a comment\n\n").is_empty());
    }

    #[test]
    fn an_endless_line_is_refused() {
        let long = format!("data: {}", "x".repeat(MAX_LINE as usize + 10));
        let mut reader = SseReader::new(long.as_bytes());
        let error = reader.next_data().err();
        assert_eq!(error.map(|e| e.kind()), Some(io::ErrorKind::InvalidData));
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(
            error_message(r#"{"error": "no such model"}"#),
            "no such model"
        );
        assert_eq!(
            error_message(
                r#"{"error": {"message": "model \"x\" not found", "type": "api_error"}}"#
            ),
            "model \"x\" not found"
        );
        assert_eq!(error_message("Not Found"), "Not Found");
        assert!(error_message(&"y".repeat(1000)).chars().count() <= 301);
    }
}
