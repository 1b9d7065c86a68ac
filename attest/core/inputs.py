"""Which files a command's arguments stand for: named files, and directories walked once.

A directory contributes its regular files, recursively, in path order (each level sorted by name),
minus hidden entries (a leading dot: `.git`, editor swap files, our own temporary files: listed as
skipped, not descended into) and our own side files (attest.core.sidefiles, by name). Receipts and
canonical copies are what publishing writes beside each document: left out of what is published
without a word (a re-run over a published folder would otherwise print one line per document), kept
by `walk` for `attest verify`, which checks a document through its receipt. Disclosure trees (secret
salts) and proofs, signed requests and journals are never anyone's document: returned as skipped,
with the reason. Entries that are not regular files — FIFOs, sockets, devices, broken links, links
to directories — are never opened (a FIFO would block the run forever): skipped too. Files named
explicitly are kept as given; the step that reads them names any problem. `attest verify` walks
directories the same way (`attest.app.bulk.expand_targets`), so what a batch published is what a
directory check covers.

One `os.scandir` walk: a directory entry's type comes with the listing, so a tree of 100,000 files
costs no stat call per file (pathlib's rglob plus is_file cost several seconds there).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from attest.core.errors import InputError
from attest.core.sidefiles import SideFile, side_file

#: written beside each published document; `walk` keeps them (verify reads receipts), publishing does not
PUBLISHING_OUTPUTS = (SideFile.RECEIPT, SideFile.CANONICAL)


@dataclass(frozen=True)
class Collected:
    files: list[Path]
    skipped: list[tuple[Path, str]]  # (entry, why it was left out)


def collect_files(paths: list[str] | tuple[str, ...]) -> Collected:
    """The files to publish for `paths`; raises InputError when there are none."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for raw in paths:
        if os.path.isdir(raw):
            found, left_out = walk(os.fspath(raw))
            files.extend(Path(f) for f in found if side_file(f) not in PUBLISHING_OUTPUTS)
            skipped.extend((Path(e), why) for e, why in left_out)
        else:
            files.append(Path(raw))
    if not files:
        raise InputError("no files to publish")
    return Collected(files, skipped)


def walk(folder: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The regular files under `folder` (path order; receipts and canonical copies included) and the
    entries left out, each with why: hidden entries, entries that are not regular files, and side
    files that are never a document (disclosure trees and proofs, signed requests, journals)."""
    files: list[str] = []
    skipped: list[tuple[str, str]] = []
    _walk(folder, files, skipped)
    return files, skipped


def _walk(folder: str, files: list[str], skipped: list[tuple[str, str]]) -> None:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"cannot list directory: {exc.strerror or exc}", path=folder) from None
    for entry in entries:
        if entry.name.startswith("."):
            what = "directory" if entry.is_dir(follow_symlinks=False) else "entry"
            skipped.append((entry.path, f"hidden {what} (its name starts with a dot), not looked into"))
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, files, skipped)
        elif entry.is_file():  # follows a link to a regular file, as reading it would
            kind = side_file(entry.name)
            if kind is None or kind in PUBLISHING_OUTPUTS:
                files.append(entry.path)
            else:
                skipped.append((entry.path, f"{kind.value}, not a document"))
        else:
            skipped.append((entry.path, _why_skipped(entry)))


def _why_skipped(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        if entry.is_dir():
            return "symbolic link to a directory, not followed"
        return "broken symbolic link" if not os.path.exists(entry.path) else "not a regular file"
    try:
        fifo = stat.S_ISFIFO(entry.stat(follow_symlinks=False).st_mode)
    except OSError:  # gone since the listing
        return "vanished while the directory was read"
    return "a FIFO, not a regular file" if fifo else "not a regular file"
