//! Y4M videos replayed as a camera: header and frame parsing, conversion.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_capture::camera::y4m::{read_frame, read_header, to_rgb};

fuzz_target!(|data: &[u8]| {
    let mut r = data;
    if let Ok(h) = read_header(&mut r) {
        let mut planes = Vec::new();
        for _ in 0..4 {
            match read_frame(&mut r, &h, &mut planes) {
                Ok(true) => {
                    let rgb = to_rgb(&h, &planes);
                    assert_eq!(rgb.len(), (h.width * h.height * 3) as usize);
                }
                _ => break,
            }
        }
    }
});
