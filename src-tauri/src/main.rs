//! The Ledge desktop app: a Tauri v2 shell (menu-bar/tray icon, hotkey popup, chat window,
//! "Ask about this file") over `ledge-core`.
//!
//! Not built yet: the shell arrives with the desktop-app work. Until then this binary only
//! says so, and the `ledge` command line is the way to run Ledge.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "The Ledge desktop app is not built yet; use the `ledge` command (try `ledge doctor`)."
    );
    ExitCode::from(2)
}
