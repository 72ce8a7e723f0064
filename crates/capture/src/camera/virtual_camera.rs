//! Virtual cameras: software that presents any video (a recording, another
//! person, a screen) as a webcam. Recognised by name and driver, and on
//! Linux by a device node with no hardware behind it (v4l2loopback). The
//! policy decides what to do; a reviewer sees why it was flagged.

/// Names and drivers of known virtual cameras (lower case substrings).
const KNOWN: &[(&str, &str)] = &[
    ("obs virtual", "OBS Virtual Camera"),
    ("obs-camera", "OBS Virtual Camera"),
    ("v4l2loopback", "v4l2loopback"),
    ("v4l2 loopback", "v4l2loopback"),
    ("dummy video device", "v4l2loopback (default name)"),
    ("manycam", "ManyCam"),
    ("xsplit", "XSplit VCam"),
    ("snap camera", "Snap Camera"),
    ("camtwist", "CamTwist"),
    ("e2esoft", "e2eSoft VCam"),
    ("vcam", "a VCam driver"),
    ("splitcam", "SplitCam"),
    ("youcam", "CyberLink YouCam"),
    ("droidcam", "DroidCam (a phone used as a camera)"),
    ("iriun", "Iriun Webcam (a phone used as a camera)"),
    ("epoccam", "EpocCam (a phone used as a camera)"),
    ("newtek ndi", "NDI Virtual Input"),
    ("ndi webcam", "NDI Virtual Input"),
    ("mmhmm", "mmhmm"),
    ("camo", "Reincubate Camo"),
    ("akvirtualcamera", "AkVirtualCamera (webcamoid)"),
    ("virtual camera", "a virtual camera"),
    ("virtual webcam", "a virtual camera"),
    ("unity video capture", "Unity Video Capture"),
    ("fake", "a fake camera device"),
];

/// Why a camera with this name and description looks virtual, if it does.
pub fn classify(name: &str, description: &str) -> Option<String> {
    let text = format!("{name} {description}").to_lowercase();
    KNOWN
        .iter()
        .find(|(needle, _)| contains_word(&text, needle))
        .map(|(_, what)| format!("{what} (from its name or driver: \"{}\")", name.trim()))
}

/// `needle` in `text` not inside a longer word ("camo" in "camouflage" is not Camo).
fn contains_word(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Linux: a V4L2 device node whose sysfs device is virtual (no bus, no
/// hardware) is a loopback, whatever it is named.
#[cfg(target_os = "linux")]
pub fn linux_node_is_virtual(index: u32) -> Option<String> {
    let link = std::path::PathBuf::from(format!("/sys/class/video4linux/video{index}"));
    let real = std::fs::canonicalize(&link).ok()?;
    real.starts_with("/sys/devices/virtual").then(|| {
        format!(
            "a software video device (/dev/video{index} has no hardware behind it: {})",
            real.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_virtual_cameras_are_recognised() {
        for (name, desc) in [
            ("OBS Virtual Camera", ""),
            ("Dummy video device (0x0000)", "v4l2 loopback"),
            ("ManyCam Virtual Webcam", ""),
            ("XSplit VCam", ""),
            ("Integrated Camera", "v4l2loopback"),
            ("DroidCam Source 3", ""),
            ("Camo", "Reincubate"),
        ] {
            assert!(classify(name, desc).is_some(), "{name} / {desc}");
        }
    }

    #[test]
    fn real_webcams_are_not_flagged() {
        for (name, desc) in [
            ("Integrated Camera: Integrated C", "uvcvideo"),
            ("HD Pro Webcam C920", "uvcvideo usb-0000:00:14.0-1"),
            ("FaceTime HD Camera", ""),
            ("Camouflage Cam 3000", "uvcvideo"),
            ("USB2.0 HD UVC WebCam", "uvcvideo"),
        ] {
            assert_eq!(classify(name, desc), None, "{name} / {desc}");
        }
    }
}
