//! The CPUID hypervisor bit and vendor leaf: read on the machine, or made
//! up by tests.

use serde::Serialize;

use super::{Hypervisor, Signal, Source};

/// What the CPU says about a hypervisor (x86 CPUID).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuidInfo {
    /// Leaf 1, ECX bit 31: "running under a hypervisor". Also set on real
    /// hardware running Windows with virtualisation-based security, and in a
    /// Xen control domain.
    pub hypervisor_bit: bool,
    /// Leaf 0x4000_0000 (EBX, ECX, EDX) as text, e.g. "KVMKVMKVM"; read
    /// only when the bit is set (the leaf is undefined otherwise).
    pub vendor: Option<String>,
}

/// Reads CPUID on this machine; `None` where there is no CPUID (not x86, or
/// an SGX enclave).
pub fn read_cpuid() -> Option<CpuidInfo> {
    machine::read()
}

#[cfg(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    not(target_env = "sgx")
))]
mod machine {
    #[cfg(target_arch = "x86")]
    use core::arch::x86::{__cpuid, CpuidResult};
    #[cfg(target_arch = "x86_64")]
    use core::arch::x86_64::{__cpuid, CpuidResult};

    use super::CpuidInfo;

    const FEATURES_LEAF: u32 = 1;
    const HYPERVISOR_BIT: u32 = 1 << 31;
    const HYPERVISOR_VENDOR_LEAF: u32 = 0x4000_0000;

    pub(super) fn read() -> Option<CpuidInfo> {
        let hypervisor_bit = cpuid(FEATURES_LEAF).ecx & HYPERVISOR_BIT != 0;
        // Without the bit, Intel CPUs answer leaf 0x4000_0000 with their
        // highest basic leaf: noise, not a vendor.
        let vendor = if hypervisor_bit {
            vendor_text(&cpuid(HYPERVISOR_VENDOR_LEAF))
        } else {
            None
        };
        Some(CpuidInfo {
            hypervisor_bit,
            vendor,
        })
    }

    fn vendor_text(leaf: &CpuidResult) -> Option<String> {
        let mut bytes = Vec::with_capacity(12);
        for register in [leaf.ebx, leaf.ecx, leaf.edx] {
            bytes.extend_from_slice(&register.to_le_bytes());
        }
        let text: String = bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    ' '
                }
            })
            .collect();
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    // `__cpuid` is a safe function in current Rust (1.95) but `unsafe` in
    // releases before late 2025, the workspace's rust-version (1.88)
    // among them: the block keeps both building.
    #[allow(unsafe_code, unused_unsafe)]
    fn cpuid(leaf: u32) -> CpuidResult {
        // SAFETY: every x86_64 CPU and every x86 CPU Rust targets (i586 and
        // later) has CPUID, and SGX enclaves, where it faults, are excluded
        // above. It only reads identification registers and touches no
        // memory; an unsupported leaf returns values, not a fault.
        unsafe { __cpuid(leaf) }
    }
}

#[cfg(not(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    not(target_env = "sgx")
)))]
mod machine {
    use super::CpuidInfo;

    pub(super) fn read() -> Option<CpuidInfo> {
        None
    }
}

/// Vendor strings with their spaces removed (Parallels' is " lrpepyh  vr",
/// "prl hyperv  " byte-swapped), and whether real hardware can show them.
const VENDORS: [(&str, Hypervisor, bool); 11] = [
    ("KVMKVMKVM", Hypervisor::Kvm, true),
    ("VMwareVMware", Hypervisor::VMware, true),
    ("VBoxVBoxVBox", Hypervisor::VirtualBox, true),
    // Xen's control domain (dom0) sees it on real hardware.
    ("XenVMMXenVMM", Hypervisor::Xen, false),
    ("TCGTCGTCGTCG", Hypervisor::Qemu, true),
    ("bhyvebhyve", Hypervisor::Bhyve, true),
    ("lrpepyhvr", Hypervisor::Parallels, true),
    ("prlhyperv", Hypervisor::Parallels, true),
    ("ACRNACRNACRN", Hypervisor::Acrn, true),
    ("QNXQVMBSQG", Hypervisor::Qnx, true),
    // Windows with virtualisation-based security runs itself under Hyper-V
    // on real hardware and shows this; handled apart as Weak.
    ("MicrosoftHv", Hypervisor::HyperV, false),
];

/// Signals from CPUID results.
pub(super) fn signals(info: &CpuidInfo) -> Vec<Signal> {
    let mut signals = Vec::new();
    if info.hypervisor_bit {
        signals.push(Signal::weak(
            Source::Cpuid,
            "CPUID hypervisor bit".to_owned(),
            None,
        ));
    }
    if let Some(vendor) = info.vendor.as_deref() {
        signals.extend(vendor_signal(vendor, info.hypervisor_bit));
    }
    signals
}

fn vendor_signal(vendor: &str, hypervisor_bit: bool) -> Option<Signal> {
    let compact: String = vendor
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\0')
        .collect();
    let detail = format!(
        "CPUID hypervisor vendor '{}'",
        super::read::printable(vendor.trim_matches(|c: char| c.is_whitespace() || c == '\0'))
    );
    let known = VENDORS.iter().find(|(name, _, _)| *name == compact);
    match known {
        Some((_, Hypervisor::HyperV, _)) => Some(Signal::weak(
            Source::Cpuid,
            detail,
            Some(Hypervisor::HyperV),
        )),
        Some((_, hypervisor, never_on_real_hardware)) => Some(Signal::strong(
            Source::Cpuid,
            detail,
            Some(hypervisor.clone()),
            *never_on_real_hardware,
        )),
        // An unknown name only means something when the bit says the leaf
        // is defined.
        None if hypervisor_bit && !compact.is_empty() => Some(Signal::weak(
            Source::Cpuid,
            detail,
            Some(Hypervisor::Unknown),
        )),
        None => None,
    }
}
