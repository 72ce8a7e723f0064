//! Face detection with MediaPipe BlazeFace.
//!
//! Two models: the short-range 128×128 model finds the candidate in front of
//! the camera quickly; the full-range 256×256 model finds small faces (a
//! person in the background, about 40 px in a 640×480 frame), which is what
//! "multiple faces" exists for. Candidates of both are merged with weighted
//! non-maximum suppression (MediaPipe's blending: overlapping boxes are
//! averaged by score, so a lone detection is kept).

use ort::session::Session;
use ort::value::TensorRef;
use serde::Serialize;

use crate::error::DetectError;
use crate::frame::{Placement, Region, RgbImage, letterbox};
use crate::runtime::{Model, Runtime};

/// One detected face, in frame pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Face {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Confidence, 0 to 1.
    pub score: f32,
    /// Right eye, left eye, nose tip, mouth, right ear, left ear (of the person), as (x, y).
    pub keypoints: [[f32; 2]; 6],
}

impl Face {
    fn intersection(&self, other: &Face) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.w).min(other.x + other.w);
        let y1 = (self.y + self.h).min(other.y + other.h);
        (x1 - x0).max(0.0) * (y1 - y0).max(0.0)
    }

    fn iou(&self, other: &Face) -> f32 {
        let inter = self.intersection(other);
        let union = self.w * self.h + other.w * other.h - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }

    /// How much of the smaller box lies inside the other: a half face seen
    /// by one tile inside the whole face seen by the frame is the same face.
    fn containment(&self, other: &Face) -> f32 {
        let smaller = (self.w * self.h).min(other.w * other.h);
        if smaller > 0.0 {
            self.intersection(other) / smaller
        } else {
            0.0
        }
    }
}

/// Tuning of the face detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceConfig {
    /// Minimum score of the short-range model.
    pub near_threshold: f32,
    /// Minimum score of the full-range model.
    pub far_threshold: f32,
    /// Run the full-range model too (small and background faces).
    pub small_faces: bool,
    /// Also run the short-range model on a grid of overlapping tiles (`n`×`n`; 0 or 1: off).
    pub tiles: u32,
    /// Minimum score of a tile's detection.
    pub tile_threshold: f32,
    /// Tile detections wider than this (frame pixels) are left to the whole-frame pass.
    pub tile_max_face: f32,
    /// Minimum score when a small candidate is looked at again, close up.
    pub confirm_threshold: f32,
    /// Overlap above which candidates are merged.
    pub nms_iou: f32,
}

impl Default for FaceConfig {
    fn default() -> Self {
        Self {
            near_threshold: 0.7,
            far_threshold: 0.7,
            small_faces: true,
            tiles: 4,
            tile_threshold: 0.7,
            tile_max_face: 100.0,
            confirm_threshold: 0.75,
            nms_iou: 0.3,
        }
    }
}

struct BlazeFace {
    session: Session,
    size: usize,
    input_name: String,
    // (scores, boxes) output names of the two anchor layers.
    layers: [(String, String); 2],
    input: Vec<f32>,
}

impl BlazeFace {
    fn open(runtime: &Runtime, model: Model, size: usize) -> Result<Self, DetectError> {
        let session = runtime.session(model)?;
        let input_name = session
            .inputs()
            .first()
            .map(|o| o.name().to_owned())
            .ok_or_else(|| DetectError::inference("the face model has no input"))?;
        // Identity (scores 1), Identity_1 (scores 2), Identity_2 (boxes 1), Identity_3 (boxes 2).
        let mut names: Vec<String> = session
            .outputs()
            .iter()
            .map(|o| o.name().to_owned())
            .collect();
        names.sort();
        if names.len() != 4 {
            return Err(DetectError::inference(format!(
                "the face model has {} outputs, 4 expected",
                names.len()
            )));
        }
        Ok(Self {
            session,
            size,
            input_name,
            layers: [
                (names[0].clone(), names[2].clone()),
                (names[1].clone(), names[3].clone()),
            ],
            input: vec![0.0; size * size * 3],
        })
    }

    /// Runs the model on `region` of `img`; appends candidates above `threshold`.
    fn run(
        &mut self,
        img: &RgbImage,
        region: Region,
        threshold: f32,
        out: &mut Vec<Face>,
    ) -> Result<(), DetectError> {
        let placement = letterbox(img, region, self.size, &mut self.input);
        let shape = [1usize, self.size, self.size, 3];
        let tensor =
            TensorRef::from_array_view((shape, &self.input[..])).map_err(DetectError::inference)?;
        let outputs = self
            .session
            .run(ort::inputs![self.input_name.as_str() => tensor])
            .map_err(DetectError::inference)?;
        // Layer 1: 2 anchors per cell; layer 2: 6 anchors per cell (BlazeFace SSD layout).
        for ((score_name, box_name), per_cell) in self.layers.iter().zip([2usize, 6]) {
            let scores = outputs
                .get(score_name.as_str())
                .ok_or_else(|| DetectError::inference("missing score output"))?
                .try_extract_tensor::<f32>()
                .map_err(DetectError::inference)?
                .1;
            let boxes = outputs
                .get(box_name.as_str())
                .ok_or_else(|| DetectError::inference("missing box output"))?
                .try_extract_tensor::<f32>()
                .map_err(DetectError::inference)?
                .1;
            decode(scores, boxes, per_cell, threshold, &placement, out)?;
        }
        Ok(())
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-100.0, 100.0)).exp())
}

/// Decodes one anchor layer: anchors on a `side`×`side` grid (rows outer,
/// columns inner), `per_cell` anchors of unit size per cell, centred at
/// ((x + 0.5) / side, (y + 0.5) / side); regressors are offsets in input pixels.
fn decode(
    scores: &[f32],
    boxes: &[f32],
    per_cell: usize,
    threshold: f32,
    p: &Placement,
    out: &mut Vec<Face>,
) -> Result<(), DetectError> {
    let count = scores.len();
    let side = ((count / per_cell) as f32).sqrt().round() as usize;
    if side * side * per_cell != count || boxes.len() != count * 16 {
        return Err(DetectError::inference(
            "the face model's outputs do not have the BlazeFace layout",
        ));
    }
    let inv = 1.0 / p.size;
    for (i, raw) in scores.iter().enumerate() {
        let score = sigmoid(*raw);
        if score < threshold {
            continue;
        }
        let cell = i / per_cell;
        let ax = ((cell % side) as f32 + 0.5) / side as f32;
        let ay = ((cell / side) as f32 + 0.5) / side as f32;
        let b = &boxes[i * 16..i * 16 + 16];
        let (cx, cy) = p.frame_point(ax + b[0] * inv, ay + b[1] * inv);
        let w = b[2] * inv * p.size / p.scale;
        let h = b[3] * inv * p.size / p.scale;
        let mut keypoints = [[0f32; 2]; 6];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            let (kx, ky) = p.frame_point(ax + b[4 + 2 * k] * inv, ay + b[5 + 2 * k] * inv);
            *kp = [kx, ky];
        }
        out.push(Face {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            w,
            h,
            score,
            keypoints,
        });
    }
    Ok(())
}

/// Weighted non-maximum suppression: the best remaining candidate and all
/// that overlap it by more than `iou` become one face, averaged by score.
pub(crate) fn weighted_nms(mut candidates: Vec<Face>, iou: f32) -> Vec<Face> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut faces = Vec::new();
    while let Some(best) = candidates.first().cloned() {
        let (group, rest): (Vec<Face>, Vec<Face>) = candidates
            .into_iter()
            .partition(|c| c.iou(&best) > iou || c.containment(&best) > 0.6 || *c == best);
        candidates = rest;
        let total: f32 = group.iter().map(|f| f.score).sum();
        let mut merged = Face {
            score: best.score,
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0,
            keypoints: [[0.0; 2]; 6],
        };
        for f in &group {
            let k = f.score / total;
            merged.x += f.x * k;
            merged.y += f.y * k;
            merged.w += f.w * k;
            merged.h += f.h * k;
            for (m, p) in merged.keypoints.iter_mut().zip(f.keypoints.iter()) {
                m[0] += p[0] * k;
                m[1] += p[1] * k;
            }
        }
        faces.push(merged);
    }
    faces
}

fn whole(img: &RgbImage) -> Region {
    Region {
        x: 0.0,
        y: 0.0,
        w: img.width() as f32,
        h: img.height() as f32,
    }
}

/// An `n`×`n` grid of tiles over `r`, each overlapping its neighbours by a quarter.
fn tiles(r: Region, n: u32) -> Vec<Region> {
    let n = n as f32;
    let (tw, th) = (r.w / (n - (n - 1.0) * 0.25), r.h / (n - (n - 1.0) * 0.25));
    let mut out = Vec::new();
    for j in 0..n as u32 {
        for i in 0..n as u32 {
            out.push(Region {
                x: r.x + i as f32 * tw * 0.75,
                y: r.y + j as f32 * th * 0.75,
                w: tw,
                h: th,
            });
        }
    }
    out
}

/// The face detector: one or two BlazeFace sessions, single-threaded.
pub struct FaceDetector {
    near: BlazeFace,
    far: Option<BlazeFace>,
    config: FaceConfig,
}

impl std::fmt::Debug for FaceDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceDetector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl FaceDetector {
    /// Opens the models `config` needs.
    pub fn new(runtime: &Runtime, config: FaceConfig) -> Result<Self, DetectError> {
        let near = BlazeFace::open(runtime, Model::FaceFront, 128)?;
        let far = if config.small_faces {
            Some(BlazeFace::open(runtime, Model::FaceBack, 256)?)
        } else {
            None
        };
        Ok(Self { near, far, config })
    }

    /// Only the short-range model on the whole frame: the face in front of
    /// the camera, cheap enough for every frame.
    pub fn detect_near(&mut self, img: &RgbImage) -> Result<Vec<Face>, DetectError> {
        let mut candidates = Vec::new();
        self.near
            .run(img, whole(img), self.config.near_threshold, &mut candidates)?;
        Ok(weighted_nms(candidates, self.config.nms_iou))
    }

    /// Every face in a frame, best first, including small background faces
    /// when configured (the "multiple faces" check: run it every few seconds).
    pub fn detect(&mut self, img: &RgbImage) -> Result<Vec<Face>, DetectError> {
        let whole = whole(img);
        let mut candidates = Vec::new();
        self.near
            .run(img, whole, self.config.near_threshold, &mut candidates)?;
        if let Some(far) = &mut self.far {
            far.run(img, whole, self.config.far_threshold, &mut candidates)?;
        }
        let mut small = Vec::new();
        if self.config.tiles > 1 {
            let mut found = Vec::new();
            for tile in tiles(whole, self.config.tiles) {
                found.clear();
                self.near
                    .run(img, tile, self.config.tile_threshold, &mut found)?;
                // A face cut by an inner tile edge is only part of a face: the
                // neighbouring tile or the whole frame sees it whole.
                let inner = |edge: f32, frame_edge: f32| (edge - frame_edge).abs() > 1.0;
                small.extend(found.drain(..).filter(|f| {
                    f.w <= self.config.tile_max_face
                        && (f.x > tile.x + 2.0 || !inner(tile.x, whole.x))
                        && (f.y > tile.y + 2.0 || !inner(tile.y, whole.y))
                        && (f.x + f.w < tile.x + tile.w - 2.0
                            || !inner(tile.x + tile.w, whole.x + whole.w))
                        && (f.y + f.h < tile.y + tile.h - 2.0
                            || !inner(tile.y + tile.h, whole.y + whole.h))
                }));
            }
        }
        // Small candidates are confirmed at a scale the short-range model
        // sees well: a crop three faces wide around each. Textures that
        // looked like a face at tile scale rarely survive.
        for cand in weighted_nms(small, self.config.nms_iou) {
            if candidates
                .iter()
                .any(|c| c.iou(&cand) > self.config.nms_iou || c.containment(&cand) > 0.6)
            {
                continue;
            }
            if let Some(confirmed) = self.confirm(img, whole, &cand)? {
                candidates.push(confirmed);
            }
        }
        Ok(weighted_nms(candidates, self.config.nms_iou))
    }

    fn confirm(
        &mut self,
        img: &RgbImage,
        whole: Region,
        cand: &Face,
    ) -> Result<Option<Face>, DetectError> {
        let side = (cand.w.max(cand.h) * 3.0).min(whole.w).min(whole.h);
        let cx = cand.x + cand.w / 2.0;
        let cy = cand.y + cand.h / 2.0;
        let crop = Region {
            x: (cx - side / 2.0).clamp(whole.x, whole.x + whole.w - side),
            y: (cy - side / 2.0).clamp(whole.y, whole.y + whole.h - side),
            w: side,
            h: side,
        };
        let mut found = Vec::new();
        self.near
            .run(img, crop, self.config.confirm_threshold, &mut found)?;
        Ok(weighted_nms(found, self.config.nms_iou)
            .into_iter()
            .find(|f| f.iou(cand) > 0.3 || f.containment(cand) > 0.6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x: f32, score: f32) -> Face {
        Face {
            x,
            y: 0.0,
            w: 10.0,
            h: 10.0,
            score,
            keypoints: [[x, 0.0]; 6],
        }
    }

    #[test]
    fn nms_blends_overlapping_boxes_and_keeps_lone_ones() {
        let faces = weighted_nms(vec![face(0.0, 0.9), face(1.0, 0.6), face(50.0, 0.7)], 0.3);
        assert_eq!(faces.len(), 2);
        assert_eq!(faces[0].score, 0.9);
        assert!((faces[0].x - 0.4).abs() < 1e-5, "{}", faces[0].x);
        assert_eq!(faces[1].x, 50.0);
        assert!(weighted_nms(vec![], 0.3).is_empty());
        assert_eq!(weighted_nms(vec![face(5.0, 0.5)], 0.3).len(), 1);
    }

    #[test]
    fn sigmoid_is_clamped() {
        assert_eq!(sigmoid(1e9), sigmoid(100.0));
        assert!(sigmoid(0.0) == 0.5);
    }
}
