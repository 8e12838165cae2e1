//! What the desktop tests share: a virtual X display (Xvfb) with its own D-Bus session bus
//! and private HOME/XDG folders, key presses and window queries through `xdotool`,
//! screenshots through ImageMagick, and waiting with the app's log in the failure.

#![allow(dead_code)] // each test crate uses its own part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the child (and what it started) when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_display() -> u32 {
    (90..190)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("no free X display number")
}

/// Starts `command` with its stderr going to `log` (its stdout dropped).
pub fn spawn_logged(mut command: Command, log: &Path) -> Running {
    let stderr = std::fs::File::create(log).unwrap();
    Running(
        command
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap(),
    )
}

/// What a program started by [`spawn_logged`] has written so far.
pub fn read_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// Waits for `ready`; on a timeout the panic shows `context()` (the app's log).
pub fn wait_for(
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

pub struct Desktop {
    pub display: String,
    pub home: tempfile::TempDir,
    _xvfb: Running,
    _bus: Running,
    pub bus_address: String,
}

impl Desktop {
    pub fn start() -> Desktop {
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
            // The socket appears before the server accepts clients: wait for an answer.
            || {
                Command::new("xdotool")
                    .arg("getdisplaygeometry")
                    .env("DISPLAY", &display)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            },
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

    pub fn dir(&self, name: &str) -> PathBuf {
        let dir = self.home.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
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

    pub fn app(&self, args: &[&str]) -> Command {
        let mut command = self.command(env!("CARGO_BIN_EXE_ledge-app"));
        command.args(args);
        command
    }

    /// Starts the app a second time with `args`, as a file manager or a link would: it must
    /// hand them to the running app and exit successfully.
    pub fn start_again(&self, args: &[&str]) {
        let second = self.app(args).stderr(Stdio::piped()).output().unwrap();
        assert!(
            second.status.success(),
            "the second start failed: {}",
            String::from_utf8_lossy(&second.stderr)
        );
    }

    /// Asks the visible window titled `name` to close, the way a window manager's close
    /// button does (a `WM_DELETE_WINDOW` client message; the virtual display has no window
    /// manager to send it).
    pub fn close_window(&self, name: &str) {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask};

        let window: u32 = self
            .visible(name)
            .first()
            .unwrap_or_else(|| panic!("no visible window titled {name:?}"))
            .parse()
            .unwrap();
        let (conn, _) = x11rb::connect(Some(&self.display)).unwrap();
        let atom = |atom_name: &[u8]| {
            conn.intern_atom(false, atom_name)
                .unwrap()
                .reply()
                .unwrap()
                .atom
        };
        let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
        let message = ClientMessageEvent::new(
            32,
            window,
            protocols,
            [delete, x11rb::CURRENT_TIME, 0, 0, 0],
        );
        conn.send_event(false, window, EventMask::NO_EVENT, message)
            .unwrap();
        conn.flush().unwrap();
    }

    /// Ids of visible windows whose title is `name`.
    pub fn visible(&self, name: &str) -> Vec<String> {
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

    pub fn key(&self, keys: &str) {
        let status = self
            .command("xdotool")
            .args(["key", "--clearmodifiers", keys])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn screenshot(&self, name: &str) {
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
