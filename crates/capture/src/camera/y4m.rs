//! YUV4MPEG2 (`.y4m`) video: the uncompressed format every video tool can
//! write (`ffmpeg -i recording.mp4 -pix_fmt yuv420p -s 640x480 camera.y4m`),
//! so a recorded webcam session can be replayed as a camera without a
//! video decoder. Parsed strictly, with size limits: it is outside input.

use std::io::{BufRead, Read};

/// Largest accepted frame side.
pub const MAX_SIDE: u32 = 4096;
/// Longest header line accepted.
pub const MAX_LINE: usize = 1024;

/// Why a Y4M stream was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Y4mError {
    /// Reading failed.
    #[error("cannot read: {0}")]
    Io(#[source] std::io::Error),
    /// Nothing to read.
    #[error("the file is empty")]
    Empty,
    /// Some other kind of file.
    #[error("not a YUV4MPEG2 (.y4m) video: it does not start with \"YUV4MPEG2 \"")]
    NotY4m,
    /// A header line longer than [`MAX_LINE`].
    #[error("a header line is longer than {MAX_LINE} bytes")]
    LineTooLong,
    /// The input ends before a header line's newline.
    #[error("the file ends inside a header line")]
    EndsInHeader,
    /// The stream header is not UTF-8.
    #[error("the header is not text")]
    NotText,
    /// `F` is not two positive whole numbers `N:D`.
    #[error("a bad frame rate (F)")]
    FrameRate,
    /// A colour space other than 8-bit 4:2:0, 4:2:2, 4:4:4 or mono.
    #[error(
        "colour space C{name} is not supported (use 8-bit 420, 422, 444 or mono: ffmpeg -pix_fmt yuv420p)"
    )]
    Chroma {
        /// The `C` field's value.
        name: String,
    },
    /// Interlaced (`It`, `Ib`, `Im`).
    #[error("interlaced video is not supported (deinterlace it first)")]
    Interlaced,
    /// A header field this reader does not know.
    #[error("unknown header field \"{field}\"")]
    UnknownField {
        /// The whole field, tag and value.
        field: String,
    },
    /// Width or height missing, zero or above [`MAX_SIDE`].
    #[error("the width (W) and height (H) must be 1 to {MAX_SIDE}")]
    Size,
    /// A frame header line that is not `FRAME`.
    #[error("a frame does not start with \"FRAME\"")]
    NotAFrame,
    /// The input ends inside a frame's planes.
    #[error("the file ends inside a frame (it was cut short)")]
    CutShort,
}

/// Chroma layouts we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chroma {
    /// 4:2:0 (any siting: 420jpeg, 420mpeg2, 420paldv, 420).
    C420,
    /// 4:2:2.
    C422,
    /// 4:4:4.
    C444,
    /// Greyscale.
    Mono,
}

/// The stream header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frame rate as a fraction, if given.
    pub fps: Option<(u32, u32)>,
    /// Chroma layout.
    pub chroma: Chroma,
}

impl Header {
    /// Bytes of one frame's planes.
    pub fn frame_len(&self) -> usize {
        let (w, h) = (self.width as usize, self.height as usize);
        let luma = w * h;
        match self.chroma {
            Chroma::C420 => luma + 2 * (w.div_ceil(2) * h.div_ceil(2)),
            Chroma::C422 => luma + 2 * (w.div_ceil(2) * h),
            Chroma::C444 => 3 * luma,
            Chroma::Mono => luma,
        }
    }
}

/// Reads one line ending in `\n` (without it), at most `MAX_LINE` bytes.
/// `Ok(None)` at a clean end of input.
fn read_line(r: &mut impl BufRead) -> Result<Option<Vec<u8>>, Y4mError> {
    let mut line = Vec::new();
    let n = r
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(Y4mError::Io)?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if line.len() > MAX_LINE {
            Y4mError::LineTooLong
        } else {
            Y4mError::EndsInHeader
        });
    }
    line.pop();
    Ok(Some(line))
}

/// Parses the stream header line (`YUV4MPEG2 W640 H480 F30:1 C420jpeg ...`).
pub fn read_header(r: &mut impl BufRead) -> Result<Header, Y4mError> {
    const MAGIC: &[u8] = b"YUV4MPEG2";
    let start = r.fill_buf().map_err(Y4mError::Io)?;
    if start.is_empty() {
        return Err(Y4mError::Empty);
    }
    // A short first read may hold only part of the magic.
    if !(start.starts_with(MAGIC) || MAGIC.starts_with(start)) {
        return Err(Y4mError::NotY4m);
    }
    let line = read_line(r)?.ok_or(Y4mError::Empty)?;
    let text = std::str::from_utf8(&line).map_err(|_| Y4mError::NotText)?;
    let mut words = text.split(' ');
    if words.next() != Some("YUV4MPEG2") {
        return Err(Y4mError::NotY4m);
    }
    let (mut width, mut height, mut fps, mut chroma) = (None, None, None, Chroma::C420);
    for word in words.filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        let tag = chars.next().unwrap_or(' ');
        let value = chars.as_str();
        match tag {
            'W' => width = value.parse::<u32>().ok(),
            'H' => height = value.parse::<u32>().ok(),
            'F' => {
                let (n, d) = value.split_once(':').ok_or(Y4mError::FrameRate)?;
                let (n, d) = (n.parse::<u32>(), d.parse::<u32>());
                fps = match (n, d) {
                    (Ok(n), Ok(d)) if n > 0 && d > 0 => Some((n, d)),
                    _ => return Err(Y4mError::FrameRate),
                };
            }
            'C' => {
                chroma = match value {
                    "420" | "420jpeg" | "420mpeg2" | "420paldv" => Chroma::C420,
                    "422" => Chroma::C422,
                    "444" => Chroma::C444,
                    "mono" => Chroma::Mono,
                    other => {
                        return Err(Y4mError::Chroma {
                            name: other.to_owned(),
                        });
                    }
                }
            }
            'I' => {
                if value != "p" && value != "?" {
                    return Err(Y4mError::Interlaced);
                }
            }
            // Aspect ratio, extensions: not needed.
            'A' | 'X' => {}
            _ => {
                return Err(Y4mError::UnknownField {
                    field: word.to_owned(),
                });
            }
        }
    }
    let (width, height) = match (width, height) {
        (Some(w), Some(h)) if (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h) => (w, h),
        _ => return Err(Y4mError::Size),
    };
    Ok(Header {
        width,
        height,
        fps,
        chroma,
    })
}

/// Reads the next frame's planes into `planes` (resized to the frame
/// length). `Ok(false)` at a clean end of the stream.
pub fn read_frame(
    r: &mut impl BufRead,
    header: &Header,
    planes: &mut Vec<u8>,
) -> Result<bool, Y4mError> {
    let Some(line) = read_line(r)? else {
        return Ok(false);
    };
    if !line.starts_with(b"FRAME") || line.get(5).is_some_and(|c| *c != b' ') {
        return Err(Y4mError::NotAFrame);
    }
    planes.resize(header.frame_len(), 0);
    r.read_exact(planes).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Y4mError::CutShort,
        _ => Y4mError::Io(e),
    })?;
    Ok(true)
}

/// Converts one frame's planes to packed RGB (BT.601, limited range: what
/// video tools write by default).
pub fn to_rgb(header: &Header, planes: &[u8]) -> Vec<u8> {
    let (w, h) = (header.width as usize, header.height as usize);
    let mut rgb = vec![0u8; w * h * 3];
    if planes.len() < header.frame_len() {
        return rgb;
    }
    let (y_plane, rest) = planes.split_at(w * h);
    let (cw, ch) = match header.chroma {
        Chroma::C420 => (w.div_ceil(2), h.div_ceil(2)),
        Chroma::C422 => (w.div_ceil(2), h),
        Chroma::C444 => (w, h),
        Chroma::Mono => (0, 0),
    };
    let (u_plane, v_plane) = rest.split_at(cw * ch);
    for y in 0..h {
        for x in 0..w {
            let luma = f32::from(y_plane[y * w + x]) - 16.0;
            let (u, v) = if cw == 0 {
                (0.0, 0.0)
            } else {
                let cx = x * cw / w;
                let cy = y * ch / h;
                (
                    f32::from(u_plane[cy * cw + cx]) - 128.0,
                    f32::from(v_plane[cy * cw + cx]) - 128.0,
                )
            };
            let c = 1.164 * luma;
            let px = [c + 1.596 * v, c - 0.392 * u - 0.813 * v, c + 2.017 * u];
            for (o, p) in rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].iter_mut().zip(px) {
                *o = p.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(header: &str, frames: &[Vec<u8>]) -> Vec<u8> {
        let mut v = format!("{header}\n").into_bytes();
        for f in frames {
            v.extend_from_slice(b"FRAME\n");
            v.extend_from_slice(f);
        }
        v
    }

    #[test]
    fn a_420_stream_reads_frame_by_frame() {
        // 4×2, Y = 235 (white) then 16 (black); neutral chroma.
        let white = [vec![235u8; 8], vec![128; 4]].concat();
        let black = [vec![16u8; 8], vec![128; 4]].concat();
        let data = video(
            "YUV4MPEG2 W4 H2 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG",
            &[white, black],
        );
        let mut r = &data[..];
        let h = read_header(&mut r).unwrap();
        assert_eq!(
            (h.width, h.height, h.fps, h.chroma),
            (4, 2, Some((30000, 1001)), Chroma::C420)
        );
        let mut planes = Vec::new();
        assert!(read_frame(&mut r, &h, &mut planes).unwrap());
        assert!(to_rgb(&h, &planes).iter().all(|v| *v == 255));
        assert!(read_frame(&mut r, &h, &mut planes).unwrap());
        assert!(to_rgb(&h, &planes).iter().all(|v| *v == 0));
        assert!(!read_frame(&mut r, &h, &mut planes).unwrap());
    }

    #[test]
    fn colours_convert_like_bt601() {
        // Pure red in BT.601 limited range: Y 81, U 90, V 240.
        let h = Header {
            width: 1,
            height: 1,
            fps: None,
            chroma: Chroma::C444,
        };
        let rgb = to_rgb(&h, &[81, 90, 240]);
        assert!(rgb[0] >= 250 && rgb[1] <= 5 && rgb[2] <= 5, "{rgb:?}");
    }

    #[test]
    fn bad_streams_are_refused_with_the_reason() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"RIFF....", "YUV4MPEG2"),
            (b"YUV4MPEG2 W0 H2\n", "width"),
            (b"YUV4MPEG2 W4097 H2\n", "width"),
            (b"YUV4MPEG2 W4 H2 C420p10\n", "not supported"),
            (b"YUV4MPEG2 W4 H2 It\n", "interlaced"),
            (b"YUV4MPEG2 W4 H2 F0:1\n", "frame rate"),
            (b"YUV4MPEG2 W4 H2 Q7\n", "unknown header field"),
            (
                "YUV4MPEG2 W4 H2 \u{e9}x\n".as_bytes(),
                "unknown header field",
            ),
            (b"YUV4MPEG2 W4 H2", "ends inside a header"),
        ];
        for (data, want) in cases {
            let err = read_header(&mut &data[..]).unwrap_err().to_string();
            assert!(
                err.contains(want),
                "{:?}: {err}",
                String::from_utf8_lossy(data)
            );
        }
        let h = Header {
            width: 4,
            height: 2,
            fps: None,
            chroma: Chroma::C420,
        };
        let mut planes = Vec::new();
        let err = read_frame(&mut &b"FRAME\n\x10\x10"[..], &h, &mut planes).unwrap_err();
        assert!(matches!(err, Y4mError::CutShort), "{err}");
        assert!(err.to_string().contains("cut short"), "{err}");
        let err = read_frame(&mut &b"FRAMEX\n"[..], &h, &mut planes).unwrap_err();
        assert!(matches!(err, Y4mError::NotAFrame), "{err}");
        assert!(err.to_string().contains("FRAME"), "{err}");
    }
}
