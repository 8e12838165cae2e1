//! Start arguments and `ledge://` links.

use std::path::PathBuf;

use ledge_desktop::{LaunchRequest, Show};

#[test]
fn files_from_a_file_manager_pin_them_to_the_popup() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("Q3 report (final).md");
    std::fs::write(&report, "# Q3\n").unwrap();
    let nested = dir.path().join("sub dir");
    std::fs::create_dir(&nested).unwrap();
    std::fs::write(nested.join("a b.txt"), "x").unwrap();
    // Nautilus passes plain paths (relative to its cwd here), KDE passes file:// URLs.
    let url = format!("file://{}/sub%20dir/a%20b.txt", dir.path().display());
    let request =
        LaunchRequest::from_args(&["Q3 report (final).md", url.as_str()], dir.path()).unwrap();
    assert_eq!(request.show, Show::Popup);
    assert_eq!(request.files, vec![report, nested.join("a b.txt")]);
    assert_eq!(request.question, None);
}

#[test]
fn no_arguments_start_quietly_and_options_pick_a_window() {
    let cwd = std::env::temp_dir();
    let none: [&str; 0] = [];
    assert_eq!(
        LaunchRequest::from_args(&none, &cwd).unwrap(),
        LaunchRequest::default()
    );
    assert_eq!(
        LaunchRequest::from_args(&["--hidden"], &cwd).unwrap().show,
        Show::Nothing
    );
    for (arg, show) in [
        ("--popup", Show::Popup),
        ("--chat", Show::Chat),
        ("--settings", Show::Settings),
        ("ledge://chat", Show::Chat),
        ("ledge://settings", Show::Settings),
        ("ledge:ask", Show::Popup),
    ] {
        assert_eq!(
            LaunchRequest::from_args(&[arg], &cwd).unwrap().show,
            show,
            "{arg}"
        );
    }
}

#[test]
fn ask_links_round_trip_paths_and_questions_with_odd_characters() {
    let files = vec![
        PathBuf::from("/home/ana/Documents/Über & co/plan #2.pdf"),
        PathBuf::from("/tmp/100% sure?.txt"),
    ];
    let question = "What changed in §4 — and why?";
    let link = LaunchRequest::ask_url(&files, Some(question));
    assert!(link.starts_with("ledge://ask?"), "{link}");
    assert!(!link.contains(' '), "spaces must be encoded: {link}");
    let request = LaunchRequest::from_url(&link).unwrap();
    assert_eq!(request.show, Show::Popup);
    assert_eq!(request.files, files);
    assert_eq!(request.question.as_deref(), Some(question));
}

#[test]
fn bad_arguments_are_errors_that_say_what_is_wrong() {
    let cwd = tempfile::tempdir().unwrap();
    let cases = [
        ("--frobnicate", "unknown option"),
        ("missing.pdf", "does not exist"),
        ("ledge://delete-everything", "unknown action"),
        ("ledge://ask?file=relative.txt", "not an absolute path"),
    ];
    for (arg, expected) in cases {
        let error = LaunchRequest::from_args(&[arg], cwd.path()).unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "{arg}: {error} should say {expected}"
        );
    }
}
