//! ledge-desktop's integration tests: launch requests, the Linux desktop files (checked by
//! `desktop-file-validate` when installed), and the session over a real index and real models.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

mod integration;
mod launch;
// The freedesktop MIME database (xdg-mime) is how Linux finds a default app.
#[cfg(target_os = "linux")]
mod open_at;
mod session;
