//! Replayed cameras for tests, demos and `paraakh session run`: an image
//! directory (name order, looping) or a Y4M video (looping).

use std::fs::File;
use std::io::{BufReader, Seek};
use std::path::{Path, PathBuf};

use super::{CameraInfo, CameraSource, y4m};
use crate::error::CaptureError;
use crate::replay::{image_files, load_rgb};

fn replay_info(path: &Path, description: &str) -> CameraInfo {
    CameraInfo {
        id: path.display().to_string(),
        name: format!("replay of {}", path.display()),
        description: description.into(),
        virtual_camera: None,
    }
}

/// Pictures from an image directory.
#[derive(Debug)]
pub struct ImageDirCamera {
    info: CameraInfo,
    files: Vec<PathBuf>,
    next: usize,
}

impl ImageDirCamera {
    /// Replays the PNG and JPEG files of `dir` in name order, looping.
    pub fn open(dir: &Path) -> Result<Self, CaptureError> {
        let files = image_files(dir)?;
        // Fail now, not at the first frame, if the first image is unreadable.
        load_rgb(&files[0])?;
        Ok(Self {
            info: replay_info(dir, "image directory"),
            files,
            next: 0,
        })
    }
}

impl CameraSource for ImageDirCamera {
    fn info(&self) -> &CameraInfo {
        &self.info
    }

    fn grab(&mut self) -> Result<(u32, u32, Vec<u8>), CaptureError> {
        let path = &self.files[self.next % self.files.len()];
        self.next += 1;
        load_rgb(path)
    }
}

/// Pictures from a Y4M video.
#[derive(Debug)]
pub struct Y4mCamera {
    info: CameraInfo,
    path: PathBuf,
    reader: BufReader<File>,
    header: y4m::Header,
    data_start: u64,
    planes: Vec<u8>,
}

impl Y4mCamera {
    /// Replays a `.y4m` video, looping at its end.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        let file = File::open(path)
            .map_err(|e| CaptureError::replay(path, format!("cannot open: {e}")))?;
        let mut reader = BufReader::new(file);
        let header = y4m::read_header(&mut reader).map_err(|e| CaptureError::replay(path, e))?;
        let data_start = reader
            .stream_position()
            .map_err(|e| CaptureError::replay(path, e))?;
        let mut cam = Self {
            info: replay_info(path, "Y4M video"),
            path: path.to_owned(),
            reader,
            header,
            data_start,
            planes: Vec::new(),
        };
        // A video without a single whole frame is refused at once.
        cam.grab()?;
        cam.reader
            .seek(std::io::SeekFrom::Start(data_start))
            .map_err(|e| CaptureError::replay(path, e))?;
        Ok(cam)
    }

    /// The video's header.
    pub fn header(&self) -> &y4m::Header {
        &self.header
    }
}

impl CameraSource for Y4mCamera {
    fn info(&self) -> &CameraInfo {
        &self.info
    }

    fn grab(&mut self) -> Result<(u32, u32, Vec<u8>), CaptureError> {
        let bad = |e: y4m::Y4mError| CaptureError::replay(&self.path, e);
        let mut got =
            y4m::read_frame(&mut self.reader, &self.header, &mut self.planes).map_err(bad)?;
        if !got {
            self.reader
                .seek(std::io::SeekFrom::Start(self.data_start))
                .map_err(|e| CaptureError::replay(&self.path, e))?;
            got = y4m::read_frame(&mut self.reader, &self.header, &mut self.planes)
                .map_err(|e| CaptureError::replay(&self.path, e))?;
        }
        if !got {
            return Err(CaptureError::replay(&self.path, "the video has no frames"));
        }
        Ok((
            self.header.width,
            self.header.height,
            y4m::to_rgb(&self.header, &self.planes),
        ))
    }
}
