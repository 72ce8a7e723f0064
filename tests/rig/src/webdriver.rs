//! A small W3C WebDriver client over HTTP: just what the tests use (find,
//! click, type, read, wait, screenshot), for the app through tauri-driver
//! and for pages in WebKit's MiniBrowser through WebKitWebDriver.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// WebKitGTK's small browser (Debian's `webkit2gtk-driver` drives it).
pub const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/// The key that identifies an element in WebDriver responses.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

#[derive(Debug)]
pub struct Driver {
    http: reqwest::blocking::Client,
    base: String,
    session: String,
}

/// An element reference.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Driver {
    /// Starts a session for the app at `application` through tauri-driver on `port`.
    pub fn start(port: u16, application: &Path) -> Self {
        Self::with_capabilities(
            port,
            json!({"capabilities": {"alwaysMatch": {
                "tauri:options": {"application": application.to_str().unwrap()}
            }}}),
        )
    }

    /// Starts a session in WebKit's MiniBrowser through the WebKitWebDriver at `port`.
    pub fn minibrowser(port: u16) -> Self {
        Self::with_capabilities(
            port,
            json!({"capabilities": {"alwaysMatch": {
                "webkitgtk:browserOptions": {
                    "binary": MINIBROWSER,
                    "args": ["--automation", "--geometry=1280x1000"]
                }
            }}}),
        )
    }

    fn with_capabilities(port: u16, caps: Value) -> Self {
        // Plain http to the driver, but the client is built with TLS support.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        // tauri-driver listens before the WebKitWebDriver it starts does: on a
        // cold first start it drops the first request unanswered. Asked again.
        let mut tries = 0;
        let r: Value = loop {
            tries += 1;
            match http.post(format!("{base}/session")).json(&caps).send() {
                Ok(reply) => break reply.json().unwrap(),
                Err(e) if tries < 5 && (e.is_request() || e.is_connect()) => {
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(e) => panic!("no WebDriver session after {tries} tries: {e}"),
            }
        };
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_owned();
        Self {
            http,
            base,
            session,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, &url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req.send().unwrap().json().unwrap();
        r["value"].clone()
    }

    fn ok(v: &Value) -> bool {
        v.get("error").is_none()
    }

    /// The first element matching `css`, if any.
    pub fn find(&self, css: &str) -> Option<Element> {
        let v = self.call(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.get(ELEMENT)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_owned()))
    }

    /// Every element matching `css`.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.get(ELEMENT).and_then(Value::as_str))
                    .map(|id| Element(id.to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `css` matches an element that is rendered (has a box, not hidden).
    pub fn shown(&self, css: &str) -> bool {
        let script = format!(
            "const e = document.querySelector({css:?}); return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';"
        );
        self.execute(&script).as_bool().unwrap_or(false)
    }

    /// Waits until `css` matches a rendered element.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let deadline = Instant::now() + timeout;
        loop {
            if self.shown(css)
                && let Some(e) = self.find(css)
            {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "{css} did not appear within {timeout:?}; the page says: {}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits until `cond` holds.
    pub fn wait_until(&self, what: &str, timeout: Duration, mut cond: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + timeout;
        while !cond(self) {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {timeout:?}; the page says: {}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn enabled(&self, e: &Element) -> bool {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/enabled", e.0),
            None,
        )
        .as_bool()
        .unwrap_or(false)
    }

    /// Clicks an element. WebKitWebDriver sometimes answers a click with an
    /// empty "unknown error" while the window is being refocused; a click is
    /// repeated then, a few times.
    pub fn click(&self, e: &Element) {
        let mut last = Value::Null;
        for _ in 0..5 {
            last = self.call(
                reqwest::Method::POST,
                &format!("/element/{}/click", e.0),
                Some(json!({})),
            );
            if Self::ok(&last) {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("click failed: {last}; the page says: {}", self.page_text());
    }

    /// A real mouse click (a user gesture) at `dx`, `dy` pixels from the
    /// element's centre: for parts of native controls, like an audio
    /// element's play button.
    pub fn click_at(&self, e: &Element, dx: i64, dy: i64) {
        let v = self.call(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{
                "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
                "actions": [
                    {"type": "pointerMove", "origin": {ELEMENT: e.0}, "x": dx, "y": dy},
                    {"type": "pointerDown", "button": 0},
                    {"type": "pointerUp", "button": 0}
                ]
            }]})),
        );
        assert!(Self::ok(&v), "click failed: {v}");
    }

    /// Clicks a button that closes the app: the click's answer may never come.
    pub fn click_to_close(&self, css: &str) {
        let e = self.wait_for(css, Duration::from_secs(20));
        let _ = self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            Some(json!({})),
        );
    }

    /// Clicks the element `css` once it is shown.
    pub fn click_on(&self, css: &str) {
        let e = self.wait_for(css, Duration::from_secs(20));
        self.click(&e);
    }

    pub fn type_into(&self, e: &Element, text: &str) {
        let v = self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({"text": text})),
        );
        assert!(Self::ok(&v), "typing failed: {v}");
    }

    pub fn text(&self, e: &Element) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/text", e.0),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Runs a script in the page and returns its result.
    pub fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs a script that calls its last argument with the result (a
    /// promise's value); returns that result.
    pub fn execute_async(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
    }

    pub fn page_text(&self) -> String {
        self.execute("return document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(2000)
            .collect()
    }

    /// Saves a PNG screenshot of the window.
    pub fn screenshot(&self, path: &Path) {
        let v = self.call(reqwest::Method::GET, "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png).unwrap();
    }

    /// Opens `url` in the session's window.
    pub fn open(&self, url: &str) {
        let v = self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})));
        assert!(Self::ok(&v), "cannot open {url}: {v}");
    }

    /// Ends the WebDriver session (the app is closed if it still runs).
    pub fn quit(self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
    }
}

/// WebKitWebDriver on a display, with MiniBrowser sessions: a real browser
/// for pages that are not the app (the reviewer's report). Killed with the
/// browsers it started when dropped.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    port: u16,
}

impl Browser {
    /// Starts WebKitWebDriver with `cmd`'s environment (a display's, and an
    /// audio server's if the page plays sound).
    pub fn start(mut cmd: Command) -> Result<Self, crate::RigError> {
        use std::os::unix::process::CommandExt as _;
        if !Path::new(MINIBROWSER).exists() {
            return Err(format!(
                "{MINIBROWSER} is missing (Debian package webkit2gtk-driver)"
            ));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let driver = cmd
            .arg(format!("--port={port}"))
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start WebKitWebDriver: {e}"))?;
        let browser = Self { driver, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("WebKitWebDriver did not start listening".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(browser)
    }

    /// A new MiniBrowser window.
    pub fn session(&self) -> Driver {
        Driver::minibrowser(self.port)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}
