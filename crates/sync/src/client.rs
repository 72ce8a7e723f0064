//! HTTP with the retry rules of the protocol: 5xx, 429, timeouts and broken
//! connections back off exponentially with full jitter and try again; 401
//! renews the access token once with the refresh token; anything else is
//! the server's final word.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use paraakh_evidence::keys::random_bytes;
use paraakh_protocol::{ErrorBody, TOKEN_PATH, TokenRequest, Tokens};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};

use crate::SyncError;

/// How long to keep trying.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// First delay ceiling.
    pub base: Duration,
    /// Largest delay ceiling.
    pub max_delay: Duration,
    /// Give up after this long without progress.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            give_up_after: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `n` (from 1): uniform in 0 ..= min(max, base·2ⁿ⁻¹).
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay);
        let mut r = [0u8; 8];
        if random_bytes(&mut r).is_err() {
            return ceiling / 2;
        }
        let unit = (u64::from_le_bytes(r) >> 11) as f64 / (1u64 << 53) as f64;
        ceiling.mul_f64(unit)
    }
}

/// Where the tokens come from, and where renewed ones are kept.
#[derive(Debug)]
pub struct Credentials {
    tokens: Mutex<Tokens>,
    file: Option<PathBuf>,
}

impl Credentials {
    /// Tokens held in memory only.
    pub fn new(tokens: Tokens) -> Self {
        Self {
            tokens: Mutex::new(tokens),
            file: None,
        }
    }

    /// Tokens read from a JSON file (as `paraakh ingest token` writes);
    /// renewed access tokens are written back to it.
    pub fn from_file(path: &Path) -> Result<Self, SyncError> {
        let text = std::fs::read(path).map_err(|error| SyncError::Io {
            what: "cannot read the token file",
            path: path.to_owned(),
            error,
        })?;
        let tokens: Tokens = serde_json::from_slice(&text).map_err(|e| SyncError::Session {
            path: path.to_owned(),
            message: format!(
                "not a token file ({{\"access_token\", \"refresh_token\", \"expires_in\"}}): {e}"
            ),
        })?;
        Ok(Self {
            tokens: Mutex::new(tokens),
            file: Some(path.to_owned()),
        })
    }

    /// The tokens now held (renewed ones included).
    pub fn tokens(&self) -> Tokens {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn access(&self) -> String {
        self.lock().access_token.clone()
    }

    fn refresh_token(&self) -> Option<String> {
        self.lock().refresh_token.clone()
    }

    fn renewed(&self, fresh: Tokens) {
        let mut tokens = self.lock();
        tokens.access_token = fresh.access_token;
        tokens.expires_in = fresh.expires_in;
        if fresh.refresh_token.is_some() {
            tokens.refresh_token = fresh.refresh_token;
        }
        if let Some(path) = &self.file
            && let Ok(json) = serde_json::to_vec_pretty(&*tokens)
        {
            // Best effort: a token file that cannot be updated only costs a
            // renewal next time. It holds the refresh token: owner-only.
            let _ = paraakh_evidence::keys::write_private(path, &json);
        }
    }
}

/// An HTTP client for one backend.
#[derive(Debug)]
pub struct Api {
    http: Client,
    server: String,
    credentials: Credentials,
    retry: RetryPolicy,
}

/// Installs ring as rustls' crypto provider once (reqwest is built without
/// one so that no second crypto library is compiled in).
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub(crate) fn server_message(response: Response) -> String {
    let status = response.status();
    let text = response.text().unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => body.message,
        Err(_) if text.trim().is_empty() => status.to_string(),
        Err(_) => text.chars().take(300).collect(),
    }
}

impl Api {
    /// A client for the backend at `server` (`http://` or `https://`).
    pub fn new(
        server: &str,
        credentials: Credentials,
        retry: RetryPolicy,
    ) -> Result<Self, SyncError> {
        Self::with_http(server, credentials, retry, Self::http_client()?)
    }

    /// The same over an HTTP client shared with others (its connections
    /// and its thread): many sessions uploading from one process.
    pub fn with_http(
        server: &str,
        credentials: Credentials,
        retry: RetryPolicy,
        http: Client,
    ) -> Result<Self, SyncError> {
        let server = server.trim_end_matches('/').to_owned();
        if !(server.starts_with("https://") || server.starts_with("http://")) {
            return Err(SyncError::Protocol {
                what: "the server address".into(),
                message: format!("{server:?} is not an http:// or https:// URL"),
            });
        }
        Ok(Self {
            http,
            server,
            credentials,
            retry,
        })
    }

    /// The HTTP client an [`Api`] uses, to share between several.
    pub fn http_client() -> Result<Client, SyncError> {
        install_crypto();
        Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("paraakh-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Protocol {
                what: "the HTTP client".into(),
                message: e.to_string(),
            })
    }

    /// Its tokens (renewed ones included).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The client, for requests that are built by hand.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server)
    }

    fn renew(&self) -> Result<(), SyncError> {
        let Some(refresh_token) = self.credentials.refresh_token() else {
            return Err(SyncError::Unauthorized(
                "the access token was refused and there is no refresh token; ask for a new token"
                    .into(),
            ));
        };
        let response = self
            .http
            .post(self.url(TOKEN_PATH))
            .json(&TokenRequest { refresh_token })
            .send()
            .map_err(|e| SyncError::Unreachable {
                message: e.to_string(),
            })?;
        if !response.status().is_success() {
            return Err(SyncError::Unauthorized(server_message(response)));
        }
        let tokens: Tokens = response.json().map_err(|e| SyncError::Protocol {
            what: "a token refresh".into(),
            message: e.to_string(),
        })?;
        self.credentials.renewed(tokens);
        Ok(())
    }

    /// Sends the request `build` makes, with the current token, until the
    /// server gives an answer that is not a transient failure. Returns
    /// successes and the statuses in `expected` (404, 409) to the caller.
    pub(crate) fn send(
        &self,
        what: &str,
        expected: &[StatusCode],
        mut on_retry: impl FnMut(),
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Response, SyncError> {
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut renewed = false;
        loop {
            let request = build(&self.http).bearer_auth(self.credentials.access());
            let failure = match request.send() {
                Ok(r) if r.status().is_success() || expected.contains(&r.status()) => {
                    return Ok(r);
                }
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED && !renewed => {
                    self.renew()?;
                    renewed = true;
                    continue;
                }
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED => {
                    return Err(SyncError::Unauthorized(server_message(r)));
                }
                Ok(r)
                    if r.status().is_server_error()
                        || r.status() == StatusCode::TOO_MANY_REQUESTS =>
                {
                    format!("{} ({})", server_message(r), what)
                }
                Ok(r) => {
                    let status = r.status().as_u16();
                    return Err(SyncError::Refused {
                        what: what.to_owned(),
                        status,
                        message: server_message(r),
                    });
                }
                Err(e) => format!("{e} ({what})"),
            };
            attempt += 1;
            if started.elapsed() >= self.retry.give_up_after {
                return Err(SyncError::Unreachable { message: failure });
            }
            on_retry();
            std::thread::sleep(self.retry.delay(attempt));
        }
    }
}
