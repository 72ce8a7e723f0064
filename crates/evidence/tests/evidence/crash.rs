//! A writer process killed with SIGKILL at random moments, many times over:
//! after each kill the session verifies as truncated (never invalid), no
//! record the writer reported durable is lost, and once resumed and finished
//! it verifies intact.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use paraakh_evidence::frame::FileKind;
use paraakh_evidence::keys::SIG_TYPE_ED25519;
use paraakh_evidence::merkle::{leaf_hash, root_of};
use paraakh_evidence::record::to_hex;
use paraakh_evidence::simulate::SplitMix64;
use paraakh_evidence::{NoteSigner, Status, TenantSecretKey, verify};

use super::support::accepting;

const WRITER: &str = env!("CARGO_BIN_EXE_evidence-crash-writer");

/// What the writer said before it died.
#[derive(Debug, Default)]
struct Reported {
    durable: u64,
    synced: Option<(u64, String)>,
    lines: u64,
}

fn run_and_kill(mode: &str, dir: &Path, keys: &Path, seed: u64, kill_after: Duration) -> Reported {
    let mut child = Command::new(WRITER)
        .args([
            mode,
            dir.to_str().unwrap(),
            keys.join("device.key").to_str().unwrap(),
            keys.join("tenant.pub").to_str().unwrap(),
            &seed.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut r = Reported::default();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            r.lines += 1;
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["durable", n] => r.durable = r.durable.max(n.parse().unwrap()),
                ["synced", n, root] => {
                    let n: u64 = n.parse().unwrap();
                    r.durable = r.durable.max(n);
                    r.synced = Some((n, (*root).to_owned()));
                }
                _ => {}
            }
        }
        r
    });
    std::thread::sleep(kill_after);
    if let Ok(Some(status)) = child.try_wait() {
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        panic!("the writer exited early ({status}): {err}");
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap()
}

#[test]
fn sigkill_at_random_moments_loses_no_durable_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("session");
    let keys = tmp.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let device = NoteSigner::generate("device", SIG_TYPE_ED25519).unwrap();
    let tenant = TenantSecretKey::generate("tenant").unwrap();
    std::fs::write(keys.join("device.key"), device.encode().as_bytes()).unwrap();
    std::fs::write(keys.join("tenant.pub"), tenant.public().encode()).unwrap();

    let mut rng = SplitMix64::new(0x5eed);
    let kills = 25;
    let mut total_lines = 0;
    for i in 0..kills {
        let mode = if i == 0 { "create" } else { "resume" };
        let after = Duration::from_millis(rng.range(30, 400));
        let reported = run_and_kill(mode, &dir, &keys, rng.next_u64(), after);
        total_lines += reported.lines;

        let leaves: Vec<_> = frames_tolerant(&dir).iter().map(|p| leaf_hash(p)).collect();
        assert!(
            leaves.len() as u64 >= reported.durable,
            "kill {i}: {} records on disk but {} were reported durable",
            leaves.len(),
            reported.durable
        );
        if let Some((n, root)) = &reported.synced {
            assert_eq!(
                &to_hex(&root_of(&leaves[..*n as usize])),
                root,
                "kill {i}: durable records changed"
            );
        }
        let report = verify(&dir, &accepting(None)).unwrap();
        assert_eq!(
            report.status,
            Status::Truncated,
            "kill {i}: {:#?}",
            report.findings
        );
    }
    assert!(
        total_lines > 0,
        "the writer reported nothing before being killed"
    );

    let out = Command::new(WRITER)
        .args([
            "finish",
            dir.to_str().unwrap(),
            keys.join("device.key").to_str().unwrap(),
            keys.join("tenant.pub").to_str().unwrap(),
            "0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = verify(&dir, &accepting(Some(&tenant))).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    assert!(
        report.records as usize > kills,
        "only {} records were written",
        report.records
    );
    // A kill during start-up, before the new segment's record, leaves no segment.
    assert!(
        (2..=kills + 1).contains(&report.segments.len()),
        "{} segments",
        report.segments.len()
    );
}

/// The log's records up to any torn tail (a killed writer may leave one).
fn frames_tolerant(dir: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(dir.join("log")).unwrap();
    let (frames, _) = paraakh_evidence::frame::parse_all(&bytes, FileKind::Log);
    frames.into_iter().map(|f| f.payload).collect()
}
