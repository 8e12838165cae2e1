//! The backends table: endpoints the person added, and the backend of each conversation.

use rusqlite::{OptionalExtension, params};

use super::{ConversationId, Store, now};
use crate::backend::{BackendError, Endpoint, EndpointUrl, check_name};
use crate::{Error, Result};

fn endpoint_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Endpoint, String)> {
    let url: String = row.get(1)?;
    Ok((
        Endpoint {
            name: row.get(0)?,
            // Replaced below once parsed; a row holds what EndpointUrl printed.
            url: EndpointUrl {
                host: String::new(),
                port: 0,
                base_path: String::new(),
            },
            model: row.get(2)?,
            allow_public: row.get(3)?,
            fallback_local: row.get(4)?,
        },
        url,
    ))
}

fn parsed((mut endpoint, url): (Endpoint, String)) -> Result<Endpoint> {
    endpoint.url = EndpointUrl::parse(&url)?;
    Ok(endpoint)
}

impl Store {
    /// Adds an endpoint. Its name must be free; the address is stored as given (the address
    /// policy is checked by the caller, and again at every connection).
    pub fn add_backend(&self, endpoint: &Endpoint) -> Result<()> {
        check_name(&endpoint.name)?;
        if self.backend(&endpoint.name)?.is_some() {
            return Err(BackendError::NameTaken {
                name: endpoint.name.clone(),
            }
            .into());
        }
        self.conn
            .execute(
                "INSERT INTO backends (name, url, model, allow_public, fallback_local, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    endpoint.name,
                    endpoint.url.to_string(),
                    endpoint.model,
                    endpoint.allow_public,
                    endpoint.fallback_local,
                    now()
                ],
            )
            .map_err(self.fail())?;
        Ok(())
    }

    /// The endpoint named `name`, if there is one.
    pub fn backend(&self, name: &str) -> Result<Option<Endpoint>> {
        self.conn
            .query_row(
                "SELECT name, url, model, allow_public, fallback_local FROM backends
                 WHERE name = ?1",
                [name],
                endpoint_from_row,
            )
            .optional()
            .map_err(self.fail())?
            .map(parsed)
            .transpose()
    }

    /// Every endpoint, by name.
    pub fn backends(&self) -> Result<Vec<Endpoint>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT name, url, model, allow_public, fallback_local FROM backends
                 ORDER BY name",
            )
            .map_err(self.fail())?;
        let rows = statement
            .query_map([], endpoint_from_row)
            .map_err(self.fail())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.fail())?;
        rows.into_iter().map(parsed).collect()
    }

    /// Removes an endpoint; conversations on it go back to the default backend, and the
    /// default goes back to the built-in model if it was this one.
    pub fn remove_backend(&mut self, name: &str) -> Result<()> {
        let path = self.path.clone();
        let fail = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(fail)?;
        let removed = tx
            .execute("DELETE FROM backends WHERE name = ?1", [name])
            .map_err(fail)?;
        if removed == 0 {
            return Err(BackendError::NoSuchBackend {
                name: name.to_owned(),
            }
            .into());
        }
        tx.execute(
            "UPDATE conversations SET backend = NULL WHERE backend = ?1",
            [name],
        )
        .map_err(fail)?;
        tx.execute(
            "DELETE FROM settings WHERE key = ?1 AND value = ?2",
            params![crate::backend::DEFAULT_BACKEND_SETTING, name],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(())
    }

    /// The backend a conversation is kept on, if one was chosen for it.
    pub fn conversation_backend(&self, id: ConversationId) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT backend FROM conversations WHERE id = ?1",
                [id],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()
            .map_err(self.fail())?
            .flatten())
    }

    /// Keeps a conversation on `backend` (`None`: the default at the time of asking).
    pub fn set_conversation_backend(
        &self,
        id: ConversationId,
        backend: Option<&str>,
    ) -> Result<()> {
        let updated = self
            .conn
            .execute(
                "UPDATE conversations SET backend = ?2 WHERE id = ?1",
                params![id, backend],
            )
            .map_err(self.fail())?;
        if updated == 0 {
            return Err(Error::NoSuchConversation { id });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::DEFAULT_BACKEND_SETTING;

    fn studio() -> Endpoint {
        Endpoint {
            name: "studio".into(),
            url: EndpointUrl::parse("192.168.1.30:52415").unwrap_or_else(|e| panic!("{e}")),
            model: Some("llama-3.1-70b".into()),
            allow_public: false,
            fallback_local: true,
        }
    }

    #[test]
    fn backends_are_added_listed_and_removed() -> Result<()> {
        let mut store = Store::in_memory()?;
        store.add_backend(&studio())?;
        let laptop = Endpoint {
            name: "ollama".into(),
            url: EndpointUrl::parse("http://[::1]:11434/v1")?,
            model: None,
            allow_public: false,
            fallback_local: false,
        };
        store.add_backend(&laptop)?;
        assert_eq!(store.backends()?, vec![laptop.clone(), studio()]);
        assert_eq!(store.backend("studio")?, Some(studio()));
        assert!(matches!(
            store.add_backend(&studio()),
            Err(Error::Backend(BackendError::NameTaken { .. }))
        ));
        let local = Endpoint {
            name: "local".into(),
            ..studio()
        };
        assert!(matches!(
            store.add_backend(&local),
            Err(Error::Backend(BackendError::BadName { .. }))
        ));

        // Removing one releases the conversations and the default that named it.
        let conversation = store.create_conversation("q")?;
        store.set_conversation_backend(conversation, Some("studio"))?;
        assert_eq!(
            store.conversation_backend(conversation)?.as_deref(),
            Some("studio")
        );
        store.set_setting(DEFAULT_BACKEND_SETTING, Some("studio"))?;
        store.remove_backend("studio")?;
        assert_eq!(store.backend("studio")?, None);
        assert_eq!(store.conversation_backend(conversation)?, None);
        assert_eq!(store.setting(DEFAULT_BACKEND_SETTING)?, None);
        assert!(matches!(
            store.remove_backend("studio"),
            Err(Error::Backend(BackendError::NoSuchBackend { .. }))
        ));
        assert_eq!(store.backends()?, vec![laptop]);
        Ok(())
    }
}
