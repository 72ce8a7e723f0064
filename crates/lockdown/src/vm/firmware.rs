//! Signals from firmware tables and the kernel's view of the CPU: DMI
//! strings, `/proc/cpuinfo`, `/sys/hypervisor`, `/proc/xen`, clock sources.

use std::path::Path;

use super::read::{contains_word, entry_exists, printable, read_text, read_value};
use super::{Hypervisor, Signal, Source};

const DMI_DIR: &str = "sys/class/dmi/id";

/// DMI fields read, in the order they are reported.
const DMI_FIELDS: [&str; 8] = [
    "sys_vendor",
    "product_name",
    "product_version",
    "bios_vendor",
    "bios_version",
    "board_vendor",
    "board_name",
    "chassis_vendor",
];

/// Whether the kernel has DMI tables at all (micro-VMs have none).
pub(super) fn dmi_tables_present(root: &Path) -> bool {
    root.join(DMI_DIR).is_dir()
}

/// DMI strings naming a hypervisor or a cloud: one signal per field.
pub(super) fn dmi_signals(root: &Path) -> Vec<Signal> {
    let dir = root.join(DMI_DIR);
    let mut signals = Vec::new();
    for field in DMI_FIELDS {
        let Some(value) = read_value(&dir.join(field)) else {
            continue;
        };
        if let Some((vendor, never_on_real_hardware)) = dmi_vendor(&value) {
            let detail = format!("DMI {field} '{}'", printable(&value));
            signals.push(Signal::strong(
                Source::Dmi,
                detail,
                Some(vendor),
                never_on_real_hardware,
            ));
        }
    }
    signals.extend(hyper_v_product(&dir));
    signals
}

/// The hypervisor or cloud a DMI string names, and whether real hardware
/// never shows it. Words, not substrings: "Xeon" is not "Xen".
fn dmi_vendor(value: &str) -> Option<(Hypervisor, bool)> {
    let text = value.to_lowercase();
    let has = |word: &str| contains_word(&text, word);
    // Hypervisors: no real machine carries these names.
    let hypervisor = if has("qemu") || has("bochs") {
        // "Bochs" comes from QEMU's Bochs-derived firmware.
        Some(Hypervisor::Qemu)
    } else if has("kvm") {
        Some(Hypervisor::Kvm)
    } else if has("virtualbox") || has("innotek") {
        Some(Hypervisor::VirtualBox)
    } else if has("vmware") {
        Some(Hypervisor::VMware)
    } else if has("parallels") {
        Some(Hypervisor::Parallels)
    } else if has("bhyve") {
        Some(Hypervisor::Bhyve)
    } else if has("xen") {
        // Xen guests' firmware; a Xen dom0 shows the real machine's DMI.
        Some(Hypervisor::Xen)
    } else if has("hyper-v") {
        // bios_version "Hyper-V UEFI Release v4.1".
        Some(Hypervisor::HyperV)
    } else {
        None
    };
    if let Some(hypervisor) = hypervisor {
        return Some((hypervisor, true));
    }
    // Clouds: Strong but not enough alone, since bare metal instances
    // (EC2 *.metal, GCE bare metal, OpenStack Ironic) carry the same names.
    // SeaBIOS is left out: coreboot machines (Chromebooks) use it too.
    const CLOUDS: [(&str, &str); 5] = [
        ("amazon ec2", "Amazon EC2"),
        ("google compute engine", "Google Compute Engine"),
        ("openstack", "OpenStack"),
        ("digitalocean", "DigitalOcean"),
        ("alibaba cloud", "Alibaba Cloud"),
    ];
    CLOUDS
        .iter()
        .find(|(word, _)| has(word))
        .map(|(_, cloud)| (Hypervisor::Cloud((*cloud).to_owned()), false))
}

/// Hyper-V guests: vendor "Microsoft Corporation", product "Virtual
/// Machine". The vendor alone is not a signal: Surface devices are real
/// hardware with the same vendor.
fn hyper_v_product(dmi_dir: &Path) -> Option<Signal> {
    let vendor = read_value(&dmi_dir.join("sys_vendor"))?.to_lowercase();
    let product = read_value(&dmi_dir.join("product_name"))?;
    let is_hyper_v = contains_word(&vendor, "microsoft")
        && contains_word(&product.to_lowercase(), "virtual machine");
    is_hyper_v.then(|| {
        Signal::strong(
            Source::Dmi,
            format!(
                "DMI product_name '{}' from Microsoft Corporation",
                printable(&product)
            ),
            Some(Hypervisor::HyperV),
            true,
        )
    })
}

/// The `hypervisor` flag in the first `flags` line of `/proc/cpuinfo`: the
/// CPUID bit as the kernel shows it, Weak for the same reasons.
pub(super) fn cpuinfo_signals(root: &Path) -> Option<Signal> {
    let text = read_text(&root.join("proc/cpuinfo"))?;
    let flags = text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "flags").then_some(value)
    })?;
    flags
        .split_whitespace()
        .any(|flag| flag == "hypervisor")
        .then(|| {
            Signal::weak(
                Source::Cpuinfo,
                "hypervisor flag in /proc/cpuinfo".to_owned(),
                None,
            )
        })
}

/// `/sys/hypervisor/type` and `/proc/xen`. Strong but not enough alone: a
/// Xen control domain on real hardware has both (see
/// [`is_xen_control_domain`]).
pub(super) fn hypervisor_sysfs_signals(root: &Path) -> Vec<Signal> {
    let mut signals = Vec::new();
    if let Some(kind) = read_value(&root.join("sys/hypervisor/type")) {
        let vendor = if kind.eq_ignore_ascii_case("xen") {
            Hypervisor::Xen
        } else {
            Hypervisor::Unknown
        };
        signals.push(Signal::strong(
            Source::HypervisorSysfs,
            format!("/sys/hypervisor/type '{}'", printable(&kind)),
            Some(vendor),
            false,
        ));
    }
    if entry_exists(&root.join("proc/xen")) {
        signals.push(Signal::strong(
            Source::HypervisorSysfs,
            "/proc/xen exists".to_owned(),
            Some(Hypervisor::Xen),
            false,
        ));
    }
    signals
}

/// Whether this is Xen's control domain (dom0): the machine's own system.
pub(super) fn is_xen_control_domain(root: &Path) -> bool {
    read_text(&root.join("proc/xen/capabilities"))
        .is_some_and(|caps| caps.split_whitespace().any(|cap| cap == "control_d"))
}

/// Paravirtual clock sources that only a guest kernel offers.
pub(super) fn clocksource_signals(root: &Path) -> Vec<Signal> {
    let path = root.join("sys/devices/system/clocksource/clocksource0/available_clocksource");
    let Some(text) = read_text(&path) else {
        return Vec::new();
    };
    let mut signals = Vec::new();
    for name in text.split_whitespace() {
        let found = match name {
            "kvm-clock" => Some((Hypervisor::Kvm, true)),
            "hyperv_clocksource_tsc_page" | "hyperv_clocksource_msr" => {
                Some((Hypervisor::HyperV, true))
            }
            // A Xen control domain has it too.
            "xen" => Some((Hypervisor::Xen, false)),
            _ => None,
        };
        if let Some((vendor, never_on_real_hardware)) = found {
            signals.push(Signal::strong(
                Source::Clocksource,
                format!("clock source '{name}'"),
                Some(vendor),
                never_on_real_hardware,
            ));
        }
    }
    signals
}
