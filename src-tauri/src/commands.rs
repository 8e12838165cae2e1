//! The Tauri commands the UI invokes (the IPC contract in `ui/src/ipc.ts`): each parses its
//! arguments, calls the [`Session`] and turns errors into the message the UI shows.
//! Commands that may block (the index, dialogs, imports) are `async`, so Tauri runs them off
//! the main thread.

use std::path::{Path, PathBuf};

use ledge_core::AskRequest;
use ledge_core::backend::manage::NewBackend;
use ledge_desktop::open_at::{DefaultApps, Location};
use ledge_desktop::view::{
    AddedBackendView, AppState, BackendTestView, BackendsView, CatalogModelView,
    ConversationSummary, FolderView, McpSetupView, MessageView, ModelView, SearchHitView,
};
use ledge_desktop::{AskEvent, Session};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::shell;

/// What a failed command sends the UI: the error in words.
type CommandResult<T> = Result<T, String>;

fn words(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// Every command, for `invoke_handler`.
pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_state,
        ask,
        stop_answer,
        search,
        conversations,
        conversation,
        delete_conversation,
        open_source,
        reveal_file,
        folders,
        add_folder,
        remove_folder,
        set_folder_exclusions,
        pause_indexing,
        resume_indexing,
        pick_folder,
        pick_files,
        models,
        set_default_model,
        import_model,
        download_model,
        catalog,
        mcp_setup,
        cancel_download,
        set_hotkey,
        set_launch_at_login,
        complete_onboarding,
        forget_everything,
        show_chat,
        show_settings,
        hide_popup,
        backends,
        add_backend,
        remove_backend,
        set_default_backend,
        test_backend,
        conversation_backend,
        set_conversation_backend,
    ]
}

#[tauri::command]
async fn app_state(app: AppHandle, session: State<'_, Session>) -> CommandResult<AppState> {
    let chat_model = session.chat_model_entry().ok().flatten().map(|e| e.name);
    let embedder = session.embedder_entry().ok().flatten().map(|e| e.name);
    let hotkey_problem = app
        .try_state::<shell::HotkeyProblem>()
        .and_then(|p| p.0.lock().ok().and_then(|p| p.clone()));
    Ok(AppState {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        platform: std::env::consts::OS,
        data_dir: session.data_dir().root().display().to_string(),
        onboarded: session.onboarded().map_err(words)?,
        chat_model,
        embedder,
        model: session.model_state(),
        hotkey: session.hotkey().map_err(words)?,
        hotkey_problem,
        launch_at_login: app.autolaunch().is_enabled().unwrap_or(false),
        indexing: session.indexing(),
    })
}

#[tauri::command]
fn ask(
    session: State<'_, Session>,
    question: String,
    conversation_id: Option<i64>,
    files: Vec<String>,
    backend: Option<String>,
    replace_last: Option<bool>,
    on_event: Channel<AskEvent>,
) -> CommandResult<u64> {
    let request = AskRequest {
        question,
        conversation: conversation_id,
        files: files.into_iter().map(PathBuf::from).collect(),
        backend,
        replace_last: replace_last.unwrap_or(false),
        ..AskRequest::default()
    };
    session
        .ask(
            request,
            Box::new(move |event| {
                // The window may have closed; the answer still finishes and is saved.
                let _ = on_event.send(event);
            }),
        )
        .map_err(words)
}

#[tauri::command]
fn stop_answer(session: State<'_, Session>, request_id: u64) {
    session.stop_answer(request_id);
}

#[tauri::command]
async fn search(
    session: State<'_, Session>,
    query: String,
    limit: usize,
) -> CommandResult<Vec<SearchHitView>> {
    session.search(&query, limit.clamp(1, 100)).map_err(words)
}

#[tauri::command]
async fn conversations(session: State<'_, Session>) -> CommandResult<Vec<ConversationSummary>> {
    session.conversations().map_err(words)
}

#[tauri::command]
async fn conversation(session: State<'_, Session>, id: i64) -> CommandResult<Vec<MessageView>> {
    session.conversation(id).map_err(words)
}

#[tauri::command]
async fn delete_conversation(session: State<'_, Session>, id: i64) -> CommandResult<()> {
    session.delete_conversation(id).map_err(words)
}

/// Opens a cited file in the person's default app: at the cited line or page when that app
/// takes one on its command line (see `ledge_desktop::open_at`), else at its start.
#[tauri::command]
async fn open_source(
    app: AppHandle,
    path: String,
    line: Option<u32>,
    page: Option<u32>,
) -> CommandResult<()> {
    tracing::debug!(%path, ?line, ?page, "opening a source");
    if !Path::new(&path).exists() {
        return Err(format!("{path} is no longer there"));
    }
    let location = Location { line, page };
    let opened_at =
        DefaultApps::from_env().and_then(|apps| apps.open_at(Path::new(&path), location));
    if opened_at.is_some() {
        return Ok(());
    }
    app.opener().open_path(path, None::<&str>).map_err(words)
}

#[tauri::command]
async fn reveal_file(app: AppHandle, path: String) -> CommandResult<()> {
    app.opener().reveal_item_in_dir(path).map_err(words)
}

#[tauri::command]
async fn folders(session: State<'_, Session>) -> CommandResult<Vec<FolderView>> {
    session.folders().map_err(words)
}

#[tauri::command]
async fn add_folder(session: State<'_, Session>, path: String) -> CommandResult<()> {
    session
        .add_folder(Path::new(&path))
        .map(drop)
        .map_err(words)
}

#[tauri::command]
async fn set_folder_exclusions(
    session: State<'_, Session>,
    path: String,
    patterns: Vec<String>,
) -> CommandResult<()> {
    session
        .set_folder_exclusions(Path::new(&path), patterns)
        .map_err(words)
}

#[tauri::command]
async fn remove_folder(session: State<'_, Session>, path: String) -> CommandResult<()> {
    session.remove_folder(Path::new(&path)).map_err(words)
}

#[tauri::command]
fn pause_indexing(session: State<'_, Session>) {
    session.pause_indexing();
}

#[tauri::command]
fn resume_indexing(session: State<'_, Session>) {
    session.resume_indexing();
}

#[tauri::command]
async fn pick_folder(app: AppHandle) -> CommandResult<Option<String>> {
    let picked = app.dialog().file().blocking_pick_folder();
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

#[tauri::command]
async fn pick_files(app: AppHandle) -> CommandResult<Vec<String>> {
    let picked = app
        .dialog()
        .file()
        .blocking_pick_files()
        .unwrap_or_default();
    Ok(picked
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .map(|p| p.display().to_string())
        .collect())
}

#[tauri::command]
async fn models(session: State<'_, Session>) -> CommandResult<Vec<ModelView>> {
    session.models().map_err(words)
}

/// How an MCP client launches Ledge's tools: this binary with `--mcp`, as the JSON an MCP
/// client's configuration takes.
#[tauri::command]
fn mcp_setup() -> CommandResult<McpSetupView> {
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    Ok(McpSetupView::new(&exe, &[crate::MCP_FLAG]))
}

/// The recommended models for this computer (the catalog judged for its memory).
#[tauri::command]
async fn catalog(session: State<'_, Session>) -> CommandResult<Vec<CatalogModelView>> {
    session.catalog().map_err(words)
}

#[tauri::command]
async fn set_default_model(session: State<'_, Session>, name: String) -> CommandResult<()> {
    session.set_default_model(&name).map_err(words)?;
    session.load_model();
    Ok(())
}

#[tauri::command]
async fn import_model(session: State<'_, Session>, path: String) -> CommandResult<()> {
    session.import_model(Path::new(&path)).map_err(words)?;
    Ok(())
}

#[tauri::command]
async fn set_hotkey(
    app: AppHandle,
    session: State<'_, Session>,
    hotkey: String,
) -> CommandResult<()> {
    shell::set_hotkey(&app, &hotkey)?;
    if let Some(problem) = app.try_state::<shell::HotkeyProblem>()
        && let Ok(mut problem) = problem.0.lock()
    {
        *problem = None;
    }
    session
        .set_setting(ledge_desktop::session::HOTKEY_SETTING, Some(&hotkey))
        .map_err(words)
}

/// Downloads a model from the Hugging Face hub (`HF_ENDPOINT` and `HF_TOKEN` as for the
/// CLI); progress arrives as model-state events.
#[tauri::command]
async fn download_model(
    session: State<'_, Session>,
    repo: String,
    name: Option<String>,
) -> CommandResult<()> {
    let hub = ledge_core::download::Hub::from_env();
    let name = name.filter(|n| !n.trim().is_empty());
    session
        .download_model(&hub, &repo, name)
        .map(drop)
        .map_err(words)
}

/// Stops the model download under way; its `download_model` call ends with the error.
#[tauri::command]
fn cancel_download(session: State<'_, Session>) {
    session.cancel_download();
}

#[tauri::command]
async fn set_launch_at_login(app: AppHandle, enabled: bool) -> CommandResult<()> {
    let autostart = app.autolaunch();
    if enabled {
        autostart.enable().map_err(words)
    } else {
        autostart.disable().map_err(words)
    }
}

#[tauri::command]
async fn complete_onboarding(session: State<'_, Session>) -> CommandResult<()> {
    session
        .set_setting(ledge_desktop::session::ONBOARDED_SETTING, Some("1"))
        .map_err(words)
}

#[tauri::command]
async fn forget_everything(session: State<'_, Session>) -> CommandResult<()> {
    session.forget_everything().map_err(words)
}

#[tauri::command]
fn show_chat(app: AppHandle, conversation_id: Option<i64>) {
    shell::hide_popup(&app);
    shell::show_main(&app, "chat", conversation_id);
}

#[tauri::command]
fn show_settings(app: AppHandle) {
    shell::show_main(&app, "settings", None);
}

#[tauri::command]
fn hide_popup(app: AppHandle) {
    shell::hide_popup(&app);
}

/// The backends; with `discover`, also the known servers running on this machine.
#[tauri::command]
async fn backends(session: State<'_, Session>, discover: bool) -> CommandResult<BackendsView> {
    session.backends(discover).map_err(words)
}

/// Adds an OpenAI-compatible server; `check` asks it for its models first.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // one per field of the form
async fn add_backend(
    session: State<'_, Session>,
    name: String,
    url: String,
    model: Option<String>,
    allow_public: bool,
    fallback_local: bool,
    make_default: bool,
    check: bool,
) -> CommandResult<AddedBackendView> {
    session
        .add_backend(NewBackend {
            name,
            url,
            model,
            allow_public,
            fallback_local,
            make_default,
            check,
        })
        .map_err(words)
}

#[tauri::command]
async fn remove_backend(session: State<'_, Session>, name: String) -> CommandResult<()> {
    session.remove_backend(&name).map_err(words)
}

#[tauri::command]
async fn set_default_backend(session: State<'_, Session>, name: String) -> CommandResult<()> {
    session.set_default_backend(&name).map_err(words)
}

#[tauri::command]
async fn test_backend(session: State<'_, Session>, name: String) -> CommandResult<BackendTestView> {
    session.test_backend(&name).map_err(words)
}

#[tauri::command]
async fn conversation_backend(session: State<'_, Session>, id: i64) -> CommandResult<String> {
    session.conversation_backend(id).map_err(words)
}

#[tauri::command]
async fn set_conversation_backend(
    session: State<'_, Session>,
    id: i64,
    backend: String,
) -> CommandResult<()> {
    session
        .set_conversation_backend(id, &backend)
        .map_err(words)
}
