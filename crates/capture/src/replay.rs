//! Shared by the replay sources: listing an image directory in order.

use std::path::{Path, PathBuf};

use crate::error::CaptureError;

/// The PNG and JPEG files of a directory, sorted by name.
pub(crate) fn image_files(dir: &Path) -> Result<Vec<PathBuf>, CaptureError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CaptureError::replay(dir, format!("cannot read the directory: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CaptureError::replay(
            dir,
            "has no PNG or JPEG images to replay (they are replayed in name order)",
        ));
    }
    Ok(files)
}

/// Decodes one image file as packed RGB.
pub(crate) fn load_rgb(path: &Path) -> Result<(u32, u32, Vec<u8>), CaptureError> {
    let img = image::open(path)
        .map_err(|e| {
            CaptureError::replay(path, format!("is not a readable PNG or JPEG image: {e}"))
        })?
        .to_rgb8();
    let (w, h) = img.dimensions();
    Ok((w, h, img.into_raw()))
}
