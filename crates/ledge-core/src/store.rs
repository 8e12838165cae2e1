//! The assistant's own SQLite database (`assistant.sqlite3` in the data folder):
//! conversations, their messages and citations, settings, and the inference backends the
//! person added (`store/backends.rs`).
//!
//! The schema lives in numbered migrations (`migrations/NNNN_*.sql`); `PRAGMA user_version`
//! records how many have run. Every write is one transaction, so a crash keeps either a whole
//! turn or none of it.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::citation::Source;
use crate::grounding::Grounding;
use crate::{Error, Result};

mod backends;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_conversations.sql"),
    include_str!("migrations/0002_backends.sql"),
    include_str!("migrations/0003_grounding.sql"),
];

/// A conversation's id.
pub type ConversationId = i64;

/// A conversation, without its messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    /// Its id.
    pub id: ConversationId,
    /// The first question, shortened.
    pub title: String,
    /// When it started (unix seconds).
    pub created_at: i64,
    /// When it last changed (unix seconds).
    pub updated_at: i64,
}

/// Who wrote a stored message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    /// The person.
    User,
    /// Ledge.
    Assistant,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    /// Its id.
    pub id: i64,
    /// Who wrote it.
    pub speaker: Speaker,
    /// The question as typed, or the answer as shown.
    pub content: String,
    /// For a question: the message as the model saw it, sources included.
    #[serde(skip)]
    pub prompt_content: Option<String>,
    /// For an answer: the model that wrote it.
    pub model: Option<String>,
    /// For an answer: the sources it was given, with whether it cited each.
    pub sources: Vec<Source>,
    /// For an answer: its figures, as JSON.
    pub stats: Option<serde_json::Value>,
    /// For an answer: the extractive answer and each sentence's support (empty for answers
    /// saved before Ledge checked them).
    pub grounding: Grounding,
    /// When (unix seconds).
    pub created_at: i64,
}

/// One question and its answer, to be saved together.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    /// The question as typed.
    pub question: &'a str,
    /// The question as the model saw it.
    pub prompt_content: &'a str,
    /// The answer.
    pub answer: &'a str,
    /// The model that answered.
    pub model: &'a str,
    /// The sources given to the model.
    pub sources: &'a [Source],
    /// Figures of the answer.
    pub stats: serde_json::Value,
    /// The extractive answer and the support of each sentence.
    pub grounding: &'a Grounding,
    /// Whether it takes the place of the conversation's last question and answer (an answer
    /// regenerated): they are deleted in the same transaction.
    pub replaces_last: bool,
}

/// The assistant's database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A title from a question: its first line, at most 80 characters.
fn title_of(question: &str) -> String {
    let line = question
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let line = line.trim();
    match line.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line.to_owned(),
    }
}

impl Store {
    /// Opens (creating and migrating when needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|source| Error::Store {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// A database in memory, for tests and one-shot questions.
    pub fn in_memory() -> Result<Store> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| Error::Store {
            path: path.clone(),
            source,
        })?;
        let mut store = Store { conn, path };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    fn fail(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |source| Error::Store {
            path: self.path.clone(),
            source,
        }
    }

    fn configure(&self) -> Result<()> {
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
            )
            .map_err(self.fail())
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(self.fail())?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(Error::StoreTooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        let path = self.path.clone();
        let fail = |source| Error::Store {
            path: path.clone(),
            source,
        };
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(fail)?;
            tx.execute_batch(sql).map_err(fail)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)
                .map_err(fail)?;
            tx.commit().map_err(fail)?;
            tracing::info!(version = index + 1, "assistant database migrated");
        }
        Ok(())
    }

    /// Starts a conversation titled after its first question.
    pub fn create_conversation(&self, first_question: &str) -> Result<ConversationId> {
        let at = now();
        self.conn
            .execute(
                "INSERT INTO conversations (title, created_at, updated_at) VALUES (?1, ?2, ?2)",
                params![title_of(first_question), at],
            )
            .map_err(self.fail())?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The conversation `id`, if it exists.
    pub fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>> {
        self.conn
            .query_row(
                "SELECT id, title, created_at, updated_at FROM conversations WHERE id = ?1",
                [id],
                |row| {
                    Ok(Conversation {
                        id: row.get(0)?,
                        title: row.get(1)?,
                        created_at: row.get(2)?,
                        updated_at: row.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(self.fail())
    }

    /// Every conversation, most recently changed first.
    pub fn conversations(&self) -> Result<Vec<Conversation>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT id, title, created_at, updated_at FROM conversations
                 ORDER BY updated_at DESC, id DESC",
            )
            .map_err(self.fail())?;
        let rows = statement
            .query_map([], |row| {
                Ok(Conversation {
                    id: row.get(0)?,
                    title: row.get(1)?,
                    created_at: row.get(2)?,
                    updated_at: row.get(3)?,
                })
            })
            .map_err(self.fail())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.fail())
    }

    /// How many messages each conversation holds (one query for the whole list).
    pub fn message_counts(&self) -> Result<std::collections::HashMap<ConversationId, usize>> {
        let mut statement = self
            .conn
            .prepare("SELECT conversation_id, COUNT(*) FROM messages GROUP BY conversation_id")
            .map_err(self.fail())?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)?)))
            .map_err(self.fail())?;
        rows.map(|row| row.map(|(id, n)| (id, usize::try_from(n).unwrap_or(0))))
            .collect::<rusqlite::Result<_>>()
            .map_err(self.fail())
    }

    /// Deletes a conversation with its messages and citations. Deleting one that does not
    /// exist is not an error.
    pub fn delete_conversation(&self, id: ConversationId) -> Result<()> {
        self.conn
            .execute("DELETE FROM conversations WHERE id = ?1", [id])
            .map_err(self.fail())?;
        Ok(())
    }

    /// Saves a question and its answer to `conversation`, in one transaction.
    pub fn save_turn(&mut self, conversation: ConversationId, turn: &Turn<'_>) -> Result<i64> {
        let path = self.path.clone();
        let fail = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let at = now();
        let tx = self.conn.transaction().map_err(fail)?;
        let updated = tx
            .execute(
                "UPDATE conversations SET updated_at = ?2 WHERE id = ?1",
                params![conversation, at],
            )
            .map_err(fail)?;
        if updated == 0 {
            return Err(Error::NoSuchConversation { id: conversation });
        }
        if turn.replaces_last {
            // From the last question on: its answer and citations go with it (cascade).
            tx.execute(
                "DELETE FROM messages WHERE conversation_id = ?1 AND id >=
                   (SELECT MAX(id) FROM messages WHERE conversation_id = ?1 AND role = 'user')",
                [conversation],
            )
            .map_err(fail)?;
        }
        tx.execute(
            "INSERT INTO messages (conversation_id, role, content, prompt_content, created_at)
             VALUES (?1, 'user', ?2, ?3, ?4)",
            params![conversation, turn.question, turn.prompt_content, at],
        )
        .map_err(fail)?;
        tx.execute(
            "INSERT INTO messages (conversation_id, role, content, model, stats, grounding, created_at)
             VALUES (?1, 'assistant', ?2, ?3, ?4, ?5, ?6)",
            params![
                conversation,
                turn.answer,
                turn.model,
                turn.stats.to_string(),
                serde_json::to_string(turn.grounding).unwrap_or_default(),
                at
            ],
        )
        .map_err(fail)?;
        let answer_id = tx.last_insert_rowid();
        for source in turn.sources {
            tx.execute(
                "INSERT INTO citations
                   (message_id, n, path, line_start, line_end, page, heading, chunk_id, cited,
                    matched)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    answer_id,
                    source.n as i64,
                    source.path.to_string_lossy(),
                    source.line_start,
                    source.line_end,
                    source.page,
                    source.heading,
                    source.chunk_id,
                    source.cited,
                    source.matched,
                ],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(answer_id)
    }

    /// The messages of `conversation`, oldest first, answers with their sources.
    pub fn messages(&self, conversation: ConversationId) -> Result<Vec<StoredMessage>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT id, role, content, prompt_content, model, stats, created_at, grounding
                 FROM messages WHERE conversation_id = ?1 ORDER BY id",
            )
            .map_err(self.fail())?;
        let rows = statement
            .query_map([conversation], |row| {
                let role: String = row.get(1)?;
                let stats: Option<String> = row.get(5)?;
                let grounding: Option<String> = row.get(7)?;
                Ok(StoredMessage {
                    id: row.get(0)?,
                    speaker: if role == "user" {
                        Speaker::User
                    } else {
                        Speaker::Assistant
                    },
                    content: row.get(2)?,
                    prompt_content: row.get(3)?,
                    model: row.get(4)?,
                    sources: Vec::new(),
                    stats: stats.and_then(|s| serde_json::from_str(&s).ok()),
                    grounding: grounding
                        .and_then(|g| serde_json::from_str(&g).ok())
                        .unwrap_or_default(),
                    created_at: row.get(6)?,
                })
            })
            .map_err(self.fail())?;
        let mut messages = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.fail())?;
        for message in &mut messages {
            if message.speaker == Speaker::Assistant {
                message.sources = self.sources(message.id)?;
            }
        }
        Ok(messages)
    }

    fn sources(&self, message_id: i64) -> Result<Vec<Source>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT n, path, line_start, line_end, page, heading, chunk_id, cited, matched
                 FROM citations WHERE message_id = ?1 ORDER BY n",
            )
            .map_err(self.fail())?;
        let rows = statement
            .query_map([message_id], |row| {
                Ok(Source {
                    n: row.get::<_, i64>(0)?.max(0) as usize,
                    path: PathBuf::from(row.get::<_, String>(1)?),
                    line_start: row.get(2)?,
                    line_end: row.get(3)?,
                    page: row.get(4)?,
                    heading: row.get(5)?,
                    chunk_id: row.get(6)?,
                    cited: row.get(7)?,
                    matched: row.get(8)?,
                })
            })
            .map_err(self.fail())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.fail())
    }

    /// A setting, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(self.fail())
    }

    /// Sets (or with `None` clears) a setting.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(value) => self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            ),
            None => self
                .conn
                .execute("DELETE FROM settings WHERE key = ?1", [key]),
        }
        .map_err(self.fail())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(n: usize, cited: bool) -> Source {
        Source {
            n,
            path: PathBuf::from(format!("/docs/{n}.md")),
            line_start: n as u32,
            line_end: n as u32 + 4,
            page: (n == 2).then_some(7),
            heading: format!("H{n}"),
            chunk_id: Some(n as i64 * 10),
            cited,
            matched: !cited && n == 2,
        }
    }

    #[test]
    fn a_turn_round_trips_through_a_file_and_survives_reopening() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::Io {
            path: PathBuf::from("tempdir"),
            source: e,
        })?;
        let path = dir.path().join("assistant.sqlite3");
        let sources = [source(1, true), source(2, false)];
        let evidence = ledge_ground::Evidence::new(vec![ledge_ground::SourcePassage {
            n: 2,
            text: "The plan is to ship X in May.".to_owned(),
            heading: String::new(),
            first_line: 3,
            page: None,
        }]);
        let sentences = vec![evidence.check_sentence("The plan is to ship X in May.")];
        let grounding = Grounding {
            quotes: evidence.quotes("What is the plan?", Default::default()),
            support: crate::grounding::SupportSummary::of(&sentences),
            sentences,
        };
        assert_eq!(grounding.quotes.len(), 1);
        assert_eq!(grounding.sentences[0].matched, Some(2));
        let id = {
            let mut store = Store::open(&path)?;
            let id = store.create_conversation("What is the plan?\nmore")?;
            store.save_turn(
                id,
                &Turn {
                    question: "What is the plan?",
                    prompt_content: "Sources ... Question: What is the plan?",
                    answer: "The plan is X [1].",
                    model: "smollm2",
                    sources: &sources,
                    stats: serde_json::json!({"prompt_tokens": 12}),
                    grounding: &grounding,
                    replaces_last: false,
                },
            )?;
            id
        };
        let store = Store::open(&path)?;
        let conversation = store
            .conversation(id)?
            .ok_or(Error::NoSuchConversation { id })?;
        assert_eq!(conversation.title, "What is the plan?");
        let messages = store.messages(id)?;
        assert_eq!(messages.len(), 2);
        assert_eq!(store.message_counts()?.get(&id), Some(&2));
        assert_eq!(messages[0].speaker, Speaker::User);
        assert_eq!(
            messages[0].prompt_content.as_deref(),
            Some("Sources ... Question: What is the plan?")
        );
        assert_eq!(messages[1].content, "The plan is X [1].");
        assert_eq!(messages[1].sources, sources);
        assert_eq!(
            messages[1].stats,
            Some(serde_json::json!({"prompt_tokens": 12}))
        );
        assert_eq!(messages[1].grounding, grounding);
        assert_eq!(messages[0].grounding, Grounding::default());
        Ok(())
    }

    #[test]
    fn a_regenerated_answer_replaces_only_the_last_turn() -> Result<()> {
        let mut store = Store::in_memory()?;
        let id = store.create_conversation("first")?;
        let other = store.create_conversation("other")?;
        let empty = Grounding::default();
        let turn = |question: &'static str, answer: &'static str, replaces_last: bool| Turn {
            question,
            prompt_content: question,
            answer,
            model: "m",
            sources: &[],
            stats: serde_json::Value::Null,
            grounding: &empty,
            replaces_last,
        };
        store.save_turn(id, &turn("first", "one", false))?;
        store.save_turn(other, &turn("elsewhere", "kept", false))?;
        store.save_turn(id, &turn("second", "two", false))?;
        store.save_turn(
            id,
            &Turn {
                sources: &[source(1, true)],
                ..turn("second", "two, again", true)
            },
        )?;
        let texts: Vec<String> = store.messages(id)?.into_iter().map(|m| m.content).collect();
        assert_eq!(texts, ["first", "one", "second", "two, again"]);
        assert_eq!(store.messages(other)?.len(), 2);
        let citations: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM citations", [], |r| r.get(0))
            .map_err(store.fail())?;
        assert_eq!(citations, 1);
        // Replacing in an empty conversation just saves the turn.
        let empty = store.create_conversation("new")?;
        store.save_turn(empty, &turn("new", "answer", true))?;
        assert_eq!(store.messages(empty)?.len(), 2);
        Ok(())
    }

    #[test]
    fn deleting_a_conversation_deletes_its_messages_and_citations() -> Result<()> {
        let mut store = Store::in_memory()?;
        let id = store.create_conversation("q")?;
        let turn = Turn {
            question: "q",
            prompt_content: "q",
            answer: "a",
            model: "m",
            sources: &[source(1, true)],
            stats: serde_json::Value::Null,
            grounding: &Grounding::default(),
            replaces_last: false,
        };
        store.save_turn(id, &turn)?;
        store.delete_conversation(id)?;
        assert!(store.conversation(id)?.is_none());
        let left: i64 = store
            .conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM messages) + (SELECT COUNT(*) FROM citations)",
                [],
                |r| r.get(0),
            )
            .map_err(store.fail())?;
        assert_eq!(left, 0);
        assert!(matches!(
            store.save_turn(id, &turn),
            Err(Error::NoSuchConversation { .. })
        ));
        Ok(())
    }

    #[test]
    fn settings_set_replace_and_clear() -> Result<()> {
        let store = Store::in_memory()?;
        assert_eq!(store.setting("default_model")?, None);
        store.set_setting("default_model", Some("a"))?;
        store.set_setting("default_model", Some("b"))?;
        assert_eq!(store.setting("default_model")?.as_deref(), Some("b"));
        store.set_setting("default_model", None)?;
        assert_eq!(store.setting("default_model")?, None);
        Ok(())
    }

    #[test]
    fn titles_are_the_first_line_shortened() {
        assert_eq!(title_of("\n  hello there \nsecond"), "hello there");
        let long = "word ".repeat(40);
        let title = title_of(&long);
        assert!(title.ends_with('…'));
        assert!(title.chars().count() <= 81);
    }
}
