//! Managing the backends a person chose, the same way for every shell: the listing (the
//! built-in model, the endpoints added, the servers found on this machine), adding an
//! endpoint after asking it for its models, the default, and a short test answer.
//!
//! The CLI's `ledge backends` and the desktop app's settings both call these, so both say
//! the same things about the same endpoints.

use std::time::Duration;

use ledge_llm::chat::{Message, Role};
use ledge_llm::generate::CancelToken;
use serde::Serialize;

use super::discover::{KNOWN_SERVERS, discover_local};
use super::{
    AddressClass, BackendError, ChatParams, DEFAULT_BACKEND_SETTING, Endpoint, EndpointClient,
    LOCAL, Timeouts, prepare_endpoint,
};
use crate::Result;
use crate::assistant::COMPUTED_LOCALLY;
use crate::store::{ConversationId, Store};

/// One backend as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendInfo {
    /// Its name ([`LOCAL`] for the built-in model).
    pub name: String,
    /// Its address; `None` for the built-in model.
    pub url: Option<String>,
    /// The model it asks for; `None`: the server's only model (or the built-in default).
    pub model: Option<String>,
    /// Whether questions that name no backend use it.
    pub default: bool,
    /// Whether a question it fails falls back to the built-in model.
    pub fallback_local: bool,
    /// Whether a public address was allowed for it.
    pub allow_public: bool,
    /// Where its answers are computed, or why its address is refused now.
    pub placement: String,
    /// Whether the address policy refuses it now (its name resolves elsewhere than before).
    pub refused: bool,
}

/// A known server answering on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundServer {
    /// What usually listens on its port.
    pub product: &'static str,
    /// Its address.
    pub url: String,
    /// The models it lists.
    pub models: Vec<String>,
    /// Why its models could not be listed.
    pub error: Option<String>,
    /// The endpoint already added for it, if any.
    pub added_as: Option<String>,
}

/// Everything [`list_backends`] knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendList {
    /// The built-in model first, then the endpoints added, by name.
    pub backends: Vec<BackendInfo>,
    /// Known servers running on this machine (empty when not looked for).
    pub found: Vec<FoundServer>,
}

/// The backend questions use when they name none.
pub fn default_backend(store: &Store) -> Result<String> {
    Ok(store
        .setting(DEFAULT_BACKEND_SETTING)?
        .unwrap_or_else(|| LOCAL.to_owned()))
}

/// The endpoint added under `name`.
pub fn endpoint(store: &Store, name: &str) -> Result<Endpoint> {
    store.backend(name)?.ok_or_else(|| {
        BackendError::NoSuchBackend {
            name: name.to_owned(),
        }
        .into()
    })
}

/// Makes `name` ([`LOCAL`] or an endpoint added before) the default backend.
pub fn set_default_backend(store: &Store, name: &str) -> Result<()> {
    if name == LOCAL {
        return store.set_setting(DEFAULT_BACKEND_SETTING, None);
    }
    endpoint(store, name)?;
    store.set_setting(DEFAULT_BACKEND_SETTING, Some(name))
}

/// Makes conversation `id` answer with `name` ([`LOCAL`] or an endpoint added before).
pub fn set_conversation_backend(store: &Store, id: ConversationId, name: &str) -> Result<()> {
    if name != LOCAL {
        endpoint(store, name)?;
    }
    store.set_conversation_backend(id, Some(name))
}

/// Where an endpoint is, by the address policy applied now.
pub fn placement(endpoint: &Endpoint) -> std::result::Result<AddressClass, BackendError> {
    EndpointClient::new(endpoint.clone(), Timeouts::default())
        .check_address()
        .map(|(_, class)| class)
}

/// The built-in model and the endpoints added; with `discover`, also the known servers
/// answering on this machine's loopback ports (a probe of a few hundred milliseconds).
pub fn list_backends(store: &Store, discover: bool) -> Result<BackendList> {
    let default = default_backend(store)?;
    let mut backends = vec![BackendInfo {
        name: LOCAL.to_owned(),
        url: None,
        model: None,
        default: default == LOCAL,
        fallback_local: false,
        allow_public: false,
        placement: COMPUTED_LOCALLY.to_owned(),
        refused: false,
    }];
    let endpoints = store.backends()?;
    for endpoint in &endpoints {
        let (placement, refused) = match placement(endpoint) {
            Ok(class) => (class.to_string(), false),
            Err(error) => (format!("refused: {error}"), true),
        };
        backends.push(BackendInfo {
            name: endpoint.name.clone(),
            url: Some(endpoint.url.to_string()),
            model: endpoint.model.clone(),
            default: default == endpoint.name,
            fallback_local: endpoint.fallback_local,
            allow_public: endpoint.allow_public,
            placement,
            refused,
        });
    }
    let found = if discover {
        found_servers(&endpoints)
    } else {
        Vec::new()
    };
    Ok(BackendList { backends, found })
}

/// The known servers answering on this machine's loopback ports (a probe of a few hundred
/// milliseconds; call it without holding the store), each with the endpoint of `endpoints`
/// already added for it.
pub fn found_servers(endpoints: &[Endpoint]) -> Vec<FoundServer> {
    discover_local(KNOWN_SERVERS)
        .into_iter()
        .map(|found| {
            let added_as = endpoints
                .iter()
                .find(|e| {
                    e.url.port == found.url.port
                        && placement(e).ok() == Some(AddressClass::Loopback)
                })
                .map(|e| e.name.clone());
            let (models, error) = match found.models {
                Ok(models) => (models, None),
                Err(error) => (Vec::new(), Some(error)),
            };
            FoundServer {
                product: found.product,
                url: found.url.to_string(),
                models,
                error,
                added_as,
            }
        })
        .collect()
}

/// An endpoint to add.
#[derive(Debug, Clone, Default)]
pub struct NewBackend {
    /// Its name.
    pub name: String,
    /// Its address: `HOST:PORT` or `http://HOST:PORT/v1`.
    pub url: String,
    /// The model id to ask for; `None`: the server's only model.
    pub model: Option<String>,
    /// Allow an address on the public internet (context then leaves the person's devices).
    pub allow_public: bool,
    /// Let the built-in model answer when it fails.
    pub fallback_local: bool,
    /// Make it the default backend.
    pub make_default: bool,
    /// Ask the server for its models first (and refuse when it does not answer, or offers
    /// several and none was chosen).
    pub check: bool,
}

/// An endpoint added.
#[derive(Debug, Clone, Serialize)]
pub struct AddedBackend {
    /// What was stored.
    pub endpoint: Endpoint,
    /// Where it is.
    pub class: AddressClass,
    /// What the person should know (a public address, a model the server does not list).
    pub warnings: Vec<String>,
}

/// The warning for an endpoint on the public internet.
pub fn public_warning(endpoint: &Endpoint) -> String {
    format!(
        "{} is on the public internet. The passages of your files that answer each question, \
         and the question, will be sent there and leave your devices.",
        endpoint.url
    )
}

/// Checks and stores a new endpoint (and makes it the default when asked).
pub fn add_backend(store: &Store, new: NewBackend) -> Result<AddedBackend> {
    refuse_taken_name(store, &new.name)?;
    let make_default = new.make_default;
    let added = prepare_backend(new)?;
    save_backend(store, &added, make_default)?;
    Ok(added)
}

/// Refuses a name an endpoint already has (before asking any server).
pub fn refuse_taken_name(store: &Store, name: &str) -> Result<()> {
    if store.backend(name)?.is_some() {
        return Err(BackendError::NameTaken {
            name: name.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Checks a new endpoint without storing it: its name, its address against the policy,
/// and (when `new.check`) the models the server lists. Asks the network; call it without
/// holding the store.
pub fn prepare_backend(new: NewBackend) -> Result<AddedBackend> {
    let (endpoint, class) = prepare_endpoint(
        &new.name,
        &new.url,
        new.model.filter(|m| !m.trim().is_empty()),
        new.allow_public,
        new.fallback_local,
    )?;
    let mut warnings = Vec::new();
    if class == AddressClass::Public {
        warnings.push(public_warning(&endpoint));
    }
    if new.check {
        let client = EndpointClient::new(endpoint.clone(), Timeouts::default());
        let models = client.models()?;
        match &endpoint.model {
            Some(model) if !models.contains(model) => warnings.push(format!(
                "the server does not list `{model}` (it lists: {}); it may load it on demand",
                models.join(", ")
            )),
            None if models.len() != 1 => {
                return Err(BackendError::ModelChoiceNeeded {
                    endpoint: endpoint.url.to_string(),
                    available: models,
                }
                .into());
            }
            _ => {}
        }
    }
    Ok(AddedBackend {
        endpoint,
        class,
        warnings,
    })
}

/// Stores an endpoint [`prepare_backend`] accepted.
pub fn save_backend(store: &Store, added: &AddedBackend, make_default: bool) -> Result<()> {
    store.add_backend(&added.endpoint)?;
    if make_default {
        store.set_setting(DEFAULT_BACKEND_SETTING, Some(&added.endpoint.name))?;
    }
    tracing::info!(name = %added.endpoint.name, url = %added.endpoint.url, class = %added.class, "endpoint added");
    Ok(())
}

/// What a short test answer showed.
#[derive(Debug, Clone, Serialize)]
pub struct BackendTest {
    /// The model the server says answered.
    pub model: String,
    /// The address it was computed at.
    pub address: String,
    /// Where that address is.
    pub class: AddressClass,
    /// What it replied.
    pub reply: String,
    /// Milliseconds to the first piece of text.
    pub first_token_ms: f64,
    /// Milliseconds in all.
    pub total_ms: f64,
}

/// Asks `endpoint` for a one-word reply (a minute for the first token: a server may load
/// its model first).
pub fn test_backend(endpoint: &Endpoint) -> std::result::Result<BackendTest, BackendError> {
    let timeouts = Timeouts {
        first_response: Duration::from_secs(60),
        ..Timeouts::default()
    };
    let client = EndpointClient::new(endpoint.clone(), timeouts);
    let messages = [Message::new(
        Role::User,
        "Reply with the single word: ready",
    )];
    let params = ChatParams {
        max_tokens: 8,
        temperature: 0.0,
        top_p: 1.0,
        seed: None,
        repetition_penalty: 1.0,
    };
    let outcome = client.chat(&messages, &params, &CancelToken::new(), &mut |_| {})?;
    Ok(BackendTest {
        model: outcome.model,
        address: outcome.address.to_string(),
        class: outcome.class,
        reply: outcome.text.trim().to_owned(),
        first_token_ms: outcome.time_to_first_token.as_secs_f64() * 1e3,
        total_ms: outcome.total.as_secs_f64() * 1e3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_starts_with_the_built_in_model_as_default() -> Result<()> {
        let store = Store::in_memory()?;
        let list = list_backends(&store, false)?;
        assert_eq!(list.backends.len(), 1);
        assert_eq!(list.backends[0].name, LOCAL);
        assert!(list.backends[0].default);
        assert!(list.found.is_empty());
        Ok(())
    }

    #[test]
    fn an_unchecked_endpoint_is_listed_and_can_become_the_default() -> Result<()> {
        let store = Store::in_memory()?;
        let added = add_backend(
            &store,
            NewBackend {
                name: "studio".into(),
                url: "192.168.1.20:8080".into(),
                model: Some("  ".into()),
                ..NewBackend::default()
            },
        )?;
        assert_eq!(added.class, AddressClass::Private);
        assert!(added.warnings.is_empty());
        assert_eq!(added.endpoint.model, None, "a blank model means none");
        set_default_backend(&store, "studio")?;
        let list = list_backends(&store, false)?;
        let names: Vec<_> = list.backends.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, [LOCAL, "studio"]);
        assert!(!list.backends[0].default);
        assert!(list.backends[1].default);
        assert_eq!(
            list.backends[1].placement,
            AddressClass::Private.to_string()
        );
        set_default_backend(&store, LOCAL)?;
        assert_eq!(default_backend(&store)?, LOCAL);
        Ok(())
    }

    #[test]
    fn names_are_unique_and_unknown_defaults_are_refused() -> Result<()> {
        let store = Store::in_memory()?;
        let new = NewBackend {
            name: "box".into(),
            url: "10.0.0.2:1234".into(),
            ..NewBackend::default()
        };
        add_backend(&store, new.clone())?;
        assert!(matches!(
            add_backend(&store, new),
            Err(crate::Error::Backend(BackendError::NameTaken { .. }))
        ));
        assert!(matches!(
            set_default_backend(&store, "nowhere"),
            Err(crate::Error::Backend(BackendError::NoSuchBackend { .. }))
        ));
        assert_eq!(default_backend(&store)?, LOCAL);
        Ok(())
    }

    #[test]
    fn a_public_address_needs_the_override_and_then_carries_a_warning() -> Result<()> {
        let store = Store::in_memory()?;
        let public = NewBackend {
            name: "far".into(),
            url: "8.8.8.8:8080".into(),
            ..NewBackend::default()
        };
        assert!(add_backend(&store, public.clone()).is_err());
        assert!(store.backends()?.is_empty(), "nothing stored when refused");
        let added = add_backend(
            &store,
            NewBackend {
                allow_public: true,
                ..public
            },
        )?;
        assert_eq!(added.class, AddressClass::Public);
        assert_eq!(added.warnings.len(), 1);
        assert!(added.warnings[0].contains("leave your devices"));
        Ok(())
    }

    #[test]
    fn a_checked_endpoint_that_does_not_answer_is_not_added() -> Result<()> {
        let store = Store::in_memory()?;
        // A port nothing listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let result = add_backend(
            &store,
            NewBackend {
                name: "gone".into(),
                url: format!("127.0.0.1:{port}"),
                check: true,
                ..NewBackend::default()
            },
        );
        assert!(
            matches!(
                result,
                Err(crate::Error::Backend(BackendError::Unreachable { .. }))
            ),
            "{result:?}"
        );
        assert!(store.backends()?.is_empty());
        Ok(())
    }
}
