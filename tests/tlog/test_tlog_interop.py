"""Interop with an independent implementation: aics-tlog (PyPI), both directions.

aics-tlog implements C2SP signed-note, tlog-checkpoint and the RFC 9162 proofs
in its own code. It is installed for the tests only (it declares Python >= 3.12
but runs on 3.11; ``.ci/run`` installs it with ``--ignore-requires-python``).
Where it is missing the tests skip, except in CI, where they must run.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from tlog_helpers import ORIGIN, add_events, log_lines

from eventlog.merkle import tree_root, verify_consistency, verify_inclusion
from eventlog.note import Note, Signer, Verifier
from eventlog.proofs import check_consistency, check_inclusion, format_inclusion, parse_inclusion

if os.environ.get("CI"):
    import aics_tlog as aics
else:
    aics = pytest.importorskip("aics_tlog")

Cli = Callable[..., Result]


def _two_checkpoints(cli: Cli, log_dir: Path, key_file: Path) -> tuple[Path, Path]:
    cli("checkpoint", "--key", str(key_file))
    add_events(log_dir, 6, 8)
    assert cli("checkpoint", "--key", str(key_file)).exit_code == 0
    return (log_dir / "checkpoints" / "5.checkpoint", log_dir / "checkpoints" / "13.checkpoint")


def test_they_verify_our_checkpoints(cli: Cli, log_dir: Path, key_file: Path) -> None:
    """aics-tlog parses our verifier key and verifies our signed checkpoints."""
    old, new = _two_checkpoints(cli, log_dir, key_file)
    vkey = aics.parse_vkey((log_dir / "archive.vkey").read_text().strip())
    for path, size in ((old, 5), (new, 13)):
        result = aics.verify_checkpoint(
            aics.parse_note(path.read_bytes()), vkey, expected_origin=ORIGIN
        )
        assert result.ok and result.log_ok and result.size == size, result.error
        assert result.root == tree_root(log_lines(log_dir)[:size])


def test_they_verify_our_inclusion_and_consistency_proofs(
    tmp_path: Path, cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """Every inclusion proof at a checkpoint, and the consistency proof, verify in aics-tlog."""
    old, new = _two_checkpoints(cli, log_dir, key_file)
    lines = log_lines(log_dir)
    root13 = aics.parse_checkpoint(aics.parse_note(new.read_bytes()).text).root
    root5 = aics.parse_checkpoint(aics.parse_note(old.read_bytes()).text).root
    for seq in range(1, 14):
        proof = parse_inclusion(cli("prove", str(seq), "--checkpoint", str(new)).stdout.encode())
        assert aics.verify_leaf_inclusion(lines[seq - 1], seq - 1, 13, proof.path, root13)
    text = cli("prove", "--consistency", str(old), str(new)).stdout
    hashes = [base64.b64decode(x) for x in text.split()]
    assert aics.verify_consistency(5, 13, root5, root13, hashes)


def test_their_tree_and_proofs_match_ours(log_dir: Path) -> None:
    """aics-tlog's tree over our lines has our roots, and its proofs verify in ours."""
    add_events(log_dir, 6, 20)
    lines = log_lines(log_dir)
    theirs = aics.MerkleTree(lines)
    for n in range(1, len(lines) + 1):
        root = theirs.root(n)
        assert root == tree_root(lines[:n])
        for i in range(n):
            assert verify_inclusion(
                aics.leaf_hash(lines[i]), i, n, theirs.inclusion_proof(i, n), root
            )
        for m in range(1, n + 1):
            assert verify_consistency(m, n, theirs.root(m), root, theirs.consistency_proof(m, n))


def test_we_verify_their_signed_checkpoints_and_proofs(tmp_path: Path, log_dir: Path) -> None:
    """A checkpoint aics-tlog signs, and a tlog-proof of its path, pass our log-free checks."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    lines = log_lines(log_dir)
    theirs = aics.MerkleTree(lines)
    private = Ed25519PrivateKey.generate()
    note = aics.sign_checkpoint(aics.Checkpoint(ORIGIN, 5, theirs.root()), private, ORIGIN)
    vkey = Verifier.parse(aics.format_vkey(aics.vkey_from_ed25519(ORIGIN, private.public_key())))
    assert Note.parse(note.to_bytes()).verified_by(vkey)
    checkpoint = note.serialise()
    for i in range(5):
        proof = format_inclusion(i, theirs.inclusion_proof(i), checkpoint).encode()
        body, seq = check_inclusion(proof, lines[i], vkey)
        assert (body.size, seq) == (5, i + 1)
    bigger = aics.MerkleTree([*lines, b'{"seq":6}'])
    newer = aics.sign_checkpoint(aics.Checkpoint(ORIGIN, 6, bigger.root()), private, ORIGIN)
    proof = "".join(
        base64.b64encode(h).decode() + "\n" for h in bigger.consistency_proof(5, 6)
    ).encode()
    old, new = check_consistency(note.to_bytes(), newer.to_bytes(), proof, vkey)
    assert (old.size, new.size) == (5, 6)


def test_they_refuse_what_we_refuse(cli: Cli, log_dir: Path, key_file: Path) -> None:
    """A checkpoint signed by another key fails in both implementations."""
    old, _ = _two_checkpoints(cli, log_dir, key_file)
    stranger = Signer.generate(ORIGIN).verifier
    result = aics.verify_checkpoint(
        aics.parse_note(old.read_bytes()), aics.parse_vkey(str(stranger))
    )
    assert not result.ok
    assert not Note.parse(old.read_bytes()).verified_by(stranger)
