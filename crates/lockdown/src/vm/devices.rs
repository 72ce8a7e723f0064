//! Signals from devices: PCI ids, the virtio and VMBus buses, disks and
//! network interfaces' MAC addresses.

use std::path::Path;

use super::read::{
    MAX_SIGNALS_PER_SOURCE, contains_word, entry_exists, list_dir, printable, read_hex, read_value,
};
use super::{Hypervisor, Signal, Source};

/// What a PCI vendor id says: a label, the hypervisor, and whether real
/// hardware never shows it.
type PciMatch = (String, Option<Hypervisor>, bool);

/// PCI devices a hypervisor emulates, by vendor and device id or by
/// subsystem vendor (QEMU and VMware stamp their own subsystem vendor on the
/// Intel chipset devices they emulate).
pub(super) fn pci_signals(root: &Path) -> Vec<Signal> {
    let dir = root.join("sys/bus/pci/devices");
    let mut signals = Vec::new();
    for name in list_dir(&dir) {
        let device_dir = dir.join(&name);
        let Some(vendor) = read_hex(&device_dir.join("vendor")) else {
            continue;
        };
        let device = read_hex(&device_dir.join("device"));
        let address = printable(&name);
        if let Some((label, hypervisor, never)) = pci_device(vendor, device) {
            let device_id = device.map_or_else(|| "????".to_owned(), |id| format!("{id:04x}"));
            let ids = format!("{vendor:04x}:{device_id}");
            let detail = format!("PCI {ids} {label} at {address}");
            signals.push(Signal::strong(Source::Pci, detail, hypervisor, never));
        } else if let Some(subsystem) = read_hex(&device_dir.join("subsystem_vendor"))
            && let Some((label, hypervisor, never)) = pci_vendor(subsystem)
        {
            let detail = format!("PCI subsystem vendor {subsystem:04x} ({label}) at {address}");
            signals.push(Signal::strong(Source::Pci, detail, hypervisor, never));
        }
    }
    signals.truncate(MAX_SIGNALS_PER_SOURCE);
    signals
}

fn pci_device(vendor: u32, device: Option<u32>) -> Option<PciMatch> {
    match (vendor, device) {
        // Red Hat's virtio range: the device model (KVM/QEMU, Firecracker,
        // Cloud Hypervisor…) is not known from it.
        (0x1af4, Some(id)) => Some((virtio_pci_name(id), None, true)),
        // 0x1234 is not an assigned vendor; QEMU's standard VGA uses it.
        (0x1234, Some(0x1111)) => Some(("QEMU/Bochs VGA".to_owned(), Some(Hypervisor::Qemu), true)),
        (0x1414, Some(0x5353)) => {
            Some(("Hyper-V video".to_owned(), Some(Hypervisor::HyperV), true))
        }
        _ => pci_vendor(vendor),
    }
}

fn pci_vendor(vendor: u32) -> Option<PciMatch> {
    let (label, hypervisor, never) = match vendor {
        0x1af4 => ("Red Hat, from QEMU", Hypervisor::Qemu, true),
        0x1b36 => ("QEMU device", Hypervisor::Qemu, true),
        0x80ee => ("VirtualBox device", Hypervisor::VirtualBox, true),
        0x15ad => ("VMware device", Hypervisor::VMware, true),
        // Microsoft also makes PCI hardware for its servers (Azure FPGAs),
        // so only the Hyper-V video device above is certain.
        0x1414 => ("Microsoft device", Hypervisor::HyperV, false),
        0x5853 => ("Xen platform device", Hypervisor::Xen, true),
        0x1ab8 => ("Parallels device", Hypervisor::Parallels, true),
        _ => return None,
    };
    Some((label.to_owned(), Some(hypervisor), never))
}

fn virtio_pci_name(device: u32) -> String {
    match device {
        // Transitional (legacy) ids.
        0x1000 => virtio_name(1),
        0x1001 => virtio_name(2),
        0x1002 => virtio_name(5),
        0x1003 => virtio_name(3),
        0x1004 => virtio_name(8),
        0x1005 => virtio_name(4),
        0x1009 => virtio_name(9),
        // Modern ids: 0x1040 + virtio device id.
        0x1040..=0x107f => virtio_name(device - 0x1040),
        _ => format!("virtio device {device:04x}"),
    }
}

fn virtio_name(id: u32) -> String {
    let name = match id {
        1 => "net",
        2 => "blk",
        3 => "console",
        4 => "rng",
        5 => "balloon",
        8 => "scsi",
        9 => "9p",
        16 => "gpu",
        18 => "input",
        19 => "vsock",
        20 => "crypto",
        23 => "iommu",
        24 => "mem",
        25 => "sound",
        26 => "fs",
        27 => "pmem",
        _ => return format!("virtio-{id}"),
    };
    format!("virtio-{name}")
}

/// Devices on the virtio bus: a guest's paravirtual devices, and the only
/// devices a micro-VM such as Firecracker has (no PCI, no DMI).
pub(super) fn virtio_signals(root: &Path, dmi_present: bool) -> Vec<Signal> {
    // Remote processors on real SoCs (TI, NXP, ST) talk over virtio too:
    // rpmsg (7) and rproc-serial (11) are skipped.
    const REMOTEPROC_IDS: [u32; 2] = [7, 11];
    // Without firmware tables, only a micro-VM has virtio devices.
    let vendor = (!dmi_present).then_some(Hypervisor::Firecracker);
    let dir = root.join("sys/bus/virtio/devices");
    let mut signals = Vec::new();
    for name in list_dir(&dir) {
        let id = read_hex(&dir.join(&name).join("device"));
        if id.is_some_and(|id| REMOTEPROC_IDS.contains(&id)) {
            continue;
        }
        let kind = id.map_or_else(|| "virtio".to_owned(), virtio_name);
        let detail = if dmi_present {
            format!("{kind} device {}", printable(&name))
        } else {
            format!("{kind} device {} without DMI tables", printable(&name))
        };
        signals.push(Signal::strong(Source::Virtio, detail, vendor.clone(), true));
    }
    signals.truncate(MAX_SIGNALS_PER_SOURCE);
    signals
}

/// Hyper-V's own bus: guests (Azure, WSL 2 included) have devices on it.
pub(super) fn vmbus_signals(root: &Path) -> Option<Signal> {
    let count = list_dir(&root.join("sys/bus/vmbus/devices")).len();
    (count > 0).then(|| {
        Signal::strong(
            Source::Vmbus,
            format!("Hyper-V VMBus devices ({count})"),
            Some(Hypervisor::HyperV),
            true,
        )
    })
}

/// Virtual disks: virtio (`vd*`) and Xen (`xvd*`) disks by name, emulated
/// disks by vendor and model.
pub(super) fn block_signals(root: &Path) -> Vec<Signal> {
    let dir = root.join("sys/block");
    let mut signals = Vec::new();
    for name in list_dir(&dir) {
        let shown = printable(&name);
        let signal = if name.starts_with("vd") {
            Some(Signal::strong(
                Source::BlockDevice,
                format!("virtio disk {shown}"),
                None,
                true,
            ))
        } else if name.starts_with("xvd") {
            let detail = format!("Xen virtual disk {shown}");
            Some(Signal::strong(
                Source::BlockDevice,
                detail,
                Some(Hypervisor::Xen),
                true,
            ))
        } else {
            emulated_disk(&dir.join(&name).join("device"), &shown)
        };
        signals.extend(signal);
    }
    signals.truncate(MAX_SIGNALS_PER_SOURCE);
    signals
}

fn emulated_disk(device_dir: &Path, disk: &str) -> Option<Signal> {
    let vendor = read_value(&device_dir.join("vendor")).unwrap_or_default();
    let model = read_value(&device_dir.join("model")).unwrap_or_default();
    let hypervisor = disk_hypervisor(&vendor.to_lowercase(), &model.to_lowercase())?;
    let detail = match (vendor.is_empty(), model.is_empty()) {
        (false, false) => format!(
            "disk {disk} '{}' '{}'",
            printable(&vendor),
            printable(&model)
        ),
        (true, _) => format!("disk {disk} model '{}'", printable(&model)),
        (false, true) => format!("disk {disk} vendor '{}'", printable(&vendor)),
    };
    Some(Signal::strong(
        Source::BlockDevice,
        detail,
        Some(hypervisor),
        true,
    ))
}

/// Vendor and model (lower case) of an emulated disk. "Virtual disk" alone
/// is not enough: server management controllers (iDRAC, iLO) present
/// virtual media with such names on real hardware.
fn disk_hypervisor(vendor: &str, model: &str) -> Option<Hypervisor> {
    let either = |word: &str| contains_word(vendor, word) || contains_word(model, word);
    if either("qemu") {
        Some(Hypervisor::Qemu)
    } else if either("vbox") {
        Some(Hypervisor::VirtualBox)
    } else if either("vmware") {
        Some(Hypervisor::VMware)
    } else if (vendor == "msft" && model.contains("virtual disk")) || model.contains("virtual hd") {
        Some(Hypervisor::HyperV)
    } else {
        None
    }
}

/// MAC address prefixes of hypervisors' virtual network cards. Weak: anyone
/// can set a MAC address. Interfaces without a `device` (bridges, veth,
/// docker0, libvirt's virbr0, VirtualBox's vboxnet0, VMware's vmnet8) are
/// skipped: real machines that run containers or VMs have them, often with
/// exactly these prefixes.
pub(super) fn mac_signals(root: &Path) -> Vec<Signal> {
    let dir = root.join("sys/class/net");
    let mut signals = Vec::new();
    for name in list_dir(&dir) {
        let interface = dir.join(&name);
        if name == "lo" || !entry_exists(&interface.join("device")) {
            continue;
        }
        let Some(address) = read_value(&interface.join("address")) else {
            continue;
        };
        let Some(prefix) = mac_prefix(&address) else {
            continue;
        };
        if let Some((label, hypervisor)) = mac_vendor(prefix) {
            let detail = format!(
                "MAC {} on {} ({label} prefix)",
                printable(&address),
                printable(&name)
            );
            signals.push(Signal::weak(Source::MacAddress, detail, Some(hypervisor)));
        }
    }
    signals.truncate(MAX_SIGNALS_PER_SOURCE);
    signals
}

/// The first three bytes of "aa:bb:cc:dd:ee:ff".
fn mac_prefix(address: &str) -> Option<[u8; 3]> {
    let mut parts = address
        .split(':')
        .map(|part| u8::from_str_radix(part, 16).ok());
    let prefix = [parts.next()??, parts.next()??, parts.next()??];
    Some(prefix)
}

fn mac_vendor(prefix: [u8; 3]) -> Option<(&'static str, Hypervisor)> {
    let found = match prefix {
        [0x52, 0x54, 0x00] => ("QEMU/KVM", Hypervisor::Qemu),
        [0x08, 0x00, 0x27] => ("VirtualBox", Hypervisor::VirtualBox),
        [0x00, 0x0c, 0x29] | [0x00, 0x50, 0x56] | [0x00, 0x05, 0x69] | [0x00, 0x1c, 0x14] => {
            ("VMware", Hypervisor::VMware)
        }
        [0x00, 0x15, 0x5d] => ("Hyper-V", Hypervisor::HyperV),
        [0x00, 0x16, 0x3e] => ("Xen", Hypervisor::Xen),
        [0x00, 0x1c, 0x42] => ("Parallels", Hypervisor::Parallels),
        _ => return None,
    };
    Some(found)
}
