//! Head turn (yaw) from BlazeFace's six keypoints: a low-severity signal a
//! policy may turn on. Two cues, averaged: where the nose sits between the
//! eyes, and how the ear-to-eye distances differ on the two sides. Both are
//! 0 for a frontal face and grow towards ±1 as the head turns.

use serde::Serialize;

use crate::face::Face;

/// |yaw| above which the candidate counts as looking away.
pub const LOOKING_AWAY: f32 = 0.45;

/// Which way the head is turned, in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gaze {
    /// Facing the camera.
    Forward,
    /// Turned towards the image's left.
    Left,
    /// Turned towards the image's right.
    Right,
}

/// The head's turn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeadPose {
    /// −1 (turned fully to the image's left) to 1 (to the right).
    pub yaw: f32,
    /// Where the head points.
    pub gaze: Gaze,
}

/// Estimates the head's turn from a face's keypoints (in image terms, so a
/// mirrored camera image gives the mirrored answer).
pub fn head_pose(face: &Face) -> HeadPose {
    let [eye_a, eye_b, nose, _mouth, ear_a, ear_b] = face.keypoints;
    let (eye_l, eye_r) = if eye_a[0] <= eye_b[0] {
        (eye_a, eye_b)
    } else {
        (eye_b, eye_a)
    };
    let (ear_l, ear_r) = if ear_a[0] <= ear_b[0] {
        (ear_a, ear_b)
    } else {
        (ear_b, ear_a)
    };
    let eye_mid = (eye_l[0] + eye_r[0]) / 2.0;
    let eye_span = (eye_r[0] - eye_l[0]).max(1e-3);
    // The nose moves towards the side the head turns to...
    let nose_cue = (2.0 * (nose[0] - eye_mid) / eye_span).clamp(-1.0, 1.0);
    // ...and the ear on that side comes closer to its eye.
    let gap_l = (eye_l[0] - ear_l[0]).max(0.0);
    let gap_r = (ear_r[0] - eye_r[0]).max(0.0);
    let ear_cue = if gap_l + gap_r > 1e-3 {
        (gap_l - gap_r) / (gap_l + gap_r)
    } else {
        0.0
    };
    let yaw = (0.5 * nose_cue + 0.5 * ear_cue).clamp(-1.0, 1.0);
    let gaze = if yaw > LOOKING_AWAY {
        Gaze::Right
    } else if yaw < -LOOKING_AWAY {
        Gaze::Left
    } else {
        Gaze::Forward
    };
    HeadPose { yaw, gaze }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(nose_x: f32, right_ear_x: f32, left_ear_x: f32) -> Face {
        Face {
            x: 0.0,
            y: 0.0,
            w: 100.0,
            h: 100.0,
            score: 1.0,
            keypoints: [
                [35.0, 40.0],
                [65.0, 40.0],
                [nose_x, 55.0],
                [50.0, 75.0],
                [right_ear_x, 45.0],
                [left_ear_x, 45.0],
            ],
        }
    }

    #[test]
    fn frontal_faces_look_forward_and_turned_ones_away() {
        assert_eq!(head_pose(&face(50.0, 10.0, 90.0)).gaze, Gaze::Forward);
        let right = head_pose(&face(64.0, 22.0, 68.0));
        assert_eq!(right.gaze, Gaze::Right, "{right:?}");
        let left = head_pose(&face(36.0, 32.0, 78.0));
        assert_eq!(left.gaze, Gaze::Left, "{left:?}");
        // Mirroring the face mirrors the answer.
        assert!(
            (head_pose(&face(64.0, 22.0, 68.0)).yaw + head_pose(&face(36.0, 32.0, 78.0)).yaw).abs()
                < 0.2
        );
    }
}
