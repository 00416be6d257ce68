"""Store uploads under ``ECORADAR_HOME/media`` by content hash, and open them again.

Layout: ``home/media/<sha[:2]>/<sha>.jpg`` (or ``.pdf``) and, for images,
``home/media/<sha[:2]>/<sha>.thumb.jpg``; ``sha`` is the SHA-256 of the stored bytes. Files are
written atomically (a temporary file in the same directory, fsync, ``os.replace``) before the
row is added: if the insert then fails, the file left behind is harmless, because the next upload
of that content has the same name. There are no routes here: who may read a file depends on what
it is attached to, which the problem register decides; ``file_response`` builds the response.
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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecoradar.core.errors import NotFoundError
from ecoradar.media.inspect import (
    IMAGE_CONTENT_TYPE,
    PDF_CONTENT_TYPE,
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
    "store_upload",
]

EXTENSIONS = {IMAGE_CONTENT_TYPE: "jpg", PDF_CONTENT_TYPE: "pdf"}
THUMBNAIL_SUFFIX = ".thumb.jpg"
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
    """Check, store and record an upload; the same stored content twice gives the first row.

    ``MediaRefused`` (an ``InputError``) when the file is not acceptable; then nothing is written
    to disk or to the database. The session is flushed, not committed.
    """
    inspected = inspect_upload(data, filename, limits)
    existing = _by_sha(session, inspected.sha256)
    path = _path(home, inspected.sha256, inspected.content_type)
    _write_atomic(path, inspected.data)
    if inspected.thumbnail is not None:
        _write_atomic(_path(home, inspected.sha256, None), inspected.thumbnail)
    if existing is not None:
        return existing
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
    try:
        with session.begin_nested():
            session.add(media)
    except IntegrityError:
        # Someone stored the same content between our look-up and our insert.
        winner = _by_sha(session, inspected.sha256)
        if winner is None:
            raise
        return winner
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


def _by_sha(session: Session, sha256: str) -> MediaFile | None:
    return session.scalar(select(MediaFile).where(MediaFile.sha256 == sha256))


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
