//! What the app is asked to do when it starts, or when a second start is forwarded to the
//! running app (single instance): its command-line arguments and `ledge://` links.
//!
//! ```text
//! ledge-app                          start in the menu bar / tray
//! ledge-app --popup | --chat | --settings
//! ledge-app FILE...                  "Ask about this file": popup with the files pinned
//! ledge-app 'ledge://ask?file=/a/b.pdf&file=/c.md&q=What%20changed'
//! ledge-app ledge://chat | ledge://settings
//! ```
//!
//! File-manager actions and the macOS Quick Action call the binary with paths or a link; the
//! single-instance plugin hands those arguments to the running app, which reads them here.

use std::path::{Path, PathBuf};

use url::Url;

use crate::{Error, Result};

/// The URL scheme Ledge registers.
pub const URL_SCHEME: &str = "ledge";

/// Which window to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    /// Nothing: start quietly in the menu bar.
    #[default]
    Nothing,
    /// The hotkey popup.
    Popup,
    /// The chat window.
    Chat,
    /// The chat window's settings.
    Settings,
}

/// What one start (or forwarded start) asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LaunchRequest {
    /// The window to show.
    pub show: Show,
    /// Files to pin to the next question (absolute paths).
    pub files: Vec<PathBuf>,
    /// A question to ask at once.
    pub question: Option<String>,
}

impl LaunchRequest {
    /// Reads `args` (without the program name); relative paths are taken from `cwd`.
    ///
    /// Arguments that are neither options, links nor existing files are errors, so a typo
    /// in a file-manager action is reported instead of ignored.
    pub fn from_args<S: AsRef<str>>(args: &[S], cwd: &Path) -> Result<LaunchRequest> {
        let mut request = LaunchRequest::default();
        for arg in args {
            let arg = arg.as_ref();
            match arg {
                "--popup" => request.show = Show::Popup,
                "--chat" => request.show = Show::Chat,
                "--settings" => request.show = Show::Settings,
                // Autostart passes this; it means "stay in the menu bar".
                "--hidden" | "--minimized" => {}
                _ if arg.starts_with(&format!("{URL_SCHEME}:")) => {
                    request.merge(LaunchRequest::from_url(arg)?);
                }
                _ if arg.starts_with("--") => {
                    return Err(Error::BadLaunch {
                        message: format!("unknown option {arg}"),
                    });
                }
                _ => {
                    // File managers pass paths, some as file:// URLs.
                    let path = match Url::parse(arg) {
                        Ok(url) if url.scheme() == "file" => {
                            url.to_file_path().map_err(|()| Error::BadLaunch {
                                message: format!("{arg} is not a local file"),
                            })?
                        }
                        _ => PathBuf::from(arg),
                    };
                    request.files.push(absolute(&path, cwd)?);
                    request.show = Show::Popup;
                }
            }
        }
        Ok(request)
    }

    /// Reads a `ledge://` link.
    pub fn from_url(link: &str) -> Result<LaunchRequest> {
        let bad = |message: String| Error::BadLaunch { message };
        let url = Url::parse(link).map_err(|e| bad(format!("{link}: {e}")))?;
        if url.scheme() != URL_SCHEME {
            return Err(bad(format!("{link} is not a {URL_SCHEME}: link")));
        }
        // `ledge://ask?..` puts "ask" in the host; `ledge:ask?..` in the path.
        let action = url
            .host_str()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| url.path().trim_matches('/'))
            .to_ascii_lowercase();
        let mut request = LaunchRequest {
            show: match action.as_str() {
                "ask" | "popup" | "" => Show::Popup,
                "chat" => Show::Chat,
                "settings" => Show::Settings,
                other => return Err(bad(format!("{link}: unknown action \"{other}\""))),
            },
            ..LaunchRequest::default()
        };
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "file" => {
                    let path = PathBuf::from(value.as_ref());
                    if !path.is_absolute() {
                        return Err(bad(format!("{link}: file={value} is not an absolute path")));
                    }
                    request.files.push(path);
                }
                "q" | "question" => {
                    let question = value.trim();
                    if !question.is_empty() {
                        request.question = Some(question.to_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(request)
    }

    /// Builds the `ledge://ask` link that pins `files` (what the macOS Quick Action opens).
    pub fn ask_url(files: &[PathBuf], question: Option<&str>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for file in files {
            query.append_pair("file", &file.to_string_lossy());
        }
        if let Some(question) = question {
            query.append_pair("q", question);
        }
        format!("{URL_SCHEME}://ask?{}", query.finish())
    }

    fn merge(&mut self, other: LaunchRequest) {
        if other.show != Show::Nothing {
            self.show = other.show;
        }
        self.files.extend(other.files);
        if other.question.is_some() {
            self.question = other.question;
        }
    }
}

fn absolute(path: &Path, cwd: &Path) -> Result<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    if !joined.exists() {
        return Err(Error::BadLaunch {
            message: format!("{} does not exist", joined.display()),
        });
    }
    Ok(joined)
}
