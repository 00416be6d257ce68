"""Pure checks for uploaded files: bytes in, an ``Inspected`` result (or ``MediaRefused``) out.

No database and no files here. The type comes from the bytes (magic numbers), never from the
file name or the declared content type. Accepted: JPEG, PNG and WebP images, PDF documents.
HEIC/HEIF is refused: Pillow 13 decodes AVIF (AV1) through libavif but has no HEVC decoder, and
reading HEIC would need the extra ``pillow-heif`` package. Everything else (SVG, GIF, TIFF, HTML,
archives, ...) is refused as ``unsupported_type``.

Images are decoded by Pillow inside a guard: the pixel count is checked from the header before
any pixel is decoded, Pillow's decompression-bomb error and every warning raised while decoding
become refusals, truncated files are refused (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays off), and
any exception of a decoder fed hostile bytes is a refusal, never a crash. EXIF (GPS position,
time taken, camera) is read from the original for evidence; the stored image is a fresh RGB
image — orientation applied, alpha flattened on white, at most 4096 px on its longest edge —
encoded as JPEG quality 85 with no EXIF, XMP, ICC profile or text chunks, so nothing the sender's
camera or editor wrote (and nothing appended after the image data, as in polyglots) survives.
PDFs are stored as sent and marked not public-safe: their metadata can carry names.

The perceptual hash is a 64-bit dHash over Pillow (greyscale 9x8, one bit per pair of horizontal
neighbours). The ``imagehash`` package would give the same with numpy, scipy and PyWavelets as
dependencies; ten lines over Pillow, which we already need, avoid all three.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from ecoradar.core.errors import InputError
from ecoradar.media.exif import ExifFacts, read_exif

if TYPE_CHECKING:
    from ecoradar.config import Settings

Kind = Literal["image", "document"]
Reason = Literal["unsupported_type", "too_large", "too_many_pixels", "corrupt", "empty"]

MAX_EDGE = 4096
"""Longest edge of a stored image, in pixels; larger images are scaled down."""
THUMBNAIL_EDGE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
PDF_EOF_WINDOW = 1024
"""``%%EOF`` must appear within this many bytes of the end of a PDF."""
MAX_NAME_LENGTH = 200

MiB = 1024 * 1024
IMAGE_CONTENT_TYPE = "image/jpeg"
PDF_CONTENT_TYPE = "application/pdf"
ACCEPTED = "JPEG, PNG or WebP images and PDF documents"

_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_UNWANTED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_UNSAFE_NAME_CHARACTERS = re.compile(r'[<>:"|?*;]')
_PHASH = re.compile(r"[0-9a-f]{16}")


class MediaRefused(InputError):
    """An upload was refused; ``reason`` is one of ``Reason``, the message names the file."""

    def __init__(self, filename: str, reason: Reason, detail: str) -> None:
        self.filename = filename
        self.reason: Reason = reason
        self.detail = detail
        super().__init__(f"{filename}: {detail}")


@dataclass(frozen=True)
class MediaLimits:
    """Size limits of uploads (settings ``media_max_image_bytes`` and friends)."""

    max_image_bytes: int = 15 * MiB
    max_document_bytes: int = 20 * MiB
    max_pixels: int = 50_000_000

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaLimits:
        return cls(
            max_image_bytes=settings.media_max_image_bytes,
            max_document_bytes=settings.media_max_document_bytes,
            max_pixels=settings.media_max_pixels,
        )


@dataclass(frozen=True)
class Inspected:
    """What to store for an accepted upload, and what was read from the original."""

    kind: Kind
    content_type: str
    data: bytes
    """The bytes to store: the re-encoded JPEG, or the PDF as sent."""
    thumbnail: bytes | None
    width: int | None
    height: int | None
    sha256: str
    """Of ``data`` (what is stored), lower-case hex."""
    phash: str | None
    gps: tuple[float, float] | None
    """(latitude, longitude) in signed decimal degrees from the original's EXIF: evidence only."""
    taken_at_local: str | None
    camera: str | None
    original_bytes: int
    public_safe: bool


def sniff(data: bytes) -> str | None:
    """The accepted format the bytes start with (``JPEG``, ``PNG``, ``WEBP``, ``PDF``), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return None


def _describe_unsupported(data: bytes) -> str:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return (
            "HEIC/HEIF photos cannot be decoded here; send a JPEG (on a phone: camera format "
            "'Most Compatible')"
        )
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        return f"SVG/XML is not accepted; send {ACCEPTED}"
    if head.startswith((b"<!doctype", b"<html", b"<script")):
        return f"HTML is not accepted; send {ACCEPTED}"
    return f"unsupported file type; send {ACCEPTED}"


def sanitize_filename(name: str) -> str:
    """A file name safe to store and to offer for download.

    Basename only (both ``/`` and ``\\`` separate), control, format (bidirectional overrides,
    zero-width) and unassigned characters removed, characters Windows refuses or that could
    confuse a header replaced by ``_``, no leading dots, at most 200 characters (the extension
    kept); ``unnamed`` when nothing is left.
    """
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _UNWANTED_CATEGORIES)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARACTERS.sub("_", name)
    name = " ".join(name.split()).lstrip(".").rstrip(". ")
    if not name:
        return "unnamed"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def inspect_upload(data: bytes, filename: str, limits: MediaLimits) -> Inspected:
    """Check an upload and produce what to store; ``MediaRefused`` when it is not acceptable."""
    name = sanitize_filename(filename)
    if not data:
        raise MediaRefused(name, "empty", "the file is empty")
    fmt = sniff(data)
    if fmt is None:
        raise MediaRefused(name, "unsupported_type", _describe_unsupported(data))
    if fmt == "PDF":
        return _inspect_pdf(data, name, limits)
    if len(data) > limits.max_image_bytes:
        raise MediaRefused(
            name,
            "too_large",
            f"image of {len(data):,} bytes exceeds the limit of {limits.max_image_bytes:,} bytes",
        )
    return _inspect_image(data, fmt, name, limits)


def _inspect_pdf(data: bytes, name: str, limits: MediaLimits) -> Inspected:
    if len(data) > limits.max_document_bytes:
        raise MediaRefused(
            name,
            "too_large",
            f"document of {len(data):,} bytes exceeds the limit of "
            f"{limits.max_document_bytes:,} bytes",
        )
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise MediaRefused(name, "corrupt", "PDF has no %%EOF marker at its end (truncated?)")
    return Inspected(
        kind="document",
        content_type=PDF_CONTENT_TYPE,
        data=data,
        thumbnail=None,
        width=None,
        height=None,
        sha256=hashlib.sha256(data).hexdigest(),
        phash=None,
        gps=None,
        taken_at_local=None,
        camera=None,
        original_bytes=len(data),
        public_safe=False,
    )


def _inspect_image(data: bytes, fmt: str, name: str, limits: MediaLimits) -> Inspected:
    decoded = _decode(data, fmt, name, limits)
    facts = _exif_of(decoded)
    clean = _clean_pixels(decoded)
    del decoded  # the largest copy of the pixels: let it go before encoding
    stored = _jpeg(clean, JPEG_QUALITY)
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
    return Inspected(
        kind="image",
        content_type=IMAGE_CONTENT_TYPE,
        data=stored,
        thumbnail=_jpeg(thumb, THUMBNAIL_QUALITY),
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(stored).hexdigest(),
        phash=dhash(thumb),  # the same bits as from the full image, at a fraction of the cost
        gps=facts.gps,
        taken_at_local=facts.taken_at_local,
        camera=facts.camera,
        original_bytes=len(data),
        public_safe=True,
    )


def _decode(data: bytes, fmt: str, name: str, limits: MediaLimits) -> Image.Image:
    """Open, verify, reopen and fully load the image; any trouble is a refusal.

    The pixel limit is checked by ``_check_pixels`` from the header, before decoding; it does
    not depend on the warnings filter, which is process-wide state in Python 3.11 (threads
    decoding at the same moment share it, so it is a second line, not the guard).
    """
    # WeasyPrint turns Pillow's process-wide LOAD_TRUNCATED_IMAGES on when it is imported
    # (the reminders' PDFs): a truncated upload would then load half-grey and be accepted.
    # Nothing of ours needs it on, so it is kept off here whoever imported what.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            # Every warning while decoding (Pillow's DecompressionBombWarning, malformed MPO,
            # ...) becomes an exception, and so a refusal.
            warnings.simplefilter("error")
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                _check_pixels(probe, name, limits)
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=[fmt])
            _check_pixels(image, name, limits)
            if image.format == "JPEG" and max(image.size) > MAX_EDGE:
                # let libjpeg decode at 1/2, 1/4 or 1/8 scale, no smaller than what is kept
                scale = MAX_EDGE / max(image.size)
                image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            image.load()
    except MediaRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaRefused(name, "too_many_pixels", f"image has too many pixels ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise MediaRefused(
            name, "corrupt", f"starts like a {_format_name(fmt)} image but is not a readable one"
        ) from exc
    except Exception as exc:  # a decoder fed hostile bytes may raise anything
        raise MediaRefused(
            name, "corrupt", f"could not be read as a {_format_name(fmt)} image ({_short(exc)})"
        ) from exc
    if image.format not in _IMAGE_FORMATS and image.format != "MPO":
        raise MediaRefused(name, "unsupported_type", f"unsupported image format {image.format}")
    return image


def _check_pixels(image: Image.Image, name: str, limits: MediaLimits) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise MediaRefused(name, "corrupt", f"image has no pixels ({width}x{height})")
    if width * height > limits.max_pixels:
        raise MediaRefused(
            name,
            "too_many_pixels",
            f"image of {width}x{height} pixels exceeds the limit of {limits.max_pixels:,} pixels",
        )


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _format_name(fmt: str) -> str:
    return "WebP" if fmt == "WEBP" else fmt


def _exif_of(image: Image.Image) -> ExifFacts:
    """EXIF facts of the original, best effort: unreadable EXIF gives no facts, not a refusal."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read_exif(image.getexif())
    except Exception:  # malformed EXIF is the sender's problem, not a reason to refuse the photo
        return ExifFacts(None, None, None)


def _clean_pixels(image: Image.Image) -> Image.Image:
    """The pixels only, in a new RGB image: orientation applied, at most ``MAX_EDGE`` on the
    longest edge, alpha flattened on white."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            oriented = ImageOps.exif_transpose(image)
    except Exception:  # an unreadable orientation leaves the image as it is
        oriented = image
    if oriented.mode in ("I;16", "I;16B", "I;16L", "I"):
        oriented = oriented.convert("I").point(lambda v: v / 256).convert("L")
    has_alpha = "A" in oriented.mode or (oriented.mode == "P" and "transparency" in oriented.info)
    working = oriented.convert("RGBA" if has_alpha else "RGB")
    working.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    if has_alpha:
        flat = Image.new("RGB", working.size, (255, 255, 255))
        flat.paste(working, mask=working.getchannel("A"))
        working = flat
    # A brand-new image: whatever ``info`` the conversions carried (exif, icc_profile, xmp,
    # comments) is left behind.
    fresh = Image.new("RGB", working.size)
    fresh.paste(working)
    return fresh


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def dhash(image: Image.Image) -> str:
    """64-bit difference hash as 16 lower-case hex digits.

    The image is reduced to 9x8 greyscale; bit ``8*row + col`` (most significant first) is set
    when a pixel is brighter than its right-hand neighbour. Resizing and recompressing move few
    bits; unrelated pictures differ in about half of them.
    """
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    """How many of the 64 bits differ between two ``dhash`` values."""
    for value in (a, b):
        if not _PHASH.fullmatch(value.lower()):
            raise ValueError(f"not a 64-bit perceptual hash: {value!r}")
    return (int(a, 16) ^ int(b, 16)).bit_count()
