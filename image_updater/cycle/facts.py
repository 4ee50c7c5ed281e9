"""What indexing learns from one file's exact bytes, and how a file is known unchanged: kept between cycles
instead of its tree (issue #14: a 10,000-file repository's trees held 1.4 GB)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace

from image_updater.errors import ManifestError
from image_updater.manifests import FoundImage, ManagerOptions, ManifestFile, could_hold_images

#: A file modified less than this before it was read may be modified again with the same size and
#: timestamp (Linux stamps files from a clock that ticks every few milliseconds; some filesystems keep
#: seconds): its stat signature is not trusted, and the next index reads it again (git's "racy" rule).
RACY_SECONDS = 2.0


@dataclass(frozen=True)
class FileFacts:
    """What indexing learnt from one file's exact bytes: kept between cycles instead of its tree.

    A parsed tree costs some 25 times the file's YAML (a 10,000-file repository held 1.4 GB of them);
    the facts are the file's digest and what the managers found (each reference with the spans its
    edit needs), so memory grows with the references, not with the YAML. ``signature`` (size, mtime,
    inode, ctime) lets an unchanged file be known by one ``stat``; None when it was too fresh to trust.
    """

    digest: bytes
    signature: tuple[int, int, int, int] | None = None
    found: tuple[FoundImage, ...] = ()
    error: str | None = None


def digest_of(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def read_bytes(path: str) -> bytes:
    """``Path(path).read_bytes()`` without the ``Path`` and buffered file objects, a third of the cost."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def signature_of(path: str, now: float) -> tuple[int, int, int, int] | None:
    st = os.stat(path)
    if max(st.st_mtime_ns, st.st_ctime_ns) >= (now - RACY_SECONDS) * 1e9:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def facts_of(rel: str, data: bytes, options: ManagerOptions) -> FileFacts:
    """Parse ``data`` (when the prefilter says it may hold an image) into the facts kept of it."""
    return parsed_facts(rel, data, options)[0]


def parsed_facts(rel: str, data: bytes, options: ManagerOptions) -> tuple[FileFacts, ManifestFile | None]:
    digest = digest_of(data)
    if not could_hold_images(rel, data, options):
        return FileFacts(digest), None
    try:
        parsed = ManifestFile.parse(rel, data, options)
    except ManifestError as exc:
        return FileFacts(digest, error=str(exc)), None
    return FileFacts(digest, found=tuple(parsed.images)), parsed if parsed.images else None


def known_facts(
    path: str, rel: str, previous: FileFacts | None, options: ManagerOptions, now: float
) -> tuple[FileFacts, ManifestFile | None]:
    """The file's facts (and its tree when it was parsed): the last ones when its signature is the same (one
    ``stat``) or its bytes are."""
    signature = signature_of(path, now)
    if previous is not None and signature is not None and previous.signature == signature:
        return previous, None
    data = read_bytes(path)
    if previous is not None and previous.digest == digest_of(data):
        return (previous if previous.signature == signature else replace(previous, signature=signature)), None
    facts, parsed = parsed_facts(rel, data, options)
    return replace(facts, signature=signature), parsed
