//! Virtual machine and container detection from several independent signals,
//! each with a strength, combined into a confidence and an explanation.
//!
//! False positives on real hardware are the complaint candidates make most
//! often about lockdown software, so a signal that real hardware can show
//! never reaches high confidence on its own, and the hypervisor CPU bit alone
//! (set on real machines running Windows with virtualisation-based security,
//! or a Xen control domain) stays at low confidence.
//!
//! # Signals
//!
//! Every [`Signal`] is [`Strength::Weak`] (real hardware shows it, or anyone
//! can set it: the hypervisor bit, a MAC address prefix) or
//! [`Strength::Strong`] (a hypervisor put it there). Strong signals that real
//! hardware never shows (virtio devices, DMI strings such as "QEMU" or
//! "VMware", virtual PCI devices, `kvm-clock`) are marked
//! [`Signal::never_on_real_hardware`]; others (DMI "Amazon EC2", which bare
//! metal instances show too; `/sys/hypervisor/type`) are not.
//!
//! # Confidence
//!
//! Sources count as independent when they are different [`Source`]s, except
//! that the `/proc/cpuinfo` `hypervisor` flag and the CPUID hypervisor bit
//! are one source (the kernel copies the flag from the bit).
//!
//! - [`Confidence::High`]: a Strong signal that real hardware never shows,
//!   or Strong signals from at least two independent sources;
//! - [`Confidence::Medium`]: a Strong signal from one source (of a kind real
//!   hardware can show), or Weak signals from at least two independent
//!   sources;
//! - [`Confidence::Low`]: Weak signals from one source only (for example
//!   only the hypervisor bit);
//! - `None`: no signal at all.
//!
//! [`VmReport::is_virtual_machine`] is our yes/no answer: Medium or more.
//! The policy layer applies its own threshold with [`VmReport::counts`].
//!
//! Containers are reported apart ([`VmReport::container`]): a container on
//! real hardware is not a virtual machine.
//!
//! Everything is read from a system tree given as a root directory (`/` on
//! the machine, fixture directories in tests), at most 64 KiB per file;
//! missing, unreadable, binary or huge files are "nothing found".

mod assess;
mod container;
mod cpuid;
mod devices;
mod firmware;
mod read;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;

use paraakh_policy::model::Confidence;
use serde::Serialize;

pub use cpuid::{CpuidInfo, read_cpuid};

/// A hypervisor (or a cloud whose hypervisor is not known).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Hypervisor {
    /// Linux KVM (with QEMU or another device model).
    Kvm,
    /// QEMU, when it is not known to run on KVM (or runs without it: TCG).
    Qemu,
    /// Oracle VirtualBox.
    #[serde(rename = "virtualbox")]
    VirtualBox,
    /// VMware (Workstation, Fusion, ESXi).
    #[serde(rename = "vmware")]
    VMware,
    /// Microsoft Hyper-V (also WSL 2 and Azure).
    HyperV,
    /// Xen.
    Xen,
    /// Parallels Desktop.
    Parallels,
    /// FreeBSD bhyve.
    Bhyve,
    /// ACRN.
    Acrn,
    /// QNX Hypervisor.
    Qnx,
    /// A micro-VM without firmware tables (virtio devices, no DMI), such as
    /// Firecracker (by far the most common) or QEMU `microvm`; KVM underneath.
    Firecracker,
    /// A cloud provider's virtual machine whose hypervisor is not known.
    Cloud(String),
    /// A hypervisor that could not be identified.
    Unknown,
}

impl fmt::Display for Hypervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Kvm => "KVM",
            Self::Qemu => "QEMU",
            Self::VirtualBox => "VirtualBox",
            Self::VMware => "VMware",
            Self::HyperV => "Hyper-V",
            Self::Xen => "Xen",
            Self::Parallels => "Parallels",
            Self::Bhyve => "bhyve",
            Self::Acrn => "ACRN",
            Self::Qnx => "QNX Hypervisor",
            Self::Firecracker => "Firecracker-style micro-VM",
            Self::Cloud(cloud) => return write!(f, "{cloud} virtual machine"),
            Self::Unknown => "unidentified hypervisor",
        };
        f.write_str(name)
    }
}

/// Where a signal was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// The CPUID instruction: hypervisor bit and vendor leaf.
    Cpuid,
    /// Firmware (SMBIOS/DMI) strings under `/sys/class/dmi/id`.
    Dmi,
    /// `/proc/cpuinfo` flags.
    Cpuinfo,
    /// PCI vendor and device ids under `/sys/bus/pci/devices`.
    Pci,
    /// Devices on the virtio bus, `/sys/bus/virtio/devices`.
    Virtio,
    /// Disks under `/sys/block`.
    BlockDevice,
    /// MAC address prefixes of network interfaces with a device.
    MacAddress,
    /// `/sys/hypervisor` and `/proc/xen`.
    HypervisorSysfs,
    /// The kernel's clock sources (`kvm-clock`, Hyper-V, Xen).
    Clocksource,
    /// Hyper-V VMBus devices, `/sys/bus/vmbus/devices`.
    Vmbus,
    /// Container runtime traces.
    Container,
}

impl Source {
    /// Sources that report the same fact are one for counting independence.
    fn independence_group(self) -> Self {
        match self {
            // The kernel sets the cpuinfo flag from the CPUID bit.
            Self::Cpuinfo => Self::Cpuid,
            other => other,
        }
    }
}

/// How much one signal says by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Real hardware can show it, or anyone can set it.
    Weak,
    /// A hypervisor (or container runtime) put it there.
    Strong,
}

/// One observation, with what it says and how strongly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// Where it was found.
    pub source: Source,
    /// What was found, in words, e.g. "DMI sys_vendor 'QEMU'".
    pub detail: String,
    /// The hypervisor it points to, when it points to one.
    pub vendor: Option<Hypervisor>,
    /// How much it says by itself.
    pub strength: Strength,
    /// A Strong signal that real hardware never shows (enough for High).
    pub never_on_real_hardware: bool,
}

impl Signal {
    fn weak(source: Source, detail: String, vendor: Option<Hypervisor>) -> Self {
        Self {
            source,
            detail,
            vendor,
            strength: Strength::Weak,
            never_on_real_hardware: false,
        }
    }

    fn strong(
        source: Source,
        detail: String,
        vendor: Option<Hypervisor>,
        never_on_real_hardware: bool,
    ) -> Self {
        Self {
            source,
            detail,
            vendor,
            strength: Strength::Strong,
            never_on_real_hardware,
        }
    }
}

/// A container runtime.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContainerKind {
    /// Docker.
    Docker,
    /// Podman (also Toolbox and Distrobox on Podman).
    Podman,
    /// A Kubernetes pod.
    Kubernetes,
    /// LXC or LXD.
    Lxc,
    /// containerd without Docker.
    Containerd,
    /// systemd-nspawn.
    SystemdNspawn,
    /// Another runtime, by the name it gives itself.
    Other(String),
}

impl fmt::Display for ContainerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Docker => f.write_str("Docker"),
            Self::Podman => f.write_str("Podman"),
            Self::Kubernetes => f.write_str("Kubernetes pod"),
            Self::Lxc => f.write_str("LXC"),
            Self::Containerd => f.write_str("containerd"),
            Self::SystemdNspawn => f.write_str("systemd-nspawn"),
            Self::Other(name) => write!(f, "'{name}'"),
        }
    }
}

/// A container found around this process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerReport {
    /// The runtime, from the most specific signal.
    pub kind: ContainerKind,
    /// High: Strong traces in two places; Medium: one Strong trace or Weak
    /// traces in two places; Low: one Weak trace (such as a `/.dockerenv`
    /// left in an image).
    pub confidence: Confidence,
    /// What was found.
    pub signals: Vec<Signal>,
}

/// The result of a detection, ready for `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VmReport {
    /// Our yes/no answer: a virtual machine with at least Medium confidence.
    pub is_virtual_machine: bool,
    /// The hypervisor, when any signal was found.
    pub hypervisor: Option<Hypervisor>,
    /// How sure the detection is; `None` when nothing was found.
    pub confidence: Option<Confidence>,
    /// The virtual machine signals found, in the order they were looked for.
    pub signals: Vec<Signal>,
    /// A container around this process, reported apart from virtual machines.
    pub container: Option<ContainerReport>,
    /// One line for people, e.g. "KVM (high confidence): DMI sys_vendor 'QEMU', …".
    pub summary: String,
}

impl VmReport {
    /// Whether the detection reaches `min` (the policy's `min_confidence`).
    pub fn counts(&self, min: Confidence) -> bool {
        self.confidence.is_some_and(|found| found >= min)
    }
}

/// Detects a virtual machine or container from the system tree at `root`
/// (`/` on the machine), without CPUID.
pub fn detect(root: &Path) -> VmReport {
    detect_with(root, None)
}

/// Detects a virtual machine or container on this machine: the tree at `/`
/// and, on x86, the CPUID instruction.
pub fn detect_this_machine() -> VmReport {
    detect_with(Path::new("/"), read_cpuid())
}

/// Detects from the system tree at `root` and, when given, CPUID results
/// (read with [`read_cpuid`] or made up by a test).
pub fn detect_with(root: &Path, cpuid: Option<CpuidInfo>) -> VmReport {
    let signals = collect_vm_signals(root, cpuid.as_ref());
    let confidence = assess::confidence(&signals);
    let hypervisor = confidence.map(|_| assess::identify(&signals));
    let container = container::detect(root);
    let summary = assess::summary(
        hypervisor.as_ref(),
        confidence,
        &signals,
        container.as_ref(),
    );
    VmReport {
        is_virtual_machine: confidence >= Some(Confidence::Medium),
        hypervisor,
        confidence,
        signals,
        container,
        summary,
    }
}

fn collect_vm_signals(root: &Path, cpuid: Option<&CpuidInfo>) -> Vec<Signal> {
    let mut signals = Vec::new();
    if let Some(info) = cpuid {
        signals.extend(cpuid::signals(info));
    }
    let dmi_present = firmware::dmi_tables_present(root);
    signals.extend(firmware::dmi_signals(root));
    signals.extend(firmware::hypervisor_sysfs_signals(root));
    signals.extend(devices::vmbus_signals(root));
    signals.extend(firmware::clocksource_signals(root));
    signals.extend(devices::pci_signals(root));
    signals.extend(devices::virtio_signals(root, dmi_present));
    signals.extend(devices::block_signals(root));
    signals.extend(firmware::cpuinfo_signals(root));
    signals.extend(devices::mac_signals(root));
    if firmware::is_xen_control_domain(root) {
        signals = fold_xen_control_domain(signals);
    }
    signals
}

/// A Xen control domain (dom0) is the machine's own system: it sees the
/// hypervisor bit, Xen's CPUID leaf, `/sys/hypervisor` and the Xen clock,
/// yet it runs on the real hardware, like Windows with VBS. Those signals
/// become one Weak signal; anything else found stays.
fn fold_xen_control_domain(signals: Vec<Signal>) -> Vec<Signal> {
    let mut kept: Vec<Signal> = signals
        .into_iter()
        .filter(|s| !is_xen_or_hypervisor_bit(s))
        .collect();
    kept.push(Signal::weak(
        Source::HypervisorSysfs,
        "Xen control domain (dom0): the machine's own system under Xen".to_owned(),
        Some(Hypervisor::Xen),
    ));
    kept
}

fn is_xen_or_hypervisor_bit(signal: &Signal) -> bool {
    let hypervisor_bit =
        signal.source.independence_group() == Source::Cpuid && signal.vendor.is_none();
    signal.vendor == Some(Hypervisor::Xen) || hypervisor_bit
}
