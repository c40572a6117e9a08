"""Proof texts, and checking them with nothing but the verifier key: no log, no store.

An inclusion proof is a C2SP tlog-proof (``c2sp.org/tlog-proof@v1``: an optional
``extra`` line, ``index N``, the inclusion path one base64 hash a line, an empty
line, then the signed checkpoint verbatim). A consistency proof is the RFC 9162
proof between two checkpoints' trees: base64 hashes one a line, nothing else (the
sizes and roots come from the two signed checkpoints it links).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from eventlog.errors import BadNote, ProofFailed
from eventlog.merkle import HASH_SIZE, leaf_hash, verify_consistency, verify_inclusion
from eventlog.note import CheckpointBody, Verifier, b64, open_checkpoint, unb64

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


def format_inclusion(index: int, path: list[bytes], checkpoint: str) -> str:
    return "".join(
        [f"{PROOF_HEADER}\nindex {index}\n", *(b64(h) + "\n" for h in path), "\n", checkpoint]
    )


def format_consistency(path: list[bytes]) -> str:
    return "".join(b64(h) + "\n" for h in path)


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """A parsed tlog-proof: the leaf index, its path and the signed checkpoint's text."""

    index: int
    path: list[bytes]
    checkpoint: str
    extra: bytes | None


def _hash_lines(lines: list[str], what: str) -> list[bytes]:
    hashes = []
    for number, line in enumerate(lines, start=1):
        h = unb64(line, f"{what}, hash {number}")
        if len(h) != HASH_SIZE:
            raise BadNote(what, f"hash {number} is {len(h)} bytes, not {HASH_SIZE}")
        hashes.append(h)
    return hashes


def parse_inclusion(raw: bytes) -> InclusionProof:
    """Parse a tlog-proof; raises ``BadNote`` naming the malformed part."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadNote("proof", "not UTF-8") from None
    head, sep, checkpoint = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != PROOF_HEADER:
        raise BadNote(
            "proof",
            f"expected a first line {PROOF_HEADER!r}, then the path, an "
            "empty line and the checkpoint",
        )
    extra = None
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        extra = unb64(rest[0][len("extra ") :], "proof extra data")
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise BadNote("proof", "no 'index N' line")
    number = rest[0][len("index ") :]
    if not number.isascii() or not number.isdigit() or (number != "0" and number[0] == "0"):
        raise BadNote("proof", f"index {number!r} is not a decimal without leading zeros")
    return InclusionProof(int(number), _hash_lines(rest[1:], "proof"), checkpoint, extra)


def parse_consistency(raw: bytes) -> list[bytes]:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise BadNote("consistency proof", "not ASCII base64 lines") from None
    if text and not text.endswith("\n"):
        raise BadNote("consistency proof", "the last line has no newline")
    return _hash_lines(text.split("\n")[:-1], "consistency proof")


def _line_seq(line: bytes) -> int | None:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    seq = value.get("seq") if isinstance(value, dict) else None
    return seq if type(seq) is int else None


def check_inclusion(proof_raw: bytes, line: bytes, key: Verifier) -> tuple[CheckpointBody, int]:
    """Check that ``line`` (its exact bytes) is leaf ``index`` of the tree the checkpoint signs.

    Returns the checkpoint and the line's seq; raises ``BadNote`` (malformed, or not
    signed by ``key``) or ``ProofFailed`` naming the check that failed.
    """
    if line.endswith(b"\n"):
        line = line[:-1]
    proof = parse_inclusion(proof_raw)
    body, _ = open_checkpoint(proof.checkpoint, key)
    if proof.index >= body.size:
        raise ProofFailed(
            f"index: leaf {proof.index} is not in the checkpoint's tree of size {body.size}"
        )
    seq = _line_seq(line)
    if seq != proof.index + 1:
        raise ProofFailed(
            f"line: the line is {'not an event' if seq is None else f'seq {seq}'}"
            f", the proof is for seq {proof.index + 1} (index {proof.index})"
        )
    if not verify_inclusion(leaf_hash(line), proof.index, body.size, proof.path, body.root):
        raise ProofFailed(
            f"inclusion: the path from the line's leaf hash does not lead to "
            f"the root of checkpoint {body.origin} size {body.size}"
        )
    return body, seq


def check_consistency(
    old_raw: bytes, new_raw: bytes, proof_raw: bytes, key: Verifier
) -> tuple[CheckpointBody, CheckpointBody]:
    """Check that the NEW checkpoint's tree extends the OLD one's; raises as ``check_inclusion``."""
    try:
        old, _ = open_checkpoint(old_raw, key)
    except BadNote as exc:
        raise BadNote(f"old {exc.what}", exc.reason) from None
    try:
        new, _ = open_checkpoint(new_raw, key)
    except BadNote as exc:
        raise BadNote(f"new {exc.what}", exc.reason) from None
    if old.origin != new.origin:
        raise ProofFailed(
            f"origin: the checkpoints are of two logs ({old.origin!r} and {new.origin!r})"
        )
    if old.size > new.size:
        raise ProofFailed(
            f"sizes: the old checkpoint ({old.size}) is larger than the new one ({new.size})"
        )
    path = parse_consistency(proof_raw)
    if not verify_consistency(old.size, new.size, old.root, new.root, path):
        raise ProofFailed(
            f"consistency: the proof does not show the tree of size {new.size} "
            f"extends the tree of size {old.size}"
        )
    return old, new
