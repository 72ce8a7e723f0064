//! Detection over the fixture trees in `tests/fixtures/vm`, made-up trees
//! for edge cases, broken input, and this machine.

// Tests fail loudly on setup errors; that is what unwrap is for here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use paraakh_policy::model::Confidence;
use proptest::prelude::*;

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/vm")
        .join(name)
}

fn detect_fixture(name: &str) -> VmReport {
    let root = fixture(name);
    assert!(root.is_dir(), "missing fixture {}", root.display());
    detect(&root)
}

fn write(root: &Path, relative: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

fn cpuid(bit: bool, vendor: Option<&str>) -> Option<CpuidInfo> {
    Some(CpuidInfo {
        hypervisor_bit: bit,
        vendor: vendor.map(str::to_owned),
    })
}

fn assert_mentions(report: &VmReport, parts: &[&str]) {
    for part in parts {
        assert!(
            report.summary.contains(part),
            "summary does not mention {part:?}: {}",
            report.summary
        );
    }
}

#[test]
fn bare_metal_laptop_with_docker_libvirt_and_virtualbox_installed_is_not_a_vm() {
    let report = detect_fixture("bare-metal-laptop");
    assert_eq!(report.signals, vec![], "{report:#?}");
    assert_eq!(report.confidence, None);
    assert_eq!(report.hypervisor, None);
    assert!(!report.is_virtual_machine);
    assert!(!report.counts(Confidence::Low));
    assert_eq!(report.container, None);
    assert_eq!(report.summary, "no virtual machine found");
}

#[test]
fn hypervisor_flag_alone_is_low_confidence_and_not_a_vm() {
    let report = detect_fixture("bare-metal-windows-vbs-like");
    assert_eq!(report.confidence, Some(Confidence::Low));
    assert_eq!(report.hypervisor, Some(Hypervisor::Unknown));
    assert!(!report.is_virtual_machine);
    assert!(report.counts(Confidence::Low));
    assert!(!report.counts(Confidence::Medium));
    assert_mentions(
        &report,
        &[
            "possibly a virtual machine",
            "low confidence",
            "hypervisor flag in /proc/cpuinfo",
        ],
    );
}

#[test]
fn vbs_like_machine_stays_low_with_cpuid_bit_and_microsoft_hv() {
    let report = detect_with(
        &fixture("bare-metal-windows-vbs-like"),
        cpuid(true, Some("Microsoft Hv")),
    );
    // Bit, vendor leaf and cpuinfo flag are one source: the CPU.
    assert_eq!(report.confidence, Some(Confidence::Low), "{report:#?}");
    assert_eq!(report.hypervisor, Some(Hypervisor::HyperV));
    assert!(!report.is_virtual_machine);
    assert_mentions(
        &report,
        &["possibly Hyper-V", "CPUID hypervisor vendor 'Microsoft Hv'"],
    );
}

#[test]
fn kvm_qemu_guest_is_kvm_with_high_confidence() {
    let report = detect_fixture("kvm-qemu");
    assert_eq!(report.hypervisor, Some(Hypervisor::Kvm), "{report:#?}");
    assert_eq!(report.confidence, Some(Confidence::High));
    assert!(report.is_virtual_machine);
    assert!(report.counts(Confidence::High));
    assert_eq!(report.container, None);
    assert!(report.summary.starts_with("KVM (high confidence): "));
    assert_mentions(
        &report,
        &[
            "DMI sys_vendor 'QEMU'",
            "clock source 'kvm-clock'",
            "virtio-net",
            "QEMU DVD-ROM",
            "52:54:00:12:34:56",
        ],
    );
    let sources: Vec<Source> = report.signals.iter().map(|s| s.source).collect();
    for source in [
        Source::Dmi,
        Source::Clocksource,
        Source::Pci,
        Source::Virtio,
        Source::BlockDevice,
        Source::Cpuinfo,
        Source::MacAddress,
    ] {
        assert!(sources.contains(&source), "no {source:?} signal");
    }
}

#[test]
fn qemu_without_kvm_evidence_is_qemu() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sys/class/dmi/id/sys_vendor", "QEMU\n");
    let report = detect_with(dir.path(), cpuid(true, Some("TCGTCGTCGTCG")));
    assert_eq!(report.hypervisor, Some(Hypervisor::Qemu));
    assert_eq!(report.confidence, Some(Confidence::High));
}

#[test]
fn virtualbox_guest_is_virtualbox_despite_its_kvm_paravirt_clock() {
    let report = detect_fixture("virtualbox");
    assert_eq!(
        report.hypervisor,
        Some(Hypervisor::VirtualBox),
        "{report:#?}"
    );
    assert_eq!(report.confidence, Some(Confidence::High));
    assert!(report.is_virtual_machine);
    assert_mentions(
        &report,
        &[
            "VirtualBox (high confidence)",
            "DMI sys_vendor 'innotek GmbH'",
            "VBOX HARDDISK",
            "PCI 80ee:",
            "08:00:27",
        ],
    );
}

#[test]
fn vmware_guest_is_vmware() {
    let report = detect_fixture("vmware");
    assert_eq!(report.hypervisor, Some(Hypervisor::VMware), "{report:#?}");
    assert_eq!(report.confidence, Some(Confidence::High));
    assert_mentions(
        &report,
        &[
            "VMware (high confidence)",
            "DMI sys_vendor 'VMware, Inc.'",
            "'Virtual disk'",
        ],
    );
}

#[test]
fn hyperv_guest_is_hyperv() {
    let report = detect_fixture("hyperv");
    assert_eq!(report.hypervisor, Some(Hypervisor::HyperV), "{report:#?}");
    assert_eq!(report.confidence, Some(Confidence::High));
    assert_mentions(
        &report,
        &[
            "Hyper-V (high confidence)",
            "DMI product_name 'Virtual Machine' from Microsoft Corporation",
            "VMBus",
            "Hyper-V video",
        ],
    );
}

#[test]
fn firecracker_micro_vm_is_found_without_dmi_or_pci() {
    let report = detect_fixture("firecracker");
    assert_eq!(
        report.hypervisor,
        Some(Hypervisor::Firecracker),
        "{report:#?}"
    );
    assert_eq!(report.confidence, Some(Confidence::High));
    assert!(report.signals.iter().all(|s| s.source != Source::Pci));
    assert_mentions(
        &report,
        &[
            "Firecracker-style micro-VM (high confidence)",
            "without DMI tables",
        ],
    );
}

#[test]
fn docker_on_bare_metal_is_a_container_not_a_vm() {
    let report = detect_fixture("docker-on-bare-metal");
    assert!(!report.is_virtual_machine, "{report:#?}");
    assert_eq!(report.confidence, None);
    assert_eq!(report.hypervisor, None);
    let container = report.container.as_ref().unwrap();
    assert_eq!(container.kind, ContainerKind::Docker);
    assert_eq!(container.confidence, Confidence::High);
    assert_mentions(
        &report,
        &[
            "no virtual machine found; container: Docker (high confidence)",
            "/proc/1/cgroup",
            "overlay from '/var/lib/docker/'",
        ],
    );
    assert!(
        container
            .signals
            .iter()
            .any(|s| s.detail == "/.dockerenv exists")
    );
}

#[test]
fn dockerenv_alone_is_a_low_confidence_container() {
    // A /.dockerenv survives `docker export`: VM disks made from images have one.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".dockerenv", "");
    let report = detect(dir.path());
    let container = report.container.unwrap();
    assert_eq!(container.kind, ContainerKind::Docker);
    assert_eq!(container.confidence, Confidence::Low);
}

#[test]
fn podman_and_kubernetes_and_flatpak_containers() {
    let podman = tempfile::tempdir().unwrap();
    write(
        podman.path(),
        "run/.containerenv",
        "engine=\"podman-4.9.3\"\n",
    );
    write(
        podman.path(),
        "proc/1/environ",
        b"PATH=/usr/bin\0container=podman\0HOME=/\0",
    );
    let report = detect(podman.path()).container.unwrap();
    assert_eq!(
        (report.kind, report.confidence),
        (ContainerKind::Podman, Confidence::High)
    );

    let pod = tempfile::tempdir().unwrap();
    write(
        pod.path(),
        "proc/self/cgroup",
        "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-ab12.scope\n",
    );
    let report = detect(pod.path()).container.unwrap();
    assert_eq!(
        (report.kind, report.confidence),
        (ContainerKind::Kubernetes, Confidence::Medium)
    );

    // The exam app shipped as a Flatpak must not report itself.
    let flatpak = tempfile::tempdir().unwrap();
    write(flatpak.path(), "proc/self/environ", b"container=flatpak\0");
    assert_eq!(detect(flatpak.path()).container, None);

    // The Docker daemon's own cgroup on a host is not a container.
    let host = tempfile::tempdir().unwrap();
    write(
        host.path(),
        "proc/self/cgroup",
        "0::/system.slice/docker.service\n",
    );
    assert_eq!(detect(host.path()).container, None);
}

#[test]
fn cpuid_alone_follows_the_strength_rules() {
    let empty = tempfile::tempdir().unwrap();
    let bit_only = detect_with(empty.path(), cpuid(true, None));
    assert_eq!(bit_only.confidence, Some(Confidence::Low));
    assert!(!bit_only.is_virtual_machine);

    let kvm = detect_with(empty.path(), cpuid(true, Some("KVMKVMKVM")));
    assert_eq!(kvm.confidence, Some(Confidence::High));
    assert_eq!(kvm.hypervisor, Some(Hypervisor::Kvm));
    assert_mentions(&kvm, &["CPUID hypervisor vendor 'KVMKVMKVM'"]);

    let parallels = detect_with(empty.path(), cpuid(true, Some(" lrpepyh  vr")));
    assert_eq!(parallels.hypervisor, Some(Hypervisor::Parallels));

    let nothing = detect_with(empty.path(), cpuid(false, None));
    assert_eq!(nothing.confidence, None);
    assert_eq!(nothing.summary, "no virtual machine found");
}

#[test]
fn xen_control_domain_on_real_hardware_stays_low() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sys/hypervisor/type", "xen\n");
    write(dir.path(), "proc/xen/capabilities", "control_d\n");
    write(dir.path(), "proc/cpuinfo", "flags\t: fpu hypervisor\n");
    write(
        dir.path(),
        "sys/devices/system/clocksource/clocksource0/available_clocksource",
        "xen tsc\n",
    );
    write(dir.path(), "sys/class/dmi/id/sys_vendor", "Supermicro\n");
    let report = detect_with(dir.path(), cpuid(true, Some("XenVMMXenVMM")));
    assert_eq!(report.confidence, Some(Confidence::Low), "{report:#?}");
    assert_eq!(report.hypervisor, Some(Hypervisor::Xen));
    assert!(!report.is_virtual_machine);
    assert_mentions(&report, &["dom0"]);
}

#[test]
fn xen_guest_with_two_strong_kinds_is_high() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sys/hypervisor/type", "xen\n");
    write(dir.path(), "proc/xen/capabilities", "");
    write(
        dir.path(),
        "sys/devices/system/clocksource/clocksource0/available_clocksource",
        "xen tsc\n",
    );
    let report = detect(dir.path());
    assert_eq!(report.confidence, Some(Confidence::High), "{report:#?}");
    assert_eq!(report.hypervisor, Some(Hypervisor::Xen));
}

#[test]
fn hardware_names_that_resemble_hypervisors_are_not_signals() {
    let dir = tempfile::tempdir().unwrap();
    // Surface devices: Microsoft's vendor on real hardware.
    write(
        dir.path(),
        "sys/class/dmi/id/sys_vendor",
        "Microsoft Corporation\n",
    );
    write(
        dir.path(),
        "sys/class/dmi/id/product_name",
        "Surface Laptop 4\n",
    );
    write(
        dir.path(),
        "sys/class/dmi/id/board_name",
        "XENON-7 Xeon board\n",
    );
    write(dir.path(), "sys/class/dmi/id/bios_vendor", "SeaBIOS\n");
    // iDRAC virtual media, and a remote processor on virtio (real SoCs).
    write(dir.path(), "sys/block/sdb/device/vendor", "iDRAC\n");
    write(dir.path(), "sys/block/sdb/device/model", "Virtual Disk\n");
    write(
        dir.path(),
        "sys/bus/virtio/devices/virtio0/device",
        "0x0007\n",
    );
    let report = detect(dir.path());
    assert_eq!(report.signals, vec![], "{report:#?}");
}

#[test]
fn cloud_dmi_alone_is_medium_because_bare_metal_instances_show_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sys/class/dmi/id/sys_vendor", "Amazon EC2\n");
    let report = detect(dir.path());
    assert_eq!(report.confidence, Some(Confidence::Medium));
    assert_eq!(
        report.hypervisor,
        Some(Hypervisor::Cloud("Amazon EC2".to_owned()))
    );
    assert_mentions(&report, &["Amazon EC2 virtual machine (medium confidence)"]);
}

#[test]
fn weak_signals_from_two_sources_are_medium() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "proc/cpuinfo", "flags\t: fpu hypervisor\n");
    write(
        dir.path(),
        "sys/class/net/eth0/address",
        "52:54:00:01:02:03\n",
    );
    write(dir.path(), "sys/class/net/eth0/device", "");
    let report = detect(dir.path());
    assert_eq!(report.confidence, Some(Confidence::Medium), "{report:#?}");
    assert_eq!(report.hypervisor, Some(Hypervisor::Qemu));
    assert!(report.is_virtual_machine);
}

#[test]
fn garbage_binary_huge_and_special_files_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    for file in [
        "sys/class/dmi/id/sys_vendor",
        "sys/class/dmi/id/product_name",
        "sys/bus/pci/devices/0000:00:00.0/vendor",
        "sys/bus/pci/devices/0000:00:00.0/device",
        "sys/bus/virtio/devices/virtio0/device",
        "sys/class/net/eth0/address",
        "sys/hypervisor/type",
        "proc/1/cgroup",
        "proc/1/environ",
        "proc/self/mountinfo",
        "run/systemd/container",
    ] {
        write(root, file, &binary);
    }
    write(root, "sys/class/net/eth0/device", &binary);
    // A directory where a file belongs.
    fs::create_dir_all(root.join("sys/class/dmi/id/bios_vendor")).unwrap();
    // A huge cpuinfo: the flag beyond the read limit is not seen.
    let mut huge = vec![b'x'; 8 << 20];
    huge.extend_from_slice(b"\nflags : hypervisor\n");
    write(root, "proc/cpuinfo", &huge);
    // A FIFO with no writer would block a plain open forever.
    let fifo = root.join("sys/class/dmi/id/product_version");
    let made_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());

    let report = detect_with(root, cpuid(true, Some("\u{0}\u{1}garbage\u{7f}")));
    assert!(report.signals.iter().all(|s| s.source != Source::Cpuinfo));
    assert!(!report.summary.is_empty());
    if made_fifo {
        assert!(fifo.exists());
    }
}

#[test]
fn words_are_matched_whole() {
    use super::read::contains_word;
    assert!(contains_word("vmware7,1", "vmware"));
    assert!(contains_word("1.16-prebuilt.qemu.org", "qemu"));
    assert!(!contains_word("xenon", "xen"));
    assert!(!contains_word("ikvm", "kvm"));
    assert!(!contains_word("anything", ""));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_in_system_files_never_panic(
        sys_vendor in proptest::collection::vec(any::<u8>(), 0..512),
        product in proptest::collection::vec(any::<u8>(), 0..512),
        cpuinfo in proptest::collection::vec(any::<u8>(), 0..2048),
        pci_vendor in proptest::collection::vec(any::<u8>(), 0..16),
        mac in proptest::collection::vec(any::<u8>(), 0..32),
        cgroup in proptest::collection::vec(any::<u8>(), 0..512),
        mountinfo in proptest::collection::vec(any::<u8>(), 0..512),
        vendor in proptest::option::of(".{0,16}"),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "sys/class/dmi/id/sys_vendor", &sys_vendor);
        write(root, "sys/class/dmi/id/product_name", &product);
        write(root, "proc/cpuinfo", &cpuinfo);
        write(root, "sys/bus/pci/devices/0000:00:01.0/vendor", &pci_vendor);
        write(root, "sys/class/net/eth0/address", &mac);
        write(root, "sys/class/net/eth0/device", "");
        write(root, "proc/self/cgroup", &cgroup);
        write(root, "proc/self/mountinfo", &mountinfo);
        let report = detect_with(root, Some(CpuidInfo { hypervisor_bit: true, vendor }));
        prop_assert_eq!(report.is_virtual_machine, report.counts(Confidence::Medium));
        prop_assert_eq!(report.confidence.is_some(), !report.signals.is_empty());
        prop_assert!(!report.summary.is_empty());
    }
}

#[test]
#[allow(clippy::print_stdout)] // The report is what this test is for.
fn this_machine() {
    let report = detect_this_machine();
    println!("{report:#?}");
    println!("summary: {}", report.summary);
    let virtio = Path::new("/sys/bus/virtio/devices");
    let has_virtio = fs::read_dir(virtio).is_ok_and(|mut entries| entries.next().is_some());
    if has_virtio {
        assert!(report.is_virtual_machine, "{report:#?}");
        assert!(report.counts(Confidence::Medium));
    }
}
