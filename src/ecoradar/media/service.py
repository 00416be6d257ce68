"""Store uploads under ``ECORADAR_HOME/media`` by content hash, and open them again.

Every upload is a row of its own, owned by its uploader, holding what was read from that upload
only (EXIF position, time taken, camera, file name, time of upload): a member of the public and
an enterprise who send the same picture get two rows, two ids, and neither sees anything of the
other's. Nothing an uploader gets back depends on whether someone else sent the same bytes, so
an upload is no oracle for what the bureau holds. A media id given back by a caller (evidence
of an action, photos of a clue) must name one of the caller's own uploads: ``own_upload`` gives
every other id — someone else's file or no file at all — the same refusal.

Identical content is stored once on disk: ``home/media/<sha[:2]>/<sha>.jpg`` (or ``.pdf``) and,
for images, ``home/media/<sha[:2]>/<sha>.thumb.jpg``; ``sha`` is the SHA-256 of the stored bytes,
and every row with that hash shares the file, so removing a file is only ever right when no row
names its hash (nothing removes files today). Files are written atomically (a temporary file in
the same directory, fsync, ``os.replace``) before the row is added: if the insert then fails, the
file left behind is harmless, because the next upload of that content has the same name.
``prepare_upload`` (checking, re-encoding and writing: the slow part, no database) and
``record_upload`` (the row) can run apart, the first before a unit of work that writes opens.
There are no routes here: who may read a file depends on what it is attached to, which the
problem register decides; ``file_response`` builds the response.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.media.inspect import (
    IMAGE_CONTENT_TYPE,
    PDF_CONTENT_TYPE,
    Inspected,
    MediaLimits,
    inspect_upload,
    sanitize_filename,
)
from ecoradar.media.models import MediaFile

__all__ = [
    "MediaLimits",
    "download_name",
    "file_response",
    "media_path",
    "open_media",
    "own_upload",
    "owns",
    "prepare_upload",
    "record_upload",
    "store_upload",
]

EXTENSIONS = {IMAGE_CONTENT_TYPE: "jpg", PDF_CONTENT_TYPE: "pdf"}
THUMBNAIL_SUFFIX = ".thumb.jpg"
MAX_ID = 2**31 - 1
INDIVIDUAL_ACTORS = ("user:", "token:")
"""Actors that are one principal each (``user:7:alice``, ``token:3:drone-east``). Uploads of a
shared actor (``public:anonymous``, ``system:...``, ``cli:...``) belong to no one who could cite
them again by id."""
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NOT_HEADER_SAFE = re.compile(r'[^\x20-\x7e]|["\\/;]')


def store_upload(
    *,
    session: Session,
    home: Path,
    data: bytes,
    filename: str,
    now: datetime,
    uploaded_by: str | None,
    limits: MediaLimits,
) -> MediaFile:
    """Check, store and record an upload: a new row of its own every time.

    ``MediaRefused`` (an ``InputError``) when the file is not acceptable; then nothing is written
    to disk or to the database. The session is flushed, not committed.
    """
    inspected = prepare_upload(home=home, data=data, filename=filename, limits=limits)
    return record_upload(
        session=session, inspected=inspected, filename=filename, now=now, uploaded_by=uploaded_by
    )


def prepare_upload(*, home: Path, data: bytes, filename: str, limits: MediaLimits) -> Inspected:
    """Check an upload and write its content (and thumbnail) under ``home``, unless the same
    content is there already. No database: this is the slow part (decoding, re-encoding).
    ``MediaRefused`` when the file is not acceptable; then nothing is written."""
    inspected = inspect_upload(data, filename, limits)
    _write_atomic(_path(home, inspected.sha256, inspected.content_type), inspected.data)
    if inspected.thumbnail is not None:
        _write_atomic(_path(home, inspected.sha256, None), inspected.thumbnail)
    return inspected


def record_upload(
    *,
    session: Session,
    inspected: Inspected,
    filename: str,
    now: datetime,
    uploaded_by: str | None,
) -> MediaFile:
    """The row of one upload prepared by ``prepare_upload``, owned by ``uploaded_by`` and
    holding that upload's own facts (flushed, so it has its id)."""
    gps_lat, gps_lon = inspected.gps if inspected.gps is not None else (None, None)
    media = MediaFile(
        sha256=inspected.sha256,
        kind=inspected.kind,
        content_type=inspected.content_type,
        byte_size=len(inspected.data),
        width=inspected.width,
        height=inspected.height,
        phash=inspected.phash,
        gps_lat=gps_lat,
        gps_lon=gps_lon,
        taken_at_local=inspected.taken_at_local,
        camera=inspected.camera,
        original_name=sanitize_filename(filename),
        public_safe=inspected.public_safe,
        uploaded_at=now,
        uploaded_by=uploaded_by,
    )
    session.add(media)
    session.flush()
    return media


def owns(actor: str, media: MediaFile) -> bool:
    """Whether ``actor`` (one principal, see ``INDIVIDUAL_ACTORS``) uploaded ``media``."""
    return actor.startswith(INDIVIDUAL_ACTORS) and media.uploaded_by == actor


def own_upload(*, session: Session, actor: str, media_id: int, field: str) -> MediaFile:
    """The file ``media_id`` if ``actor`` uploaded it; ``InputError`` naming ``field`` otherwise.

    Someone else's file and an id that names no file get the very same refusal, so a caller
    learns nothing about files that are not theirs (not even that they exist)."""
    media = session.get(MediaFile, media_id) if 0 < media_id <= MAX_ID else None
    if media is None or not owns(actor, media):
        raise InputError(f"{field}: no file {media_id} uploaded by you")
    return media


def open_media(
    *, session: Session, home: Path, media_id: int, thumbnail: bool = False
) -> tuple[MediaFile, Path]:
    """A stored file and the path of its content (or of its thumbnail)."""
    media = session.get(MediaFile, media_id)
    if media is None:
        raise NotFoundError(f"media file {media_id} does not exist")
    if thumbnail and media.kind != "image":
        raise NotFoundError(f"media file {media_id}: a {media.kind} has no thumbnail")
    path = media_path(home, media, thumbnail=thumbnail)
    if not path.is_file():
        raise NotFoundError(f"media file {media_id}: the stored content is missing")
    return media, path


def media_path(home: Path, media: MediaFile, *, thumbnail: bool = False) -> Path:
    """Where a file's content (or thumbnail) lives under ``home``."""
    return _path(home, media.sha256, None if thumbnail else media.content_type)


def _path(home: Path, sha256: str, content_type: str | None) -> Path:
    """The content's path; ``content_type`` None means the thumbnail."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    directory = home / "media" / sha256[:2]
    if content_type is None:
        return directory / f"{sha256}{THUMBNAIL_SUFFIX}"
    return directory / f"{sha256}.{EXTENSIONS[content_type]}"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the whole file or nothing."""
    if path.is_file() and path.stat().st_size == len(data):
        return  # named by its content hash: already there
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def download_name(media: MediaFile, *, thumbnail: bool = False) -> str:
    """The sender's file name with the extension of what is stored (``photo.png`` is stored as
    a JPEG, so it downloads as ``photo.jpg``; its thumbnail as ``photo.thumb.jpg``)."""
    stem, suffix = _download_parts(media, thumbnail)
    return stem + suffix


def _download_parts(media: MediaFile, thumbnail: bool) -> tuple[str, str]:
    name = sanitize_filename(media.original_name)
    stem, dot, _ext = name.rpartition(".")
    stem = (stem if dot and stem else name)[:150]
    suffix = THUMBNAIL_SUFFIX if thumbnail else f".{EXTENSIONS.get(media.content_type, 'bin')}"
    return stem, suffix


def file_response(media: MediaFile, path: Path) -> FileResponse:
    """The HTTP response for a stored file or its thumbnail (from ``open_media``).

    Images are shown inline, documents are downloaded (``attachment``); the browser is told not
    to guess the type (``nosniff``) and shared caches not to keep the file (``private``). The
    file name is offered as RFC 6266 wants it: an ASCII ``filename`` for old clients and the
    UTF-8 ``filename*``.
    """
    thumbnail = path.name.endswith(THUMBNAIL_SUFFIX)
    stem, suffix = _download_parts(media, thumbnail)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    # NFKD turns full-width quotes and slashes into ASCII ones: keep printable, harmless ASCII
    ascii_stem = _NOT_HEADER_SAFE.sub("_", ascii_stem).strip(" .") or "file"
    disposition = "inline" if media.kind == "image" else "attachment"
    return FileResponse(
        path,
        media_type=IMAGE_CONTENT_TYPE if thumbnail else media.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{ascii_stem}{suffix}"; '
            f"filename*=UTF-8''{quote(stem + suffix, safe='')}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private",
        },
    )
