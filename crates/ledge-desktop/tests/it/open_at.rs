//! Opening a citation at its line or page through the real freedesktop MIME database
//! (`xdg-mime`, in a private XDG tree): stand-in apps under the names of real ones record
//! the command line they were started with.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ledge_desktop::open_at::{DefaultApps, Location};

struct Tree {
    _temp: tempfile::TempDir,
    root: PathBuf,
    apps: DefaultApps,
}

/// A private XDG tree where `program` (a script that records its arguments) is the
/// default app for `mime`, under the desktop id `id`.
fn tree(defaults: &[(&str, &str, &str)]) -> Tree {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().to_path_buf();
    for dir in ["data/applications", "config", "bin"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    let mut list = String::from("[Default Applications]\n");
    for (mime, id, program) in defaults {
        let script = root.join("bin").join(program);
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}/{program}.args'\n",
                root.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(
            root.join("data/applications").join(format!("{id}.desktop")),
            format!(
                "[Desktop Entry]\nType=Application\nName={program}\nExec={} %U\nMimeType={mime};\n",
                script.display()
            ),
        )
        .unwrap();
        list.push_str(&format!("{mime}={id}.desktop\n"));
    }
    std::fs::write(root.join("config/mimeapps.list"), list).unwrap();
    let apps = DefaultApps {
        data_home: root.join("data"),
        data_dirs: vec![root.join("no-system-entries")],
        config_home: root.join("config"),
    };
    Tree {
        _temp: temp,
        root,
        apps,
    }
}

fn recorded(root: &Path, program: &str) -> Vec<String> {
    let file = root.join(format!("{program}.args"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(&file)
            && text.ends_with('\n')
        {
            return text.lines().map(str::to_owned).collect();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{program} was not started");
}

#[test]
fn a_text_citation_opens_at_its_line_and_a_pdf_citation_at_its_page() {
    let t = tree(&[
        ("text/plain", "org.gnome.TextEditor", "gnome-text-editor"),
        ("application/pdf", "org.gnome.Evince", "evince"),
    ]);
    let notes = t.root.join("meeting notes.md");
    std::fs::write(&notes, "# Notes\n\nThe backup runs at 02:00.\n").unwrap();
    let opened = t.apps.open_at(
        &notes,
        Location {
            line: Some(3),
            page: None,
        },
    );
    assert_eq!(opened.as_deref(), Some("org.gnome.TextEditor"));
    assert_eq!(
        recorded(&t.root, "gnome-text-editor"),
        ["+3".to_owned(), notes.display().to_string()]
    );

    let pdf = Path::new("/usr/share/doc/texlive-doc/bibtex/babelbib/tugboat-babelbib.pdf");
    assert!(
        pdf.is_file(),
        "texlive-doc is installed by scripts/setup.sh"
    );
    let opened = t.apps.open_at(
        pdf,
        Location {
            line: None,
            page: Some(2),
        },
    );
    assert_eq!(opened.as_deref(), Some("org.gnome.Evince"));
    assert_eq!(
        recorded(&t.root, "evince"),
        ["--page-index=2".to_owned(), pdf.display().to_string()]
    );
}

#[test]
fn without_a_known_default_app_the_file_opens_the_plain_way() {
    // A default app whose convention Ledge does not know.
    let t = tree(&[("text/plain", "org.example.Writer", "writer")]);
    let notes = t.root.join("notes.txt");
    std::fs::write(&notes, "hello\n").unwrap();
    let at_line = Location {
        line: Some(1),
        page: None,
    };
    assert_eq!(t.apps.open_at(&notes, at_line), None);
    // No default app at all, and no location to go to.
    let empty = tree(&[]);
    assert_eq!(empty.apps.open_at(&notes, at_line), None);
    assert_eq!(t.apps.open_at(&notes, Location::default()), None);
    assert!(!t.root.join("writer.args").exists(), "nothing was started");
}
