//! The Ledge desktop app: a Tauri v2 shell over `ledge-desktop`.
//!
//! It only translates: Tauri commands and events to [`Session`] calls (`commands`), the tray
//! menu and the global hotkey to window actions (`shell`), start arguments and forwarded
//! second starts to [`LaunchRequest`]s. All behaviour lives in `ledge-desktop` and the core
//! crates, testable without a window.
//!
//! Platform notes: on macOS the app is an accessory (menu bar only, no Dock icon) with a
//! template tray icon; on Linux the tray goes through AppIndicator (a desktop without a
//! StatusNotifier host, such as bare Xvfb, shows no tray; the app still runs and the hotkey
//! and `ledge-app --popup|--chat|--settings` reach it). `ledge-app --mcp` serves Ledge's MCP
//! tools on stdio instead of starting the app, so an MCP client needs no separate `ledge`
//! command.

#![cfg_attr(
    all(not(debug_assertions), target_os = "windows"),
    windows_subsystem = "windows"
)]

mod commands;
mod shell;

use std::env;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use ledge_core::{AssistantSettings, DataDir};
use ledge_desktop::{Events, IndexingState, LaunchRequest, ModelState, Session, SessionConfig};
use tauri::{AppHandle, Emitter, Manager};

/// Sends the session's state changes to every window (and the tray's status line).
struct TauriEvents {
    app: AppHandle,
}

impl Events for TauriEvents {
    fn indexing(&self, state: &IndexingState) {
        shell::set_tray_status(&self.app, &state.summary(), state.paused);
        let _ = self.app.emit("indexing", state);
    }

    fn model(&self, state: &ModelState) {
        let _ = self.app.emit("model-state", state);
    }
}

fn data_dir() -> anyhow::Result<DataDir> {
    DataDir::resolve(env::var_os("LEDGE_HOME"), dirs::data_dir())
        .context("cannot open Ledge's data folder")
}

fn extra_model_dirs() -> Vec<PathBuf> {
    env::var_os("LEDGE_MODEL_PATH")
        .map(|value| {
            env::split_paths(&value)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEDGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(ledge_core::DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    ledge_core::log_parser_panics();
}

/// The argument that makes the app's binary an MCP server on stdio (what Settings tells a
/// person to put in an MCP client's configuration).
const MCP_FLAG: &str = "--mcp";

/// The same allocator as the CLI, for the same reason: background indexing must give its
/// memory back (see crates/ledge-cli/src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps mimalloc off transparent huge pages in the app, which stays open all day.
///
/// On Linux mimalloc commits its arenas eagerly and otherwise lets the kernel back them with
/// 2 MiB pages, which then stay resident: about 15 MB of the idle app (BENCHMARKS.md,
/// "Desktop app"), for no gain in speed (indexing the Python manual took the same time).
/// mimalloc reads `MIMALLOC_ALLOW_THP` once, when it starts, in its own constructor before
/// `main`: this entry of `.init_array` carries a priority, so it runs before mimalloc's
/// (which has none), and sets the variable unless the person set it. It allocates nothing,
/// since Rust's allocator is the one not yet started.
#[cfg(target_os = "linux")]
mod allocator_options {
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Whether the app set the variable (and so removes it again before starting anything).
    static SET_HERE: AtomicBool = AtomicBool::new(false);

    #[used]
    #[unsafe(link_section = ".init_array.00100")]
    static SET_BEFORE_MIMALLOC_STARTS: extern "C" fn() = set;

    extern "C" fn set() {
        let name = c"MIMALLOC_ALLOW_THP";
        // SAFETY: runs before `main`, on the only thread; both strings are static and
        // NUL-terminated, and glibc's `setenv` copies them with its own allocator.
        unsafe {
            if libc::getenv(name.as_ptr()).is_null() {
                libc::setenv(name.as_ptr(), c"0".as_ptr(), 0);
                SET_HERE.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Removes the variable the app set, so that programs it starts (a file opened in its
    /// application) do not inherit it. Call first thing in `main`, while it is the only
    /// thread.
    pub(crate) fn forget() {
        if SET_HERE.load(Ordering::Relaxed) {
            // SAFETY: called at the start of `main`, before any other thread exists.
            unsafe { std::env::remove_var("MIMALLOC_ALLOW_THP") };
        }
    }
}

fn main() -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    allocator_options::forget();
    init_logging();
    let args: Vec<String> = env::args().skip(1).collect();
    // An MCP client launched the app's binary to reach Ledge's tools over stdio: serve them
    // and exit, without a window and without handing over to the running app.
    if args.first().map(String::as_str) == Some(MCP_FLAG) {
        let options = ledge_core::OpenOptions {
            embedder: ledge_core::EmbedderChoice::Auto,
            ..ledge_core::OpenOptions::default()
        };
        ledge_mcp::run_stdio(&data_dir()?, extra_model_dirs(), options)?;
        return Ok(());
    }
    let cwd = env::current_dir().unwrap_or_default();
    // Bad arguments are reported before anything starts.
    let first_launch = LaunchRequest::from_args(&args, &cwd)?;
    let data_dir = data_dir()?;

    tauri::Builder::default()
        // First: a second start hands its arguments to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            let args: Vec<String> = argv.into_iter().skip(1).collect();
            match LaunchRequest::from_args(&args, std::path::Path::new(&cwd)) {
                Ok(request) => shell::handle_launch(app, &request),
                Err(error) => shell::show_error(app, &error.to_string()),
            }
        }))
        .plugin(shell::hotkey_plugin())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(commands::handler())
        .setup(move |app| {
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);

            let events = Arc::new(TauriEvents {
                app: app.handle().clone(),
            });
            let session = Session::open(
                SessionConfig {
                    data_dir,
                    extra_model_dirs: extra_model_dirs(),
                    settings: AssistantSettings::default(),
                },
                events,
            )?;
            app.manage(session.clone());
            shell::create_tray(app.handle())?;
            shell::register_saved_hotkey(app.handle(), &session);
            shell::install_desktop_integration();
            shell::watch_popup_focus(app.handle());
            // Load the model now, so the first question does not wait for it.
            session.load_model();
            if !session.onboarded().unwrap_or(true) {
                shell::show_main(app.handle(), "welcome", None);
            }
            shell::handle_launch(app.handle(), &first_launch);
            Ok(())
        })
        .build(tauri::generate_context!())
        .context("cannot start the desktop app")?
        .run(|app, event| {
            // Closing the last window keeps Ledge in the menu bar / tray.
            if let tauri::RunEvent::ExitRequested { api, code, .. } = &event
                && code.is_none()
            {
                api.prevent_exit();
            }
            #[cfg(target_os = "macos")]
            if let tauri::RunEvent::Opened { urls } = &event {
                for url in urls {
                    match LaunchRequest::from_url(url.as_str()) {
                        Ok(request) => shell::handle_launch(app, &request),
                        Err(error) => shell::show_error(app, &error.to_string()),
                    }
                }
            }
            let _ = app;
        });
    Ok(())
}
