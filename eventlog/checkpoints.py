"""The log's origin, its verifier key, and the signed checkpoints kept in ``checkpoints/``.

What stops a damaged or tampered ``.tree.sqlite`` from being signed: a checkpoint's
root is re-derived, never read. The newest kept checkpoint (its signature checked
under ``archive.vkey``) vouches for its tree: the stored frontier of that tree must
fold to its signed root, and the log's lines after it are read and hashed again,
so the new root depends only on a signed root and the log's bytes (the first
checkpoint hashes the whole log). Each proof is verified against its signed
checkpoint, with the line's bytes read from the log, before it is returned; a
store that disagrees is rebuilt from the log and the proof computed again.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from eventlog.durable import check_dir, fsync_dir, locked
from eventlog.errors import BadNote, LogUnavailable, ProofFailed, TransparencyConfig
from eventlog.merkle import (
    Frontier,
    Nodes,
    consistency_path,
    inclusion_path,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from eventlog.note import CheckpointBody, Signer, Verifier, check_name, open_checkpoint
from eventlog.proofs import format_consistency, format_inclusion
from eventlog.reader import Position, existing_log, scan_lines
from eventlog.tail import read_tail
from eventlog.tree import TREE_FILE, TreeMissing, TreeStore, read_line

ORIGIN_FILE = "origin"
VKEY_FILE = "archive.vkey"
CHECKPOINT_DIR = "checkpoints"
SUFFIX = ".checkpoint"
T = TypeVar("T")


def _write_new(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create ``path`` durably; raises ``FileExistsError`` rather than overwrite it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


MAX_SMALL = 64 * 1024
"""Far above any origin, key or checkpoint (a few hundred bytes plus cosignatures)."""


def _small(path: Path) -> bytes:
    """A small regular file's bytes: a symlink, FIFO, device or oversized file is one error
    naming it (never a hang on a FIFO or memory filled from /dev/zero)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise TransparencyConfig(f"{path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise TransparencyConfig(f"{path}: not a regular file")
        data = b""
        while len(data) <= MAX_SMALL and (chunk := os.read(fd, MAX_SMALL + 1 - len(data))):
            data += chunk
    finally:
        os.close(fd)
    if len(data) > MAX_SMALL:
        raise TransparencyConfig(f"{path}: over {MAX_SMALL} bytes")
    return data


def _small_text(path: Path) -> str:
    try:
        return _small(path).decode("utf-8")
    except UnicodeDecodeError:
        raise TransparencyConfig(f"{path}: not UTF-8") from None


# -- origin and key ------------------------------------------------------------------


def read_origin(log_dir: str | os.PathLike[str]) -> str | None:
    path = Path(log_dir) / ORIGIN_FILE
    if not os.path.lexists(path):
        return None
    return _small_text(path).rstrip("\n")


def set_origin(log_dir: str | os.PathLike[str], origin: str) -> bool:
    """Set the log's origin once; True if set now, False if it already was this origin."""
    check_name(origin, "origin")
    log_dir = Path(log_dir)
    check_dir(log_dir)
    current = read_origin(log_dir)
    if current == origin:
        return False
    if current is not None:
        raise TransparencyConfig(f"the log's origin is already {current!r}; it is set once")
    _write_new(log_dir / ORIGIN_FILE, (origin + "\n").encode())
    return True


def archive_key(log_dir: str | os.PathLike[str]) -> Verifier:
    path = Path(log_dir) / VKEY_FILE
    if not os.path.lexists(path):
        raise TransparencyConfig(f"no verifier key at {path}: sign a first checkpoint")
    return Verifier.parse(_small_text(path))


def write_key(path: Path, signer: Signer) -> None:
    """Write a private key file (mode 0600), never over an existing file."""
    try:
        _write_new(path, (str(signer) + "\n").encode(), 0o600)
    except FileExistsError:
        raise TransparencyConfig(f"{path} exists: refusing to overwrite a key") from None


# -- kept checkpoints ------------------------------------------------------------------


def kept(log_dir: str | os.PathLike[str]) -> list[Path]:
    """The kept checkpoint files, smallest tree first."""
    folder = Path(log_dir) / CHECKPOINT_DIR
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.name.endswith(SUFFIX)]
    return sorted(files, key=lambda p: (len(p.name), p.name))


def open_kept(
    log_dir: str | os.PathLike[str], path: Path, key: Verifier, origin: str | None
) -> CheckpointBody:
    """A checkpoint signed by ``key`` for this log's origin; raises ``ProofFailed`` otherwise."""
    try:
        body, _ = open_checkpoint(_small(path), key)
    except BadNote as exc:
        raise ProofFailed(f"checkpoint {path.name}: {exc}") from None
    if origin is not None and body.origin != origin:
        raise ProofFailed(
            f"checkpoint {path.name}: origin {body.origin!r} is not the log's origin {origin!r}"
        )
    return body


def _keep(log_dir: Path, size: int, text: str) -> Path:
    folder = log_dir / CHECKPOINT_DIR
    if not folder.exists():
        folder.mkdir()
        fsync_dir(log_dir)
    path = folder / f"{size}{SUFFIX}"
    try:
        _write_new(path, text.encode())
    except FileExistsError:
        if _small(path) != text.encode():  # Ed25519 is deterministic: same tree, same note
            raise TransparencyConfig(f"{path} exists with another checkpoint") from None
    return path


# -- signing -----------------------------------------------------------------------


@contextmanager
def _store(log_dir: Path) -> Iterator[tuple[Path, Position, TreeStore]]:
    """The tree store brought up to the log's tail, under the append lock."""
    check_dir(log_dir)
    path = existing_log(log_dir)
    with locked(log_dir):
        tail = read_tail(path).position
        try:
            with TreeStore(log_dir) as store:
                try:
                    store.sync(path, tail)
                except sqlite3.DatabaseError:  # damaged in place: derived, so start again
                    store.discard().sync(path, tail)
                yield path, tail, store
        except sqlite3.Error as exc:
            raise LogUnavailable(
                str(log_dir / TREE_FILE),
                f"the tree store failed: {exc} (it is derived: delete it to rebuild it)",
            ) from None


def _rebuilt(store: TreeStore, path: Path, tail: Position, attempt: Callable[[], T]) -> T:
    """``attempt()``; if the store lacks or contradicts a hash, rebuild it and try once more."""
    try:
        return attempt()
    except (TreeMissing, ProofFailed):
        store.reset()
        store.sync(path, tail)
    try:
        return attempt()
    except TreeMissing as exc:  # not after a rebuild from the log, under the lock
        raise ProofFailed(f"the tree store rebuilt from the log is incomplete: {exc}") from None


def _derived_root(
    log_dir: Path, store: TreeStore, path: Path, tail: Position, key: Verifier | None, origin: str
) -> bytes:
    """The root of the log's tree, from the newest kept checkpoint's signed root and the
    log's lines after it (or from every line if none is kept)."""
    base: CheckpointBody | None = None
    newest = kept(log_dir)[-1:]
    if key is not None and newest:
        base = open_kept(log_dir, newest[0], key, origin)
        if base.size > tail.seq:
            raise ProofFailed(
                f"kept checkpoint {newest[0].name} names {base.size} lines, the "
                f"log has {tail.seq}: lines were removed"
            )
    frontier, offset = Frontier(), 0
    if base is not None:
        frontier, offset = _trusted_frontier(store, path, tail, base)
    for line, end in scan_lines(path, offset):
        if end > tail.offset:
            break
        frontier.append(leaf_hash(line))
    if frontier.size != tail.seq:
        raise ProofFailed(f"the log's lines up to seq {tail.seq} could not be read again")
    return frontier.root()


def _trusted_frontier(
    store: TreeStore, path: Path, tail: Position, base: CheckpointBody
) -> tuple[Frontier, int]:
    def attempt() -> tuple[Frontier, int]:
        frontier = Frontier.of(base.size, store.node)
        if frontier.root() != base.root:
            raise ProofFailed("stored frontier does not fold to the signed root")
        if base.size:
            read_line(path, store, base.size)  # the stored offset is where line `size` ends
        return frontier, store.end_offset(base.size)

    try:
        return _rebuilt(store, path, tail, attempt)
    except ProofFailed:
        raise ProofFailed(
            f"the log's first {base.size} lines no longer match kept checkpoint "
            f"{base.size}{SUFFIX}: the history was rewritten"
        ) from None


def sign_checkpoint(log_dir: str | os.PathLike[str], signer: Signer) -> tuple[str, Path]:
    """Sign and keep a checkpoint of the whole log; returns the note and where it is kept."""
    log_dir = Path(log_dir)
    origin = read_origin(log_dir)
    if origin is None:
        raise TransparencyConfig("the log has no origin: set it with `eventlog origin set`")
    if signer.name != origin:  # tlog-checkpoint: the log's key name SHOULD be the origin
        raise TransparencyConfig(
            f"the key is named {signer.name!r}, the log's origin is "
            f"{origin!r}: create the key with `eventlog keygen {origin}`"
        )
    vkey_path = log_dir / VKEY_FILE
    key = archive_key(log_dir) if vkey_path.exists() else None
    if key is None and kept(log_dir):
        raise TransparencyConfig(
            f"{CHECKPOINT_DIR}/ holds checkpoints but {VKEY_FILE} is "
            "missing: restore it before signing"
        )
    if key is not None and key != signer.verifier:
        raise TransparencyConfig(
            f"the key signs as {signer.verifier}, but the archive's "
            f"verifier key ({VKEY_FILE}) is {key}"
        )
    with _store(log_dir) as (path, tail, store):
        root = _derived_root(log_dir, store, path, tail, key, origin)
        try:
            damaged = Frontier.of(tail.seq, store.node).root() != root
        except TreeMissing:
            damaged = True
        if damaged:  # the signed root was re-derived anyway; repair the store for proofs
            store.reset()
            store.sync(path, tail)
        text = str(CheckpointBody(origin, tail.seq, root))
        note = text + "\n" + signer.sign(text)
        if key is None:
            _write_new(vkey_path, (str(signer.verifier) + "\n").encode())
        return note, _keep(log_dir, tail.seq, note)


def verify_kept(log_dir: str | os.PathLike[str]) -> list[CheckpointBody]:
    """Check every kept checkpoint: signed under ``archive.vkey`` for this origin, and its
    root the tree of the log's first ``size`` lines (one pass over the log)."""
    files = kept(log_dir)
    if not files:
        return []
    key, origin = archive_key(log_dir), read_origin(log_dir)
    bodies = sorted(
        ((open_kept(log_dir, p, key, origin), p) for p in files), key=lambda item: item[0].size
    )
    path = existing_log(log_dir)
    frontier, pending = Frontier(), list(bodies)

    def settle() -> None:
        while pending and pending[0][0].size == frontier.size:
            body, file = pending.pop(0)
            if frontier.root() != body.root:
                raise ProofFailed(
                    f"checkpoint {file.name}: its root is not the tree of the "
                    f"log's first {body.size} lines: the history was rewritten"
                )

    settle()
    for line, _ in scan_lines(path):
        if not pending:
            break
        frontier.append(leaf_hash(line))
        settle()
    if pending:
        body, file = pending[0]
        raise ProofFailed(
            f"checkpoint {file.name}: names {body.size} lines, the log has "
            f"{frontier.size}: lines were removed"
        )
    return [body for body, _ in bodies]


# -- proofs -------------------------------------------------------------------------


def _signed(log_dir: Path, raw: bytes, what: str) -> tuple[CheckpointBody, str]:
    key, origin = archive_key(log_dir), read_origin(log_dir)
    try:
        body, _ = open_checkpoint(raw, key)
    except BadNote as exc:
        raise BadNote(f"{what} {exc.what}", exc.reason) from None
    if origin is not None and body.origin != origin:
        raise ProofFailed(f"{what}: origin {body.origin!r} is not this log's ({origin!r})")
    return body, raw.decode("utf-8")


def _prefetched(store: TreeStore, compute: Callable[[Nodes], object]) -> Nodes:
    """The nodes ``compute`` reads, fetched in one query: a dry run records which."""
    keys: list[tuple[int, int]] = []

    def record(level: int, idx: int) -> bytes:
        keys.append((level, idx))
        return bytes(32)

    compute(record)
    return store.prefetch(keys)


def _in_log(body: CheckpointBody, tail: Position, what: str) -> None:
    if body.size > tail.seq:
        raise ProofFailed(f"{what}: names {body.size} lines, the log has {tail.seq}")


def prove_inclusion(log_dir: str | os.PathLike[str], seq: int, checkpoint: bytes) -> str:
    """The tlog-proof that line ``seq`` is in the checkpoint's tree, checked before returned."""
    log_dir = Path(log_dir)
    body, text = _signed(log_dir, checkpoint, "checkpoint")
    if not 1 <= seq <= body.size:
        raise ProofFailed(f"seq {seq} is not in the checkpoint's tree of {body.size} lines")
    with _store(log_dir) as (path, tail, store):
        _in_log(body, tail, "checkpoint")

        def attempt() -> list[bytes]:
            proof = inclusion_path(
                seq - 1,
                body.size,
                _prefetched(store, lambda n: inclusion_path(seq - 1, body.size, n)),
            )
            line = read_line(path, store, seq)
            if not verify_inclusion(leaf_hash(line), seq - 1, body.size, proof, body.root):
                raise ProofFailed(
                    f"line {seq} of the log is not in the checkpoint's tree: "
                    "the log no longer matches the checkpoint"
                )
            return proof

        return format_inclusion(seq - 1, _rebuilt(store, path, tail, attempt), text)


def prove_consistency(log_dir: str | os.PathLike[str], old: bytes, new: bytes) -> str:
    """The RFC 9162 proof that NEW's tree extends OLD's, checked before it is returned."""
    log_dir = Path(log_dir)
    old_body, _ = _signed(log_dir, old, "old checkpoint")
    new_body, _ = _signed(log_dir, new, "new checkpoint")
    if old_body.size > new_body.size:
        raise ProofFailed(
            f"the old checkpoint ({old_body.size}) is larger than the new one ({new_body.size})"
        )
    with _store(log_dir) as (path, tail, store):
        _in_log(new_body, tail, "new checkpoint")

        def attempt() -> list[bytes]:
            proof = consistency_path(
                old_body.size,
                new_body.size,
                _prefetched(store, lambda n: consistency_path(old_body.size, new_body.size, n)),
            )
            if not verify_consistency(
                old_body.size, new_body.size, old_body.root, new_body.root, proof
            ):
                raise ProofFailed(
                    "the two checkpoints' trees are not consistent: the log no "
                    "longer matches one of them"
                )
            return proof

        return format_consistency(_rebuilt(store, path, tail, attempt))
