//! Running a third-party parser on a hostile file without letting it take the indexer down.
//!
//! [`run_bounded`] runs the work on its own thread, catches a panic there (the last line of
//! defence: parsers of binary formats such as `pdf-extract` still `unwrap` on some malformed
//! input) and waits at most a time limit. A parser that overruns is *abandoned*, not killed
//! (Rust threads cannot be): its thread keeps one core busy until it ends by itself, and the
//! indexer goes on without the file. Panics still go through the process's panic hook, so one
//! message may appear on standard error.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

/// Why bounded work produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// It panicked; the message, when the panic carried one.
    Panicked(String),
    /// It was still running when the time was up.
    TimedOut,
}

/// Runs `work` on its own thread and waits at most `limit` for it.
pub(crate) fn run_bounded<T, F>(limit: Duration, work: F) -> Result<T, Stopped>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (sender, receiver) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("ledge-extract".into())
        .spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(work));
            // The receiver is gone when we timed out; nobody wants the result then.
            let _ = sender.send(outcome);
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start an extraction thread");
        return Err(Stopped::Panicked(format!(
            "cannot start an extraction thread: {error}"
        )));
    }
    match receiver.recv_timeout(limit) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => Err(Stopped::Panicked(panic_message(payload.as_ref()))),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Stopped::TimedOut),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(Stopped::Panicked("the extraction thread vanished".into()))
        }
    }
}

/// The text of a panic payload (`panic!("...")` carries a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_panics_and_overruns() {
        assert_eq!(run_bounded(Duration::from_secs(5), || 6 * 7), Ok(42));
        let panicked = run_bounded(Duration::from_secs(5), || -> u8 { panic!("bad xref") });
        assert_eq!(panicked, Err(Stopped::Panicked("bad xref".into())));
        let slow = run_bounded(Duration::from_millis(20), || {
            std::thread::sleep(Duration::from_millis(500));
        });
        assert_eq!(slow, Err(Stopped::TimedOut));
    }
}
