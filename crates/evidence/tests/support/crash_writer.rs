//! Test helper for the crash test: writes a session as fast as it can until
//! it is killed, and reports on stdout what it knows to be durable:
//!
//! - `durable N`: the first N records are on stable storage (group commit);
//! - `synced N ROOT`: the same, and the Merkle root at size N is ROOT (hex).
//!
//! Usage: `evidence-crash-writer create|resume|finish DIR DEVICE_KEY_FILE TENANT_PUB_FILE SEED`.

#![allow(clippy::print_stderr)] // a test helper reporting its own failure

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use paraakh_evidence::record::{ClientInfo, Event, HexHash, to_hex};
use paraakh_evidence::simulate::SplitMix64;
use paraakh_evidence::{
    BlobMeta, Body, NoteSigner, SessionParams, SessionWriter, Severity, SystemClock,
    TenantPublicKey,
};

fn main() {
    if let Err(e) = run() {
        eprintln!("crash-writer: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, dir, device, tenant, seed] = args.as_slice() else {
        return Err(
            "usage: evidence-crash-writer create|resume|finish DIR DEVICE_KEY TENANT_PUB SEED"
                .into(),
        );
    };
    let dir = Path::new(dir);
    let device = NoteSigner::parse(&std::fs::read_to_string(device)?)?;
    let tenant = TenantPublicKey::parse(&std::fs::read_to_string(tenant)?)?;
    let mut rng = SplitMix64::new(seed.parse()?);
    let clock = Arc::new(SystemClock);
    let mut w = match mode.as_str() {
        "create" => SessionWriter::create(
            dir,
            SessionParams {
                session_id: "crash-test".into(),
                exam_id: "exam".into(),
                tenant_id: "tenant".into(),
                policy_sha256: [7; 32],
                client: ClientInfo {
                    version: "crash-writer".into(),
                    build_sha256: HexHash([0; 32]),
                },
                tenant_key: tenant,
                backend_key: None,
                statement: None,
            },
            &device,
            clock,
        )?,
        "resume" | "finish" => SessionWriter::resume(dir, &device, clock)?.0,
        other => return Err(format!("unknown mode {other}").into()),
    };
    let mut out = std::io::stdout().lock();
    if mode == "finish" {
        w.finish("submitted")?;
        writeln!(out, "finished")?;
        return Ok(());
    }
    let mut reported = 0;
    let mut blob = vec![0u8; 40_000];
    loop {
        let roll = rng.next_u64() % 100;
        let severity = match roll {
            0..=79 => Severity::Info,
            80..=89 => Severity::Low,
            90..=96 => Severity::High,
            _ => Severity::Critical,
        };
        let synced = match rng.next_u64() % 50 {
            0 => {
                rng.fill(&mut blob);
                w.add_blob(
                    Severity::Info,
                    BlobMeta {
                        media_type: "image/jpeg".into(),
                        purpose: "webcam_snapshot".into(),
                        event_seq: None,
                    },
                    &blob,
                )?;
                false
            }
            1 => {
                w.checkpoint()?;
                true
            }
            2 => {
                w.save_answer("q1", format!("answer {}", rng.next_u64()).as_bytes())?;
                true
            }
            _ => {
                let mut detail = serde_json::Map::new();
                detail.insert("n".into(), rng.next_u64().into());
                w.append(
                    severity,
                    Body::Event(Event {
                        kind: "stress".into(),
                        message: None,
                        detail,
                    }),
                )?;
                severity >= Severity::High
            }
        };
        if synced {
            // Checkpoints, answers and high-severity appends return only once durable.
            writeln!(out, "synced {} {}", w.size(), to_hex(&w.root()))?;
            out.flush()?;
        }
        let durable = w.durable_records();
        if durable > reported {
            reported = durable;
            writeln!(out, "durable {durable}")?;
            out.flush()?;
        }
    }
}
