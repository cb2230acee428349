"""Photos and videos for a reply (clause 9): type from the content, size limits, storage outside static/.

The executor uploads files while a draft or rework task is open; they wait unbound (draft_id is NULL) and are
bound to the draft the executor's form creates (`bind_pending`, called by services.tasks). Files live in a
directory the web layer names, each under a random key; the original name is kept only for display and download.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.texts import N_
from models import Attachment, Draft, HumanTask, User
from services.cases import visible_case
from services.errors import Forbidden, Invalid, NotFound, TooLarge, Unsupported
from services.tasks import open_task

MB = 1024 * 1024
PHOTO_MAX = 10 * MB
VIDEO_MAX = 50 * MB
REQUEST_MAX = VIDEO_MAX + MB  # one file plus the multipart envelope and the form's small fields
MAX_PENDING = 10
HEAD = 64
CHUNK = MB
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"mmp4", b"M4V "}


@dataclass(frozen=True)
class Kind:
    """An accepted file type: its content type, file name extensions and size limit."""

    content_type: str
    extensions: tuple[str, ...]
    max_bytes: int
    matches: Callable[[bytes], bool]

    @property
    def is_video(self) -> bool:
        """Whether this is a video type."""
        return self.content_type.startswith("video/")


KINDS = (
    Kind("image/jpeg", ("jpg", "jpeg"), PHOTO_MAX, lambda h: h.startswith(b"\xff\xd8\xff")),
    Kind("image/png", ("png",), PHOTO_MAX, lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    Kind("image/webp", ("webp",), PHOTO_MAX, lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP"),
    Kind("video/mp4", ("mp4", "m4v"), VIDEO_MAX, lambda h: h[4:8] == b"ftyp" and h[8:12] in _MP4_BRANDS),
    Kind("video/webm", ("webm",), VIDEO_MAX, lambda h: h.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in h[4:HEAD]),
)
ACCEPT = ",".join([k.content_type for k in KINDS] + [f".{e}" for k in KINDS for e in k.extensions])


def sniff(head: bytes) -> Kind | None:
    """The accepted type the first bytes of a file show, if any."""
    return next((kind for kind in KINDS if kind.matches(head)), None)


def display_name(filename: str | None, kind: Kind) -> str:
    """The uploaded name without folders or control characters, with an extension that fits the real type."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().strip(".")[:150] or "file"
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem or extension.lower() not in kind.extensions:
        base = f"{base}.{kind.extensions[0]}"
    return base


# Forms whose text becomes a draft version: a reply, or a body's part of a common reply (8.9).
TEXT_FIELDS = {"reply_text", "part_text"}


def _too_large(kind: Kind) -> str:
    if kind.is_video:
        return N_("Файл слишком большой: видео — не больше %(mb)s МБ. Ничего не сохранено.", mb=kind.max_bytes // MB)
    return N_("Файл слишком большой: фото — не больше %(mb)s МБ. Ничего не сохранено.", mb=kind.max_bytes // MB)


def upload(*, session: Session, clock: Clock, user: User, task_id: int, filename: str | None, stream: BinaryIO,
           directory: Path) -> Attachment:
    """Store one photo or video for the reply the user is drafting in this task; nothing is kept on refusal."""
    form = open_task(session=session, user=user, task_id=task_id, clock=clock)
    if not form.may_complete or not TEXT_FIELDS & set(form.form.schema.get("properties", {})):
        raise Forbidden(N_("Файлы прикрепляет исполнитель к открытой задаче подготовки или доработки ответа"))
    if len(pending(session=session, task=form.task)) >= MAX_PENDING:
        raise Invalid(N_("К одной версии ответа можно прикрепить не больше %(count)s файлов", count=MAX_PENDING),
                      fields={"file": N_("Удалите лишний файл или отправьте ответ")})
    head = stream.read(HEAD)
    if not head:
        raise Invalid(N_("Файл не выбран или пустой"), fields={"file": N_("Выберите фото или видео")})
    kind = sniff(head)
    if kind is None:
        raise Unsupported(N_("Файл не принят: можно прикрепить фото JPEG, PNG, WebP (до 10 МБ) или видео MP4, "
                             "WebM (до 50 МБ). Тип определяется по содержимому файла, а не по его имени."),
                          fields={"file": N_("Неподдерживаемый тип файла")})
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    target = directory / key
    partial = directory / f"{key}.part"
    size = len(head)
    try:
        with partial.open("xb") as out:
            out.write(head)
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > kind.max_bytes:
                    raise TooLarge(_too_large(kind), fields={"file": N_("Файл больше допустимого размера")})
                out.write(chunk)
        partial.replace(target)
        attachment = Attachment(case_id=form.case.id, filename=display_name(filename, kind),
                                content_type=kind.content_type, size=size, storage_key=key,
                                uploaded_by_id=user.id, uploaded_at=clock.now())
        session.add(attachment)
        session.flush()
    except BaseException:
        partial.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    return attachment


def pending(*, session: Session, task: HumanTask) -> list[Attachment]:
    """Files uploaded for the next draft of this task's body (or of the curators), not yet bound to a draft."""
    # A curator's task (the 8.9 common reply) carries the body it is about; its files are the curators' own.
    team = User.role == "curator" if task.role == "curator" else User.body_id == task.body_id
    return list(session.scalars(select(Attachment).where(
        Attachment.case_id == task.case_id, Attachment.draft_id.is_(None),
        Attachment.uploaded_by_id.in_(select(User.id).where(team))).order_by(Attachment.id)))


def bind_pending(*, session: Session, task: HumanTask, draft: Draft) -> int:
    """Bind the files the task's body uploaded to the draft its form just created; returns how many."""
    session.flush()
    ids = [a.id for a in pending(session=session, task=task)]
    if ids:
        session.execute(update(Attachment).where(Attachment.id.in_(ids)).values(draft_id=draft.id)
                        .execution_options(synchronize_session="fetch"))
    return len(ids)


def by_draft(*, session: Session, case_id: int) -> dict[int, list[Attachment]]:
    """The case's bound files, grouped by draft id."""
    out: dict[int, list[Attachment]] = {}
    rows = session.scalars(select(Attachment).where(Attachment.case_id == case_id, Attachment.draft_id.is_not(None))
                           .order_by(Attachment.id))
    for row in rows:
        assert row.draft_id is not None
        out.setdefault(row.draft_id, []).append(row)
    return out


def for_download(*, session: Session, user: User, attachment_id: int) -> Attachment:
    """The attachment if the user may see its case, else NotFound."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(N_("Файл не найден"))
    visible_case(session=session, user=user, case_id=attachment.case_id)
    return attachment


def remove_pending(*, session: Session, clock: Clock, user: User, task_id: int, attachment_id: int) -> Attachment:
    """Remove a file not yet bound to a draft; the caller deletes the stored file after the row."""
    form = open_task(session=session, user=user, task_id=task_id, clock=clock)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment not in pending(session=session, task=form.task):
        raise NotFound(N_("Файл не найден: возможно, он уже удалён или прикреплён к отправленной версии"))
    if not form.may_complete:
        raise Forbidden(N_("Удалить файл может исполнитель, который готовит ответ"))
    session.delete(attachment)
    session.flush()
    return attachment


def stored_path(directory: Path, attachment: Attachment) -> Path:
    """Where the attachment's bytes are; the key is ours, never a name from the request."""
    if not re.fullmatch(r"[0-9a-f]{32}", attachment.storage_key):
        raise NotFound(N_("Файл не найден"))
    return directory / attachment.storage_key
