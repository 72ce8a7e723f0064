//! The Y4M parser on arbitrary input: errors, never panics, and frames it
//! accepts convert to RGB of the declared size.

use paraakh_capture::camera::y4m::{read_frame, read_header, to_rgb};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut r = &data[..];
        if let Ok(h) = read_header(&mut r) {
            let mut planes = Vec::new();
            while let Ok(true) = read_frame(&mut r, &h, &mut planes) {
                prop_assert_eq!(to_rgb(&h, &planes).len(), (h.width * h.height * 3) as usize);
            }
        }
    }

    #[test]
    fn well_formed_streams_read_back(w in 1u32..40, h in 1u32..40, frames in 0usize..4, chroma in 0usize..4) {
        let (tag, len) = match chroma {
            0 => ("420jpeg", (w * h + 2 * w.div_ceil(2) * h.div_ceil(2)) as usize),
            1 => ("422", (w * h + 2 * w.div_ceil(2) * h) as usize),
            2 => ("444", (3 * w * h) as usize),
            _ => ("mono", (w * h) as usize),
        };
        let mut data = format!("YUV4MPEG2 W{w} H{h} F30:1 C{tag}\n").into_bytes();
        for f in 0..frames {
            data.extend_from_slice(b"FRAME\n");
            data.extend(std::iter::repeat_n(f as u8 * 50 + 16, len));
        }
        let mut r = &data[..];
        let header = read_header(&mut r).unwrap();
        prop_assert_eq!(header.frame_len(), len);
        let mut planes = Vec::new();
        let mut n = 0;
        while read_frame(&mut r, &header, &mut planes).unwrap() {
            n += 1;
        }
        prop_assert_eq!(n, frames);
    }
}
