"""The transparency commands end to end: keys, origin, checkpoints, proofs, checks, tampering."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from test_tlog_merkle import ref_proof
from tlog_helpers import ORIGIN, add_events, log_lines

from eventlog.merkle import tree_root
from eventlog.note import CheckpointBody, Note, Signer
from eventlog.tree import TREE_FILE

Cli = Callable[..., Result]


def one_error(result: Result, text: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and text in lines[0], lines


def test_keygen_writes_a_0600_c2sp_key_and_prints_its_verifier(tmp_path: Path, cli: Cli) -> None:
    """keygen writes PRIVATE+KEY+... with mode 0600 and prints the matching verifier key."""
    out = tmp_path / "k.key"
    result = cli("keygen", ORIGIN, "--out", str(out))
    assert result.exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    signer = Signer.parse(out.read_text())
    assert result.stdout == str(signer.verifier) + "\n"


def test_keygen_refuses_to_overwrite_or_write_into_the_log(
    tmp_path: Path, cli: Cli, log_dir: Path
) -> None:
    """An existing file is never overwritten, and no key goes inside the log directory."""
    out = tmp_path / "k.key"
    out.write_text("precious")
    one_error(cli("keygen", ORIGIN, "--out", str(out)), "refusing to overwrite")
    assert out.read_text() == "precious"
    one_error(cli("keygen", ORIGIN, "--out", str(log_dir / "k.key")), "inside the log")
    assert not (log_dir / "k.key").exists()


def test_origin_is_set_once(cli: Cli, log_dir: Path) -> None:
    """The origin can be set again to itself, never to another name."""
    assert cli("origin", "show").stdout == ORIGIN + "\n"
    assert cli("origin", "set", ORIGIN).exit_code == 0
    one_error(cli("origin", "set", "other.example/log"), "already")
    one_error(cli("origin", "set", "has space"), "origin")
    assert (log_dir / "origin").read_text() == ORIGIN + "\n"


def test_init_sets_the_origin(tmp_path: Path, cli: Cli) -> None:
    """`init --origin` creates the log and records its origin."""
    from click.testing import CliRunner

    from eventlog.cli import main

    new = tmp_path / "new"
    result = CliRunner().invoke(main, ["--log", str(new), "init", "--origin", "a.example/x"])
    assert result.exit_code == 0
    assert (new / "origin").read_text() == "a.example/x\n"


def test_checkpoint_signs_the_logs_tree_and_keeps_it(
    cli: Cli, log_dir: Path, key_file: Path, signer: Signer
) -> None:
    """The printed checkpoint is origin, size and the RFC 9162 root, signed, kept in a file."""
    result = cli("checkpoint", "--key", str(key_file))
    assert result.exit_code == 0, result.output
    note = Note.parse(result.stdout)
    body = CheckpointBody.parse(note.text)
    assert (body.origin, body.size) == (ORIGIN, 5)
    assert body.root == tree_root(log_lines(log_dir))
    assert note.verified_by(signer.verifier)
    assert (log_dir / "checkpoints" / "5.checkpoint").read_text() == result.stdout
    assert (log_dir / "archive.vkey").read_text() == str(signer.verifier) + "\n"


def test_a_kept_checkpoint_is_never_rewritten(cli: Cli, log_dir: Path, key_file: Path) -> None:
    """Signing again at the same size leaves the kept file as it was (same inode, same bytes)."""
    cli("checkpoint", "--key", str(key_file))
    kept = log_dir / "checkpoints" / "5.checkpoint"
    before = (kept.read_bytes(), kept.stat().st_ino)
    assert cli("checkpoint", "--key", str(key_file)).exit_code == 0
    assert (kept.read_bytes(), kept.stat().st_ino) == before


def test_checkpoint_needs_an_origin_and_the_archives_key(
    tmp_path: Path, cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """Another key than archive.vkey's is refused; so is a log without origin."""
    cli("checkpoint", "--key", str(key_file))
    other = tmp_path / "other.key"
    cli("keygen", ORIGIN, "--out", str(other))
    one_error(cli("checkpoint", "--key", str(other)), "archive's verifier key")
    misnamed = tmp_path / "misnamed.key"
    cli("keygen", "someone.example/key", "--out", str(misnamed))
    one_error(cli("checkpoint", "--key", str(misnamed)), "origin")
    (log_dir / "origin").unlink()
    one_error(cli("checkpoint", "--key", str(key_file)), "no origin")


def _proof_files(tmp_path: Path, cli: Cli, log_dir: Path, key_file: Path) -> tuple[Path, Path]:
    cli("checkpoint", "--key", str(key_file))
    add_events(log_dir, 6, 6)
    cli("checkpoint", "--key", str(key_file))
    proof = tmp_path / "p.tlog-proof"
    result = cli("prove", "3", "--checkpoint", str(log_dir / "checkpoints" / "11.checkpoint"))
    assert result.exit_code == 0, result.output
    proof.write_text(result.stdout)
    line = tmp_path / "line3.json"
    line.write_bytes(log_lines(log_dir)[2] + b"\n")
    return proof, line


def test_a_proof_checks_with_only_the_line_and_the_key(
    tmp_path: Path, cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """check-proof accepts the proof, the line and the verifier key (text or file), no log."""
    proof, line = _proof_files(tmp_path, cli, log_dir, key_file)
    assert proof.read_text().startswith("c2sp.org/tlog-proof@v1\nindex 2\n")
    vkey = (log_dir / "archive.vkey").read_text().strip()
    elsewhere = Path(tmp_path / "nolog")
    for key in (vkey, str(log_dir / "archive.vkey")):
        result = cli(
            "--log", str(elsewhere), "check-proof", str(proof), "--line", str(line), "--vkey", key
        )
        assert result.exit_code == 0, result.output
        assert result.stdout == f"OK: seq 3 is in {ORIGIN} at size 11\n"


def test_oversized_or_endless_inputs_are_one_error_line(
    tmp_path: Path, cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """A proof, line or checkpoint file over 1 MiB, or /dev/zero, is refused without reading
    it whole: one Error line, exit 1."""
    proof, line = _proof_files(tmp_path, cli, log_dir, key_file)
    vkey = str(log_dir / "archive.vkey")
    huge = tmp_path / "huge"
    with open(huge, "wb") as fh:
        fh.truncate(2 * 1024 * 1024)
    endless = ["/dev/zero"] if os.path.exists("/dev/zero") else []
    for bad in [str(huge), *endless]:
        too_big = "over 1048576 bytes" if bad == str(huge) else "not a regular file"
        one_error(cli("check-proof", bad, "--line", str(line), "--vkey", vkey), too_big)
        one_error(cli("check-proof", str(proof), "--line", bad, "--vkey", vkey), too_big)
        one_error(cli("check-consistency", bad, bad, bad, "--vkey", vkey), too_big)
        one_error(cli("prove", "3", "--checkpoint", bad), too_big)


def test_a_proof_fails_on_any_changed_byte(
    tmp_path: Path, cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """A flipped byte in the path, the root, the signature or the line: exit 1, one Error line."""
    proof, line = _proof_files(tmp_path, cli, log_dir, key_file)
    vkey = str(log_dir / "archive.vkey")
    text = proof.read_text()
    lines = text.split("\n")
    bad = tmp_path / "bad"

    def check(content: str, expected: str, line_file: Path = line) -> None:
        bad.write_text(content)
        one_error(cli("check-proof", str(bad), "--line", str(line_file), "--vkey", vkey), expected)

    hash_line = lines[2]
    check(
        text.replace(hash_line, ("B" if hash_line[0] != "B" else "C") + hash_line[1:], 1),
        "inclusion",
    )
    root = lines[-4]
    flipped_root = ("A" if root[0] != "A" else "B") + root[1:]
    check(text.replace(root, flipped_root), "no valid signature")
    sig = lines[-2]
    check(
        text.replace(sig, sig[:-6] + ("A" if sig[-6] != "A" else "B") + sig[-5:]),
        "no valid signature",
    )
    changed = tmp_path / "changed.json"
    changed.write_bytes(line.read_bytes().replace(b"Talks 3", b"Talks 4"))
    check(text, "inclusion", changed)
    other = tmp_path / "line4.json"
    other.write_bytes(log_lines(log_dir)[3])
    check(text, "the line is seq 4", other)
    check(text.replace("index 2", "index 99"), "not in the checkpoint")
    check("garbage\n", "proof")


def test_consistency_between_checkpoints_checks_without_the_log(
    tmp_path: Path, cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """prove --consistency OLD NEW prints base64 lines that check-consistency accepts."""
    _proof_files(tmp_path, cli, log_dir, key_file)
    assert "2 signed checkpoints hold" in cli("verify").stdout
    old, new = (str(log_dir / "checkpoints" / f"{n}.checkpoint") for n in (5, 11))
    result = cli("prove", "--consistency", old, new)
    assert result.exit_code == 0, result.output
    proof = tmp_path / "c.proof"
    proof.write_text(result.stdout)
    expected = ref_proof(5, log_lines(log_dir)[:11])
    assert result.stdout == "".join(base64.b64encode(h).decode() + "\n" for h in expected)
    vkey = str(log_dir / "archive.vkey")
    ok = cli("check-consistency", old, new, str(proof), "--vkey", vkey)
    assert ok.exit_code == 0 and ok.stdout == f"OK: {ORIGIN} at size 11 extends size 5\n"
    one_error(cli("check-consistency", new, old, str(proof), "--vkey", vkey), "sizes")
    first = result.stdout.splitlines()[0]
    proof.write_text(result.stdout.replace(first, ("Q" if first[0] != "Q" else "R") + first[1:]))
    one_error(cli("check-consistency", old, new, str(proof), "--vkey", vkey), "consistency")
    stranger = Signer.generate(ORIGIN).verifier
    one_error(
        cli("check-consistency", old, new, str(proof), "--vkey", str(stranger)),
        "no valid signature",
    )


def test_verify_checks_kept_checkpoints_and_ignores_witness_lines(
    cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """verify reports the checkpoints that hold; a cosignature by an unknown key is ignored."""
    cli("checkpoint", "--key", str(key_file))
    kept = log_dir / "checkpoints" / "5.checkpoint"
    text = kept.read_text()
    body = text[: text.index("\n\n") + 1]
    os.chmod(kept, 0o644)
    kept.write_text(text + Signer.generate("witness.example").sign(body))
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "1 signed checkpoint holds" in result.stdout


def _rewrite(log_dir: Path, seq: int, old: bytes, new: bytes) -> None:
    """Edit line ``seq`` and re-chain every line after it, as a forger would."""
    lines = log_lines(log_dir)
    lines[seq - 1] = lines[seq - 1].replace(old, new)
    for i in range(seq, len(lines)):
        prev = hashlib.sha256(lines[i - 1]).hexdigest().encode()
        lines[i] = lines[i][:-66] + prev + b'"}'
    (log_dir / "events.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))


def test_a_rewritten_and_rechained_history_is_caught(
    cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """Rewriting line 2 and re-chaining passes the chain check but not the kept checkpoint."""
    cli("checkpoint", "--key", str(key_file))
    _rewrite(log_dir, 2, b"Talks 2", b"Talks 9")
    one_error(cli("verify"), "5.checkpoint")
    before = (log_dir / "events.jsonl").read_bytes()
    one_error(cli("checkpoint", "--key", str(key_file)), "history was rewritten")
    assert (log_dir / "events.jsonl").read_bytes() == before
    assert sorted(p.name for p in (log_dir / "checkpoints").iterdir()) == ["5.checkpoint"]


def test_a_cut_log_is_caught_by_its_checkpoint(cli: Cli, log_dir: Path, key_file: Path) -> None:
    """Removing the last line leaves a checkpoint naming more lines than the log has."""
    cli("checkpoint", "--key", str(key_file))
    lines = log_lines(log_dir)
    (log_dir / "events.jsonl").write_bytes(b"".join(x + b"\n" for x in lines[:-1]))
    one_error(cli("verify"), "lines were removed")
    one_error(cli("checkpoint", "--key", str(key_file)), "lines were removed")


def test_a_tampered_tree_store_is_never_signed(cli: Cli, log_dir: Path, key_file: Path) -> None:
    """A hash changed in .tree.sqlite does not reach a checkpoint or a proof: both re-derive."""
    cli("checkpoint", "--key", str(key_file))
    add_events(log_dir, 6, 4)
    db = sqlite3.connect(log_dir / TREE_FILE)
    db.execute("UPDATE node SET hash = ? WHERE level = 0 AND idx = 6", (b"\x00" * 32,))
    db.execute("UPDATE node SET hash = ? WHERE level = 1 AND idx = 0", (b"\x00" * 32,))
    db.commit()
    db.close()
    result = cli("checkpoint", "--key", str(key_file))
    assert result.exit_code == 0, result.output
    assert CheckpointBody.parse(Note.parse(result.stdout).text).root == tree_root(
        log_lines(log_dir)
    )
    proof = cli("prove", "1", "--checkpoint", str(log_dir / "checkpoints" / "9.checkpoint"))
    assert proof.exit_code == 0, proof.output


def test_prove_refuses_what_it_cannot_prove(cli: Cli, log_dir: Path, key_file: Path) -> None:
    """A seq beyond the checkpoint, or no mode given, is one Error line."""
    cli("checkpoint", "--key", str(key_file))
    cp = str(log_dir / "checkpoints" / "5.checkpoint")
    one_error(cli("prove", "6", "--checkpoint", cp), "not in the checkpoint")
    assert cli("prove", "1").exit_code == 2


def test_head_formats_and_verify_accepts_heads_json(cli: Cli, log_dir: Path) -> None:
    """head --format seq:hash prints SEQ:HASH; verify --checkpoint takes head's JSON too."""
    line5 = log_lines(log_dir)[4]
    digest = hashlib.sha256(line5).hexdigest()
    assert cli("head", "--format", "seq:hash").stdout == f"5:{digest}\n"
    head = cli("head").stdout.strip()
    result = cli("verify", "--checkpoint", head)
    assert result.exit_code == 0 and "checkpoint seq 5 holds" in result.stdout
    one_error(cli("verify", "--checkpoint", '{"seq": "x"}'), "checkpoint")


def test_init_refuses_a_bad_origin_before_creating_anything(tmp_path: Path) -> None:
    """`init --origin 'a b'` is one Error line and creates no log."""
    from click.testing import CliRunner

    from eventlog.cli import main

    new = tmp_path / "new"
    result = CliRunner().invoke(main, ["--log", str(new), "init", "--origin", "a b"])
    one_error(result, "origin")
    assert not new.exists()


def test_appends_leave_the_tree_to_be_caught_up_by_readers(
    cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """An append does not touch the tree store; prove brings it to the log's tail and tree."""
    from eventlog.merkle import Frontier
    from eventlog.reader import log_file
    from eventlog.tail import read_tail
    from eventlog.tree import TreeStore

    cli("checkpoint", "--key", str(key_file))
    add_events(log_dir, 6, 3)
    with TreeStore(log_dir) as store:
        position = store.position()
        assert position is not None and position.seq == 5
    cli("checkpoint", "--key", str(key_file))
    assert (
        cli("prove", "7", "--checkpoint", str(log_dir / "checkpoints" / "8.checkpoint")).exit_code
        == 0
    )
    with TreeStore(log_dir) as store:
        assert store.position() == read_tail(log_file(log_dir)).position
        assert Frontier.of(8, store.node).root() == tree_root(log_lines(log_dir))


def test_a_deleted_or_garbled_tree_store_is_rebuilt(
    cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """With .tree.sqlite deleted, replaced by garbage or damaged in place, it is rebuilt."""
    cli("checkpoint", "--key", str(key_file))
    (log_dir / TREE_FILE).unlink()
    add_events(log_dir, 6, 2)
    result = cli("checkpoint", "--key", str(key_file))
    assert result.exit_code == 0, result.output
    assert CheckpointBody.parse(Note.parse(result.stdout).text).root == tree_root(
        log_lines(log_dir)
    )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{log_dir / TREE_FILE}{suffix}").unlink(missing_ok=True)
    (log_dir / TREE_FILE).write_bytes(b"not a database" * 100)
    proof = cli("prove", "7", "--checkpoint", str(log_dir / "checkpoints" / "7.checkpoint"))
    assert proof.exit_code == 0, proof.output
    db = sqlite3.connect(log_dir / TREE_FILE)  # every page but the first into the file...
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size = (log_dir / TREE_FILE).stat().st_size
    with open(log_dir / TREE_FILE, "r+b") as fh:  # ...then damaged in place, same inode
        fh.seek(4096)
        fh.write(b"\xff" * (size - 4096))
    proof = cli("prove", "6", "--checkpoint", str(log_dir / "checkpoints" / "7.checkpoint"))
    assert proof.exit_code == 0, proof.output
    check = sqlite3.connect(log_dir / TREE_FILE)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()


def test_a_missing_verifier_key_stops_signing(cli: Cli, log_dir: Path, key_file: Path) -> None:
    """With checkpoints kept but archive.vkey gone, checkpoint and verify refuse."""
    cli("checkpoint", "--key", str(key_file))
    (log_dir / "archive.vkey").unlink()
    one_error(cli("checkpoint", "--key", str(key_file)), "archive.vkey is missing")
    one_error(cli("verify"), "no verifier key")


def test_errors_leave_the_log_unchanged(
    tmp_path: Path, cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """Refused proofs and checkpoints do not change events.jsonl by a byte."""
    cli("checkpoint", "--key", str(key_file))
    before = (log_dir / "events.jsonl").read_bytes()
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("PRIVATE+KEY+nonsense\n")
    one_error(cli("checkpoint", "--key", str(bad_key)), "private key")
    one_error(
        cli("prove", "99", "--checkpoint", str(log_dir / "checkpoints" / "5.checkpoint")),
        "not in the checkpoint",
    )
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(
        (log_dir / "checkpoints" / "5.checkpoint").read_text().replace("\n5\n", "\n4\n")
    )
    one_error(cli("prove", "1", "--checkpoint", str(forged)), "no valid signature")
    assert (log_dir / "events.jsonl").read_bytes() == before


def _make_hostile(path: Path, kind: str) -> None:
    """Replace ``path`` by a non-UTF-8, oversized, FIFO or /dev/zero-symlink file."""
    path.unlink()
    if kind == "not-utf8":
        path.write_bytes(b"\xff\xfe")
    elif kind == "huge":
        path.write_bytes(b"a" * (65 * 1024))
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")


def test_hostile_origin_key_or_checkpoint_files_are_one_error_line(
    cli: Cli, log_dir: Path, key_file: Path
) -> None:
    """origin, archive.vkey or a kept checkpoint that is not UTF-8, a FIFO, a symlink to
    /dev/zero or over 64 KiB: verify exits 1 with one Error line naming it, no hang."""
    cli("checkpoint", "--key", str(key_file))
    before = (log_dir / "events.jsonl").read_bytes()
    kinds = ["not-utf8", "huge", "fifo"] + (["zero"] if os.path.exists("/dev/zero") else [])
    for name in ("origin", "archive.vkey", "checkpoints/5.checkpoint"):
        path = log_dir / name
        good = path.read_bytes()
        for kind in kinds:
            _make_hostile(path, kind)
            one_error(cli("verify"), path.name)
        path.unlink()
        path.write_bytes(good)
    assert cli("verify").exit_code == 0
    assert (log_dir / "events.jsonl").read_bytes() == before
