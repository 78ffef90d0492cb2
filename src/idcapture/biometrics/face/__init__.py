"""Face analysis for portrait capture: pure functions over numpy BGR uint8 frames.

Live loop, one call per frame::

    cap = AutoCapture("exam-480x640", language="zh")
    step = cap.feed(frame)                 # measures + one instruction + framing box
    if cap.done:
        portrait = make_portrait(cap.result.frame, cap.result.analysis.landmarks,
                                 "exam-480x640")

or step by step: :func:`analyze_face` (detection, 5 landmarks, head pose),
:func:`assess_quality` (ISO/IEC 29794-5-style measures under a :class:`Profile`),
:func:`guidance` (the instruction), :func:`make_portrait` (crop, scale, JPEG),
:func:`portrait_geometry` (re-detect the face in a portrait and check it against the
profile) and :func:`compare_faces` (1:1 against the ID-card photo).

Models come from the ``dlib-bin`` and ``face-recognition-models`` packages (the
``face`` extra; each file and its licence: ``docs/integrators/face-models.md``);
without them, the calls that need a model raise :class:`FaceModelUnavailable`.
"""

from ._models import FaceModelUnavailable
from .analysis import FaceAnalysis, analyze_face
from .autocapture import (
    LIVENESS_MEASURE,
    AutoCapture,
    CaptureResult,
    CaptureState,
    FrameLike,
    LiveStep,
    auto_capture,
)
from .compare import (
    DEFAULT_THRESHOLD,
    FaceMatch,
    NoFaceFound,
    compare_faces,
    face_descriptor,
    face_vs_card_check,
)
from .detection import FaceBox, FaceTracker, detect_faces
from .frames import FaceInputError
from .framing import FramingBox, framing_box, portrait_crop
from .geometry import PortraitGeometry, portrait_geometry
from .guidance import Instruction, guidance, instruction_text
from .landmarks import HeadPose, Landmarks, find_landmarks, head_pose
from .liveness import LivenessChallenge, LivenessResult, challenge_prompt, liveness_check
from .portrait import Portrait, make_portrait
from .profiles import PROFILES, Profile, get_profile, profile_names
from .quality import Advice, FaceQuality, assess_quality

__all__ = [
    "DEFAULT_THRESHOLD",
    "LIVENESS_MEASURE",
    "PROFILES",
    "Advice",
    "AutoCapture",
    "CaptureResult",
    "CaptureState",
    "FaceAnalysis",
    "FaceBox",
    "FaceInputError",
    "FaceMatch",
    "FaceModelUnavailable",
    "FaceQuality",
    "FaceTracker",
    "FrameLike",
    "FramingBox",
    "HeadPose",
    "Instruction",
    "Landmarks",
    "LiveStep",
    "LivenessChallenge",
    "LivenessResult",
    "NoFaceFound",
    "Portrait",
    "PortraitGeometry",
    "Profile",
    "analyze_face",
    "assess_quality",
    "auto_capture",
    "challenge_prompt",
    "compare_faces",
    "detect_faces",
    "face_descriptor",
    "face_vs_card_check",
    "find_landmarks",
    "framing_box",
    "get_profile",
    "guidance",
    "head_pose",
    "instruction_text",
    "liveness_check",
    "make_portrait",
    "portrait_crop",
    "portrait_geometry",
    "profile_names",
]
