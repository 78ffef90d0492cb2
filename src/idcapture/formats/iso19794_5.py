"""ISO/IEC 19794-5:2005 face image records ("FAC\\0", version "010\\0").

Layout (big-endian): a 14-byte header (magic, version, 4-byte record length, 2-byte
image count), then per image a facial information block of 20 bytes (block length
incl. everything up to the end of the image data, feature point count, gender, eye
colour, hair colour, 3-byte feature mask, 2-byte expression, pose angles yaw/pitch/
roll, their uncertainties), 8 bytes per feature point (type, major/minor code nibbles,
x, y, reserved), a 12-byte image information block (face image type, image data
type, width, height, colour space, source type, device type, quality) and the JPEG
or JPEG 2000 image.

Feature points use the MPEG-4 numbering; the eye centres are 12.1 (the subject's
left eye, which appears on the image's right) and 12.2 (the subject's right eye).
Pose angles are stored as codes 1-181 (2-degree steps, 91 = 0 degrees; 0 = not
specified); :func:`pose_code` and :func:`pose_degrees` convert.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import RecordError
from ._binary import ByteReader, check_uint

__all__ = [
    "LEFT_EYE_CENTRE",
    "RIGHT_EYE_CENTRE",
    "ColourSpace",
    "Expression",
    "EyeColour",
    "FaceImage",
    "FaceImageType",
    "FaceRecord",
    "FeatureMask",
    "FeaturePoint",
    "Gender",
    "HairColour",
    "ImageDataType",
    "SourceType",
    "face_record_from_jpeg",
    "portrait_record",
    "pose_code",
    "pose_degrees",
    "read",
]

MAGIC = b"FAC\x00"
VERSION = b"010\x00"
HEADER_LEN = 14
FACIAL_INFO_LEN = 20
FEATURE_POINT_LEN = 8
IMAGE_INFO_LEN = 12

#: (major, minor) feature point codes of the eye centres.
LEFT_EYE_CENTRE = (12, 1)
RIGHT_EYE_CENTRE = (12, 2)


class Gender(enum.IntEnum):
    UNSPECIFIED = 0
    MALE = 1
    FEMALE = 2
    UNKNOWN = 255


class EyeColour(enum.IntEnum):
    UNSPECIFIED = 0
    BLACK = 1
    BLUE = 2
    BROWN = 3
    GREY = 4
    GREEN = 5
    MULTI_COLOURED = 6
    PINK = 7
    UNKNOWN = 255


class HairColour(enum.IntEnum):
    UNSPECIFIED = 0
    BALD = 1
    BLACK = 2
    BLONDE = 3
    BROWN = 4
    GREY = 5
    WHITE = 6
    RED = 7
    UNKNOWN = 255


class FeatureMask(enum.IntFlag):
    """Properties flags (3 bytes); ``SPECIFIED`` says the other bits are meaningful."""

    SPECIFIED = 1 << 0
    GLASSES = 1 << 1
    MOUSTACHE = 1 << 2
    BEARD = 1 << 3
    TEETH_VISIBLE = 1 << 4
    BLINK = 1 << 5
    MOUTH_OPEN = 1 << 6
    LEFT_EYE_PATCH = 1 << 7
    RIGHT_EYE_PATCH = 1 << 8
    DARK_GLASSES = 1 << 9
    MEDICAL_CONDITION = 1 << 10


class Expression(enum.IntEnum):
    """Expression codes 0-7 (values from 0x8000 up are vendor-defined)."""

    UNSPECIFIED = 0
    NEUTRAL = 1
    SMILE_CLOSED = 2
    SMILE_OPEN = 3
    RAISED_EYEBROWS = 4
    EYES_LOOKING_AWAY = 5
    SQUINTING = 6
    FROWNING = 7


class FaceImageType(enum.IntEnum):
    BASIC = 0
    FULL_FRONTAL = 1
    TOKEN_FRONTAL = 2


class ImageDataType(enum.IntEnum):
    JPEG = 0
    JPEG2000 = 1


class ColourSpace(enum.IntEnum):
    UNSPECIFIED = 0
    RGB24 = 1
    YUV422 = 2
    GREY8 = 3
    OTHER = 4


class SourceType(enum.IntEnum):
    UNSPECIFIED = 0
    STATIC_PHOTO_UNKNOWN = 1
    STATIC_PHOTO_DIGITAL_CAMERA = 2
    STATIC_PHOTO_SCANNER = 3
    VIDEO_FRAME_UNKNOWN = 4
    VIDEO_FRAME_ANALOGUE = 5
    VIDEO_FRAME_DIGITAL = 6
    UNKNOWN = 7


_SIGNATURES = {
    ImageDataType.JPEG: (b"\xff\xd8",),
    ImageDataType.JPEG2000: (b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"),
}


def pose_code(degrees: float | None) -> int:
    """Angle in degrees (-180..180) to its stored code (1-181); ``None`` gives 0."""
    if degrees is None:
        return 0
    if not -180.0 <= degrees <= 180.0:
        raise RecordError(f"pose angle {degrees} is outside -180..180 degrees", "pose")
    return round(degrees / 2.0) + 91


def pose_degrees(code: int) -> float | None:
    """Stored pose code back to degrees (``None`` for 0, not specified)."""
    if code == 0:
        return None
    if not 1 <= code <= 181:
        raise RecordError(f"pose code {code} is outside 0..181", "pose")
    return (code - 91) * 2.0


@dataclass(frozen=True)
class FeaturePoint:
    """A 2-D feature point: MPEG-4 code ``major.minor`` and pixel position."""

    major: int
    minor: int
    x: int
    y: int
    type: int = 1


@dataclass(frozen=True)
class FaceImage:
    """One face image with its facial information and image information fields."""

    data: bytes
    width: int
    height: int
    face_image_type: FaceImageType = FaceImageType.FULL_FRONTAL
    image_data_type: ImageDataType = ImageDataType.JPEG
    colour_space: ColourSpace = ColourSpace.RGB24
    source_type: SourceType = SourceType.STATIC_PHOTO_DIGITAL_CAMERA
    device_type: int = 0
    quality: int = 0
    gender: Gender = Gender.UNSPECIFIED
    eye_colour: EyeColour = EyeColour.UNSPECIFIED
    hair_colour: HairColour = HairColour.UNSPECIFIED
    feature_mask: int = 0
    expression: int = Expression.UNSPECIFIED
    pose: tuple[int, int, int] = (0, 0, 0)
    pose_uncertainty: tuple[int, int, int] = (0, 0, 0)
    feature_points: tuple[FeaturePoint, ...] = ()

    def point(self, code: tuple[int, int]) -> FeaturePoint | None:
        """The feature point with MPEG-4 code ``(major, minor)``, if present."""
        for fp in self.feature_points:
            if (fp.major, fp.minor) == code:
                return fp
        return None

    @property
    def eyes(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """``((x, y) of the subject's left eye, (x, y) of the right eye)``, if both stored."""
        left, right = self.point(LEFT_EYE_CENTRE), self.point(RIGHT_EYE_CENTRE)
        if left is None or right is None:
            return None
        return (left.x, left.y), (right.x, right.y)


@dataclass(frozen=True)
class FaceRecord:
    """An ISO/IEC 19794-5:2005 face image record."""

    images: tuple[FaceImage, ...]

    def to_bytes(self) -> bytes:
        """The record's bytes; :class:`RecordError` names any field that cannot be written."""
        body = bytearray()
        check_uint(len(self.images), 16, "iso19794-5.images")
        for i, img in enumerate(self.images):
            body += _image_bytes(img, f"iso19794-5.image[{i}]")
        total = check_uint(HEADER_LEN + len(body), 32, "iso19794-5.length")
        return (MAGIC + VERSION + total.to_bytes(4, "big")
                + len(self.images).to_bytes(2, "big") + bytes(body))

    @classmethod
    def from_bytes(cls, data: bytes) -> FaceRecord:
        return read(data)


def _enum_value(cls: type[enum.IntEnum], value: int, path: str) -> int:
    try:
        return int(cls(value))
    except ValueError:
        raise RecordError(f"{value!r} is not a {cls.__name__} code", path) from None


def _image_bytes(img: FaceImage, p: str) -> bytes:
    for name, cls in (("gender", Gender), ("eye_colour", EyeColour),
                      ("hair_colour", HairColour), ("face_image_type", FaceImageType),
                      ("image_data_type", ImageDataType), ("colour_space", ColourSpace),
                      ("source_type", SourceType)):
        _enum_value(cls, getattr(img, name), f"{p}.{name}")
    check_uint(img.feature_mask, 24, f"{p}.feature_mask")
    if not _expression_ok(check_uint(img.expression, 16, f"{p}.expression")):
        raise RecordError(f"expression {img.expression} is not 0-7 or vendor (>= 0x8000)",
                          f"{p}.expression")
    for name in ("pose", "pose_uncertainty"):
        values = getattr(img, name)
        if len(values) != 3 or any(check_uint(v, 8, f"{p}.{name}") > 181 for v in values):
            raise RecordError("three codes 0..181 expected", f"{p}.{name}")
    for name in ("width", "height"):
        if check_uint(getattr(img, name), 16, f"{p}.{name}") == 0:
            raise RecordError("must be at least 1", f"{p}.{name}")
    check_uint(img.device_type, 16, f"{p}.device_type")
    check_uint(img.quality, 16, f"{p}.quality")
    check_uint(len(img.feature_points), 16, f"{p}.feature_points")
    if not isinstance(img.data, (bytes, bytearray)) or not bytes(img.data).startswith(
            _SIGNATURES[ImageDataType(img.image_data_type)]):
        raise RecordError(f"data is not {ImageDataType(img.image_data_type).name}",
                          f"{p}.data")
    points = bytearray()
    for n, fp in enumerate(img.feature_points):
        q = f"{p}.feature_point[{n}]"
        if fp.type != 1:
            raise RecordError("only 2-D feature points (type 1) exist", f"{q}.type")
        check_uint(fp.major, 4, f"{q}.major")
        check_uint(fp.minor, 4, f"{q}.minor")
        if check_uint(fp.x, 16, f"{q}.x") >= img.width or \
                check_uint(fp.y, 16, f"{q}.y") >= img.height:
            raise RecordError(f"({fp.x}, {fp.y}) is outside the {img.width}x{img.height} "
                              "image", f"{q}.x")
        points += bytes((1, (fp.major << 4) | fp.minor)) + fp.x.to_bytes(2, "big") \
            + fp.y.to_bytes(2, "big") + b"\x00\x00"
    block = (FACIAL_INFO_LEN + len(points) + IMAGE_INFO_LEN + len(img.data))
    check_uint(block, 32, f"{p}.length")
    info = (block.to_bytes(4, "big") + len(img.feature_points).to_bytes(2, "big")
            + bytes((img.gender, img.eye_colour, img.hair_colour))
            + img.feature_mask.to_bytes(3, "big") + img.expression.to_bytes(2, "big")
            + bytes(img.pose) + bytes(img.pose_uncertainty))
    image_info = (bytes((img.face_image_type, img.image_data_type))
                  + img.width.to_bytes(2, "big") + img.height.to_bytes(2, "big")
                  + bytes((img.colour_space, img.source_type))
                  + img.device_type.to_bytes(2, "big") + img.quality.to_bytes(2, "big"))
    return info + bytes(points) + image_info + bytes(img.data)


def _expression_ok(value: int) -> bool:
    return value <= 7 or value >= 0x8000


def read(data: bytes) -> FaceRecord:
    """Parse an ISO/IEC 19794-5:2005 record (strict; :class:`FormatError` on any fault)."""
    r = ByteReader(data, "iso19794-5")
    r.expect(MAGIC, "format_identifier")
    r.expect(VERSION, "version")
    off = r.pos
    length = r.u32("length")
    if length != len(r.data):
        raise r.error(f"record length {length} does not match the data size {len(r.data)}",
                      "length", off)
    count = r.u16("images")
    images = [_read_image(r, i) for i in range(count)]
    r.end()
    return FaceRecord(tuple(images))


def _code(r: ByteReader, cls: type[enum.IntEnum], field: str) -> int:
    off = r.pos
    value = r.u8(field)
    r.check_in(value, frozenset(int(c) for c in cls), field, off)
    return value


def _read_image(r: ByteReader, i: int) -> FaceImage:
    p = f"image[{i}]"
    start = r.pos
    block = r.u32(f"{p}.length")
    if block < FACIAL_INFO_LEN + IMAGE_INFO_LEN or block - 4 > r.remaining:
        raise r.error(f"block length {block} does not fit the record", f"{p}.length", start)
    n_points = r.u16(f"{p}.feature_points")
    if FACIAL_INFO_LEN + n_points * FEATURE_POINT_LEN + IMAGE_INFO_LEN > block:
        raise r.error(f"{n_points} feature points do not fit the {block}-byte block",
                      f"{p}.feature_points", start + 4)
    gender = Gender(_code(r, Gender, f"{p}.gender"))
    eye = EyeColour(_code(r, EyeColour, f"{p}.eye_colour"))
    hair = HairColour(_code(r, HairColour, f"{p}.hair_colour"))
    mask = r.uint(3, f"{p}.feature_mask")
    off = r.pos
    expression = r.u16(f"{p}.expression")
    if not _expression_ok(expression):
        raise r.error(f"expression {expression} is not 0-7 or vendor (>= 0x8000)",
                      f"{p}.expression", off)
    angles = []
    for name in ("yaw", "pitch", "roll", "yaw_uncertainty", "pitch_uncertainty",
                 "roll_uncertainty"):
        off = r.pos
        angles.append(r.check_range(r.u8(f"{p}.{name}"), 0, 181, f"{p}.{name}", off))
    raw_points = []
    for n in range(n_points):
        q = f"{p}.feature_point[{n}]"
        off = r.pos
        if r.u8(f"{q}.type") != 1:
            raise r.error("feature type is not 1 (2-D point)", f"{q}.type", off)
        code = r.u8(f"{q}.code")
        x, y = r.u16(f"{q}.x"), r.u16(f"{q}.y")
        if r.u16(f"{q}.reserved"):
            raise r.error("reserved bytes are not 0", f"{q}.reserved", off + 6)
        raw_points.append((off, FeaturePoint(code >> 4, code & 0x0F, x, y)))
    face_type = FaceImageType(_code(r, FaceImageType, f"{p}.face_image_type"))
    data_type = ImageDataType(_code(r, ImageDataType, f"{p}.image_data_type"))
    dims = []
    for name in ("width", "height"):
        off = r.pos
        dims.append(r.check_range(r.u16(f"{p}.{name}"), 1, 0xFFFF, f"{p}.{name}", off))
    colour = ColourSpace(_code(r, ColourSpace, f"{p}.colour_space"))
    source = SourceType(_code(r, SourceType, f"{p}.source_type"))
    device = r.u16(f"{p}.device_type")
    quality = r.u16(f"{p}.quality")
    for n, (off, fp) in enumerate(raw_points):
        if fp.x >= dims[0] or fp.y >= dims[1]:
            raise r.error(f"({fp.x}, {fp.y}) is outside the {dims[0]}x{dims[1]} image",
                          f"{p}.feature_point[{n}].x", off + 2)
    off = r.pos
    body = r.take(start + block - r.pos, f"{p}.data")
    if not body.startswith(_SIGNATURES[data_type]):
        raise r.error(f"data is not {data_type.name}", f"{p}.data", off)
    return FaceImage(body, dims[0], dims[1], face_type, data_type, colour, source, device,
                     quality, gender, eye, hair, mask, expression,
                     (angles[0], angles[1], angles[2]), (angles[3], angles[4], angles[5]),
                     tuple(fp for _, fp in raw_points))


def face_record_from_jpeg(jpeg: bytes, *,
                          eyes: tuple[tuple[float, float], tuple[float, float]] | None = None,
                          face_image_type: FaceImageType = FaceImageType.FULL_FRONTAL,
                          source_type: SourceType = SourceType.STATIC_PHOTO_DIGITAL_CAMERA,
                          expression: int = Expression.UNSPECIFIED,
                          quality: int = 0) -> FaceRecord:
    """A one-image record for a JPEG portrait.

    Width, height and colour space come from the JPEG itself. ``eyes`` is
    ``((x, y) of the subject's left eye, (x, y) of the subject's right eye)`` in pixels
    (the left eye is on the image's right); they are stored as feature points 12.1 and
    12.2.
    """
    from .images import image_info

    info = image_info(jpeg)
    if info.format != "JPEG":
        raise RecordError(f"expected a JPEG image, got {info.format}", "image")
    colour = {"L": ColourSpace.GREY8, "RGB": ColourSpace.RGB24}.get(info.mode,
                                                                    ColourSpace.OTHER)
    points: tuple[FeaturePoint, ...] = ()
    if eyes is not None:
        (lx, ly), (rx, ry) = eyes
        points = (FeaturePoint(*LEFT_EYE_CENTRE, round(lx), round(ly)),
                  FeaturePoint(*RIGHT_EYE_CENTRE, round(rx), round(ry)))
    img = FaceImage(bytes(jpeg), info.width, info.height, face_image_type,
                    ImageDataType.JPEG, colour, source_type, 0, quality,
                    expression=int(expression), feature_points=points,
                    feature_mask=0)
    return FaceRecord((img,))


def portrait_record(jpeg: bytes, size: tuple[int, int],
                    eyes_in_image: tuple[tuple[float, float], tuple[float, float]], *,
                    quality: int = 0) -> bytes:
    """The encoded full-frontal record of a finished portrait (a digital-camera still).

    ``size`` is the portrait's (width, height) and must match the JPEG; ``eyes_in_image``
    are the eye centres in image order, **image-left eye first** (as
    ``Portrait.eyes`` gives them); they are stored as the subject's left eye (12.1, on
    the image's right) and right eye (12.2). ``quality`` (0-100) goes in the image
    information block.
    """
    rec = face_record_from_jpeg(jpeg, eyes=(eyes_in_image[1], eyes_in_image[0]),
                                face_image_type=FaceImageType.FULL_FRONTAL,
                                source_type=SourceType.STATIC_PHOTO_DIGITAL_CAMERA,
                                quality=max(0, min(100, int(quality))))
    img = rec.images[0]
    if (img.width, img.height) != tuple(size):
        raise RecordError(f"portrait size {size[0]}x{size[1]} does not match its JPEG "
                          f"({img.width}x{img.height})", "image")
    return rec.to_bytes()
