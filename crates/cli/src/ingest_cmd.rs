//! `paraakh ingest`: the reference backend (serve), its keys (init), upload
//! tokens (token) and a session's copy as a verifiable directory (export).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use paraakh_ingest::{Backend, BackendKeys, export, open_store, store::SessionStore, tokens};

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
}

#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The backend's data directory (keys; the object store too, unless --store is given).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Object store: file:///PATH or s3://BUCKET[/PREFIX] (with the AWS_* variables); default: the one last given for DATA, else DATA/store.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
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
    /// Lifetime of access tokens issued on refresh, in seconds.
    #[arg(long, default_value_t = 900)]
    access_ttl: i64,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenants to create token keys for.
    #[arg(long = "tenant", value_name = "ID")]
    tenants: Vec<String>,
    /// Name of the cosigning key (appears in receipts).
    #[arg(long, default_value = "ingest.paraakh.example")]
    name: String,
}

#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenant.
    #[arg(long)]
    tenant: String,
    /// Session the token uploads.
    #[arg(long)]
    session: String,
    /// Exam of the session.
    #[arg(long)]
    exam: String,
    /// Lifetime of the access token in seconds (at most 3600).
    #[arg(long, default_value_t = 900)]
    ttl: i64,
    /// Write the tokens to this file (owner-only) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Tenant.
    #[arg(long)]
    tenant: String,
    /// Session.
    #[arg(long)]
    session: String,
    /// New directory to write the session into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn run(cmd: IngestCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IngestCommand::Init(args) => {
            let vkey = BackendKeys::init(&args.store.data, &args.name, &args.tenants)?;
            crate::render::out(&format!(
                "Backend keys are in {}.\nReceipts are cosigned by {vkey}\n(pin it with `paraakh verify --backend-key {}`)\n",
                args.store.data.display(),
                args.store.data.join("backend.pub").display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        IngestCommand::Serve(args) => serve(args),
        IngestCommand::Token(args) => {
            let keys = BackendKeys::load(&args.store.data)?;
            let store = open_store(&args.store.data, args.store.store.as_deref())?;
            let tokens = runtime()?.block_on(tokens::issue(
                &keys,
                &store,
                &args.tenant,
                &args.session,
                &args.exam,
                args.ttl,
            ))?;
            let json = serde_json::to_string_pretty(&tokens)?;
            match &args.out {
                Some(path) => crate::render::write_secret(path, &json)?,
                None => crate::render::out(&format!("{json}\n"))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        IngestCommand::Export(args) => {
            let store = open_store(&args.store.data, args.store.store.as_deref())?;
            let session = SessionStore::new(store, &args.tenant, &args.session);
            let done = runtime()?.block_on(export::export(&session, &args.out))?;
            if done.records == 0 {
                anyhow::bail!(
                    "the backend holds no records of session {:?} of tenant {:?}",
                    args.session,
                    args.tenant
                );
            }
            crate::render::out(&format!(
                "Exported {} records, {} checkpoints, {} receipts and {} blobs into {}.\nCheck it with: paraakh verify {} --backend-key {}\n",
                done.records,
                done.checkpoints,
                done.receipts,
                done.blobs,
                args.out.display(),
                args.out.display(),
                args.store.data.join("backend.pub").display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let data = &args.store.data;
    if !data.join("backend.key").exists() || !args.tenants.is_empty() {
        BackendKeys::init(data, "ingest.paraakh.example", &args.tenants)?;
    }
    let keys = BackendKeys::load(data)?;
    if keys.tenants.is_empty() {
        anyhow::bail!(
            "no tenant is configured in {}: start with --tenant ID (or run `paraakh ingest init --tenant ID`)",
            data.display()
        );
    }
    let store = open_store(data, args.store.store.as_deref())?;
    let backend = Arc::new(Backend::new(keys, store, args.access_ttl));
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        crate::render::out(&format!("paraakh ingest: listening on http://{addr}\n"))?;
        axum::serve(listener, backend.router())
            .with_graceful_shutdown(shutdown_signal())
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
