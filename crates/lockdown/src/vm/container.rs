//! Container traces: files runtimes leave, cgroup paths, the `container=`
//! variable, an overlay root from a runtime's storage.
//!
//! Strong traces are written by the runtime when the container starts and
//! do not outlive it (they live in /run, a tmpfs, or in the kernel's view of
//! the process). Weak traces can be left behind or set by anyone: a
//! `/.dockerenv` survives `docker export`, so images turned into VM disks
//! carry it, and any shell can export `container=`.

use std::path::Path;

use paraakh_policy::model::Confidence;

use super::read::{entry_exists, printable, read_bytes, read_text, read_value};
use super::{ContainerKind, ContainerReport, Signal, Source, Strength};

/// Where a trace was found; traces of one kind are not independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trace {
    DockerEnvFile,
    ContainerEnvFile,
    Cgroup,
    Environment,
    MountInfo,
    SystemdContainerFile,
}

#[derive(Debug)]
struct Found {
    signal: Signal,
    kind: ContainerKind,
    trace: Trace,
}

impl Found {
    fn new(trace: Trace, kind: ContainerKind, strength: Strength, detail: String) -> Self {
        let signal = Signal {
            source: Source::Container,
            detail,
            vendor: None,
            strength,
            never_on_real_hardware: false,
        };
        Self {
            signal,
            kind,
            trace,
        }
    }
}

/// The container around this process, if any trace is found.
pub(super) fn detect(root: &Path) -> Option<ContainerReport> {
    let mut found = Vec::new();
    found.extend(marker_files(root));
    found.extend(cgroup_traces(root));
    found.extend(environment_traces(root));
    found.extend(mountinfo_trace(root));
    found.extend(systemd_container_file(root));
    let confidence = confidence(&found)?;
    let kind = most_specific_kind(&found)?;
    Some(ContainerReport {
        kind,
        confidence,
        signals: found.into_iter().map(|f| f.signal).collect(),
    })
}

fn marker_files(root: &Path) -> Vec<Found> {
    let mut found = Vec::new();
    if entry_exists(&root.join(".dockerenv")) {
        // Weak: survives `docker export` into images and VM disks.
        found.push(Found::new(
            Trace::DockerEnvFile,
            ContainerKind::Docker,
            Strength::Weak,
            "/.dockerenv exists".to_owned(),
        ));
    }
    if entry_exists(&root.join("run/.containerenv")) {
        // Podman writes it at start into /run, a tmpfs.
        found.push(Found::new(
            Trace::ContainerEnvFile,
            ContainerKind::Podman,
            Strength::Strong,
            "/run/.containerenv exists".to_owned(),
        ));
    }
    found
}

/// Cgroup paths a runtime puts its containers in. Strong: no process of the
/// host sits in them. Their absence proves nothing: with cgroup namespaces
/// (Docker's default on cgroup v2) a container sees "/".
fn cgroup_traces(root: &Path) -> Option<Found> {
    ["proc/1/cgroup", "proc/self/cgroup"]
        .iter()
        .find_map(|file| {
            let text = read_text(&root.join(file))?;
            text.lines().find_map(|line| {
                let path = line.splitn(3, ':').nth(2)?;
                let kind = cgroup_kind(path)?;
                let detail = format!("/{file} '{}'", printable(path));
                Some(Found::new(Trace::Cgroup, kind, Strength::Strong, detail))
            })
        })
}

fn cgroup_kind(path: &str) -> Option<ContainerKind> {
    path.split('/').find_map(|segment| {
        let kind = if segment.starts_with("kubepods") {
            ContainerKind::Kubernetes
        } else if segment == "docker"
            || (segment.starts_with("docker-") && segment.ends_with(".scope"))
        {
            // Not "docker.service": that is the daemon on a host.
            ContainerKind::Docker
        } else if segment.starts_with("libpod") {
            ContainerKind::Podman
        } else if segment == "lxc" || segment.starts_with("lxc.payload") {
            ContainerKind::Lxc
        } else if segment == "containerd" || segment.starts_with("cri-containerd") {
            ContainerKind::Containerd
        } else {
            return None;
        };
        Some(kind)
    })
}

/// `container=` in the environment: set by the runtime for PID 1 (Strong;
/// usually unreadable without root, then ignored), inherited by our own
/// process only through whoever started it (Weak: any shell can set it).
fn environment_traces(root: &Path) -> Vec<Found> {
    let files = [
        ("proc/1/environ", Strength::Strong),
        ("proc/self/environ", Strength::Weak),
    ];
    files
        .into_iter()
        .filter_map(|(file, strength)| {
            let bytes = read_bytes(&root.join(file))?;
            let value = bytes
                .split(|&b| b == 0)
                .find_map(|entry| entry.strip_prefix(b"container="))?;
            let value = String::from_utf8_lossy(value);
            let kind = named_kind(&value)?;
            let detail = format!("container={} in /{file}", printable(&value));
            Some(Found::new(Trace::Environment, kind, strength, detail))
        })
        .collect()
}

/// A root filesystem that is an overlay of a runtime's image layers. Live
/// systems boot from an overlay root too, so the runtime's storage path
/// must be in its options.
fn mountinfo_trace(root: &Path) -> Option<Found> {
    let text = read_text(&root.join("proc/self/mountinfo"))?;
    text.lines().find_map(|line| {
        let (mount, filesystem) = line.split_once(" - ")?;
        let mount_point = mount.split_whitespace().nth(4)?;
        let fs_type = filesystem.split_whitespace().next()?;
        if mount_point != "/" || !matches!(fs_type, "overlay" | "fuse-overlayfs") {
            return None;
        }
        let (marker, kind) = overlay_storage(filesystem)?;
        let detail = format!("root filesystem is an overlay from '{marker}'");
        Some(Found::new(Trace::MountInfo, kind, Strength::Strong, detail))
    })
}

fn overlay_storage(options: &str) -> Option<(&'static str, ContainerKind)> {
    const STORAGE: [(&str, ContainerKind); 5] = [
        ("/var/lib/docker/", ContainerKind::Docker),
        ("/docker/overlay2/", ContainerKind::Docker),
        ("/containers/storage/", ContainerKind::Podman),
        ("containerd", ContainerKind::Containerd),
        ("/var/lib/lxc/", ContainerKind::Lxc),
    ];
    STORAGE
        .into_iter()
        .find(|(marker, _)| options.contains(marker))
}

/// systemd writes `/run/systemd/container` at boot when it finds itself in
/// a container; /run is a tmpfs, so it never outlives one.
fn systemd_container_file(root: &Path) -> Option<Found> {
    let value = read_value(&root.join("run/systemd/container"))?;
    let kind = named_kind(&value)?;
    let detail = format!("/run/systemd/container '{}'", printable(&value));
    Some(Found::new(
        Trace::SystemdContainerFile,
        kind,
        Strength::Strong,
        detail,
    ))
}

/// The runtime a `container=` value names.
fn named_kind(value: &str) -> Option<ContainerKind> {
    let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let kind = match value.to_lowercase().as_str() {
        // Flatpak's sandbox around the exam app itself is not a container
        // someone hides the exam in.
        "" | "flatpak" => return None,
        "docker" => ContainerKind::Docker,
        "podman" => ContainerKind::Podman,
        "lxc" | "lxc-libvirt" => ContainerKind::Lxc,
        "systemd-nspawn" => ContainerKind::SystemdNspawn,
        _ => ContainerKind::Other(printable(value)),
    };
    Some(kind)
}

/// High: Strong traces of two kinds; Medium: a Strong trace, or Weak traces
/// of two kinds; Low: Weak traces of one kind.
fn confidence(found: &[Found]) -> Option<Confidence> {
    let traces = |strength: Option<Strength>| {
        let mut traces: Vec<Trace> = Vec::new();
        for f in found {
            if strength.is_none_or(|s| f.signal.strength == s) && !traces.contains(&f.trace) {
                traces.push(f.trace);
            }
        }
        traces.len()
    };
    match (traces(Some(Strength::Strong)), traces(None)) {
        (_, 0) => None,
        (2.., _) => Some(Confidence::High),
        (1, _) | (0, 2..) => Some(Confidence::Medium),
        (0, _) => Some(Confidence::Low),
    }
}

/// The kind from the strongest traces, the most specific first (a pod runs
/// on containerd or Docker).
fn most_specific_kind(found: &[Found]) -> Option<ContainerKind> {
    let strongest = found.iter().map(|f| f.signal.strength).max()?;
    found
        .iter()
        .filter(|f| f.signal.strength == strongest)
        .min_by_key(|f| specificity(&f.kind))
        .map(|f| f.kind.clone())
}

fn specificity(kind: &ContainerKind) -> u8 {
    match kind {
        ContainerKind::Kubernetes => 0,
        ContainerKind::Podman => 1,
        ContainerKind::Lxc => 2,
        ContainerKind::SystemdNspawn => 3,
        ContainerKind::Docker => 4,
        ContainerKind::Containerd => 5,
        ContainerKind::Other(_) => 6,
    }
}
