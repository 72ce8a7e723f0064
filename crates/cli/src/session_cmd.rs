//! `paraakh session run`: a headless proctoring session with real devices
//! or replay sources, printing events as they happen.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use paraakh_capture::ConsentScope;
use paraakh_engine::session::rules::Observation;
use paraakh_engine::session::{
    Command, CommandError, EngineEvent, Environment, LaunchSource, Session, SessionConfig,
    SessionIdentity, Sources, UploadConfig, save_typed_answer, submit,
};
use paraakh_evidence::keys::{NoteSigner, TenantPublicKey};
use paraakh_evidence::layout;
use paraakh_evidence::record::ClientInfo;

use crate::policy_cmd::PolicyArgs;

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// The session directory (an unfinished session there is resumed in a new segment).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The tenant's evidence encryption key to encrypt to (encryption.pub).
    #[arg(long, value_name = "FILE", alias = "tenant-key")]
    encryption_key: PathBuf,
    /// Tenant id.
    #[arg(long, value_name = "ID", default_value = "demo-tenant")]
    tenant: String,
    /// Exam id.
    #[arg(long, value_name = "ID", default_value = "demo-exam")]
    exam: String,
    /// Session id (default: a new random one).
    #[arg(long, value_name = "ID")]
    session_id: Option<String>,
    /// Webcam: a camera index, or a directory of images or a .y4m video to replay.
    #[arg(long, value_name = "SRC")]
    camera: Option<String>,
    /// Microphone: `default`, `device:NAME`, or a WAV file to replay in real time.
    #[arg(long, value_name = "SRC")]
    microphone: Option<String>,
    /// Screens: `desktop`, or a directory of images to replay.
    #[arg(long, value_name = "SRC")]
    screen: Option<String>,
    /// The candidate agreed to the capture the policy describes (required for any source).
    #[arg(long)]
    consent: bool,
    /// End after this long (more than 0, less than 7d); default: when the commands say so, or Ctrl-C.
    #[arg(long, value_name = "DURATION", value_parser = crate::grammar::duration)]
    duration: Option<Duration>,
    /// Commands as JSON lines (`-` for stdin): {"save_answer":{"question":..,"answer":..[,"typing":{"intervals_ms":[..],"inserted":[..]}]}},
    /// {"report":"focus_lost"|"fullscreen_exit"|"devtools_attempt"}, {"pause":"why"},
    /// {"resume":true}, {"confirm_held":"who"} (a proctor confirmed a new input device), {"submit":true}, {"end":"why"};
    /// {"sleep":SECONDS} waits.
    #[arg(long, value_name = "FILE")]
    commands: Option<PathBuf>,
    /// This installation's device key (created if missing; default: in the data directory).
    #[arg(long, value_name = "FILE")]
    device_key: Option<PathBuf>,
    /// The backend's cosigning key to pin in the header (vkey file).
    #[arg(long, value_name = "FILE")]
    backend_key: Option<PathBuf>,
    /// Run without face and voice detection.
    #[arg(long)]
    no_detection: bool,
    /// The ONNX Runtime library (else PARAAKH_ONNXRUNTIME, else next to paraakh, else the package's ../lib/paraakh).
    #[arg(long, value_name = "FILE")]
    onnxruntime: Option<PathBuf>,
    /// The models directory (else PARAAKH_MODELS, else models/ next to paraakh, else the package's ../share/paraakh/models).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Do not watch processes and displays.
    #[arg(long)]
    no_lockdown: bool,
    /// Time between heartbeats (1s to 1h).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::grammar::duration)]
    heartbeat: Duration,
    /// Time between checkpoints (1s to 1h).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::grammar::duration, alias = "checkpoint-every")]
    checkpoint_interval: Duration,
    /// Upload to the tenant's backend while the exam runs (else: offline, `paraakh sync` later).
    #[arg(long, value_name = "URL", requires = "tokens")]
    server: Option<String>,
    /// The upload token file (with --server).
    #[arg(long, value_name = "FILE")]
    tokens: Option<PathBuf>,
    /// Print events as JSON lines.
    #[arg(long)]
    json: bool,
}

/// Heartbeat and checkpoint intervals: at least a second, at most an hour.
fn clamp_interval(d: Duration) -> Duration {
    d.clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

fn device_key(path: &Path) -> anyhow::Result<NoteSigner> {
    let (key, made) = paraakh_engine::exam::device_key(path)?;
    if made {
        crate::render::note(&format!(
            "created this installation's device key in {}",
            path.display()
        ));
    }
    Ok(key)
}

fn parse_command(line: &str) -> anyhow::Result<Command> {
    let v: serde_json::Value =
        serde_json::from_str(line).with_context(|| format!("not JSON: {line}"))?;
    let (name, arg) = v
        .as_object()
        .and_then(|o| o.iter().next())
        .filter(|_| v.as_object().is_some_and(|o| o.len() == 1))
        .with_context(|| format!("a command is an object with one key: {line}"))?;
    let text = |a: &serde_json::Value| a.as_str().unwrap_or_default().to_owned();
    Ok(match name.as_str() {
        "save_answer" => match (arg["question"].as_str(), arg["answer"].as_str()) {
            (Some(question), Some(answer)) if !question.is_empty() => Command::SaveAnswer {
                question: question.to_owned(),
                answer: answer.as_bytes().to_vec(),
                typing: match arg.get("typing") {
                    None => None,
                    Some(t) => Some(serde_json::from_value(t.clone()).with_context(|| {
                        format!("save_answer's typing takes {{\"intervals_ms\": [MS, ...], \"inserted\": [LENGTH, ...]}}: {line}")
                    })?),
                },
                reply: None,
            },
            _ => bail!(
                "save_answer takes {{\"question\": ID, \"answer\": TEXT}} (both strings): {line}"
            ),
        },
        "report" => Command::Report(match arg.as_str() {
            Some("focus_lost") => Observation::FocusLost,
            Some("fullscreen_exit") => Observation::FullscreenExit,
            Some("devtools_attempt") => Observation::DevtoolsAttempt,
            _ => bail!("report takes focus_lost, fullscreen_exit or devtools_attempt: {line}"),
        }),
        "pause" => Command::Pause { reason: text(arg) },
        "resume" => Command::Resume,
        "submit" => Command::Submit { reply: None },
        "confirm_held" => match arg.as_str().map(str::trim) {
            Some(by) if !by.is_empty() => Command::ConfirmHeld {
                by: by.to_owned(),
                reply: None,
            },
            _ => bail!("confirm_held takes who confirmed, e.g. {{\"confirm_held\": \"proctor R. Iyer\"}}: {line}"),
        },
        "end" => Command::End { reason: text(arg) },
        other => bail!("unknown command {other:?}: {line}"),
    })
}

fn render(e: &EngineEvent) -> String {
    match e {
        EngineEvent::Started {
            session_id,
            resumed,
            gap_seconds,
            monitors,
        } => {
            let resumed = if *resumed {
                format!(
                    " (resumed after a gap of {:.0} s)",
                    gap_seconds.unwrap_or(0.0)
                )
            } else {
                String::new()
            };
            format!(
                "session {session_id} started{resumed}; watching: {}",
                monitors.join(", ")
            )
        }
        EngineEvent::Recorded {
            seq,
            kind,
            severity,
            message,
        } => format!("#{seq} {:<8} {kind}: {message}", severity.as_str()),
        EngineEvent::Warning { text, .. } => format!("  candidate sees: {text}"),
        EngineEvent::AnswerSaved { question, seq } => format!("#{seq} answer to {question} saved"),
        EngineEvent::Submitted { seq, answers, how } => {
            format!("#{seq} submitted {answers} answers ({how})")
        }
        EngineEvent::Trouble { monitor, message } => format!("  trouble: {monitor}: {message}"),
        EngineEvent::Held { devices } => format!(
            "  held until a proctor confirms the new input device: {}",
            devices.join(", ")
        ),
        EngineEvent::Released => "  released: the exam goes on".into(),
        EngineEvent::Uploaded { cosigned_size } => {
            format!("  uploaded: the backend's receipt covers {cosigned_size} records")
        }
        EngineEvent::Ended { reason, records } => {
            format!("session ended ({reason}); {records} records, sealed by a final checkpoint")
        }
    }
}

pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    if let Some(d) = args.duration
        && !(d > Duration::ZERO && d < Duration::from_secs(7 * 86_400))
    {
        bail!(
            "--duration must be more than 0 and less than 7d, not {}",
            crate::grammar::seconds(d)
        );
    }
    let (policy_text, origin) = args.policy.text()?;
    let policy = paraakh_policy::parse(&policy_text)
        .with_context(|| format!("{origin} is not a valid policy"))?;
    let sources = Sources::parse(
        args.camera.as_deref(),
        args.microphone.as_deref(),
        args.screen.as_deref(),
    );
    let consent = ConsentScope {
        camera: sources.camera.is_some(),
        microphone: sources.microphone.is_some(),
        screen: sources.screen.is_some(),
    };
    if consent != ConsentScope::default() && !args.consent {
        let what: Vec<&str> = [
            (consent.camera, "webcam"),
            (consent.microphone, "microphone"),
            (consent.screen, "screen"),
        ]
        .iter()
        .filter_map(|(on, name)| on.then_some(*name))
        .collect();
        bail!(
            "nothing is captured before the candidate agrees: this session would capture the {}; \
             add --consent to record that the candidate agreed",
            what.join(", ")
        );
    }
    let tenant_key = crate::verify_cmd::read_key(
        &args.encryption_key,
        "tenant encryption public key",
        TenantPublicKey::parse,
    )?;
    let backend_key = args
        .backend_key
        .as_deref()
        .map(crate::verify_cmd::read_backend_key)
        .transpose()?;
    let device_path = args
        .device_key
        .clone()
        .unwrap_or_else(|| crate::keys_cmd::default_data_dir().join("device.key"));
    let device = Arc::new(device_key(&device_path)?);
    let session_id = match args.session_id.clone() {
        Some(id) => id,
        None => paraakh_engine::exam::new_session_id()?,
    };
    if !layout::valid_id(&session_id) {
        bail!("{session_id:?} is not a session id (letters, digits, '.', '_', '-')");
    }
    // What `paraakh sync --all` needs to finish the upload later.
    #[cfg(feature = "sync")]
    let upload_context = match (&args.server, &args.tokens) {
        (Some(server), Some(tokens)) => Some(paraakh_sync::agent::UploadContext {
            server: server.clone(),
            tokens: tokens.clone(),
            backend_key: backend_key.clone(),
            retention: policy.retention.clone(),
        }),
        _ => None,
    };
    let upload = match (&args.server, &args.tokens) {
        (Some(server), Some(tokens)) => Some(UploadConfig {
            server: server.clone(),
            tokens: tokens.clone(),
        }),
        _ => None,
    };
    let who = SessionIdentity {
        tenant_id: args.tenant.clone(),
        exam_id: args.exam.clone(),
        session_id,
        tenant_key,
        device,
        client: ClientInfo::this_program(concat!("paraakh ", env!("CARGO_PKG_VERSION")))
            .context("cannot read the running program")?,
    };
    // With --server, the backend is asked for a fresh statement at the start.
    let config = SessionConfig {
        detection: (!args.no_detection).then(|| paraakh_detect::RuntimeConfig {
            library: args.onnxruntime.clone(),
            models: args.models.clone(),
        }),
        heartbeat: clamp_interval(args.heartbeat),
        checkpoint_every: clamp_interval(args.checkpoint_interval),
        duration: args.duration,
        environment: Environment::here(LaunchSource::CommandLine),
        ..SessionConfig::new(args.out.clone(), policy, who)
            .capturing(sources)
            // Without an X display the display watch cannot start, and says why in the evidence.
            .lockdown(!args.no_lockdown)
            .uploading(upload, backend_key)
    };
    let session = Session::start(config)
        .with_context(|| format!("cannot start the session in {}", args.out.display()))?;
    #[cfg(feature = "sync")]
    if let Some(context) = &upload_context
        && let Err(e) = paraakh_sync::agent::remember(&args.out, context)
    {
        crate::render::note(&format!(
            "the upload details are not remembered for `paraakh sync --all`: {e}"
        ));
    }
    spawn_signal_handler(session.commander())?;
    if let Some(path) = &args.commands {
        spawn_command_reader(path.clone(), session.commander(), args.json)?;
    }
    while !session.is_over() {
        if let Some(e) = session.next_event(Duration::from_millis(200)) {
            print_event(&e, args.json)?;
        }
    }
    let summary = session.wait()?;
    if let Some(e) = &summary.upload_error {
        crate::render::note(&format!(
            "not everything reached the backend ({e}); it is kept here: run paraakh sync {} --server URL --tokens FILE",
            args.out.display()
        ));
    }
    if !args.json {
        crate::render::note(&format!(
            "{} blobs ({}), {} screen captures, {} webcam frames analysed, {} speech segments; check it with: paraakh verify {}",
            summary.blobs,
            crate::render::bytes(summary.blob_bytes),
            summary.screens,
            summary.camera_frames,
            summary.speech_segments,
            args.out.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// One event on stdout: a JSON line with `--json`, else a line for a person.
fn print_event(e: &EngineEvent, json: bool) -> anyhow::Result<()> {
    if json {
        crate::render::out(&format!("{}\n", serde_json::to_string(e)?))
    } else {
        crate::render::out(&format!("{}\n", render(e)))
    }
}

fn spawn_command_reader(path: PathBuf, session: Sender<Command>, json: bool) -> anyhow::Result<()> {
    let reader: Box<dyn BufRead + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(&path)
            .with_context(|| format!("cannot read commands from {}", path.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    std::thread::Builder::new()
        .name("paraakh-commands".into())
        .spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                // {"sleep": SECONDS} paces a script; it is not a session command.
                if let Some(secs) = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("sleep").and_then(serde_json::Value::as_f64))
                {
                    std::thread::sleep(Duration::from_secs_f64(secs.clamp(0.0, 3600.0)));
                    continue;
                }
                // A save or a submission waits for its answer: one the
                // session refuses (the exam is held, a malformed answer) is
                // reported among the events, and the exam goes on.
                let asked = match parse_command(&line) {
                    Ok(Command::SaveAnswer {
                        question,
                        answer,
                        typing,
                        ..
                    }) => Some((
                        "answers",
                        save_typed_answer(&session, &question, answer, typing).map(drop),
                    )),
                    Ok(Command::Submit { .. }) => Some(("submission", submit(&session).map(drop))),
                    Ok(cmd) => {
                        if session.send(cmd).is_err() {
                            break;
                        }
                        None
                    }
                    Err(e) => {
                        crate::render::note(&format!("command ignored: {e:#}"));
                        None
                    }
                };
                match asked {
                    None | Some((_, Ok(()))) => {}
                    Some((monitor, Err(CommandError::Refused(message)))) => {
                        let refused = EngineEvent::Trouble {
                            monitor: monitor.into(),
                            message,
                        };
                        if print_event(&refused, json).is_err() {
                            break;
                        }
                    }
                    Some((_, Err(CommandError::Ended))) => break,
                    Some((monitor, Err(e))) => crate::render::note(&format!("{monitor}: {e}")),
                }
            }
        })?;
    Ok(())
}

/// Ctrl-C or SIGTERM end the session properly (an end record and a final checkpoint).
fn spawn_signal_handler(session: Sender<Command>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("paraakh-signals".into())
        .spawn(move || {
            rt.block_on(async {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            });
            let _ = session.send(Command::End {
                reason: "interrupted".into(),
            });
        })?;
    Ok(())
}
