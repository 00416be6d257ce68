"""Storing uploads by content hash under ECORADAR_HOME, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.config import Settings
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.media.inspect import MediaLimits, MediaRefused
from ecoradar.media.models import MediaFile
from ecoradar.media.schemas import MediaFilePublic, MediaFileRead
from ecoradar.media.service import file_response, media_path, open_media, own_upload, store_upload
from tests.unit.test_media_inspect import PDF, dms, encode, gps_ifd, photo, strip_exif, with_exif

NOW = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
LIMITS = MediaLimits()


def _store(session: Session, home: Path, data: bytes, filename: str = "photo.jpg") -> MediaFile:
    return store_upload(
        session=session,
        home=home,
        data=data,
        filename=filename,
        now=NOW,
        uploaded_by="grid:zhang",
        limits=LIMITS,
    )


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(MediaFile)) or 0


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def home(settings: Settings) -> Path:
    return settings.home


def test_an_image_is_stored_by_content_hash_with_a_thumbnail_and_its_exif_facts(
    session: Session, home: Path
) -> None:
    original = with_exif(
        gps_ifd("N", dms(30, 15, 36.0), "E", dms(120, 9, 18.0)),
        taken="2026:11:02 09:30:05",
        offset="+08:00",
        make="Xiaomi",
        model="14 Pro",
    )
    media = _store(session, home, original, "IMG_0001.JPG")
    session.expire_all()
    stored = session.get(MediaFile, media.id)
    assert stored is not None
    assert (stored.kind, stored.content_type, stored.public_safe) == ("image", "image/jpeg", True)
    assert (stored.gps_lat, stored.gps_lon) == (30.26, 120.155)
    assert stored.taken_at_local == "2026-11-02T09:30:05+08:00"
    assert stored.camera == "Xiaomi 14 Pro"
    assert (stored.original_name, stored.uploaded_by, stored.uploaded_at) == (
        "IMG_0001.JPG",
        "grid:zhang",
        NOW,
    )
    assert (stored.width, stored.height) == (400, 300)
    assert stored.phash is not None and len(stored.phash) == 16
    directory = home / "media" / stored.sha256[:2]
    assert _files(home) == [
        directory / f"{stored.sha256}.jpg",
        directory / f"{stored.sha256}.thumb.jpg",
    ]
    content = (directory / f"{stored.sha256}.jpg").read_bytes()
    assert stored.byte_size == len(content)
    assert b"Xiaomi" not in content and b"Exif" not in content


def test_a_pdf_is_stored_as_sent_without_a_thumbnail(session: Session, home: Path) -> None:
    media = _store(session, home, PDF, "整改报告.pdf")
    assert (media.kind, media.public_safe, media.width, media.phash) == (
        "document",
        False,
        None,
        None,
    )
    _media, path = open_media(session=session, home=home, media_id=media.id)
    assert path == home / "media" / media.sha256[:2] / f"{media.sha256}.pdf"
    assert path.read_bytes() == PDF
    with pytest.raises(NotFoundError, match="has no thumbnail"):
        open_media(session=session, home=home, media_id=media.id, thumbnail=True)


def test_the_same_content_uploaded_twice_is_stored_once_with_a_row_per_upload(
    session: Session, home: Path
) -> None:
    data = encode(photo(4))
    first = _store(session, home, data, "first.jpg")
    second = store_upload(
        session=session,
        home=home,
        data=data,
        filename="second.jpg",
        now=NOW.replace(hour=5),
        uploaded_by=None,
        limits=LIMITS,
    )
    assert second.id != first.id and second.sha256 == first.sha256
    assert (second.original_name, second.uploaded_by, second.uploaded_at) == (
        "second.jpg",
        None,
        NOW.replace(hour=5),
    )
    assert _count(session) == 2
    assert len(_files(home)) == 2  # one file and one thumbnail, shared
    assert media_path(home, first) == media_path(home, second)


def test_a_stripped_copy_of_someone_elses_photo_gets_nothing_of_the_original(
    session: Session, home: Path
) -> None:
    original = with_exif(
        gps_ifd("N", dms(30, 15, 36.0), "E", dms(120, 9, 18.0)),
        taken="2026:11:02 09:30:05",
        make="Xiaomi",
        model="14 Pro",
    )
    bureau = _store(session, home, original, "现场.jpg")
    copy = store_upload(
        session=session,
        home=home,
        data=strip_exif(original),
        filename="copy.jpg",
        now=NOW.replace(hour=6),
        uploaded_by="user:9:company",
        limits=LIMITS,
    )
    assert copy.sha256 == bureau.sha256  # the same stored bytes: only the file is shared
    assert copy.id != bureau.id
    read = MediaFileRead.of(copy).model_dump()
    assert (read["gps_lat"], read["gps_lon"], read["taken_at_local"], read["camera"]) == (
        None,
        None,
        None,
        None,
    )
    assert (read["original_name"], read["uploaded_by"]) == ("copy.jpg", "user:9:company")
    assert read["uploaded_at"].isoformat() == "2026-11-02T14:30:00+08:00"
    session.expire_all()
    kept = session.get(MediaFile, bureau.id)
    assert kept is not None and (kept.gps_lat, kept.camera) == (30.26, "Xiaomi 14 Pro")


def test_a_caller_cites_its_own_uploads_and_any_other_id_gets_one_and_the_same_refusal(
    session: Session, home: Path
) -> None:
    mine = _store(session, home, encode(photo(9)))
    theirs = store_upload(
        session=session,
        home=home,
        data=encode(photo(10)),
        filename="t.jpg",
        now=NOW,
        uploaded_by="user:8:other",
        limits=LIMITS,
    )
    owner = "grid:zhang"  # a shared actor (not user:/token:) owns nothing to cite
    with pytest.raises(InputError):
        own_upload(session=session, actor=owner, media_id=mine.id, field="photo_ids")
    me = "user:7:zhang"
    mine.uploaded_by = me
    assert own_upload(session=session, actor=me, media_id=mine.id, field="photo_ids") is mine
    refusals = []
    for media_id in (theirs.id, theirs.id + 1000, 0, 2**40):
        with pytest.raises(InputError) as caught:
            own_upload(session=session, actor=me, media_id=media_id, field="photo_ids")
        refusals.append(str(caught.value).replace(str(media_id), "N"))
    assert refusals == ["photo_ids: no file N uploaded by you"] * 4


def test_a_refused_upload_changes_nothing_on_disk_or_in_the_database(
    session: Session, home: Path
) -> None:
    for data, reason in [
        (b"", "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "unsupported_type"),
        (encode(photo(1))[:5000], "corrupt"),
    ]:
        with pytest.raises(MediaRefused) as caught:
            _store(session, home, data)
        assert caught.value.reason == reason
    assert _count(session) == 0
    assert not (home / "media").exists()


def test_a_hostile_file_name_is_kept_only_as_a_clean_basename(
    session: Session, home: Path, tmp_path: Path
) -> None:
    media = _store(session, home, encode(photo(2)), "../../etc/pass\u202ewd\x00")
    assert media.original_name == "passwd"
    assert all(home / "media" in p.parents for p in _files(home))
    assert not any(p.name.startswith("pass") for p in tmp_path.rglob("*"))


def test_a_failed_write_leaves_no_file_and_no_row(
    session: Session, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        _store(session, home, encode(photo(3)))
    assert _files(home) == []
    assert _count(session) == 0


def test_open_media_finds_the_content_and_the_thumbnail(session: Session, home: Path) -> None:
    media = _store(session, home, encode(photo(6)))
    found, path = open_media(session=session, home=home, media_id=media.id)
    assert found.id == media.id and path.name == f"{media.sha256}.jpg"
    _found, thumb = open_media(session=session, home=home, media_id=media.id, thumbnail=True)
    assert thumb.name == f"{media.sha256}.thumb.jpg"


def test_open_media_refuses_an_unknown_id_and_missing_content(session: Session, home: Path) -> None:
    with pytest.raises(NotFoundError, match="media file 999 does not exist"):
        open_media(session=session, home=home, media_id=999)
    media = _store(session, home, encode(photo(6)))
    _media, path = open_media(session=session, home=home, media_id=media.id)
    path.unlink()
    with pytest.raises(NotFoundError, match="stored content is missing"):
        open_media(session=session, home=home, media_id=media.id)


def test_a_lost_file_is_written_again_when_the_same_content_is_uploaded(
    session: Session, home: Path
) -> None:
    data = encode(photo(8))
    media = _store(session, home, data)
    _media, path = open_media(session=session, home=home, media_id=media.id)
    path.unlink()
    assert _store(session, home, data).id != media.id
    assert path.is_file()
    assert open_media(session=session, home=home, media_id=media.id)[1] == path


def _served(media: MediaFile, path: Path) -> Any:
    app = FastAPI()

    @app.get("/file")
    def serve() -> Any:
        return file_response(media, path)

    with TestClient(app) as client:
        return client.get("/file")


def test_an_image_is_served_inline_as_jpeg_with_safe_headers(session: Session, home: Path) -> None:
    media = _store(session, home, encode(photo(1), "PNG"), "site photo.png")
    _media, path = open_media(session=session, home=home, media_id=media.id)
    response = _served(media, path)
    assert response.status_code == 200
    assert response.content == path.read_bytes()
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == (
        "inline; filename=\"site photo.jpg\"; filename*=UTF-8''site%20photo.jpg"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private"


def test_a_thumbnail_is_served_under_its_own_name(session: Session, home: Path) -> None:
    media = _store(session, home, encode(photo(1)), "河道.jpg")
    _media, path = open_media(session=session, home=home, media_id=media.id, thumbnail=True)
    response = _served(media, path)
    assert response.content == path.read_bytes()
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == (
        "inline; filename=\"file.thumb.jpg\"; filename*=UTF-8''%E6%B2%B3%E9%81%93.thumb.jpg"
    )


def test_a_document_is_served_as_a_download_and_a_hostile_name_cannot_break_the_header(
    session: Session, home: Path
) -> None:
    media = _store(session, home, PDF, 'a"b\r\nSet-Cookie: x=1;.pdf')
    _media, path = open_media(session=session, home=home, media_id=media.id)
    response = _served(media, path)
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="a_bSet-Cookie_ x=1_.pdf"; filename*=')
    assert "set-cookie" not in response.headers
    assert response.content == PDF


def test_full_width_quotes_do_not_turn_into_ascii_quotes_in_the_header(
    session: Session, home: Path
) -> None:
    media = _store(session, home, PDF, "\uff02报告\uff02\uff0f\uff3c.pdf")
    _media, path = open_media(session=session, home=home, media_id=media.id)
    disposition = _served(media, path).headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"____.pdf\"; filename*=UTF-8''%EF%BC%82")


def test_the_public_shape_carries_nothing_about_the_sender(session: Session, home: Path) -> None:
    original = with_exif(gps_ifd("N", dms(30, 0, 0), "E", dms(120, 0, 0)), make="Canon")
    media = _store(session, home, original, "张三-举报.jpg")
    public = MediaFilePublic.of(media).model_dump()
    assert set(public) == {"id", "kind", "content_type", "byte_size", "width", "height"}
    full = MediaFileRead.of(media)
    assert (full.gps_lat, full.gps_lon, full.camera) == (30.0, 120.0, "Canon")
    assert full.uploaded_at.isoformat() == "2026-11-02T09:30:00+08:00"
