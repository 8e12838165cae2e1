//! The real app, the way a person starts it: the built `ledge-app` binary in a virtual X
//! display (Xvfb) with its own D-Bus session, a fresh data folder and XDG folders. The global
//! hotkey is pressed with `xdotool` and the popup must appear (and hide on a second press);
//! a second start with a file path ("Ask about this file" from a file manager) must reach the
//! running app through the single-instance plugin and show the popup, without a second app;
//! the file-manager integration must be installed into the XDG data folder.
//!
//! Screenshots of the display go to `target/desktop-screenshots/` (when ImageMagick can read
//! X), to look at.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failure report

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the child (and what it started) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_display() -> u32 {
    (90..190)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("no free X display number")
}

/// Waits for `ready`; on a timeout the panic shows `context()` (the app's log).
fn wait_for(
    what: &str,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
    context: impl Fn() -> String,
) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    panic!(
        "timed out after {timeout:?} waiting for {what}; app log:\n{}",
        context()
    );
}

struct Desktop {
    display: String,
    home: tempfile::TempDir,
    _xvfb: Running,
    _bus: Running,
    bus_address: String,
}

impl Desktop {
    fn start() -> Desktop {
        let n = free_display();
        let display = format!(":{n}");
        let xvfb = Running(
            Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb missing: run `scripts/setup.sh system`"),
        );
        wait_for(
            "Xvfb",
            Duration::from_secs(20),
            || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists(),
            String::new,
        );
        let home = tempfile::tempdir().unwrap();
        // A private session bus, as a desktop session has (single-instance talks over it).
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon missing");
        let mut address = String::new();
        {
            use std::io::BufRead;
            let stdout = bus.stdout.take().unwrap();
            std::io::BufReader::new(stdout)
                .read_line(&mut address)
                .unwrap();
        }
        Desktop {
            display,
            home,
            _xvfb: xvfb,
            _bus: Running(bus),
            bus_address: address.trim().to_owned(),
        }
    }

    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.home.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("HOME", self.home.path())
            .env("XDG_DATA_HOME", self.dir("data"))
            .env("XDG_CONFIG_HOME", self.dir("config"))
            .env("XDG_CACHE_HOME", self.dir("cache"))
            .env("XDG_RUNTIME_DIR", self.dir("runtime"))
            .env("LEDGE_HOME", self.dir("ledge"))
            .env("LEDGE_MODEL_PATH", "")
            .env("LEDGE_LOG", "info,ledge_app=debug,tantivy=warn")
            // Software rendering: the test machines have no GPU.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env_remove("WAYLAND_DISPLAY");
        command
    }

    fn app(&self, args: &[&str]) -> Command {
        let mut command = self.command(env!("CARGO_BIN_EXE_ledge-app"));
        command.args(args);
        command
    }

    /// Ids of visible windows whose title is `name`.
    fn visible(&self, name: &str) -> Vec<String> {
        let out = self
            .command("xdotool")
            .args(["search", "--onlyvisible", "--name", &format!("^{name}$")])
            .output()
            .expect("xdotool missing: run `scripts/setup.sh system`");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn key(&self, keys: &str) {
        let status = self
            .command("xdotool")
            .args(["key", "--clearmodifiers", keys])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn screenshot(&self, name: &str) {
        // The window is mapped before the web page inside paints.
        std::thread::sleep(Duration::from_millis(3000));
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/desktop-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let taken = self
            .command("convert")
            .args(["x:root".as_ref(), path.as_os_str()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !taken {
            eprintln!("no screenshot {name}: ImageMagick cannot read the X display here");
        }
    }
}

#[test]
fn hotkey_toggles_the_popup_and_a_second_start_with_a_file_reaches_the_running_app() {
    let desktop = Desktop::start();
    let log = desktop.home.path().join("app.log");
    let mut app = Running(
        desktop
            .app(&[])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();

    // Started quietly: the windows exist (created hidden), none is shown; the first run shows
    // the welcome window, though, since onboarding was never completed.
    wait_for(
        "the welcome window",
        Duration::from_secs(120),
        || !desktop.visible("Ledge").is_empty(),
        log_text,
    );
    assert!(
        desktop.visible("Ask Ledge").is_empty(),
        "popup shown at start"
    );
    desktop.screenshot("welcome");

    // The file-manager integration was installed for this binary.
    let data = desktop.home.path().join("data");
    let entry = std::fs::read_to_string(data.join("applications/ledge.desktop"))
        .unwrap_or_else(|e| panic!("no ledge.desktop ({e}); app log:\n{}", log_text()));
    assert!(entry.contains(env!("CARGO_BIN_EXE_ledge-app")), "{entry}");
    assert!(
        data.join("nautilus/scripts/Ask Ledge about this file")
            .exists()
    );

    // The hotkey shows the popup, and hides it again.
    desktop.key("ctrl+alt+space");
    wait_for(
        "the popup after the hotkey",
        Duration::from_secs(20),
        || !desktop.visible("Ask Ledge").is_empty(),
        log_text,
    );
    desktop.screenshot("popup");
    desktop.key("ctrl+alt+space");
    wait_for(
        "the popup to hide",
        Duration::from_secs(20),
        || desktop.visible("Ask Ledge").is_empty(),
        log_text,
    );

    // "Ask about this file": a second start with a path hands it to the running app and exits.
    let file = desktop.home.path().join("quarterly notes.md");
    std::fs::write(&file, "# Notes\n\nRevenue grew.\n").unwrap();
    let second = desktop
        .app(&[file.to_str().unwrap()])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "the second start failed: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    wait_for(
        "the popup after a file was handed over",
        Duration::from_secs(20),
        || !desktop.visible("Ask Ledge").is_empty(),
        log_text,
    );
    desktop.screenshot("popup-with-file");
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the running app exited; log:\n{}",
        log_text()
    );

    // A bad argument is refused before anything starts, with a message.
    let bad = desktop.app(&["--frobnicate"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown option"));
}
