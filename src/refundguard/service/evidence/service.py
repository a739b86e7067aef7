"""Attach uploaded files to claims: store, de-duplicate, audit; packing videos become keyframe references."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.media.names import distinct
from refundguard.service.audit import service as audit
from refundguard.service.claims.models import Claim
from refundguard.service.config import EvidenceConfig
from refundguard.service.errors import Invalid
from refundguard.service.evidence.keyframes import extract_keyframes
from refundguard.service.evidence.models import Evidence
from refundguard.service.evidence.store import EvidenceStore, Stored

IMAGE = frozenset({"image"})
VIDEO = frozenset({"video"})


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file: its client-side name and a readable binary stream."""

    filename: str | None
    stream: BinaryIO


def store_photos(store: EvidenceStore, uploads: list[Upload], config: EvidenceConfig) -> list[tuple[Upload, Stored]]:
    """Put photos in the store (type- and size-checked) before any row is written."""
    if len(uploads) > config.max_files_per_request:
        raise Invalid(f"at most {config.max_files_per_request} files per request",
                      f"每次请求最多 {config.max_files_per_request} 个文件")
    return [(u, store.put(u.stream, kinds=IMAGE, max_bytes=config.max_photo_bytes, name=_name(u, i)))
            for i, u in enumerate(uploads)]


def _name(upload: Upload, i: int) -> str:
    return (upload.filename or f"file {i + 1}")[:120]


def attach(*, session: Session, claim: Claim, stored: Stored, role: str, kind: str, actor: str,
           filename: str | None = None, source_sha256: str | None = None,
           frame_time: float | None = None) -> Evidence | None:
    """Attach a stored file to a claim; returns None when that file is already attached in that role."""
    existing = session.scalar(select(Evidence).where(Evidence.claim_id == claim.id, Evidence.sha256 == stored.sha256,
                                                     Evidence.role == role))
    if existing is not None:
        return None
    row = Evidence(claim_id=claim.id, role=role, kind=kind, sha256=stored.sha256, size=stored.size,
                   format=stored.format, filename=(filename or None) and filename[:255], source_sha256=source_sha256,
                   frame_time=None if frame_time is None else f"{frame_time:.3f}", added_by=actor)
    session.add(row)
    session.flush()
    audit.record(session=session, actor=actor, action="evidence.uploaded", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant,
                 details={"sha256": stored.sha256, "role": role, "kind": kind, "format": stored.format,
                          "size": stored.size, "source_sha256": source_sha256})
    return row


def add_video(*, session: Session, store: EvidenceStore, claim: Claim, upload: Upload, actor: str,
              config: EvidenceConfig) -> list[Evidence]:
    """Store a packing video and attach its keyframes as reference photos."""
    video = store.put(upload.stream, kinds=VIDEO, max_bytes=config.max_video_bytes, name=upload.filename or "video")
    rows = []
    row = attach(session=session, claim=claim, stored=video, role="video", kind="video", actor=actor,
                 filename=upload.filename)
    if row is not None:
        rows.append(row)
    frames = extract_keyframes(video.path, max_frames=config.max_keyframes, max_decoded=config.max_decoded_frames,
                               max_side=config.keyframe_max_side)
    for frame in frames:
        stored = store.put_bytes(frame.jpeg, kinds=IMAGE, max_bytes=config.max_photo_bytes, name="keyframe")
        row = attach(session=session, claim=claim, stored=stored, role="reference", kind="keyframe", actor=actor,
                     source_sha256=video.sha256, frame_time=frame.time_s)
        if row is not None:
            rows.append(row)
    return rows


def display_names(rows: list[Evidence]) -> dict[str, str]:
    """Each file's name for people, by SHA-256: the uploaded name; a video frame its video's name and time; a file
    sent without a name its role and hash prefix. Two files with one name (two phones' ``IMG_0001.jpg``) become
    ``IMG_0001.jpg`` and ``IMG_0001 (2).jpg``, so that a name always means one file (pages, PDF, report)."""
    uploaded = {r.sha256: r.filename for r in rows if r.filename}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for r in rows:
        if r.sha256 in out:
            continue
        if r.filename:
            name = r.filename
        elif r.frame_time:
            name = f"{uploaded.get(r.source_sha256 or '', 'video')} @{r.frame_time}s"
        else:
            name = f"{r.role}-{r.sha256[:8]}"
        out[r.sha256] = distinct(name, taken)
    return out


def for_claim(*, session: Session, claim_id: str, role: str | None = None) -> list[Evidence]:
    query = select(Evidence).where(Evidence.claim_id == claim_id)
    if role is not None:
        query = query.where(Evidence.role == role)
    return list(session.scalars(query.order_by(Evidence.id)))
