//! Running a third-party parser on a hostile file without letting it take the indexer down.
//!
//! [`run_bounded`] runs the work on its own thread, catches a panic there (the last line of
//! defence: parsers of binary formats such as `pdf-extract` still `unwrap` on some malformed
//! input) and waits at most a time limit. A parser that overruns is *abandoned*, not killed
//! (Rust threads cannot be): its thread keeps one core busy until it ends by itself, and the
//! indexer goes on without the file. A thread that finished in time is joined before the call
//! returns. Panics still go through the process's panic hook; a program that calls
//! [`log_parser_panics`] sends those to the log instead of standard error.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Once, mpsc};
use std::time::Duration;

/// The name of every thread [`run_bounded`] starts: [`log_parser_panics`] knows them by it.
const THREAD_NAME: &str = "ledge-extract";

/// Sends the panics of parsers running under the indexer's guard to the log (`debug`, target
/// `ledge_index::bounded`) instead of the default hook's message on standard error; every
/// other panic goes to the hook that was installed before. The guard already turns such a
/// panic into a page left out of a PDF, or a file skipped as malformed with the panic's
/// message as the reason, which the person sees where skipped files are listed. Without
/// this, indexing TeX Live's manuals prints 85 `thread 'ledge-extract' panicked at ...`
/// messages (each with a backtrace under `RUST_BACKTRACE`) across the progress display.
///
/// For programs, not libraries: it replaces the process-wide panic hook. Calling it again
/// does nothing.
pub fn log_parser_panics() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(THREAD_NAME) {
                tracing::debug!(
                    message = info.payload_as_str().unwrap_or("a panic without a message"),
                    location = %info
                        .location()
                        .map_or_else(|| "unknown".to_owned(), ToString::to_string),
                    "a parser panicked (caught: the page or the file is left out)"
                );
            } else {
                previous(info);
            }
        }));
    });
}

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
        .name(THREAD_NAME.into())
        .spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(work));
            // The receiver is gone when we timed out; nobody wants the result then.
            let _ = sender.send(outcome);
        });
    let thread = match spawned {
        Ok(thread) => thread,
        Err(error) => {
            tracing::warn!(%error, "cannot start an extraction thread");
            return Err(Stopped::Panicked(format!(
                "cannot start an extraction thread: {error}"
            )));
        }
    };
    let outcome = receiver.recv_timeout(limit);
    if !matches!(outcome, Err(mpsc::RecvTimeoutError::Timeout)) {
        // It has sent (or dropped its sender) and is ending: wait the moment it takes, so
        // that only an overrunning thread outlives the call, and its memory is given back.
        let _ = thread.join();
    }
    match outcome {
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

    #[test]
    fn parser_panics_go_to_the_log_and_other_panics_to_the_hook_before() {
        use std::sync::{Arc, Mutex};
        let reached: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = Arc::clone(&reached);
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.payload_as_str().unwrap_or_default();
            if message.starts_with("probe:") {
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(message.to_owned());
            } else {
                default(info);
            }
        }));
        log_parser_panics();
        log_parser_panics(); // a second call changes nothing

        let parser = run_bounded(Duration::from_secs(5), || -> u8 { panic!("probe: parser") });
        assert_eq!(parser, Err(Stopped::Panicked("probe: parser".into())));
        let ours = std::thread::Builder::new()
            .name("ledge-scan".into())
            .spawn(|| panic!("probe: our own bug"))
            .map(|thread| thread.join().is_err());
        assert_eq!(ours.ok(), Some(true));

        let reached = reached.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(reached, ["probe: our own bug"]);
    }
}
