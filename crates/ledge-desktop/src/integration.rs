//! "Ask about this file" in the file manager: on Linux (with the `ledge://` link handler)
//! and on macOS (a Finder Quick Action).
//!
//! The app writes small files into the user's XDG data folder (`~/.local/share`), each marked
//! as Ledge's so that uninstalling removes exactly those and nothing of the user's:
//!
//! | file | what it gives |
//! |---|---|
//! | `applications/ledge.desktop` | the app in launchers, its Ask/Chat/Settings actions, the `ledge://` handler |
//! | `applications/ledge-ask.desktop` | "Ask Ledge" in every file manager's *Open With* list (Nautilus, Dolphin, Thunar, Nemo) for documents |
//! | `kio/servicemenus/ledge-ask.desktop` | "Ask Ledge about this file" in Dolphin's context menu |
//! | `nautilus/scripts/Ask Ledge about this file` | the same in Nautilus's *Scripts* menu |
//! | `icons/hicolor/scalable/apps/ledge.svg` | the icon they show |
//!
//! Each runs the app binary with the selected paths; a running app receives them through the
//! single-instance plugin ([`crate::launch`]).
//!
//! On macOS the same action is a Finder Quick Action (a Services workflow) the app writes into
//! `~/Library/Services` ([`macos_files`]): `Ask Ledge.workflow`, whose one "Run Shell Script"
//! step runs the app binary with the selected files. Its two property lists are generated
//! here on every platform, so the Linux tests check them with an independent plist parser;
//! whether Finder lists them is checked only on a Mac.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The line every file Ledge writes carries, so [`uninstall`] only removes its own.
const MARKER: &str = "Installed by Ledge";

/// The app icon (the same SVG the bundle uses).
const ICON_SVG: &str = include_str!("../../../icons/ledge.svg");

/// Document types offered "Open With → Ask Ledge": what the index can read.
const DOCUMENT_TYPES: &[&str] = &[
    "text/plain",
    "text/markdown",
    "text/x-markdown",
    "text/html",
    "text/csv",
    "text/x-rst",
    "text/x-tex",
    "application/pdf",
    "application/rtf",
    "application/epub+zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/json",
    "application/xml",
    "text/x-python",
    "text/rust",
    "text/x-csrc",
    "text/x-c++src",
    "application/javascript",
    "application/x-shellscript",
];

/// One file of the integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationFile {
    /// Path under the XDG data folder.
    pub relative: PathBuf,
    /// Its content.
    pub content: String,
    /// Whether it must be executable (Nautilus scripts, Dolphin service menus).
    pub executable: bool,
}

/// Quotes one argument for a desktop entry's `Exec=` key (the desktop entry spec's rules:
/// double quotes, backslash before `"`, `` ` ``, `$` and `\`, then the string escapes of
/// the file format, which double each backslash again).
pub fn exec_quote(argument: &str) -> String {
    let mut quoted = String::from("\"");
    for c in argument.chars() {
        match c {
            '"' | '`' | '$' => {
                quoted.push_str("\\\\");
                quoted.push(c);
            }
            '\\' => quoted.push_str("\\\\\\\\"),
            '%' => quoted.push_str("%%"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Quotes `argument` for a POSIX shell.
fn shell_quote(argument: &str) -> String {
    format!("'{}'", argument.replace('\'', r"'\''"))
}

/// The files that integrate the app at `exe` (the installed binary) with the desktop.
pub fn linux_files(exe: &Path) -> Vec<IntegrationFile> {
    let exe_text = exe.to_string_lossy();
    let exec = exec_quote(&exe_text);
    let app = format!(
        "[Desktop Entry]\n\
         # {MARKER}.\n\
         Type=Application\n\
         Name=Ledge\n\
         GenericName=Private assistant\n\
         Comment=Answers questions about your files, entirely on this computer\n\
         Exec={exec} %U\n\
         Icon=ledge\n\
         Terminal=false\n\
         Categories=Utility;Office;\n\
         Keywords=assistant;search;ask;documents;\n\
         MimeType=x-scheme-handler/ledge;\n\
         StartupNotify=false\n\
         StartupWMClass=ledge-app\n\
         Actions=ask;chat;settings;\n\
         \n\
         [Desktop Action ask]\n\
         Name=Ask\n\
         Exec={exec} --popup\n\
         \n\
         [Desktop Action chat]\n\
         Name=Open chat\n\
         Exec={exec} --chat\n\
         \n\
         [Desktop Action settings]\n\
         Name=Settings\n\
         Exec={exec} --settings\n"
    );
    let ask = format!(
        "[Desktop Entry]\n\
         # {MARKER}: \"Open With\" -> Ask Ledge, for documents.\n\
         Type=Application\n\
         Name=Ask Ledge\n\
         Comment=Ask Ledge about this file\n\
         Exec={exec} %F\n\
         Icon=ledge\n\
         Terminal=false\n\
         NoDisplay=true\n\
         MimeType={};\n",
        DOCUMENT_TYPES.join(";")
    );
    let dolphin = format!(
        "[Desktop Entry]\n\
         # {MARKER}.\n\
         Type=Service\n\
         MimeType=all/allfiles;\n\
         X-KDE-ServiceTypes=KonqPopupMenu/Plugin\n\
         Actions=askLedge;\n\
         \n\
         [Desktop Action askLedge]\n\
         Name=Ask Ledge about this file\n\
         Icon=ledge\n\
         Exec={exec} %F\n"
    );
    let nautilus = format!(
        "#!/bin/sh\n\
         # {MARKER}: Nautilus passes the selected files as arguments.\n\
         exec {} \"$@\"\n",
        shell_quote(&exe_text)
    );
    vec![
        IntegrationFile {
            relative: PathBuf::from("applications/ledge.desktop"),
            content: app,
            executable: false,
        },
        IntegrationFile {
            relative: PathBuf::from("applications/ledge-ask.desktop"),
            content: ask,
            executable: false,
        },
        IntegrationFile {
            relative: PathBuf::from("kio/servicemenus/ledge-ask.desktop"),
            content: dolphin,
            executable: true,
        },
        IntegrationFile {
            relative: PathBuf::from("nautilus/scripts/Ask Ledge about this file"),
            content: nautilus,
            executable: true,
        },
        IntegrationFile {
            relative: PathBuf::from("icons/hicolor/scalable/apps/ledge.svg"),
            content: format!("<!-- {MARKER}. -->\n{ICON_SVG}"),
            executable: false,
        },
    ]
}

/// Escapes text for a property list's XML.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The menu item's title in Finder's Quick Actions and Services menus.
pub const QUICK_ACTION_TITLE: &str = "Ask Ledge about This File";

/// The app bundle (`…/Ledge.app`) whose executable `exe` is, if it is one.
fn app_bundle(exe: &Path) -> Option<&Path> {
    let macos = exe.parent()?;
    let contents = macos.parent()?;
    let bundle = contents.parent()?;
    let is_app = bundle
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("app"));
    (macos.file_name()? == "MacOS" && contents.file_name()? == "Contents" && is_app)
        .then_some(bundle)
}

/// The Quick Action's shell script (`/bin/sh`; the selected files arrive as its arguments,
/// inputMethod 1). An app bundle is reached through LaunchServices with a `ledge://ask` link
/// (`open -a`), which starts the app or hands the files to the running one, so Automator's
/// runner never hosts it; each path is percent-encoded byte by byte. A bare binary (a build
/// run from the checkout) has no registered link scheme and is run directly.
fn quick_action_script(exe: &Path) -> String {
    match app_bundle(exe) {
        Some(bundle) => format!(
            "# {MARKER}: Finder passes the selected files as arguments; they reach the app as\n\
             # a {scheme}://ask link through LaunchServices.\n\
             encode() {{ printf '%s' \"$1\" | od -An -v -tx1 | tr -d ' \\n' | sed 's/../%&/g'; }}\n\
             link='{scheme}://ask'; separator='?'\n\
             for file in \"$@\"; do link=\"$link${{separator}}file=$(encode \"$file\")\"; separator='&'; done\n\
             exec open -a {} \"$link\"\n",
            shell_quote(&bundle.to_string_lossy()),
            scheme = crate::launch::URL_SCHEME,
        ),
        None => format!(
            "# {MARKER}: Finder passes the selected files as arguments.\nexec {} \"$@\"\n",
            shell_quote(&exe.to_string_lossy())
        ),
    }
}

/// The Finder Quick Action for the app at `exe`, relative to `~/Library/Services`.
pub fn macos_files(exe: &Path) -> Vec<IntegrationFile> {
    let plist_head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n";
    let info = format!(
        "{plist_head}<!-- {MARKER}. -->\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \t<key>CFBundleName</key>\n\t<string>Ask Ledge</string>\n\
         \t<key>NSServices</key>\n\
         \t<array>\n\
         \t\t<dict>\n\
         \t\t\t<key>NSBackgroundColorName</key>\n\t\t\t<string>background</string>\n\
         \t\t\t<key>NSIconName</key>\n\t\t\t<string>NSActionTemplate</string>\n\
         \t\t\t<key>NSMenuItem</key>\n\
         \t\t\t<dict>\n\t\t\t\t<key>default</key>\n\t\t\t\t<string>{}</string>\n\t\t\t</dict>\n\
         \t\t\t<key>NSMessage</key>\n\t\t\t<string>runWorkflowAsService</string>\n\
         \t\t\t<key>NSRequiredContext</key>\n\
         \t\t\t<dict>\n\t\t\t\t<key>NSApplicationIdentifier</key>\n\t\t\t\t<string>com.apple.finder</string>\n\t\t\t</dict>\n\
         \t\t\t<key>NSSendFileTypes</key>\n\t\t\t<array>\n\t\t\t\t<string>public.item</string>\n\t\t\t</array>\n\
         \t\t</dict>\n\
         \t</array>\n\
         </dict>\n\
         </plist>\n",
        xml_escape(QUICK_ACTION_TITLE)
    );
    let script = quick_action_script(exe);
    let empty = "<dict/>";
    let workflow = format!(
        "{plist_head}<!-- {MARKER}. -->\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \t<key>AMApplicationBuild</key>\n\t<string>523</string>\n\
         \t<key>AMApplicationVersion</key>\n\t<string>2.10</string>\n\
         \t<key>AMDocumentVersion</key>\n\t<string>2</string>\n\
         \t<key>actions</key>\n\
         \t<array>\n\
         \t\t<dict>\n\
         \t\t\t<key>action</key>\n\
         \t\t\t<dict>\n\
         \t\t\t\t<key>AMAccepts</key>\n\
         \t\t\t\t<dict><key>Container</key><string>List</string><key>Optional</key><true/><key>Types</key><array><string>com.apple.cocoa.string</string></array></dict>\n\
         \t\t\t\t<key>AMActionVersion</key>\n\t\t\t\t<string>2.0.3</string>\n\
         \t\t\t\t<key>AMApplication</key>\n\t\t\t\t<array><string>Automator</string></array>\n\
         \t\t\t\t<key>AMParameterProperties</key>\n\
         \t\t\t\t<dict><key>COMMAND_STRING</key>{empty}<key>CheckedForUserDefaultShell</key>{empty}<key>inputMethod</key>{empty}<key>shell</key>{empty}<key>source</key>{empty}</dict>\n\
         \t\t\t\t<key>AMProvides</key>\n\
         \t\t\t\t<dict><key>Container</key><string>List</string><key>Types</key><array><string>com.apple.cocoa.string</string></array></dict>\n\
         \t\t\t\t<key>ActionBundlePath</key>\n\t\t\t\t<string>/System/Library/Automator/Run Shell Script.action</string>\n\
         \t\t\t\t<key>ActionName</key>\n\t\t\t\t<string>Run Shell Script</string>\n\
         \t\t\t\t<key>ActionParameters</key>\n\
         \t\t\t\t<dict>\n\
         \t\t\t\t\t<key>COMMAND_STRING</key>\n\t\t\t\t\t<string>{}</string>\n\
         \t\t\t\t\t<key>CheckedForUserDefaultShell</key>\n\t\t\t\t\t<true/>\n\
         \t\t\t\t\t<key>inputMethod</key>\n\t\t\t\t\t<integer>1</integer>\n\
         \t\t\t\t\t<key>shell</key>\n\t\t\t\t\t<string>/bin/sh</string>\n\
         \t\t\t\t\t<key>source</key>\n\t\t\t\t\t<string></string>\n\
         \t\t\t\t</dict>\n\
         \t\t\t\t<key>BundleIdentifier</key>\n\t\t\t\t<string>com.apple.RunShellScript</string>\n\
         \t\t\t\t<key>CFBundleVersion</key>\n\t\t\t\t<string>2.0.3</string>\n\
         \t\t\t\t<key>CanShowSelectedItemsWhenRun</key>\n\t\t\t\t<false/>\n\
         \t\t\t\t<key>CanShowWhenRun</key>\n\t\t\t\t<true/>\n\
         \t\t\t\t<key>Category</key>\n\t\t\t\t<array><string>AMCategoryUtilities</string></array>\n\
         \t\t\t\t<key>Class Name</key>\n\t\t\t\t<string>RunShellScriptAction</string>\n\
         \t\t\t\t<key>InputUUID</key>\n\t\t\t\t<string>5D8C2A59-4D0F-4C1B-9C7E-3A1E4B6F7001</string>\n\
         \t\t\t\t<key>OutputUUID</key>\n\t\t\t\t<string>5D8C2A59-4D0F-4C1B-9C7E-3A1E4B6F7002</string>\n\
         \t\t\t\t<key>UUID</key>\n\t\t\t\t<string>5D8C2A59-4D0F-4C1B-9C7E-3A1E4B6F7003</string>\n\
         \t\t\t\t<key>UnlocalizedApplications</key>\n\t\t\t\t<array><string>Automator</string></array>\n\
         \t\t\t\t<key>isViewVisible</key>\n\t\t\t\t<integer>1</integer>\n\
         \t\t\t</dict>\n\
         \t\t\t<key>isViewVisible</key>\n\t\t\t<integer>1</integer>\n\
         \t\t</dict>\n\
         \t</array>\n\
         \t<key>connectors</key>\n\t<dict/>\n\
         \t<key>workflowMetaData</key>\n\
         \t<dict>\n\
         \t\t<key>inputTypeIdentifier</key>\n\t\t<string>com.apple.Automator.fileSystemObject</string>\n\
         \t\t<key>outputTypeIdentifier</key>\n\t\t<string>com.apple.Automator.nothing</string>\n\
         \t\t<key>presentationMode</key>\n\t\t<integer>15</integer>\n\
         \t\t<key>processesInput</key>\n\t\t<integer>0</integer>\n\
         \t\t<key>serviceApplicationBundleID</key>\n\t\t<string>com.apple.finder</string>\n\
         \t\t<key>serviceApplicationPath</key>\n\t\t<string>/System/Library/CoreServices/Finder.app</string>\n\
         \t\t<key>serviceInputTypeIdentifier</key>\n\t\t<string>com.apple.Automator.fileSystemObject</string>\n\
         \t\t<key>serviceOutputTypeIdentifier</key>\n\t\t<string>com.apple.Automator.nothing</string>\n\
         \t\t<key>serviceProcessesInput</key>\n\t\t<integer>0</integer>\n\
         \t\t<key>systemImageName</key>\n\t\t<string>NSActionTemplate</string>\n\
         \t\t<key>useAutomaticInputType</key>\n\t\t<integer>0</integer>\n\
         \t\t<key>workflowTypeIdentifier</key>\n\t\t<string>com.apple.Automator.servicesMenu</string>\n\
         \t</dict>\n\
         </dict>\n\
         </plist>\n",
        xml_escape(&script)
    );
    vec![
        IntegrationFile {
            relative: PathBuf::from("Ask Ledge.workflow/Contents/Info.plist"),
            content: info,
            executable: false,
        },
        IntegrationFile {
            relative: PathBuf::from("Ask Ledge.workflow/Contents/document.wflow"),
            content: workflow,
            executable: false,
        },
    ]
}

/// Writes the integration files for `exe` under `data_home` (`$XDG_DATA_HOME`, usually
/// `~/.local/share`); returns the files written (unchanged ones are left alone). A file of
/// the same name that Ledge did not write is never overwritten: that is an error.
pub fn install(data_home: &Path, exe: &Path) -> Result<Vec<PathBuf>> {
    install_files(data_home, linux_files(exe))
}

/// Writes the Finder Quick Action for `exe` under `services` (`~/Library/Services`), with
/// [`install`]'s rules.
pub fn install_macos(services: &Path, exe: &Path) -> Result<Vec<PathBuf>> {
    install_files(services, macos_files(exe))
}

fn install_files(root: &Path, files: Vec<IntegrationFile>) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for file in files {
        let path = root.join(&file.relative);
        match fs::read_to_string(&path) {
            Ok(existing) if existing == file.content => continue,
            Ok(existing) if !existing.contains(MARKER) => {
                return Err(Error::NotOurs { path });
            }
            _ => {}
        }
        write_atomically(&path, &file.content, file.executable)?;
        written.push(path);
    }
    Ok(written)
}

/// Removes the integration files Ledge wrote under `data_home`; returns those removed.
pub fn uninstall(data_home: &Path) -> Result<Vec<PathBuf>> {
    uninstall_files(data_home, linux_files(Path::new("ledge-app")))
}

/// Removes the Finder Quick Action Ledge wrote under `services`; returns the files removed.
pub fn uninstall_macos(services: &Path) -> Result<Vec<PathBuf>> {
    let removed = uninstall_files(services, macos_files(Path::new("ledge-app")))?;
    // The bundle's folders, once empty (a failure leaves a folder Finder ignores).
    let bundle = services.join("Ask Ledge.workflow");
    let _ = fs::remove_dir(bundle.join("Contents"));
    let _ = fs::remove_dir(&bundle);
    Ok(removed)
}

fn uninstall_files(root: &Path, files: Vec<IntegrationFile>) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for file in files {
        let path = root.join(&file.relative);
        let Ok(existing) = fs::read_to_string(&path) else {
            continue;
        };
        if existing.contains(MARKER) {
            fs::remove_file(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            removed.push(path);
        }
    }
    Ok(removed)
}

fn write_atomically(path: &Path, content: &str, executable: bool) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io)?;
    let partial = parent.join(format!(
        ".{}.partial-{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut out = fs::File::create(&partial).map_err(io)?;
    out.write_all(content.as_bytes()).map_err(io)?;
    out.sync_all().map_err(io)?;
    drop(out);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        fs::set_permissions(&partial, fs::Permissions::from_mode(mode)).map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    fs::rename(&partial, path).map_err(io)
}
