//! From signals to a confidence, a hypervisor and a one-line explanation
//! (the rules are in the module documentation of [`super`]).

use paraakh_policy::model::Confidence;

use super::{ContainerReport, Hypervisor, Signal, Source, Strength};

/// Most signals named in a summary; the rest are counted.
const MAX_LISTED: usize = 6;

/// The confidence the signals support; `None` without signals.
pub(super) fn confidence(signals: &[Signal]) -> Option<Confidence> {
    if signals.iter().any(is_conclusive) {
        return Some(Confidence::High);
    }
    let strong = independent_sources(signals.iter().filter(|s| s.strength == Strength::Strong));
    let any = independent_sources(signals.iter());
    match (strong, any) {
        (_, 0) => None,
        (2.., _) => Some(Confidence::High),
        (1, _) | (0, 2..) => Some(Confidence::Medium),
        (0, _) => Some(Confidence::Low),
    }
}

fn is_conclusive(signal: &Signal) -> bool {
    signal.strength == Strength::Strong && signal.never_on_real_hardware
}

fn independent_sources<'a>(signals: impl Iterator<Item = &'a Signal>) -> usize {
    let mut groups: Vec<Source> = Vec::new();
    for signal in signals {
        let group = signal.source.independence_group();
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups.len()
}

/// How much a signal weighs when naming the hypervisor.
fn weight(signal: &Signal) -> (Strength, bool) {
    (signal.strength, signal.never_on_real_hardware)
}

/// The hypervisor named by the weightiest signals, by the most independent
/// sources among them; a named hypervisor before a cloud before unknown.
/// QEMU, KVM and micro-VMs are one family, resolved to the most specific
/// member any signal names (QEMU usually runs on KVM).
pub(super) fn identify(signals: &[Signal]) -> Hypervisor {
    let named: Vec<&Signal> = signals.iter().filter(|s| s.vendor.is_some()).collect();
    let Some(best) = named.iter().map(|s| weight(s)).max() else {
        return Hypervisor::Unknown;
    };
    let mut votes: Vec<(Hypervisor, Vec<Source>)> = Vec::new();
    for signal in named.iter().filter(|s| weight(s) == best) {
        let Some(family) = signal.vendor.as_ref().map(family) else {
            continue;
        };
        let group = signal.source.independence_group();
        match votes.iter_mut().find(|(f, _)| *f == family) {
            Some((_, sources)) if !sources.contains(&group) => sources.push(group),
            Some(_) => {}
            None => votes.push((family, vec![group])),
        }
    }
    // Ties go to the first found (`max_by_key` would take the last).
    let mut winner: Option<(&Hypervisor, (usize, u8))> = None;
    for (family, sources) in &votes {
        let score = (sources.len(), preference(family));
        if winner.is_none_or(|(_, best_score)| score > best_score) {
            winner = Some((family, score));
        }
    }
    match winner {
        Some((Hypervisor::Kvm, _)) => kvm_family_member(signals),
        Some((family, _)) => family.clone(),
        None => Hypervisor::Unknown,
    }
}

fn family(vendor: &Hypervisor) -> Hypervisor {
    match vendor {
        Hypervisor::Qemu | Hypervisor::Firecracker => Hypervisor::Kvm,
        other => other.clone(),
    }
}

/// Higher is preferred on equal votes.
fn preference(hypervisor: &Hypervisor) -> u8 {
    match hypervisor {
        Hypervisor::Unknown => 0,
        Hypervisor::Cloud(_) => 1,
        _ => 2,
    }
}

fn kvm_family_member(signals: &[Signal]) -> Hypervisor {
    let names = |member: Hypervisor| signals.iter().any(|s| s.vendor.as_ref() == Some(&member));
    if names(Hypervisor::Firecracker) {
        Hypervisor::Firecracker
    } else if names(Hypervisor::Kvm) {
        Hypervisor::Kvm
    } else {
        Hypervisor::Qemu
    }
}

/// One line: "KVM (high confidence): DMI sys_vendor 'QEMU', …", or "no
/// virtual machine found", then the container if there is one.
pub(super) fn summary(
    hypervisor: Option<&Hypervisor>,
    confidence: Option<Confidence>,
    signals: &[Signal],
    container: Option<&ContainerReport>,
) -> String {
    let machine = match (hypervisor, confidence) {
        (Some(hypervisor), Some(Confidence::Low)) => format!(
            // Said outright: this is what candidates on real hardware read.
            "{} (low confidence; real hardware can show this): {}",
            headline(hypervisor, Confidence::Low),
            explain(signals)
        ),
        (Some(hypervisor), Some(confidence)) => format!(
            "{} ({}): {}",
            headline(hypervisor, confidence),
            confidence_words(confidence),
            explain(signals)
        ),
        _ => "no virtual machine found".to_owned(),
    };
    match container {
        Some(container) => format!(
            "{machine}; container: {} ({}): {}",
            container.kind,
            confidence_words(container.confidence),
            explain(&container.signals)
        ),
        None => machine,
    }
}

fn headline(hypervisor: &Hypervisor, confidence: Confidence) -> String {
    match (confidence, hypervisor) {
        (Confidence::Low, Hypervisor::Unknown) => "possibly a virtual machine".to_owned(),
        (Confidence::Low, named) => format!("possibly {named}"),
        (_, Hypervisor::Unknown) => "virtual machine, hypervisor not identified".to_owned(),
        (_, named) => named.to_string(),
    }
}

fn confidence_words(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::Low => "low confidence",
        Confidence::Medium => "medium confidence",
        Confidence::High => "high confidence",
    }
}

/// The weightiest signal of each source, then others while there is room,
/// then how many more there are.
fn explain(signals: &[Signal]) -> String {
    let mut ordered: Vec<&Signal> = signals.iter().collect();
    // Stable: equal weights keep the order they were looked for in; a
    // signal naming a vendor says more than one that does not.
    ordered.sort_by_key(|s| std::cmp::Reverse((weight(s), s.vendor.is_some())));
    let mut listed: Vec<&Signal> = Vec::new();
    for signal in &ordered {
        if listed.len() < MAX_LISTED && !listed.iter().any(|l| l.source == signal.source) {
            listed.push(signal);
        }
    }
    for signal in &ordered {
        if listed.len() < MAX_LISTED && !listed.iter().any(|l| std::ptr::eq(*l, *signal)) {
            listed.push(signal);
        }
    }
    let mut text = listed
        .iter()
        .map(|s| s.detail.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let more = signals.len() - listed.len();
    if more > 0 {
        text.push_str(&format!(", and {more} more"));
    }
    text
}
