//! `paraakh ingest`: the reference backend (serve), its keys (init), upload
//! tokens (token), exams handed out by link (exam, link, revoke, trust) and
//! a session's copy as a verifiable directory (export).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use paraakh_ingest::{Backend, BackendKeys, export, join, store::SessionStore, tokens};

#[derive(Debug, Subcommand)]
pub(crate) enum IngestCommand {
    /// Run the backend: the upload protocol over HTTP (GET /openapi.yaml describes it).
    Serve(ServeArgs),
    /// Create the backend's cosigning key and token keys for tenants (existing keys are kept).
    Init(InitArgs),
    /// Issue an upload token (JSON: access_token, refresh_token, expires_in) for one session.
    Token(TokenArgs),
    /// Write the backend's copy of a session as a session directory (check it with `paraakh verify`).
    Export(ExportArgs),
    /// Add an exam to hand out by join link (its package and content key).
    Exam(ExamArgs),
    /// Issue a join link for an exam (one candidate, one computer).
    Link(LinkArgs),
    /// Revoke a join link by its token id (printed by `link`).
    Revoke(RevokeArgs),
    /// Print the installation config block that trusts this backend's links and receipts.
    Trust(TrustArgs),
    /// Set how long a tenant keeps a session's evidence after its review closes.
    Retention(RetentionArgs),
    /// Delete now what the tenants' retention lets go (`serve` does it every --sweep-every).
    Sweep(SweepArgs),
    /// Load a backend with simulated candidates uploading real sessions, then check every session it holds.
    Load(LoadArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A backend to upload to (repeat for replicas: candidates are spread over them by session, and move to the next when one fails).
    #[arg(long = "server", value_name = "URL", required = true)]
    servers: Vec<String>,
    /// Send each upload round to the next server (round robin with no affinity) instead of keeping a candidate on one.
    #[arg(long)]
    rotate: bool,
    /// Tenant of the sessions.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// Exam of the sessions.
    #[arg(long, value_name = "ID", default_value = "load")]
    exam: String,
    /// The tenant's evidence encryption key to encrypt to (encryption.pub).
    #[arg(long, value_name = "FILE")]
    encryption_key: PathBuf,
    /// Simulated candidates.
    #[arg(long, value_name = "N", default_value_t = 100)]
    candidates: usize,
    /// How long each candidate's exam lasts (its session is uploaded as it is recorded over this time).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::grammar::duration)]
    duration: Duration,
    /// Candidates start spread over this long.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::grammar::duration)]
    ramp: Duration,
    /// A candidate uploads what it recorded every this often.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = crate::grammar::duration)]
    every: Duration,
    /// Give up on a candidate not complete this long after its exam ended.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::grammar::duration)]
    grace: Duration,
    /// Uploads in flight at once.
    #[arg(long, value_name = "N", default_value_t = 32)]
    workers: usize,
    /// Event records per session.
    #[arg(long, value_name = "N", default_value_t = 300)]
    events: u64,
    /// Encrypted media blobs per session.
    #[arg(long, value_name = "N", default_value_t = 6)]
    blobs: u64,
    /// Blob plaintext size in bytes, or a range MIN-MAX.
    #[arg(long, value_name = "BYTES", default_value = "20000-120000", value_parser = crate::simulate_cmd::parse_range)]
    blob_size: (u64, u64),
    /// Records between checkpoints.
    #[arg(long, value_name = "N", default_value_t = 20)]
    checkpoint_records: u64,
    /// Session ids are this and the candidate's number.
    #[arg(long, value_name = "PREFIX", default_value = "load-")]
    prefix: String,
    /// Print one JSON document (load: figures; check: verified, stored_bytes, failures; ok).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct IndexArgs {
    /// The index (sessions, review state, access log): a SQLite file (default: DIR/index.sqlite), or postgres://USER@HOST/DATABASE shared by several replicas.
    #[arg(long, value_name = "INDEX")]
    index: Option<String>,
}

impl IndexArgs {
    fn open(&self, data: &std::path::Path) -> anyhow::Result<paraakh_ingest::index::Index> {
        Ok(match &self.index {
            Some(spec) => paraakh_ingest::index::Index::open(spec)?,
            None => paraakh_ingest::index::Index::open_sqlite(&data.join("index.sqlite"))?,
        })
    }
}

#[derive(Debug, Args)]
pub(crate) struct RetentionArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    index: IndexArgs,
    /// Tenant.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// How long after a session's review closes its evidence is kept (0s: deleted at the next sweep; a tenant never given one keeps everything).
    #[arg(long, value_name = "DURATION", value_parser = crate::grammar::duration)]
    keep: Duration,
    /// Print one JSON document (tenant, keep_seconds).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    index: IndexArgs,
    /// Print one JSON document (deleted: tenant, session_id, closed_at, objects).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The backend's data directory (keys; the object store too, unless --store is given).
    #[arg(long, value_name = "DIR", alias = "data")]
    data_dir: PathBuf,
    /// Object store: file:///PATH or s3://BUCKET[/PREFIX] (with the AWS_* variables); default: the one last given for the data directory, else DIR/store.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// A tenant's own object store, e.g. acme=s3://acme-eu/evidence?endpoint=https://s3.eu-central-1.amazonaws.com&region=eu-central-1 (repeatable; remembered for the data directory): its objects go there and nowhere else.
    #[arg(long, value_name = "TENANT=URL")]
    tenant_store: Vec<String>,
}

impl StoreArgs {
    /// Every tenant's store.
    fn stores(&self) -> anyhow::Result<paraakh_ingest::Stores> {
        Ok(paraakh_ingest::Stores::open(
            &self.data_dir,
            self.store.as_deref(),
            &self.tenant_store,
        )?)
    }

    /// The store of `tenant`'s objects.
    fn open_for(&self, tenant: &str) -> anyhow::Result<paraakh_ingest::stores::Store> {
        Ok(Arc::clone(self.stores()?.of(tenant)))
    }
}

/// How long the refresh tokens issued live: `--refresh-ttl`, or the old
/// `--refresh-days`.
#[derive(Debug, Args)]
pub(crate) struct RefreshArgs {
    /// Lifetime of refresh tokens (1d to 365d; default 30d).
    #[arg(long, value_name = "DURATION", value_parser = crate::grammar::duration, conflicts_with = "refresh_days")]
    refresh_ttl: Option<Duration>,
    /// Deprecated: use --refresh-ttl (this one counts days).
    #[arg(long, value_name = "N", hide = true)]
    refresh_days: Option<u32>,
}

impl RefreshArgs {
    fn resolve(&mut self) {
        if let Some(days) = self.refresh_days.take() {
            self.refresh_ttl = Some(Duration::from_secs(u64::from(days) * 86_400));
        }
    }

    /// Seconds, at least a day and at most a year.
    fn secs(&self) -> i64 {
        secs(self.refresh_ttl.unwrap_or(Duration::from_secs(30 * 86_400)))
            .clamp(86_400, 365 * 86_400)
    }
}

/// Whole seconds of a duration, as the token code counts them.
fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    /// Tenants to serve; keys are created for any not yet known.
    #[arg(long = "tenant", value_name = "ID")]
    tenants: Vec<String>,
    /// The tenants' evidence key (encryption.pub) for the tenants given: sessions encrypted to any other key are refused.
    #[arg(long, value_name = "FILE")]
    encryption_key: Option<PathBuf>,
    /// Lifetime of access tokens issued on refresh.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = crate::grammar::duration)]
    access_ttl: Duration,
    #[command(flatten)]
    index: IndexArgs,
    /// How often the tenants' retention is applied (see `ingest retention`).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::grammar::duration)]
    sweep_every: Duration,
    /// A tenant's evidence key, the secret one (encryption.key; repeatable): review pages show the evidence decrypted (without it they list it only).
    #[arg(long, value_name = "FILE")]
    tenant_key: Vec<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    /// Print one JSON document on one line as soon as it listens ({"url", "listen"}).
    #[arg(long)]
    json: bool,
}

/// What one client may cost the backend.
#[derive(Debug, Args)]
pub(crate) struct LimitArgs {
    /// Connections served at once (more wait in the kernel's queue).
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    /// Time a client has to send a request's headers (also between requests).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = crate::grammar::duration)]
    header_timeout: Duration,
    /// Time a client has to send a request's body.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::grammar::duration)]
    body_timeout: Duration,
    /// Largest blob a session may upload, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    max_blob_bytes: u64,
    /// Most evidence one session may hold, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 2 << 30)]
    session_quota: u64,
    /// Most evidence one tenant may hold, in bytes (default: no limit).
    #[arg(long, value_name = "BYTES")]
    tenant_quota: Option<u64>,
    /// Time after which an idle session's state leaves memory.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::grammar::duration)]
    idle_session: Duration,
    #[command(flatten)]
    refresh: RefreshArgs,
    /// Memory all request bodies may take together, MiB (more wait, then get 503).
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    body_memory_mib: u32,
}

impl LimitArgs {
    fn limits(&self) -> paraakh_ingest::Limits {
        let second = Duration::from_secs(1);
        paraakh_ingest::Limits {
            max_connections: self.max_connections.max(1),
            header_timeout: self.header_timeout.max(second),
            body_timeout: self.body_timeout.max(second),
            max_blob_bytes: self.max_blob_bytes,
            session_quota_bytes: self.session_quota,
            tenant_quota_bytes: self.tenant_quota.unwrap_or(u64::MAX),
            idle_session: self.idle_session.max(second),
            refresh_ttl_secs: self.refresh.secs(),
            body_memory_mib: self.body_memory_mib.max(1),
            ..paraakh_ingest::Limits::default()
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenants to create token keys for.
    #[arg(long = "tenant", value_name = "ID")]
    tenants: Vec<String>,
    /// The tenants' evidence key (encryption.pub): sessions encrypted to any other key are refused.
    #[arg(long, value_name = "FILE")]
    encryption_key: Option<PathBuf>,
    /// Name of the cosigning key (appears in receipts).
    #[arg(long, value_name = "NAME", default_value = "ingest.paraakh.example")]
    name: String,
    /// Print one JSON document (data_dir, backend_key, backend_key_file, tenants).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenant.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// Who the token is for: candidate (uploads one session), proctor, reviewer, auditor or admin.
    #[arg(long, value_name = "ROLE", default_value = "candidate", value_parser = ["candidate", "proctor", "reviewer", "auditor", "admin"])]
    role: String,
    /// The staff member the token is for, as the access log names them (proctor, reviewer, auditor, admin).
    #[arg(long, value_name = "NAME", required_if_eq_any = [("role", "proctor"), ("role", "reviewer"), ("role", "auditor"), ("role", "admin")])]
    subject: Option<String>,
    /// Session the token uploads (candidate).
    #[arg(
        long,
        value_name = "ID",
        alias = "session",
        required_if_eq("role", "candidate")
    )]
    session_id: Option<String>,
    /// Exam of the session (candidate).
    #[arg(long, value_name = "ID", required_if_eq("role", "candidate"))]
    exam: Option<String>,
    /// Lifetime of the access token (at most 1h).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = crate::grammar::duration, alias = "ttl")]
    access_ttl: Duration,
    #[command(flatten)]
    refresh: RefreshArgs,
    /// The computer's device key (its device.pub, a note verifier key): the session is bound to it now. Without it, the first statement or upload binds one.
    #[arg(long, value_name = "FILE", alias = "device-key")]
    device_public_key: Option<PathBuf>,
    /// Write the tokens to this file (owner-only) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print one JSON document: the tokens, or with --out where they are (no secrets).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenant.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// Session.
    #[arg(long, value_name = "ID", alias = "session")]
    session_id: String,
    /// New directory to write the session into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print one JSON document (out, records, checkpoints, receipts, blobs, statement, conflicts).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExamArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenant.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// The signed exam package (`paraakh sign exam`).
    #[arg(long, value_name = "FILE")]
    package: PathBuf,
    /// Its content key file (default: PACKAGE.content-key).
    #[arg(long, value_name = "FILE")]
    content_key: Option<PathBuf>,
    /// The tenant's signing key(s) the package must verify against (signing.pub).
    #[arg(long = "signing-key", value_name = "FILE", required = true)]
    signing_keys: Vec<PathBuf>,
    /// Print one JSON document (exam_id, title, opens_at, closes_at, questions_from).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LinkArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenant.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// The exam the link starts (added with `paraakh ingest exam`).
    #[arg(long, value_name = "ID")]
    exam: String,
    /// Who the link is for (kept with the session; shown to no one else).
    #[arg(long, value_name = "NAME")]
    candidate: Option<String>,
    /// How long the link can be used (at most 365d).
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = crate::grammar::duration)]
    valid: Duration,
    /// Print one JSON document (link, token_id, expires_at).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenant.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// The link's token id, as `paraakh ingest link` printed it.
    #[arg(long = "token-id", value_name = "ID")]
    token_id: String,
    /// Print one JSON document (token_id, revoked, session_id).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// The backend's data directory.
    #[arg(long, value_name = "DIR", alias = "data")]
    data_dir: PathBuf,
    /// Tenant.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// The tenant's name as candidates see it.
    #[arg(long, value_name = "NAME", alias = "name")]
    tenant_name: Option<String>,
    /// The backend's address as installations reach it.
    #[arg(long, value_name = "URL", alias = "url")]
    server: Option<String>,
    /// The tenant's signing key(s) (signing.pub), to write a complete block.
    #[arg(long = "signing-key", value_name = "FILE")]
    signing_keys: Vec<PathBuf>,
    /// Print one JSON document (tenant, config: the TOML block).
    #[arg(long)]
    json: bool,
}

impl IngestCommand {
    /// Old spellings that are flags of their own, folded into the new ones.
    pub(crate) fn resolve(&mut self) {
        match self {
            IngestCommand::Serve(args) => args.limits.refresh.resolve(),
            IngestCommand::Token(args) => args.refresh.resolve(),
            _ => {}
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn read_encryption_key(
    path: Option<&std::path::Path>,
) -> anyhow::Result<Option<paraakh_evidence::TenantPublicKey>> {
    path.map(|p| {
        crate::verify_cmd::read_key(
            p,
            "tenant encryption public key",
            paraakh_evidence::TenantPublicKey::parse,
        )
    })
    .transpose()
}

pub(crate) fn run(cmd: IngestCommand) -> anyhow::Result<ExitCode> {
    // Everything the backend writes (keys, content keys, tokens, evidence)
    // is for its operator's eyes only.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    match cmd {
        IngestCommand::Init(args) => init(args),
        IngestCommand::Serve(args) => serve(args),
        IngestCommand::Token(args) => token(args),
        IngestCommand::Exam(args) => add_exam(args),
        IngestCommand::Link(args) => link(args),
        IngestCommand::Revoke(args) => revoke(args),
        IngestCommand::Trust(args) => trust(args),
        IngestCommand::Export(args) => export_session(args),
        IngestCommand::Retention(args) => retention(args),
        IngestCommand::Sweep(args) => sweep(args),
        IngestCommand::Load(args) => load(args),
    }
}

fn retention(args: RetentionArgs) -> anyhow::Result<ExitCode> {
    let index = args.index.open(&args.store.data_dir)?;
    let keep = i64::try_from(args.keep.as_secs()).unwrap_or(i64::MAX);
    index.set_retention(&args.tenant, Some(keep))?;
    if args.json {
        crate::render::print_json(
            &serde_json::json!({"tenant": args.tenant, "keep_seconds": keep}),
        )?;
    } else {
        crate::render::out(&format!(
            "Tenant {}: a session's evidence is deleted {keep} s after its review closes (never while pending review or under a legal hold).\n",
            args.tenant
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let data = &args.store.data_dir;
    let index = Arc::new(args.index.open(data)?);
    let stores = args.store.stores()?;
    let deleted = runtime()?.block_on(paraakh_ingest::retention::sweep(
        &stores,
        &index,
        tokens::now_secs(),
    ))?;
    if args.json {
        crate::render::print_json(&serde_json::json!({"deleted": deleted}))?;
    } else {
        let mut text = format!(
            "{} sessions deleted under their tenant's retention\n",
            deleted.len()
        );
        for d in &deleted {
            text.push_str(&format!(
                "  {} {} ({} objects)\n",
                d.tenant, d.session_id, d.objects
            ));
        }
        crate::render::out(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let data = &args.store.data_dir;
    let encryption = read_encryption_key(args.encryption_key.as_deref())?;
    let vkey = BackendKeys::init(data, &args.name, &args.tenants, encryption.as_ref())?;
    let vkey_file = data.join("backend.pub");
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "data_dir": data,
            "backend_key": vkey,
            "backend_key_file": vkey_file,
            "tenants": args.tenants,
        }))?;
    } else {
        crate::render::out(&format!(
            "Backend keys are in {}.\nReceipts are cosigned by {vkey}\n(pin it with `paraakh verify --backend-key {}`)\n",
            data.display(),
            vkey_file.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn token(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let data = &args.store.data_dir;
    let keys = BackendKeys::load(data)?;
    let role = paraakh_policy::jwt::Role::parse(&args.role)
        .with_context(|| format!("unknown role {:?}", args.role))?;
    if role != paraakh_policy::jwt::Role::Candidate {
        return staff_token(&keys, &args, role);
    }
    let (Some(session_id), Some(exam)) = (args.session_id.clone(), args.exam.clone()) else {
        anyhow::bail!("a candidate's token is for one session: give --session-id and --exam");
    };
    let store = args.store.open_for(&args.tenant)?;
    let device = args
        .device_public_key
        .as_deref()
        .map(|p| {
            crate::verify_cmd::read_key(p, "device key (device.pub)", |t| {
                paraakh_evidence::NoteVerifier::parse(t)
            })
        })
        .transpose()?;
    let runtime = runtime()?;
    if let Some(device) = &device {
        runtime.block_on(paraakh_ingest::binding::bind(
            &store,
            &args.tenant,
            &session_id,
            device.public_key(),
            paraakh_ingest::binding::BoundBy::Token,
        ))?;
    }
    let tokens = runtime.block_on(tokens::issue(
        &keys,
        &store,
        &args.tenant,
        &session_id,
        &exam,
        secs(args.access_ttl),
        args.refresh.secs(),
    ))?;
    let about = serde_json::json!({
        "session_id": session_id,
        "exam": exam,
        "device_bound": device.is_some(),
    });
    write_tokens(&args, &tokens, about)
}

/// Prints the tokens (the same document with or without --json), or writes
/// them owner-only to --out and, with --json, says where and what (`about`).
fn write_tokens(
    args: &TokenArgs,
    tokens: &paraakh_protocol::Tokens,
    about: serde_json::Value,
) -> anyhow::Result<ExitCode> {
    let json = serde_json::to_string_pretty(tokens)?;
    match &args.out {
        Some(path) => {
            crate::render::write_secret(path, &json)?;
            if args.json {
                let mut doc = serde_json::json!({
                    "out": path,
                    "tenant": args.tenant,
                    "expires_in": tokens.expires_in,
                });
                if let (Some(doc), serde_json::Value::Object(about)) = (doc.as_object_mut(), about)
                {
                    doc.extend(about);
                }
                crate::render::print_json(&doc)?;
            }
        }
        None => crate::render::out(&format!("{json}\n"))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn link(args: LinkArgs) -> anyhow::Result<ExitCode> {
    let keys = BackendKeys::load(&args.store.data_dir)?;
    let valid = secs(args.valid);
    let (link, token_id) = join::issue_link(
        &keys,
        &args.tenant,
        &args.exam,
        args.candidate.as_deref(),
        valid,
    )?;
    let expires_at = tokens::now_secs() + valid;
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "link": link,
            "token_id": token_id,
            "expires_at": expires_at,
        }))?;
    } else {
        crate::render::out(&format!(
            "{link}\nToken id {token_id} (revoke with `paraakh ingest revoke --tenant {} --token-id {token_id}`); valid until {}.\n",
            args.tenant,
            paraakh_evidence::clock::format_utc(expires_at.saturating_mul(1_000_000_000))
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(args: RevokeArgs) -> anyhow::Result<ExitCode> {
    let store = args.store.open_for(&args.tenant)?;
    let session = runtime()?.block_on(join::revoke(&store, &args.tenant, &args.token_id))?;
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "token_id": args.token_id,
            "revoked": true,
            "session_id": session,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let ended = match session {
        Some(s) => format!(
            " Session {s}, which it started, can no longer upload, renew its token or receive the questions (recorded with the session)."
        ),
        None => " It had not joined yet.".to_owned(),
    };
    crate::render::out(&format!(
        "Revoked: the link with token id {} joins nothing any more.{ended}\n",
        args.token_id
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn export_session(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let data = &args.store.data_dir;
    let store = args.store.open_for(&args.tenant)?;
    let session = SessionStore::new(store, &args.tenant, &args.session_id);
    let done = runtime()?.block_on(export::export(&session, &args.out))?;
    if done.records == 0 {
        anyhow::bail!(
            "the backend holds no records of session {:?} of tenant {:?}",
            args.session_id,
            args.tenant
        );
    }
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "out": args.out,
            "tenant": args.tenant,
            "session_id": args.session_id,
            "records": done.records,
            "checkpoints": done.checkpoints,
            "receipts": done.receipts,
            "blobs": done.blobs,
            "statement": done.statement,
            "conflicts": done.conflicts,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::render::out(&format!(
        "Exported {} records, {} checkpoints, {} receipts, {} blobs{}{} into {}.\nCheck it with: paraakh verify {} --backend-key {}\n",
        done.records,
        done.checkpoints,
        done.receipts,
        done.blobs,
        if done.statement {
            ", the session statement"
        } else {
            ""
        },
        if done.conflicts > 0 {
            format!(" and {} refused histories (conflicts)", done.conflicts)
        } else {
            String::new()
        },
        args.out.display(),
        args.out.display(),
        data.join("backend.pub").display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn add_exam(args: ExamArgs) -> anyhow::Result<ExitCode> {
    let package = std::fs::read(&args.package)
        .with_context(|| format!("cannot read the exam package {}", args.package.display()))?;
    let key_path = args.content_key.clone().unwrap_or_else(|| {
        let mut p = args.package.clone().into_os_string();
        p.push(".content-key");
        PathBuf::from(p)
    });
    let key_text = zeroize::Zeroizing::new(
        std::fs::read_to_string(&key_path)
            .with_context(|| format!("cannot read the content key {}", key_path.display()))?,
    );
    let key = parse_key(key_text.trim()).with_context(|| {
        format!(
            "{} is not a content key (64 hex digits, as `paraakh sign exam` writes)",
            key_path.display()
        )
    })?;
    let signing = crate::exam_cmd::read_trusted(&args.signing_keys)?;
    let store = args.store.open_for(&args.tenant)?;
    let entry = runtime()?.block_on(join::add_exam(
        &store,
        &args.tenant,
        &package,
        &key,
        &signing,
    ))?;
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "tenant": args.tenant,
            "exam_id": entry.exam_id,
            "title": entry.title,
            "opens_at": entry.opens_at,
            "closes_at": entry.closes_at,
            "questions_from": entry.key_from(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let utc = |t: i64| paraakh_evidence::clock::format_utc(t.saturating_mul(1_000_000_000));
    crate::render::out(&format!(
        "Added exam {:?} ({}): open {} to {}; its questions are released from {}.\nIssue links with: paraakh ingest link --data-dir {} --tenant {} --exam {}\n",
        entry.title,
        entry.exam_id,
        utc(entry.opens_at),
        utc(entry.closes_at),
        utc(entry.key_from()),
        args.store.data_dir.display(),
        args.tenant,
        entry.exam_id
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// 32 bytes as 64 lowercase hex digits (the same text as a SHA-256).
fn parse_key(hex: &str) -> Option<zeroize::Zeroizing<[u8; 32]>> {
    paraakh_evidence::record::HexHash::parse(hex).map(|h| zeroize::Zeroizing::new(h.0))
}

fn trust(args: TrustArgs) -> anyhow::Result<ExitCode> {
    let keys = BackendKeys::load(&args.data_dir)?;
    let auth = keys.tenant(&args.tenant).with_context(|| {
        format!(
            "no token key for tenant {:?} in {}: run `paraakh ingest init --tenant {} --data-dir {}`",
            args.tenant,
            args.data_dir.display(),
            args.tenant,
            args.data_dir.display()
        )
    })?;
    let paraakh_policy::jwt::PublicKey::Ed25519(x) = &auth.key.key else {
        anyhow::bail!("the tenant's token key is not an Ed25519 key");
    };
    let x = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, x);
    let signing = crate::exam_cmd::read_trusted(&args.signing_keys)?;
    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut text = format!("[tenants.{}]\n", args.tenant);
    text.push_str(&format!(
        "name = {}\n",
        quote(args.tenant_name.as_deref().unwrap_or(&args.tenant))
    ));
    let list: Vec<String> = signing.iter().map(|k| quote(&k.encode())).collect();
    text.push_str(&format!("signing_keys = [{}]\n", list.join(", ")));
    if let Some(url) = &args.server {
        text.push_str(&format!("backend_url = {}\n", quote(url)));
    }
    text.push_str(&format!(
        "backend_key = {}\naudience = {}\n\n[[tenants.{}.jwt_keys]]\nkid = {}\nissuer = {}\njwk = {{ kty = \"OKP\", crv = \"Ed25519\", x = {} }}\n",
        quote(&keys.cosigner.verifier().encode()),
        quote(join::LINK_AUDIENCE),
        args.tenant,
        quote(&auth.key.kid),
        quote(&auth.key.issuer),
        quote(&x)
    ));
    if signing.is_empty() {
        crate::render::note(
            "signing_keys is empty: add the tenant's signing.pub (--signing-key) before installing this block",
        );
    }
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "tenant": args.tenant,
            "signing_keys": signing.len(),
            "config": text,
        }))?;
    } else {
        crate::render::out(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A staff member's access token (no refresh token: ask for a new one).
fn staff_token(
    keys: &BackendKeys,
    args: &TokenArgs,
    role: paraakh_policy::jwt::Role,
) -> anyhow::Result<ExitCode> {
    if args.session_id.is_some() || args.exam.is_some() || args.device_public_key.is_some() {
        anyhow::bail!(
            "a {} token is for the tenant, not one session: leave out --session-id, --exam and --device-public-key",
            role.as_str()
        );
    }
    let subject = args.subject.as_deref().unwrap_or_default();
    let tokens = tokens::issue_staff(keys, &args.tenant, role, subject, secs(args.access_ttl))?;
    write_tokens(
        args,
        &tokens,
        serde_json::json!({"role": role.as_str(), "subject": subject}),
    )
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let data = &args.store.data_dir;
    let encryption = read_encryption_key(args.encryption_key.as_deref())?;
    if !data.join("backend.key").exists() || !args.tenants.is_empty() {
        BackendKeys::init(
            data,
            "ingest.paraakh.example",
            &args.tenants,
            encryption.as_ref(),
        )?;
    }
    let keys = BackendKeys::load(data)?;
    if keys.tenants.is_empty() {
        anyhow::bail!(
            "no tenant is configured in {}: start with --tenant ID (or run `paraakh ingest init --tenant ID`)",
            data.display()
        );
    }
    // What a killed predecessor left half-written is never an object.
    paraakh_ingest::sweep_half_written(data, args.store.store.as_deref())?;
    let stores = args.store.stores()?;
    for tenant in &keys.tenants {
        if tenant.encryption_key.is_none() {
            crate::render::note(&format!(
                "tenant {} has no evidence key: its uploads are refused until you run `paraakh ingest init --data-dir {} --tenant {} --encryption-key encryption.pub`",
                tenant.tenant,
                data.display(),
                tenant.tenant
            ));
        }
    }
    let index = Arc::new(args.index.open(data)?);
    let secrets = args
        .tenant_key
        .iter()
        .map(|p| {
            crate::verify_cmd::read_key(
                p,
                "tenant encryption secret key",
                paraakh_evidence::TenantSecretKey::parse,
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (sweep_stores, sweep_index) = (stores.clone(), Arc::clone(&index));
    let backend = Arc::new(
        Backend::new(
            keys,
            Arc::clone(stores.shared()),
            secs(args.access_ttl),
            args.limits.limits(),
        )
        .with_stores(stores)
        .with_index(index)
        .with_tenant_secrets(secrets)?,
    );
    let sweep_every = args.sweep_every.max(Duration::from_secs(1));
    runtime()?.block_on(async move {
        // The tenants' retention, applied now and then (any replica may:
        // deleting what is gone already is no error).
        tokio::spawn(async move {
            loop {
                match paraakh_ingest::retention::sweep(
                    &sweep_stores,
                    &sweep_index,
                    tokens::now_secs(),
                )
                .await
                {
                    Ok(d) if !d.is_empty() => {
                        crate::render::note(&format!("retention: deleted {} sessions", d.len()))
                    }
                    Ok(_) => {}
                    Err(e) => crate::render::note(&format!(
                        "retention sweep failed (tried again later): {e}"
                    )),
                }
                tokio::time::sleep(sweep_every).await;
            }
        });
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        if args.json {
            // One line, at once: a script reads it and goes on while the server runs.
            let doc = serde_json::json!({"url": format!("http://{addr}"), "listen": addr});
            crate::render::out(&format!("{doc}\n"))?;
        } else {
            crate::render::out(&format!("paraakh ingest: listening on http://{addr}\n"))?;
        }
        paraakh_ingest::serve(backend, listener, shutdown_signal())
            .await
            .context("the server stopped")
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

fn load(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let data = &args.store.data_dir;
    let keys = BackendKeys::load(data)?;
    let stores = args.store.stores()?;
    let tenant_key = read_encryption_key(Some(&args.encryption_key))?
        .context("an --encryption-key is needed: the sessions are encrypted to it")?;
    let backend_key = crate::verify_cmd::read_backend_key(&data.join("backend.pub"))?;
    if args.checkpoint_records == 0 {
        anyhow::bail!("--checkpoint-records must be at least 1");
    }
    let opts = paraakh_load::LoadOptions {
        servers: args.servers.clone(),
        rotate: args.rotate,
        tenant: args.tenant.clone(),
        exam: args.exam.clone(),
        candidates: args.candidates,
        duration: args.duration,
        ramp: args.ramp,
        every: args.every.max(Duration::from_millis(100)),
        workers: args.workers.max(1),
        recording: paraakh_load::Recording {
            events: args.events,
            blobs: args.blobs,
            blob_size: args.blob_size,
            checkpoint_every: args.checkpoint_records,
        },
        prefix: args.prefix.clone(),
        grace: args.grace,
    };
    let work = paraakh_load::work_dir()?;
    crate::render::note(&format!(
        "recording {} sessions, then uploading them over {} s",
        opts.candidates,
        (opts.ramp + opts.duration).as_secs()
    ));
    let (report, expected) = paraakh_load::run(&opts, &keys, &stores, &tenant_key, work.path())?;
    crate::render::note("checking every session the backend holds");
    let check = paraakh_load::check(
        &expected,
        &args.tenant,
        &stores,
        &backend_key,
        work.path(),
        opts.workers.min(16),
    )?;
    let ok = report.complete == report.candidates && check.failures.is_empty();
    if args.json {
        crate::render::print_json(&serde_json::json!({"load": report, "check": check, "ok": ok}))?;
    } else {
        let r = &report;
        let mut text = format!(
            "{} candidates, {:.0} s: {} complete; {} rounds ({:.1}/s), {} failed; round p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n{} records ({:.0}/s), {} blobs, {:.1} MB sent ({:.2} MB/s), {} retries\nchecked: {} verified with every record under a receipt, {} failed; the tenant holds {:.1} MB\n",
            r.candidates,
            r.seconds,
            r.complete,
            r.rounds,
            r.rounds_per_second,
            r.failed_rounds,
            r.round_ms.p50,
            r.round_ms.p90,
            r.round_ms.p99,
            r.round_ms.max,
            r.records_sent,
            r.records_per_second,
            r.blobs_sent,
            r.bytes_sent as f64 / 1e6,
            r.bytes_per_second / 1e6,
            r.retries,
            check.verified,
            check.failures.len(),
            check.stored_bytes as f64 / 1e6
        );
        for (e, n) in &r.errors {
            text.push_str(&format!("  {n} × {e}\n"));
        }
        for f in &check.failures {
            text.push_str(&format!("  FAILED {f}\n"));
        }
        crate::render::out(&text)?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
