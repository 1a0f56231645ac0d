"""Markerless capture: a video (or a folder of images) to 68 landmarks per frame to a clip.

Modules, one job each:

- ``video``: open a video file or an image folder, read frames with their timestamps.
- ``detect``: dlib face detection, one consistent face, tracking between detections.
- ``mediapipe_tracker``: MediaPipe Face Mesh mapped to the 68 points (``--tracker mediapipe``).
- ``smooth``: the One Euro filter that removes landmark jitter but keeps fast onsets.
- ``landmarks_to_clip``: landmarks to a clip (neutral calibration, even frame times, gap bridging, solve).
- ``pipeline``: the whole run, with progress and a summary.
- ``preview``: a PNG sheet with landmarks drawn on a few frames and the weight curves.

dlib, OpenCV, mediapipe and matplotlib are imported inside functions only, so ``import microexpr`` stays
light. The 68-point model's licence: see :data:`MODEL_LICENCE`.
"""
from __future__ import annotations

#: Printed in ``microexpr capture --help`` and in docs/capture.md.
MODEL_LICENCE = (
    "The 68-point landmark model (dlib's shape_predictor_68_face_landmarks.dat, installed by "
    "the face_recognition_models package) was trained on the iBUG 300-W data set, whose "
    "licence forbids commercial use. Use it for research and evaluation; for commercial work "
    "pass a model you are licensed to use (--model) or track with another tool and run "
    "'microexpr solve' on its landmarks.")
