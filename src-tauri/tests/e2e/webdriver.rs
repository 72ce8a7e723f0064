//! A small W3C WebDriver client over HTTP: just what the end-to-end test
//! uses (find, click, type, read, wait, screenshot).

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The key that identifies an element in WebDriver responses.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub(crate) struct Driver {
    http: reqwest::blocking::Client,
    base: String,
    session: String,
}

/// An element reference.
#[derive(Clone)]
pub(crate) struct Element(String);

impl Driver {
    /// Starts a session for the app at `application` through tauri-driver on `port`.
    pub(crate) fn start(port: u16, application: &Path) -> Self {
        // Plain http to tauri-driver, but the client is built with TLS support.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "tauri:options": {"application": application.to_str().unwrap()}
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
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
    pub(crate) fn find(&self, css: &str) -> Option<Element> {
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
    pub(crate) fn find_all(&self, css: &str) -> Vec<Element> {
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
    pub(crate) fn shown(&self, css: &str) -> bool {
        let script = format!(
            "const e = document.querySelector({css:?}); return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';"
        );
        self.execute(&script).as_bool().unwrap_or(false)
    }

    /// Waits until `css` matches a rendered element.
    pub(crate) fn wait_for(&self, css: &str, timeout: Duration) -> Element {
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
    pub(crate) fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&Self) -> bool,
    ) {
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

    pub(crate) fn enabled(&self, e: &Element) -> bool {
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
    pub(crate) fn click(&self, e: &Element) {
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

    /// Clicks a button that closes the app: the click's answer may never come.
    pub(crate) fn click_to_close(&self, css: &str) {
        let e = self.wait_for(css, Duration::from_secs(20));
        let _ = self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            Some(json!({})),
        );
    }

    /// Clicks the element `css` once it is shown.
    pub(crate) fn click_on(&self, css: &str) {
        let e = self.wait_for(css, Duration::from_secs(20));
        self.click(&e);
    }

    pub(crate) fn type_into(&self, e: &Element, text: &str) {
        let v = self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({"text": text})),
        );
        assert!(Self::ok(&v), "typing failed: {v}");
    }

    pub(crate) fn text(&self, e: &Element) -> String {
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
    pub(crate) fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    pub(crate) fn page_text(&self) -> String {
        self.execute("return document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(2000)
            .collect()
    }

    /// Saves a PNG screenshot of the window.
    pub(crate) fn screenshot(&self, path: &Path) {
        let v = self.call(reqwest::Method::GET, "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png).unwrap();
    }

    /// Ends the WebDriver session (the app is closed if it still runs).
    pub(crate) fn quit(self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
    }
}
