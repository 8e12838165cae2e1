//! The macOS app bundle's settings, checked on every platform: `Info.plist` (merged by Tauri
//! into the bundle's own) and the macOS parts of `tauri.conf.json`. A mistake here shows only
//! on a Mac (a Dock icon flashing at launch, `ledge://` links going nowhere, folder prompts
//! without a reason, a popup missing over full-screen apps), so it is caught here instead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::path::{Path, PathBuf};

use ledge_build::TargetOs;
use ledge_desktop::LaunchRequest;
use ledge_desktop::launch::URL_SCHEME;
use plist::{Dictionary, Value};

fn info_plist() -> Dictionary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Info.plist");
    Value::from_file(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_dictionary()
        .expect("Info.plist's root is a dictionary")
}

fn tauri_conf() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tauri.conf.json");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn ledge_is_a_menu_bar_app_without_a_dock_icon() {
    assert_eq!(
        info_plist().get("LSUIElement").and_then(Value::as_boolean),
        Some(true)
    );
}

#[test]
fn ledge_links_are_routed_to_the_app() {
    let plist = info_plist();
    let url_types = plist
        .get("CFBundleURLTypes")
        .and_then(Value::as_array)
        .expect("CFBundleURLTypes is an array");
    let schemes: Vec<&str> = url_types
        .iter()
        .filter_map(Value::as_dictionary)
        .filter_map(|url_type| url_type.get("CFBundleURLSchemes")?.as_array())
        .flatten()
        .filter_map(Value::as_string)
        .collect();
    assert_eq!(schemes, [URL_SCHEME]);
    // The links the Quick Action opens use this scheme, and the app reads them back.
    let link = LaunchRequest::ask_url(&[PathBuf::from("/Users/me/notes.md")], None);
    assert!(link.starts_with(&format!("{}://", schemes[0])), "{link}");
    let request = LaunchRequest::from_url(&link).unwrap();
    assert_eq!(request.files, [PathBuf::from("/Users/me/notes.md")]);

    let name = url_types[0]
        .as_dictionary()
        .and_then(|url_type| url_type.get("CFBundleURLName"))
        .and_then(Value::as_string);
    assert_eq!(name, tauri_conf()["identifier"].as_str());
}

#[test]
fn the_folder_prompts_say_why_ledge_reads_them() {
    let plist = info_plist();
    for key in [
        "NSDocumentsFolderUsageDescription",
        "NSDesktopFolderUsageDescription",
        "NSDownloadsFolderUsageDescription",
    ] {
        let text = plist.get(key).and_then(Value::as_string).unwrap_or("");
        assert!(
            text.starts_with("Ledge ") && text.len() > 40,
            "{key}: {text:?}"
        );
    }
}

#[test]
fn the_bundle_needs_the_macos_that_mlx_needs() {
    // MLX's Metal build (and the PyPI mlx-metal wheel) requires macOS 14.0.
    assert_eq!(
        tauri_conf()["bundle"]["macOS"]["minimumSystemVersion"].as_str(),
        Some("14.0")
    );
}

#[test]
fn the_popup_shows_on_every_space_and_over_full_screen_apps() {
    let conf = tauri_conf();
    let windows = conf["app"]["windows"].as_array().unwrap();
    let popup = windows
        .iter()
        .find(|window| window["label"] == "popup")
        .expect("a popup window");
    assert_eq!(popup["visibleOnAllWorkspaces"], true);
    assert_eq!(popup["alwaysOnTop"], true);
}

#[test]
fn the_bundle_carries_mlx_where_the_executable_looks_for_it() {
    // What ledge-build's rpaths expect in Contents/Frameworks (libmlx.dylib, and mlx.metallib
    // beside it), copied from the mlx-metal wheel that scripts/setup.sh unpacks.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected = ledge_build::bundle_files(TargetOs::MacOs, &manifest_dir.join("../.deps"));
    let conf = tauri_conf();
    let files = conf["bundle"]["macOS"]["files"]
        .as_object()
        .expect("bundle.macOS.files");
    assert_eq!(files.len(), expected.len(), "{files:?}");
    for file in expected {
        let destination = file.destination.to_str().unwrap();
        let source = files
            .get(destination)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_else(|| panic!("bundle.macOS.files lacks {destination}"));
        assert_eq!(manifest_dir.join(source), file.source, "{destination}");
    }
}
