"""The transparency-log commands: keys, origin, signed checkpoints, proofs and their checks.

Registered on the ``eventlog`` group by ``register``; errors propagate to the
group, which prints one ``Error:`` line. ``check-proof`` and ``check-consistency``
need no log: only the proof, the checkpoints and the archive's verifier key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

HEAD_FORMATS = ("json", "seq:hash")


def head_checkpoint(text: str) -> str:
    """``verify --checkpoint`` accepts ``head``'s JSON as well as ``SEQ:HASH``: as SEQ:HASH."""
    import orjson

    from eventlog.errors import InvalidEvent

    if not text.lstrip().startswith("{"):
        return text
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidEvent(f"checkpoint is not SEQ:HASH nor head's JSON: {text!r}") from None
    if (
        not isinstance(value, dict)
        or type(value.get("seq")) is not int
        or not isinstance(value.get("hash"), str)
    ):
        raise InvalidEvent(f'checkpoint JSON must be {{"seq": N, "hash": HEX}}: {text!r}')
    return f"{value['seq']}:{value['hash']}"


def format_head(seq: int, digest: str, fmt: str) -> str:
    if fmt == "seq:hash":
        return f"{seq}:{digest}"
    import orjson

    return orjson.dumps({"seq": seq, "hash": digest}).decode()


def check_origin(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a malformed ``--origin`` before ``init`` creates anything."""
    if value is not None:
        from eventlog.note import check_name

        check_name(value, "origin")
    return value


def set_origin_on_init(log_dir: str, origin: str | None) -> None:
    if origin is not None:
        from eventlog.checkpoints import set_origin

        set_origin(log_dir, origin)


def verify_checkpoints(log_dir: str) -> str:
    """Check the kept checkpoints; the phrase ``verify`` adds to its OK line."""
    from eventlog.checkpoints import verify_kept

    bodies = verify_kept(log_dir)
    if not bodies:
        return ""
    if len(bodies) == 1:
        return ", 1 signed checkpoint holds"
    return f", {len(bodies)} signed checkpoints hold"


MAX_INPUT = 1024 * 1024
"""Bound on a proof, checkpoint, line or key file: far above any real one (a line is at most
64 KiB), so that /dev/zero or a huge file is refused instead of filling memory."""


def _vkey(value: str) -> Any:
    from eventlog.note import Verifier

    if os.path.isfile(value):
        return Verifier.parse(_read(value).decode("utf-8"))
    return Verifier.parse(value)


def _read(path: str) -> bytes:
    from eventlog.errors import BadNote
    from eventlog.inputs import TooLarge, read_regular

    # O_NONBLOCK then fstat: a FIFO or a device is refused at once, never waited on.
    try:
        return read_regular(path, MAX_INPUT)
    except TooLarge:
        raise BadNote(
            path, f"over {MAX_INPUT} bytes: not a proof, checkpoint, line or key"
        ) from None
    except OSError as exc:
        raise BadNote(path, exc.strerror or str(exc)) from None


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


@click.command(short_help="Create a signing key; print its verifier key.")
@click.argument("name")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Private key file to create (mode 0600; never overwritten).",
)
@click.pass_context
def keygen(ctx: click.Context, name: str, out: str) -> None:
    """Create an Ed25519 signing key NAME (use the log's origin); print its verifier key.

    \b
    Examples:
      eventlog keygen repatriation-archive.example/log --out ~/archive.key > archive.vkey
    """
    from eventlog.checkpoints import write_key
    from eventlog.errors import TransparencyConfig
    from eventlog.note import Signer

    if _inside(Path(out), Path(ctx.obj)):
        raise TransparencyConfig(f"{out}: keys never live inside the log directory")
    signer = Signer.generate(name)
    write_key(Path(out), signer)
    click.echo(str(signer.verifier))


@click.group(short_help="Set or show the log's origin.")
def origin() -> None:
    """The log's origin: the unique name its checkpoints carry (set once).

    \b
    Examples:
      eventlog origin set repatriation-archive.example/log
      eventlog origin show
    """


@origin.command("set")
@click.argument("name")
@click.pass_context
def origin_set(ctx: click.Context, name: str) -> None:
    """Set the origin (e.g. repatriation-archive.example/log); only once.

    \b
    Examples:
      eventlog origin set repatriation-archive.example/log
    """
    from eventlog.checkpoints import set_origin
    from eventlog.reader import existing_log

    existing_log(ctx.obj)
    set_origin(ctx.obj, name)
    click.echo(f"origin {name}")


@origin.command("show")
@click.pass_context
def origin_show(ctx: click.Context) -> None:
    """Print the origin.

    \b
    Examples:
      eventlog origin show
    """
    from eventlog.checkpoints import read_origin
    from eventlog.errors import TransparencyConfig

    name = read_origin(ctx.obj)
    if name is None:
        raise TransparencyConfig("the log has no origin: set it with `eventlog origin set`")
    click.echo(name)


@click.command(short_help="Sign and keep a checkpoint of the log's Merkle tree.")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="Private key file written by `eventlog keygen`.",
)
@click.pass_context
def checkpoint(ctx: click.Context, key_file: str) -> None:
    """Sign a checkpoint of the whole log, keep it in checkpoints/ and print it.

    \b
    Examples:
      eventlog checkpoint --key ~/archive.key > checkpoint.txt
    """
    from eventlog.checkpoints import sign_checkpoint
    from eventlog.note import Signer

    signer = Signer.parse(_read(key_file).decode("utf-8", "replace"))
    note, _ = sign_checkpoint(ctx.obj, signer)
    click.echo(note, nl=False)


@click.command(short_help="Print an inclusion or a consistency proof.")
@click.argument("seq", type=click.IntRange(min=1), required=False)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False),
    help="Signed checkpoint the event must be in.",
)
@click.option(
    "--consistency",
    nargs=2,
    type=click.Path(dir_okay=False),
    metavar="OLD NEW",
    help="Two checkpoints: prove NEW extends OLD.",
)
@click.pass_context
def prove(
    ctx: click.Context,
    seq: int | None,
    checkpoint_file: str | None,
    consistency: tuple[str, str] | None,
) -> None:
    """Print a proof: SEQ --checkpoint FILE (a c2sp.org/tlog-proof), or --consistency OLD NEW.

    \b
    Examples:
      eventlog prove 42 --checkpoint log/checkpoints/120.checkpoint > event-42.tlog-proof
      eventlog prove --consistency old.checkpoint new.checkpoint > old-new.proof
    """
    from eventlog.checkpoints import prove_consistency, prove_inclusion

    if consistency:
        if seq is not None or checkpoint_file:
            raise click.UsageError("--consistency takes no SEQ and no --checkpoint")
        click.echo(
            prove_consistency(ctx.obj, _read(consistency[0]), _read(consistency[1])), nl=False
        )
        return
    if seq is None or not checkpoint_file:
        raise click.UsageError("give SEQ and --checkpoint FILE, or --consistency OLD NEW")
    click.echo(prove_inclusion(ctx.obj, seq, _read(checkpoint_file)), nl=False)


@click.command("check-proof", short_help="Check an inclusion proof without the log.")
@click.argument("proof", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--line",
    "line_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="The event's exact line (as in events.jsonl).",
)
@click.option("--vkey", required=True, help="The archive's verifier key, or a file holding it.")
def check_proof(proof: str, line_file: str, vkey: str) -> None:
    """Check, without the log, that the line was in the archive at the proof's checkpoint.

    \b
    Examples:
      eventlog check-proof event-42.tlog-proof --line event-42.json --vkey archive.vkey
    """
    from eventlog.proofs import check_inclusion

    body, seq = check_inclusion(_read(proof), _read(line_file), _vkey(vkey))
    click.echo(f"OK: seq {seq} is in {body.origin} at size {body.size}")


@click.command("check-consistency", short_help="Check a consistency proof without the log.")
@click.argument("old", type=click.Path(dir_okay=False, exists=True))
@click.argument("new", type=click.Path(dir_okay=False, exists=True))
@click.argument("proof", type=click.Path(dir_okay=False, exists=True))
@click.option("--vkey", required=True, help="The archive's verifier key, or a file holding it.")
def check_consistency_cmd(old: str, new: str, proof: str, vkey: str) -> None:
    """Check, without the log, that checkpoint NEW extends checkpoint OLD.

    \b
    Examples:
      eventlog check-consistency old.checkpoint new.checkpoint old-new.proof --vkey archive.vkey
    """
    from eventlog.proofs import check_consistency

    o, n = check_consistency(_read(old), _read(new), _read(proof), _vkey(vkey))
    click.echo(f"OK: {n.origin} at size {n.size} extends size {o.size}")


def register(group: click.Group) -> None:
    """Add the transparency commands to the ``eventlog`` group."""
    for command in (keygen, origin, checkpoint, prove, check_proof, check_consistency_cmd):
        group.add_command(command)
