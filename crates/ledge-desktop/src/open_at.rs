//! Opening a cited file at the cited line or page, in the person's own default app.
//!
//! No desktop has a standard way to say "open this at line 42" or "at page 7": each app has
//! its own command-line convention, when it has one. So Ledge finds the default app for the
//! file's type and, when it is one whose convention it knows (VS Code, GNOME Text Editor,
//! gedit, Kate, Emacs, Vim, Sublime Text, Zed, Evince, Okular, Zathura, MuPDF, browsers for
//! PDFs, ...), starts it with the location. Otherwise the shell opens the file the plain way.
//!
//! Platform code: on Linux the default app comes from the freedesktop MIME database through
//! `xdg-mime` and the app's `.desktop` entry. Elsewhere [`DefaultApps::app_for`] finds
//! nothing (macOS's LaunchServices gives no command line to extend), so files open at their
//! start through the system opener.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where in a file a citation points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Location {
    /// A 1-based line, for text.
    pub line: Option<u32>,
    /// A 1-based page, for PDFs.
    pub page: Option<u32>,
}

/// How an app takes a location on its command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Convention {
    /// `+LINE PATH` (gedit, GNOME Text Editor, Emacs, Vim, Pluma, Xed, Nano).
    PlusLine,
    /// `--goto PATH:LINE` (VS Code and its builds).
    GotoColon,
    /// `--line LINE PATH` (Kate, KWrite, Geany).
    LineFlag,
    /// `PATH:LINE` (Sublime Text, Zed).
    PathColonLine,
    /// `--page-index=PAGE PATH` (Evince, Atril, Xreader).
    PageIndex,
    /// `--page PAGE PATH` (Okular, Zathura).
    PageFlag,
    /// `PATH PAGE` (MuPDF).
    PathThenPage,
    /// `file:///PATH#page=PAGE` (browsers' PDF viewers).
    PageFragmentUrl,
}

/// Known apps by `.desktop` id (without `.desktop`) or program name.
const KNOWN: &[(&str, Convention)] = &[
    ("code", Convention::GotoColon),
    ("code-oss", Convention::GotoColon),
    ("codium", Convention::GotoColon),
    ("vscodium", Convention::GotoColon),
    ("com.visualstudio.code", Convention::GotoColon),
    ("gnome-text-editor", Convention::PlusLine),
    ("org.gnome.TextEditor", Convention::PlusLine),
    ("gedit", Convention::PlusLine),
    ("org.gnome.gedit", Convention::PlusLine),
    ("pluma", Convention::PlusLine),
    ("xed", Convention::PlusLine),
    ("emacs", Convention::PlusLine),
    ("emacsclient", Convention::PlusLine),
    ("vim", Convention::PlusLine),
    ("gvim", Convention::PlusLine),
    ("nvim", Convention::PlusLine),
    ("nano", Convention::PlusLine),
    ("kate", Convention::LineFlag),
    ("org.kde.kate", Convention::LineFlag),
    ("kwrite", Convention::LineFlag),
    ("org.kde.kwrite", Convention::LineFlag),
    ("geany", Convention::LineFlag),
    ("subl", Convention::PathColonLine),
    ("sublime_text", Convention::PathColonLine),
    ("zed", Convention::PathColonLine),
    ("zeditor", Convention::PathColonLine),
    ("dev.zed.Zed", Convention::PathColonLine),
    ("evince", Convention::PageIndex),
    ("org.gnome.Evince", Convention::PageIndex),
    ("atril", Convention::PageIndex),
    ("xreader", Convention::PageIndex),
    ("okular", Convention::PageFlag),
    ("org.kde.okular", Convention::PageFlag),
    ("zathura", Convention::PageFlag),
    ("org.pwmt.zathura", Convention::PageFlag),
    ("mupdf", Convention::PathThenPage),
    ("mupdf-gl", Convention::PathThenPage),
    ("firefox", Convention::PageFragmentUrl),
    ("firefox-esr", Convention::PageFragmentUrl),
    ("chromium", Convention::PageFragmentUrl),
    ("google-chrome", Convention::PageFragmentUrl),
];

impl Convention {
    fn of(name: &str) -> Option<Convention> {
        KNOWN.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
    }

    /// The arguments that open `path` at `location`; `None` when this app takes no such
    /// location (a page for a text editor, a line for a PDF viewer) or none is given.
    fn arguments(self, path: &Path, location: Location) -> Option<Vec<OsString>> {
        let path_text = || path.as_os_str().to_owned();
        let with_suffix = |suffix: String| {
            let mut text = path.as_os_str().to_owned();
            text.push(suffix);
            text
        };
        let line = location.line.filter(|&l| l > 0);
        let page = location.page.filter(|&p| p > 0);
        match (self, line, page) {
            (Convention::PlusLine, Some(line), _) => {
                Some(vec![format!("+{line}").into(), path_text()])
            }
            (Convention::GotoColon, Some(line), _) => {
                Some(vec!["--goto".into(), with_suffix(format!(":{line}"))])
            }
            (Convention::LineFlag, Some(line), _) => {
                Some(vec!["--line".into(), line.to_string().into(), path_text()])
            }
            (Convention::PathColonLine, Some(line), _) => {
                Some(vec![with_suffix(format!(":{line}"))])
            }
            (Convention::PageIndex, _, Some(page)) => {
                Some(vec![format!("--page-index={page}").into(), path_text()])
            }
            (Convention::PageFlag, _, Some(page)) => {
                Some(vec!["--page".into(), page.to_string().into(), path_text()])
            }
            (Convention::PathThenPage, _, Some(page)) => {
                Some(vec![path_text(), page.to_string().into()])
            }
            (Convention::PageFragmentUrl, _, Some(page)) => {
                let url = url::Url::from_file_path(path).ok()?;
                Some(vec![format!("{url}#page={page}").into()])
            }
            _ => None,
        }
    }
}

/// An `Exec` word that stands for the files: a field code (`%f`, `%U`, ...) or one of
/// flatpak's `@@`/`@@u` markers around them.
fn is_placeholder(word: &str) -> bool {
    (word.len() == 2 && word.starts_with('%')) || word.starts_with("@@")
}

/// A default app as its `.desktop` entry describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopApp {
    /// The entry's id, without `.desktop` (`org.gnome.TextEditor`).
    pub id: String,
    /// Its `Exec` line split into words, field codes (`%f`, `%U`, ...) removed.
    pub command: Vec<String>,
}

impl DesktopApp {
    /// Reads an entry's `Exec` line; `None` when it has none that can be split.
    pub fn parse(id: &str, entry: &str) -> Option<DesktopApp> {
        let mut in_main_group = false;
        let mut exec = None;
        for line in entry.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_main_group = line == "[Desktop Entry]";
            } else if in_main_group && let Some(value) = line.strip_prefix("Exec=") {
                exec = Some(value.trim());
                break;
            }
        }
        let words = shell_words::split(exec?).ok()?;
        let command: Vec<String> = words
            .into_iter()
            // Field codes stand for the files; flatpak's @@ markers bracket them.
            .filter(|w| !is_placeholder(w))
            .collect();
        (!command.is_empty()).then(|| DesktopApp {
            id: id.to_owned(),
            command,
        })
    }

    /// The program's name: the first word that is neither `env` nor a `NAME=value`.
    fn program_name(&self) -> Option<&str> {
        self.command
            .iter()
            .map(String::as_str)
            .find(|w| *w != "env" && !w.ends_with("/env") && !w.contains('='))
            .and_then(|w| Path::new(w).file_name()?.to_str())
    }

    fn convention(&self) -> Option<Convention> {
        Convention::of(&self.id).or_else(|| Convention::of(self.program_name()?))
    }

    /// The command that opens `path` at `location` in this app, when it takes one.
    pub fn command_at(&self, path: &Path, location: Location) -> Option<Command> {
        let arguments = self.convention()?.arguments(path, location)?;
        let (program, fixed) = self.command.split_first()?;
        let mut command = Command::new(program);
        command.args(fixed).args(arguments);
        Some(command)
    }
}

/// Where the freedesktop MIME database and `.desktop` entries are looked up.
#[derive(Debug, Clone)]
pub struct DefaultApps {
    /// `$XDG_DATA_HOME` (user entries, `~/.local/share`).
    pub data_home: PathBuf,
    /// `$XDG_DATA_DIRS` (system entries).
    pub data_dirs: Vec<PathBuf>,
    /// `$XDG_CONFIG_HOME` (the person's `mimeapps.list`).
    pub config_home: PathBuf,
}

impl DefaultApps {
    /// The folders of this session's environment, with the spec's defaults.
    pub fn from_env() -> Option<DefaultApps> {
        let home = std::env::var_os("HOME").map(PathBuf::from)?;
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let data_dirs = var("XDG_DATA_DIRS")
            .map(|dirs| std::env::split_paths(&dirs).collect())
            .unwrap_or_else(|| vec!["/usr/local/share".into(), "/usr/share".into()]);
        Some(DefaultApps {
            data_home: var("XDG_DATA_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".local/share")),
            data_dirs,
            config_home: var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".config")),
        })
    }

    /// `xdg-mime ARGS` in these folders: its one-line answer, when it gives one.
    #[cfg(target_os = "linux")]
    fn xdg_mime(&self, args: &[&std::ffi::OsStr]) -> Option<String> {
        let data_dirs = std::env::join_paths(&self.data_dirs).ok()?;
        let output = Command::new("xdg-mime")
            .args(args)
            .env("XDG_DATA_HOME", &self.data_home)
            .env("XDG_DATA_DIRS", data_dirs)
            .env("XDG_CONFIG_HOME", &self.config_home)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        let text = text.trim();
        (output.status.success() && !text.is_empty()).then(|| text.to_owned())
    }

    /// The default app for `path`'s type, when there is one with a readable entry.
    #[cfg(target_os = "linux")]
    pub fn app_for(&self, path: &Path) -> Option<DesktopApp> {
        let mime = self.xdg_mime(&["query".as_ref(), "filetype".as_ref(), path.as_os_str()])?;
        let default_for =
            |mime: &str| self.xdg_mime(&["query".as_ref(), "default".as_ref(), mime.as_ref()]);
        // Source code and Markdown are text: the text editor opens them when nothing is
        // set for their own type.
        let id = default_for(&mime).or_else(|| {
            (mime.starts_with("text/") && mime != "text/plain")
                .then(|| default_for("text/plain"))
                .flatten()
        })?;
        let id = id.lines().next()?.trim();
        let entry = std::iter::once(&self.data_home)
            .chain(&self.data_dirs)
            .map(|dir| dir.join("applications").join(id))
            .find_map(|file| std::fs::read_to_string(file).ok())?;
        DesktopApp::parse(id.strip_suffix(".desktop").unwrap_or(id), &entry)
    }

    /// The default app for `path`'s type: none off Linux (see the module's notes).
    #[cfg(not(target_os = "linux"))]
    pub fn app_for(&self, _path: &Path) -> Option<DesktopApp> {
        None
    }

    /// Starts `path`'s default app at `location` when it takes one; returns the app's id, or
    /// `None` when the file should be opened the plain way.
    pub fn open_at(&self, path: &Path, location: Location) -> Option<String> {
        if location == Location::default() {
            return None;
        }
        let app = self.app_for(path)?;
        let mut command = app.command_at(path, location)?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match command.spawn() {
            Ok(mut child) => {
                // Reap it when it exits, without waiting here: editors often hand the file
                // to a running instance and exit at once.
                std::thread::spawn(move || child.wait());
                tracing::debug!(app = %app.id, path = %path.display(), ?location, "opened at the cited place");
                Some(app.id)
            }
            Err(error) => {
                tracing::warn!(app = %app.id, %error, "cannot start the default app with the location");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(
        app: &DesktopApp,
        path: &str,
        line: Option<u32>,
        page: Option<u32>,
    ) -> Option<Vec<String>> {
        let command = app.command_at(Path::new(path), Location { line, page })?;
        Some(
            std::iter::once(command.get_program())
                .chain(command.get_args())
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        )
    }

    fn app(id: &str, exec: &str) -> DesktopApp {
        DesktopApp::parse(id, &format!("[Desktop Entry]\nName=X\nExec={exec}\n"))
            .unwrap_or_else(|| panic!("no Exec in {exec}"))
    }

    #[test]
    fn editors_get_the_line_their_own_way() {
        let cases = [
            (
                "code",
                "/usr/share/code/code --unity-launch %F",
                vec![
                    "/usr/share/code/code",
                    "--unity-launch",
                    "--goto",
                    "/d/a b.md:12",
                ],
            ),
            (
                "org.gnome.TextEditor",
                "gnome-text-editor %U",
                vec!["gnome-text-editor", "+12", "/d/a b.md"],
            ),
            (
                "org.kde.kate",
                "kate -b %U",
                vec!["kate", "-b", "--line", "12", "/d/a b.md"],
            ),
            (
                "sublime_text",
                "/opt/sublime_text/sublime_text %F",
                vec!["/opt/sublime_text/sublime_text", "/d/a b.md:12"],
            ),
            (
                "emacs",
                "env GDK_BACKEND=x11 emacs %F",
                vec!["env", "GDK_BACKEND=x11", "emacs", "+12", "/d/a b.md"],
            ),
        ];
        for (id, exec, expected) in cases {
            assert_eq!(
                args(&app(id, exec), "/d/a b.md", Some(12), None),
                Some(expected.iter().map(|s| s.to_string()).collect()),
                "{id}"
            );
        }
    }

    #[test]
    fn pdf_viewers_get_the_page() {
        let cases = [
            (
                "org.gnome.Evince",
                "evince %U",
                vec!["evince", "--page-index=7", "/d/r.pdf"],
            ),
            (
                "okularApplication_pdf",
                "okular %U",
                vec!["okular", "--page", "7", "/d/r.pdf"],
            ),
            (
                "org.pwmt.zathura-pdf-mupdf",
                "zathura %U",
                vec!["zathura", "--page", "7", "/d/r.pdf"],
            ),
            ("mupdf", "mupdf %f", vec!["mupdf", "/d/r.pdf", "7"]),
            (
                "firefox-esr",
                "/usr/lib/firefox-esr/firefox-esr %u",
                vec!["/usr/lib/firefox-esr/firefox-esr", "file:///d/r.pdf#page=7"],
            ),
        ];
        for (id, exec, expected) in cases {
            assert_eq!(
                args(&app(id, exec), "/d/r.pdf", None, Some(7)),
                Some(expected.iter().map(|s| s.to_string()).collect()),
                "{id}"
            );
        }
    }

    #[test]
    fn flatpak_entries_keep_their_launcher_and_lose_the_file_markers() {
        let flatpak = app(
            "org.gnome.TextEditor",
            "/usr/bin/flatpak run --branch=stable --arch=x86_64 --command=gnome-text-editor --file-forwarding org.gnome.TextEditor @@u %U @@",
        );
        let got = args(&flatpak, "/d/n.txt", Some(3), None).unwrap_or_default();
        assert_eq!(got[0], "/usr/bin/flatpak");
        assert_eq!(
            got[got.len() - 3..],
            ["org.gnome.TextEditor", "+3", "/d/n.txt"]
        );
    }

    #[test]
    fn unknown_apps_and_locations_they_cannot_take_open_the_plain_way() {
        assert_eq!(
            args(
                &app("libreoffice-writer", "libreoffice --writer %U"),
                "/d/a.txt",
                Some(5),
                None
            ),
            None
        );
        // A text editor is not given a page, nor a PDF viewer a line.
        assert_eq!(
            args(
                &app("org.gnome.TextEditor", "gnome-text-editor %U"),
                "/d/a.txt",
                None,
                Some(2)
            ),
            None
        );
        assert_eq!(
            args(
                &app("org.gnome.Evince", "evince %U"),
                "/d/a.pdf",
                Some(40),
                None
            ),
            None
        );
        assert_eq!(
            args(&app("code", "code %F"), "/d/a.txt", Some(0), None),
            None,
            "line 0 is no line"
        );
        assert!(
            DesktopApp::parse("x", "[Desktop Action new]\nExec=x %U\n").is_none(),
            "only the main group's Exec counts"
        );
        assert!(DesktopApp::parse("x", "[Desktop Entry]\nExec=\"unterminated\n").is_none());
    }
}
