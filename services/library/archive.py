"""A published version as a zip of its files, and a zip of a library published through the same validation."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from engine.validation import LIBRARY_SUFFIXES
from models import User
from services.errors import Invalid
from services.library.catalog import version_of
from services.library.versions import Published, check_publisher, publish

MAX_FILES = 500
MAX_BYTES = 20 * 1024 * 1024  # unpacked, all files together: a library is a few hundred kilobytes


def export_version(*, session: Session, process_id: str, number: int | None = None) -> tuple[str, bytes]:
    """A version (the current one without a number) as a file name and the bytes of a zip of its files."""
    version = version_of(session=session, process_id=process_id, number=number)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(version.files):
            archive.writestr(zipfile.ZipInfo(name, date_time=version.created_at.timetuple()[:6]),
                             version.files[name].encode(), zipfile.ZIP_DEFLATED)
    return f"{process_id}-v{version.number}.zip", buffer.getvalue()


def read_archive(data: bytes) -> dict[str, str]:
    """The library files of a zip by name (folders inside it do not matter); anything unsafe is refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist()
                   if not info.is_dir() and PurePosixPath(info.filename).suffix in LIBRARY_SUFFIXES]
    except zipfile.BadZipFile:
        raise Invalid(N_("Файл не является zip-архивом")) from None
    if len(entries) > MAX_FILES or sum(info.file_size for info in entries) > MAX_BYTES:
        raise Invalid(N_("Архив слишком велик: не больше %(files)s файлов и %(mb)s МБ", files=MAX_FILES,
                         mb=MAX_BYTES // 1024 // 1024))
    files: dict[str, str] = {}
    for info in entries:
        name = PurePosixPath(info.filename).name
        if name in files:
            raise Invalid(N_("Файл %(name)s встречается в архиве дважды", name=name))
        try:
            with archive.open(info) as member:
                raw = member.read(MAX_BYTES + 1)  # the sizes in the header may lie
            if len(raw) > MAX_BYTES:
                raise Invalid(N_("Файл %(name)s слишком велик", name=info.filename))
            files[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid(N_("Файл %(name)s не в кодировке UTF-8", name=info.filename)) from None
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
            raise Invalid(N_("Файл %(name)s не читается из архива: %(problem)s", name=info.filename,
                             problem=str(exc))) from None
    return files


def import_archive(*, session: Session, clock: Clock, data: bytes, comment: str,
                   author: User | None) -> list[Published]:
    """Publish the library in a zip (an exported version, from here or another installation)."""
    check_publisher(author)
    return publish(session=session, clock=clock, files=read_archive(data), comment=comment, author=author)
