//! Micro-benchmarks of the evidence core (criterion):
//! `cargo bench -p paraakh-evidence --bench evidence`.

// Test and benchmark code: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paraakh_evidence::blob::seal_to_vec;
use paraakh_evidence::keys::SIG_TYPE_ED25519;
use paraakh_evidence::merkle::{MerkleAccumulator, leaf_hash};
use paraakh_evidence::record::{ClientInfo, Event, HexHash};
use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_evidence::{
    Body, NoteSigner, SessionParams, SessionWriter, Severity, SystemClock, TenantSecretKey,
    VerifyOptions, verify,
};

fn writer(dir: &std::path::Path, tenant: &TenantSecretKey) -> SessionWriter {
    let device = NoteSigner::generate("device", SIG_TYPE_ED25519).unwrap();
    SessionWriter::create(
        dir,
        SessionParams {
            session_id: "bench".into(),
            exam_id: "exam".into(),
            tenant_id: "tenant".into(),
            policy_sha256: [0; 32],
            client: ClientInfo {
                version: "bench".into(),
                build_sha256: HexHash([0; 32]),
            },
            tenant_key: tenant.public(),
            backend_key: None,
            statement: None,
        },
        &device,
        Arc::new(SystemClock),
    )
    .unwrap()
}

fn event() -> Body {
    let mut detail = serde_json::Map::new();
    detail.insert("duration_ms".into(), 1234.into());
    detail.insert("source".into(), "camera".into());
    Body::Event(Event {
        kind: "face_missing".into(),
        message: Some("No face visible for 10 s".into()),
        detail,
    })
}

fn append(c: &mut Criterion) {
    let tenant = TenantSecretKey::generate("t").unwrap();
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1));
    let tmp = tempfile::tempdir().unwrap();
    let mut w = writer(&tmp.path().join("info"), &tenant);
    g.bench_function("info_record_group_commit", |b| {
        b.iter(|| w.append(Severity::Info, event()).unwrap())
    });
    let mut w = writer(&tmp.path().join("high"), &tenant);
    g.bench_function("high_record_fsync_on_return", |b| {
        b.iter(|| w.append(Severity::High, event()).unwrap())
    });
    g.finish();
}

fn crypto(c: &mut Criterion) {
    let tenant = TenantSecretKey::generate("t").unwrap();
    let mut g = c.benchmark_group("blob");
    let data = vec![0x5au8; 1 << 20];
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("seal_1MiB", |b| {
        b.iter(|| seal_to_vec(&tenant.public(), &data).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("merkle");
    g.throughput(Throughput::Elements(1));
    let mut acc = MerkleAccumulator::new();
    let record = [7u8; 300];
    g.bench_function("hash_and_push_300B_record", |b| {
        b.iter(|| acc.push(leaf_hash(&record)))
    });
    g.finish();
}

fn verify_small(c: &mut Criterion) {
    let tenant = TenantSecretKey::generate("t").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = SimulateOptions::new(tenant.public(), 1_790_000_000_000_000_000);
    opts.events = 1000;
    opts.blobs = 20;
    let summary = simulate(tmp.path(), &opts).unwrap();
    let backend = paraakh_evidence::NoteVerifier::parse(&summary.backend_key).unwrap();
    let mut g = c.benchmark_group("verify");
    g.sample_size(20);
    g.bench_function("session_1000_events_20_blobs", |b| {
        b.iter(|| {
            let opts = VerifyOptions {
                backend_key: Some(backend.clone()),
                ..VerifyOptions::default()
            };
            verify(tmp.path(), &opts).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, append, crypto, verify_small);
criterion_main!(benches);
