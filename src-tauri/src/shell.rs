//! Windows, the tray menu and the global hotkey: what a person presses, turned into window
//! actions and [`Session`] calls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ledge_desktop::{LaunchRequest, Session, Show};
use serde_json::json;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{
    AppHandle, Emitter, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder, WindowEvent,
};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

const TRAY_ID: &str = "ledge";
const POPUP: &str = "popup";
const MAIN: &str = "main";
/// The popup's size (as in tauri.conf.json).
const POPUP_WIDTH: f64 = 720.0;
const POPUP_HEIGHT: f64 = 480.0;

/// The tray menu's items whose text changes.
struct TrayItems {
    status: MenuItem<tauri::Wry>,
    pause: MenuItem<tauri::Wry>,
}

/// Why the hotkey is not working, when it is not (shown in the settings).
#[derive(Default)]
pub struct HotkeyProblem(pub Mutex<Option<String>>);

/// The global-shortcut plugin; its one shortcut toggles the popup.
pub fn hotkey_plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, shortcut, event| {
            tracing::debug!(%shortcut, state = ?event.state(), "hotkey");
            if event.state() == ShortcutState::Pressed {
                toggle_popup(app);
            }
        })
        .build()
}

/// Registers `hotkey` in place of the current one. On failure the old one stays registered
/// and the error says why (a taken combination, an unknown key).
pub fn set_hotkey(app: &AppHandle, hotkey: &str) -> Result<(), String> {
    let shortcut: Shortcut = hotkey
        .parse()
        .map_err(|e| format!("“{hotkey}” is not a key combination Ledge understands ({e})"))?;
    let shortcuts = app.global_shortcut();
    if shortcuts.is_registered(shortcut) {
        return Ok(());
    }
    let previous: Vec<Shortcut> = registered(app);
    let _ = shortcuts.unregister_all();
    if let Err(error) = shortcuts.register(shortcut) {
        for old in previous {
            let _ = shortcuts.register(old);
        }
        return Err(format!(
            "{hotkey} could not be used: another app may have taken it ({error})"
        ));
    }
    app.state::<Registered>().set(Some(shortcut));
    tracing::info!(%hotkey, "global hotkey registered");
    Ok(())
}

/// The shortcut registered now.
#[derive(Default)]
pub struct Registered(Mutex<Option<Shortcut>>);

impl Registered {
    fn set(&self, shortcut: Option<Shortcut>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = shortcut;
    }
}

fn registered(app: &AppHandle) -> Vec<Shortcut> {
    app.try_state::<Registered>()
        .and_then(|r| *r.0.lock().unwrap_or_else(PoisonError::into_inner))
        .into_iter()
        .collect()
}

/// Registers the saved (or default) hotkey at start; a failure is kept for the settings.
pub fn register_saved_hotkey(app: &AppHandle, session: &Session) {
    app.manage(Registered::default());
    app.manage(HotkeyProblem::default());
    let hotkey = session
        .hotkey()
        .unwrap_or_else(|_| ledge_desktop::DEFAULT_HOTKEY.to_owned());
    let problem = set_hotkey(app, &hotkey).err();
    if let Some(problem) = &problem {
        tracing::warn!(%problem, "global hotkey not registered");
    }
    *app.state::<HotkeyProblem>()
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = problem;
}

/// The tray icon and its menu: Ask, Open chat, status, Pause/Resume, Settings, Quit.
pub fn create_tray(app: &AppHandle) -> tauri::Result<()> {
    let ask = MenuItem::with_id(app, "ask", "Ask…", true, None::<&str>)?;
    let chat = MenuItem::with_id(app, "chat", "Open chat", true, None::<&str>)?;
    let status = MenuItem::with_id(app, "status", "Index up to date", false, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause indexing", true, None::<&str>)?;
    let settings = MenuItem::with_id(app, "settings", "Settings…", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Ledge", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &ask,
            &chat,
            &PredefinedMenuItem::separator(app)?,
            &status,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &settings,
            &quit,
        ],
    )?;
    app.manage(TrayItems {
        status,
        pause: pause.clone(),
    });

    let builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Ledge")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "ask" => show_popup(app),
            "chat" => show_main(app, "chat", None),
            "settings" => show_main(app, "settings", None),
            "pause" => {
                let session = app.state::<Session>();
                if session.indexing().paused {
                    session.resume_indexing();
                } else {
                    session.pause_indexing();
                }
            }
            "quit" => app.exit(0),
            _ => {}
        });
    // A template image on macOS (the system tints it); the coloured icon elsewhere, where
    // panels may be dark or light.
    #[cfg(target_os = "macos")]
    let builder = builder
        .icon(tauri::include_image!("../icons/tray-64.png"))
        .icon_as_template(true);
    #[cfg(not(target_os = "macos"))]
    let builder = builder.icon(tauri::include_image!("../icons/32x32.png"));
    builder.build(app)?;
    Ok(())
}

/// Updates the tray's status line and the Pause/Resume item.
pub fn set_tray_status(app: &AppHandle, status: &str, paused: bool) {
    if let Some(items) = app.try_state::<TrayItems>() {
        let _ = items.status.set_text(status);
        let _ = items.pause.set_text(if paused {
            "Resume indexing"
        } else {
            "Pause indexing"
        });
    }
}

fn window(app: &AppHandle, label: &str) -> Option<WebviewWindow> {
    let window = app.get_webview_window(label);
    if window.is_none() {
        tracing::error!(label, "window missing from tauri.conf.json");
    }
    window
}

/// Shows the popup, centred and focused, and tells it to focus its input.
pub fn show_popup(app: &AppHandle) {
    if let Some(shown) = app.try_state::<PopupShownAt>() {
        *shown.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }
    if let Some(popup) = window(app, POPUP) {
        // Before its first showing GTK reports a placeholder size, so the popup's own size
        // is set first and centring uses it.
        let _ = popup.set_size(tauri::LogicalSize::new(POPUP_WIDTH, POPUP_HEIGHT));
        let _ = popup.center();
        let _ = popup.show();
        let _ = popup.unminimize();
        let _ = popup.set_focus();
        let _ = popup.emit_to(POPUP, "popup-shown", ());
    }
}

/// Hides the popup.
pub fn hide_popup(app: &AppHandle) {
    if let Some(popup) = window(app, POPUP) {
        let _ = popup.hide();
    }
}

fn toggle_popup(app: &AppHandle) {
    let visible = window(app, POPUP)
        .and_then(|p| p.is_visible().ok())
        .unwrap_or(false);
    tracing::debug!(visible, "toggling the popup");
    if visible {
        hide_popup(app);
    } else {
        show_popup(app);
    }
}

/// The chat window's route for `view` (the UI's hash routes).
fn main_route(view: &str, conversation: Option<i64>) -> String {
    match (view, conversation) {
        ("chat", Some(id)) => format!("index.html#/chat/{id}"),
        (view, _) => format!("index.html#/{view}"),
    }
}

/// Shows the chat window at `view` (`chat`, `settings`, `welcome`).
///
/// The window exists only while it is open: it is created here on first use and destroyed
/// when closed, so an idle Ledge (tray, hotkey, popup) keeps no second web view and its
/// web process in memory.
pub fn show_main(app: &AppHandle, view: &str, conversation: Option<i64>) {
    if let Some(main) = app.get_webview_window(MAIN) {
        let _ = main.show();
        let _ = main.unminimize();
        let _ = main.set_focus();
        let _ = main.emit_to(
            MAIN,
            "navigate",
            json!({ "view": view, "conversationId": conversation }),
        );
        return;
    }
    // A new window starts at the route itself: an event sent now would arrive before
    // its page listens.
    let route = main_route(view, conversation);
    tracing::debug!(%route, "creating the chat window");
    let built = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App(route.into()))
        .title("Ledge")
        .inner_size(980.0, 680.0)
        .min_inner_size(640.0, 420.0)
        .center()
        .focused(true)
        .build();
    match built {
        Ok(main) => {
            let _ = main.set_focus();
        }
        Err(error) => tracing::error!(%error, "cannot create the chat window"),
    }
}

/// Does what a start (or a forwarded second start) asked for.
pub fn handle_launch(app: &AppHandle, request: &LaunchRequest) {
    match request.show {
        Show::Nothing => {}
        Show::Popup => show_popup(app),
        Show::Chat => show_main(app, "chat", None),
        Show::Settings => show_main(app, "settings", None),
    }
    if !request.files.is_empty() || request.question.is_some() {
        let files: Vec<String> = request
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        let _ = app.emit_to(
            POPUP,
            "pin-files",
            json!({ "files": files, "question": request.question }),
        );
    }
}

/// Tells the person something went wrong with a start argument, in the popup.
pub fn show_error(app: &AppHandle, message: &str) {
    tracing::warn!(%message, "launch request refused");
    show_popup(app);
    let _ = app.emit_to(POPUP, "launch-error", message);
}

/// When the popup was last shown: a focus loss right after showing is not the person
/// clicking elsewhere (see [`watch_popup_focus`]).
#[derive(Default)]
pub struct PopupShownAt(Mutex<Option<Instant>>);

/// How long after showing a focus loss is ignored, and how long a focus loss must last
/// before the popup hides. On X11 a key grab (the hotkey's own, pressed again to hide the
/// popup) sends focus-out and focus-in within milliseconds; a person clicking elsewhere
/// leaves the focus elsewhere.
const FOCUS_SETTLE: Duration = Duration::from_millis(300);

/// Hides the popup when it loses focus for good, like Spotlight: only after it had focus,
/// not while the focus settles after showing, and only if it is still unfocused a moment
/// later.
pub fn watch_popup_focus(app: &AppHandle) {
    let Some(popup) = window(app, POPUP) else {
        return;
    };
    app.manage(PopupShownAt::default());
    let had_focus = Arc::new(AtomicBool::new(false));
    let handle = popup.clone();
    let app = app.clone();
    popup.on_window_event(move |event| {
        let WindowEvent::Focused(focused) = event else {
            return;
        };
        tracing::debug!(focused, "popup focus");
        if *focused {
            had_focus.store(true, Ordering::Relaxed);
            return;
        }
        if !had_focus.load(Ordering::Relaxed) {
            return;
        }
        let (app, handle, had_focus) = (app.clone(), handle.clone(), Arc::clone(&had_focus));
        let _ = std::thread::Builder::new()
            .name("ledge-popup-blur".to_owned())
            .spawn(move || {
                std::thread::sleep(FOCUS_SETTLE);
                let settling = app
                    .state::<PopupShownAt>()
                    .0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_some_and(|shown| shown.elapsed() < FOCUS_SETTLE);
                let gone =
                    handle.is_visible().unwrap_or(false) && !handle.is_focused().unwrap_or(true);
                if !settling && gone {
                    tracing::debug!("popup lost the focus: hiding it");
                    had_focus.store(false, Ordering::Relaxed);
                    let _ = handle.hide();
                }
            });
    });
}

/// "Ask about this file": on Linux in file managers (with the `ledge://` handler), on macOS
/// as a Finder Quick Action; pointing at this binary (rewritten when the binary moves;
/// never over files Ledge did not write).
pub fn install_desktop_integration() {
    #[cfg(target_os = "linux")]
    {
        if std::env::var_os("LEDGE_NO_DESKTOP_INTEGRATION").is_some() {
            return;
        }
        let Some(data_home) = dirs::data_dir() else {
            return;
        };
        let exe = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(error) => {
                tracing::warn!(%error, "cannot find this program's path");
                return;
            }
        };
        match ledge_desktop::integration::install(&data_home, &exe) {
            Ok(written) if !written.is_empty() => {
                tracing::info!(files = written.len(), "desktop integration installed");
                // Best effort: make the link handler known; a desktop without these tools
                // still finds the files on its next scan.
                let _ = std::process::Command::new("update-desktop-database")
                    .arg(data_home.join("applications"))
                    .status();
                let _ = std::process::Command::new("xdg-mime")
                    .args(["default", "ledge.desktop", "x-scheme-handler/ledge"])
                    .status();
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "desktop integration not installed"),
        }
    }
    #[cfg(target_os = "macos")]
    {
        if std::env::var_os("LEDGE_NO_DESKTOP_INTEGRATION").is_some() {
            return;
        }
        let (Some(home), Ok(exe)) = (dirs::home_dir(), std::env::current_exe()) else {
            return;
        };
        let services = home.join("Library/Services");
        match ledge_desktop::integration::install_macos(&services, &exe) {
            Ok(written) if !written.is_empty() => {
                tracing::info!("Finder Quick Action installed");
                // Best effort: Finder picks new services up on its own, only later.
                let _ = std::process::Command::new("/System/Library/CoreServices/pbs")
                    .arg("-update")
                    .status();
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "Finder Quick Action not installed"),
        }
    }
}
