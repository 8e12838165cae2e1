//! The Linux desktop files (valid by freedesktop's own validator) and the macOS Finder Quick
//! Action (valid property lists by Python's plistlib), pointing at the binary,
//! and never overwriting or removing what Ledge did not write.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use ledge_desktop::integration::{
    QUICK_ACTION_TITLE, exec_quote, install, install_macos, linux_files, uninstall, uninstall_macos,
};

fn validator() -> Option<&'static str> {
    Command::new("desktop-file-validate")
        .arg("--help")
        .output()
        .ok()
        .map(|_| "desktop-file-validate")
}

#[test]
fn desktop_entries_pass_freedesktops_validator() {
    let Some(validate) = validator() else {
        // Missing on Linux is a set-up mistake; elsewhere the tool does not exist.
        if cfg!(target_os = "linux") {
            panic!("desktop-file-validate missing: run `scripts/setup.sh system`");
        }
        eprintln!("skipped: desktop-file-validate, freedesktop's validator, is a Linux tool");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    // A path with the characters the Exec quoting rules are about.
    let exe = home.path().join("Apps $HOME/it's \"ledge\"/ledge-app");
    let written = install(home.path(), &exe).unwrap();
    assert_eq!(written.len(), linux_files(&exe).len());
    for name in [
        "applications/ledge.desktop",
        "applications/ledge-ask.desktop",
    ] {
        let path = home.path().join(name);
        let out = Command::new(validate).arg(&path).output().unwrap();
        let messages = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !messages.contains("error"),
            "{name}: {messages}"
        );
    }
    let app = std::fs::read_to_string(home.path().join("applications/ledge.desktop")).unwrap();
    assert!(app.contains("MimeType=x-scheme-handler/ledge;"));
    assert!(app.contains(&format!("Exec={} %U", exec_quote(&exe.to_string_lossy()))));
}

#[test]
fn exec_quoting_follows_the_desktop_entry_rules() {
    // The spec: quote, backslash before " ` $ \, then the string escapes double backslashes.
    assert_eq!(exec_quote("/usr/bin/ledge-app"), "\"/usr/bin/ledge-app\"");
    assert_eq!(exec_quote("/a b/$x"), r#""/a b/\\$x""#);
    assert_eq!(exec_quote(r#"/q"/t`"#), r#""/q\\"/t\\`""#);
    assert_eq!(exec_quote(r"/back\slash"), r#""/back\\\\slash""#);
    assert_eq!(exec_quote("/100%"), "\"/100%%\"");
}

#[test]
fn file_manager_actions_run_the_binary_with_the_selection() {
    let home = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    // A stand-in for the app that records its arguments, run through the Nautilus script.
    let exe = bin.path().join("ledge app");
    let log = bin.path().join("args.txt");
    std::fs::write(
        &exe,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    install(home.path(), &exe).unwrap();
    let script = home
        .path()
        .join("nautilus/scripts/Ask Ledge about this file");
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "Nautilus scripts must be executable");
    let dolphin = home.path().join("kio/servicemenus/ledge-ask.desktop");
    assert_eq!(
        std::fs::metadata(&dolphin).unwrap().permissions().mode() & 0o111,
        0o111,
        "Dolphin (KF6) only loads executable service menus"
    );
    let status = Command::new(&script)
        .args(["/tmp/a file.pdf", "/tmp/it's.md"])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "/tmp/a file.pdf\n/tmp/it's.md\n"
    );
}

#[test]
fn install_is_idempotent_and_never_touches_files_it_did_not_write() {
    let home = tempfile::tempdir().unwrap();
    let exe = Path::new("/opt/ledge/ledge-app");
    assert!(!install(home.path(), exe).unwrap().is_empty());
    assert!(
        install(home.path(), exe).unwrap().is_empty(),
        "unchanged files are not rewritten"
    );
    // The binary moved: the files follow it.
    let moved = install(home.path(), Path::new("/usr/bin/ledge-app")).unwrap();
    assert!(!moved.is_empty());

    let theirs = home.path().join("applications/ledge-ask.desktop");
    std::fs::write(&theirs, "[Desktop Entry]\nName=Someone else's\n").unwrap();
    let error = install(home.path(), exe).unwrap_err();
    assert!(
        error.to_string().contains("not written by Ledge"),
        "{error}"
    );
    assert_eq!(
        std::fs::read_to_string(&theirs).unwrap(),
        "[Desktop Entry]\nName=Someone else's\n"
    );

    let removed = uninstall(home.path()).unwrap();
    assert!(
        theirs.exists(),
        "uninstall removed a file Ledge did not write"
    );
    assert!(!home.path().join("applications/ledge.desktop").exists());
    assert_eq!(removed.len(), linux_files(exe).len() - 1);
}

/// Reads a property list with Python's own `plistlib` (an independent parser) as JSON.
fn read_plist(path: &Path) -> serde_json::Value {
    let script = "import json, plistlib, sys\n\
                  with open(sys.argv[1], 'rb') as f:\n    data = plistlib.load(f)\n\
                  print(json.dumps(data, default=str))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} is not a valid property list: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_finder_quick_action_is_a_valid_workflow_that_runs_the_binary_with_the_selection() {
    let services = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    // A path with what XML and the shell both care about.
    let exe = bin.path().join("Ledge & Co's <app>/ledge-app");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    let record = bin.path().join("args");
    std::fs::write(
        &exe,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();

    let written = install_macos(services.path(), &exe).unwrap();
    assert_eq!(written.len(), 2);
    let contents = services.path().join("Ask Ledge.workflow/Contents");
    let info = read_plist(&contents.join("Info.plist"));
    let service = &info["NSServices"][0];
    assert_eq!(service["NSMenuItem"]["default"], QUICK_ACTION_TITLE);
    assert_eq!(service["NSMessage"], "runWorkflowAsService");
    assert_eq!(
        service["NSRequiredContext"]["NSApplicationIdentifier"],
        "com.apple.finder"
    );
    assert_eq!(service["NSSendFileTypes"][0], "public.item");

    let workflow = read_plist(&contents.join("document.wflow"));
    assert_eq!(
        workflow["workflowMetaData"]["workflowTypeIdentifier"],
        "com.apple.Automator.servicesMenu"
    );
    assert_eq!(
        workflow["workflowMetaData"]["serviceInputTypeIdentifier"],
        "com.apple.Automator.fileSystemObject"
    );
    let action = &workflow["actions"][0]["action"];
    assert_eq!(action["BundleIdentifier"], "com.apple.RunShellScript");
    let parameters = &action["ActionParameters"];
    assert_eq!(
        parameters["inputMethod"], 1,
        "the files arrive as arguments"
    );
    assert_eq!(parameters["shell"], "/bin/sh");

    // The script, as the parser read it back, runs the binary with the selected files.
    let script = parameters["COMMAND_STRING"].as_str().unwrap();
    let status = Command::new("/bin/sh")
        .args([
            "-c",
            script,
            "sh",
            "/Users/maria/Q3 plan.pdf",
            "/Users/maria/it's.md",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        "/Users/maria/Q3 plan.pdf\n/Users/maria/it's.md\n"
    );

    // Again: nothing to write. Uninstalled: the bundle is gone.
    assert!(install_macos(services.path(), &exe).unwrap().is_empty());
    assert_eq!(uninstall_macos(services.path()).unwrap().len(), 2);
    assert!(!services.path().join("Ask Ledge.workflow").exists());
}

#[test]
fn an_installed_apps_quick_action_goes_through_launch_services_with_a_ledge_link() {
    let services = tempfile::tempdir().unwrap();
    let apps = tempfile::tempdir().unwrap();
    let bundle = apps.path().join("Ledge & Co's.app");
    let exe = bundle.join("Contents/MacOS/ledge-app");
    // `open` as LaunchServices' command line: here a stand-in that records its arguments.
    let bin = tempfile::tempdir().unwrap();
    let record = bin.path().join("open-args");
    let open = bin.path().join("open");
    std::fs::write(
        &open,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();

    install_macos(services.path(), &exe).unwrap();
    let workflow = read_plist(
        &services
            .path()
            .join("Ask Ledge.workflow/Contents/document.wflow"),
    );
    let script = workflow["actions"][0]["action"]["ActionParameters"]["COMMAND_STRING"]
        .as_str()
        .unwrap();
    // Names with what URLs, XML and the shell care about, and more than ASCII.
    let files = [
        "/Users/maria/Q3 plan & budget?.pdf",
        "/Users/maria/it's #1 100%.md",
        "/Users/maria/Résumé – 東京.txt",
    ];
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let status = Command::new("/bin/sh")
        .env("PATH", path)
        .args(["-c", script, "sh"])
        .args(files)
        .status()
        .unwrap();
    assert!(status.success());
    let recorded = std::fs::read_to_string(&record).unwrap();
    let arguments: Vec<&str> = recorded.lines().collect();
    assert_eq!(arguments.len(), 3, "{arguments:?}");
    assert_eq!(arguments[0], "-a");
    assert_eq!(Path::new(arguments[1]), bundle);
    // The app reads the link back into the same files (RunEvent::Opened on macOS).
    let request = ledge_desktop::LaunchRequest::from_url(arguments[2]).unwrap();
    let expected: Vec<std::path::PathBuf> = files.iter().map(std::path::PathBuf::from).collect();
    assert_eq!(request.files, expected, "{}", arguments[2]);
    assert!(
        arguments[2].starts_with("ledge://ask?file=%2f"),
        "{}",
        arguments[2]
    );
}
