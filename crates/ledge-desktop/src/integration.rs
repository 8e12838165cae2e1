//! "Ask about this file" in the file manager, and the `ledge://` link handler, on Linux.
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
//! single-instance plugin ([`crate::launch`]). On macOS the equivalent is a Finder Quick
//! Action, not written by this module yet.

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

/// Writes the integration files for `exe` under `data_home` (`$XDG_DATA_HOME`, usually
/// `~/.local/share`); returns the files written (unchanged ones are left alone). A file of
/// the same name that Ledge did not write is never overwritten: that is an error.
pub fn install(data_home: &Path, exe: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for file in linux_files(exe) {
        let path = data_home.join(&file.relative);
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
    let mut removed = Vec::new();
    for file in linux_files(Path::new("ledge-app")) {
        let path = data_home.join(&file.relative);
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
