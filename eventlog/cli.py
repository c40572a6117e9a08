"""The ``eventlog`` command line: thin commands over the library.

Every error the library raises becomes one ``Error:`` line on stderr and an
exit code, here and nowhere else: 1 rejected input or failed verification,
2 usage, 3 ``--expect-seq`` conflict. Heavy modules (pydantic) are imported
inside the commands so that ``eventlog --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from eventlog import cli_tlog

F = TypeVar("F", bound=Callable[..., Any])

EXIT_REJECTED, EXIT_USAGE, EXIT_CONFLICT = 1, 2, 3
PARTIES = ("UA", "RU")
KINDS = ("bodies", "pows", "civilians")
QUALIFIERS = ("exact", "at_least", "at_most", "about")


def one_line(message: str) -> str:
    """The message with control characters (newlines in a submitted key...) escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in message)


def _fail(message: str, code: int = EXIT_REJECTED) -> NoReturn:
    click.echo(f"Error: {one_line(message)}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Maps library exceptions to one ``Error:`` line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from eventlog.errors import EventLogError

        try:
            return super().invoke(ctx)
        except EventLogError as exc:
            _fail(str(exc), exc.exit_code)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}")


@click.group(cls=_Group)
@click.option("--log", "log_dir", type=click.Path(), envvar="EVENTLOG_DIR",
              default="log", show_default=True, show_envvar=True,
              help="Directory holding events.jsonl.")
@click.pass_context
def main(ctx: click.Context, log_dir: str) -> None:
    """An append-only, hash-chained log of reported repatriations and prisoner exchanges."""
    ctx.obj = log_dir


# -- writing ---------------------------------------------------------------------


def _read_input(stream: Any) -> list[tuple[int, Any]]:
    """Submitted events with the input line each starts on: one object, an array, or JSON lines."""
    import orjson

    from eventlog.codec import MAX_LINE
    from eventlog.errors import InvalidEvent

    raw: bytes = stream.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw.count(b"\n", 0, exc.start) + 1
        raise InvalidEvent(f"line {bad_line}: not UTF-8 (bad byte at offset {exc.start})"
                           ) from None
    if not text.strip():
        raise InvalidEvent("empty batch: the input holds no event")
    try:
        whole = orjson.loads(raw)
    except orjson.JSONDecodeError:
        whole = None
    # One line over the limit is refused as such; a pretty-printed object is one
    # event whose stored (compact) line the store measures.
    if isinstance(whole, dict) and (len(raw) <= MAX_LINE or b"\n" in raw.strip()):
        return [(1, whole)]
    if isinstance(whole, list):
        return [(1, item) for item in whole]
    items = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            raise InvalidEvent(f"line {number}: {len(line)} bytes, over the {MAX_LINE}-byte limit")
        try:
            items.append((number, orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            raise InvalidEvent(f"line {number}: malformed JSON: {exc}") from None
    return items


def _append(ctx: click.Context, items: list[tuple[int, Any]], by: str | None,
            expect_seq: int | None) -> None:
    import orjson

    from eventlog.errors import InvalidEvent
    from eventlog.store import append

    try:
        results = append(ctx.obj, [item for _, item in items], by=by, expect_seq=expect_seq)
    except InvalidEvent as exc:
        if exc.index is None or (len(items) <= 1 and items[0][0] == 1):
            raise
        line = items[exc.index - 1][0]
        field = f", field '{exc.field}'" if exc.field else ""
        _fail(f"line {line} (event {exc.index}){field}: {exc.reason}")
    for result in results:
        click.echo(orjson.dumps(result.as_dict()).decode())


_by = click.option("--by", help="Who records it (default $EVENTLOG_USER, else the OS user).")
_expect = click.option("--expect-seq", type=click.IntRange(min=0),
                       help="Append only if the log's last seq is N (else exit 3).")


@main.command()
@click.argument("file", type=click.File("rb"), default="-")
@_expect
@_by
@click.pass_context
def append(ctx: click.Context, file: Any, expect_seq: int | None, by: str | None) -> None:
    """Append events from FILE (or stdin): one JSON object, a JSON array, or JSON lines.

    Each event is {"type": ..., "data": {...}} with an optional "id". The batch
    is all or nothing. Prints one JSON line per event: seq, id, prev, hash, status.
    """
    _append(ctx, _read_input(file), by, expect_seq)


@main.command()
@click.option("--origin", callback=cli_tlog.check_origin,
              help="The log's unique name for its checkpoints (set once).")
@click.pass_context
def init(ctx: click.Context, origin: str | None) -> None:
    """Create the log directory and an empty log, if they do not exist."""
    from eventlog.store import init_log

    path = init_log(ctx.obj)
    cli_tlog.set_origin_on_init(ctx.obj, origin)
    click.echo(f"log ready at {path}")


def _source_options(required: bool) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        options = [
            click.option("--attributed-to", required=required,
                         help="Who said it, e.g. 'Russian Defence Ministry'."),
            click.option("--party", type=click.Choice(("UA", "RU", "other")), required=required,
                         help="Whose account it is."),
            click.option("--outlet", help="The outlet that reported it."),
            click.option("--url", help="http(s) URL of the report."),
            click.option("--published-on", help="Date of the report (YYYY[-MM[-DD]])."),
            click.option("--quote", help="The sentence the fact comes from."),
        ]
        for option in reversed(options):
            func = option(func)
        return func
    return decorate


def _source(kw: dict[str, Any]) -> dict[str, Any] | None:
    keys = ("attributed_to", "party", "outlet", "url", "published_on", "quote")
    source = {k: kw.pop(k) for k in keys if k in kw}
    source = {k: v for k, v in source.items() if v is not None}
    return source or None


def _submit(ctx: click.Context, event_type: str, data: dict[str, Any], kw: dict[str, Any]) -> None:
    item: dict[str, Any] = {"type": event_type,
                            "data": {k: v for k, v in data.items() if v is not None}}
    if kw.get("event_id"):
        item["id"] = kw["event_id"]
    _append(ctx, [(1, item)], kw.get("by"), kw.get("expect_seq"))


def _count(value: int, qualifier: str) -> dict[str, Any]:
    return {"value": value, "qualifier": qualifier}


_id = click.option("--id", "event_id", help="Event id of your choosing (default: generated).")
_kind = click.option("--kind", type=click.Choice(KINDS), required=True)
_count_opt = click.option("--count", type=int, required=True, help="The reported number.")
_qual = click.option("--qualifier", type=click.Choice(QUALIFIERS), default="exact",
                     show_default=True, help="'over 6,000' is --count 6000 --qualifier at_least.")


def _common(required_source: bool = True) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        for option in (_id, _expect, _by):
            func = option(func)
        return _source_options(required_source)(func)
    return decorate


@main.group()
def report() -> None:
    """Record a reported fact without writing JSON by hand."""


@report.command("agreement")
@click.option("--agreement", required=True, help="Slug of the agreement.")
@click.option("--title", required=True)
@click.option("--concluded-on", help="Date (YYYY[-MM[-DD]]).")
@click.option("--place")
@_common()
@click.pass_context
def report_agreement(ctx: click.Context, /, **kw: Any) -> None:
    """Record an agreement (e.g. reached at talks in Istanbul)."""
    data = {k: kw.pop(k) for k in ("agreement", "title", "concluded_on", "place")}
    data["source"] = _source(kw)
    _submit(ctx, "agreement.recorded", data, kw)


@report.command("round")
@click.option("--round", "round_", required=True, help="Slug of the round.")
@click.option("--occurred-on", required=True, help="Date (YYYY[-MM[-DD]]).")
@click.option("--agreement", help="Slug of the agreement it belongs to.")
@click.option("--label")
@click.option("--mediator", "mediators", multiple=True, help="Repeat for each mediator.")
@_common()
@click.pass_context
def report_round(ctx: click.Context, /, round_: str, mediators: tuple[str, ...], **kw: Any) -> None:
    """Record a round of repatriation or exchange."""
    data = {"round": round_, **{k: kw.pop(k) for k in ("occurred_on", "agreement", "label")},
            "mediators": list(mediators) or None, "source": _source(kw)}
    _submit(ctx, "round.recorded", data, kw)


@report.command("transfer")
@click.option("--round", "round_", required=True, help="Slug of a recorded round.")
@_kind
@click.option("--from", "from_", type=click.Choice(PARTIES), required=True)
@click.option("--to", type=click.Choice(PARTIES), required=True)
@_count_opt
@_qual
@_common()
@click.pass_context
def report_transfer(ctx: click.Context, /, round_: str, from_: str, count: int, qualifier: str,
                    **kw: Any) -> None:
    """Record one party's account of what was handed over in a round."""
    data = {"round": round_, "kind": kw.pop("kind"), "from": from_, "to": kw.pop("to"),
            "count": _count(count, qualifier), "source": _source(kw)}
    _submit(ctx, "transfer.reported", data, kw)


@report.command("total")
@_kind
@click.option("--from", "from_", type=click.Choice(PARTIES))
@click.option("--to", type=click.Choice(PARTIES), required=True)
@click.option("--scope-agreement", help="The total covers this agreement's rounds...")
@click.option("--since", help="...or everything since this date.")
@click.option("--as-of", required=True, help="Date the total was stated for.")
@_count_opt
@_qual
@_common()
@click.pass_context
def report_total(ctx: click.Context, /, from_: str | None, count: int, qualifier: str,
                 scope_agreement: str | None, since: str | None, **kw: Any) -> None:
    """Record an aggregate claim (e.g. 'over 4,800 bodies since February 2022')."""
    if (scope_agreement is None) == (since is None):
        raise click.UsageError("give exactly one of --scope-agreement and --since")
    scope = {"agreement": scope_agreement} if scope_agreement else {"since": since}
    data = {"kind": kw.pop("kind"), "from": from_, "to": kw.pop("to"), "scope": scope,
            "as_of": kw.pop("as_of"), "count": _count(count, qualifier), "source": _source(kw)}
    _submit(ctx, "total.reported", data, kw)


@report.command("offer")
@_kind
@click.option("--from", "from_", type=click.Choice(PARTIES), required=True)
@click.option("--to", type=click.Choice(PARTIES), required=True)
@click.option("--as-of", required=True)
@click.option("--agreement")
@_count_opt
@_qual
@_common()
@click.pass_context
def report_offer(ctx: click.Context, /, from_: str, count: int, qualifier: str, **kw: Any) -> None:
    """Record a pledge that is not yet a transfer (e.g. 'ready to hand over 2,239')."""
    data = {"kind": kw.pop("kind"), "from": from_, "to": kw.pop("to"),
            "count": _count(count, qualifier), "as_of": kw.pop("as_of"),
            "agreement": kw.pop("agreement"), "source": _source(kw)}
    _submit(ctx, "offer.reported", data, kw)


@report.command("note")
@click.option("--text", required=True)
@click.option("--round", "round_")
@click.option("--agreement")
@click.option("--kind", type=click.Choice(KINDS))
@_common()
@click.pass_context
def report_note(ctx: click.Context, /, round_: str | None, **kw: Any) -> None:
    """Record a qualitative report that carries no count."""
    data = {"text": kw.pop("text"), "round": round_, "agreement": kw.pop("agreement"),
            "kind": kw.pop("kind"), "source": _source(kw)}
    _submit(ctx, "note.recorded", data, kw)


def _parse_sets(pairs: tuple[str, ...], as_json: bool) -> dict[str, Any]:
    import orjson

    changes: dict[str, Any] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field:
            raise click.UsageError(f"expected FIELD=VALUE, got {pair!r}")
        if as_json:
            try:
                changes[field] = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise click.UsageError(f"--set-json {field}: not JSON: {exc}") from None
        else:
            changes[field] = value
    return changes


@main.command()
@click.argument("target")
@click.option("--set", "sets", multiple=True, metavar="FIELD=TEXT",
              help="Set a text field (e.g. occurred_on=2025-06).")
@click.option("--set-json", "json_sets", multiple=True, metavar="FIELD=JSON",
              help='Set a field to a JSON value (e.g. mediators=\'["ICRC"]\', label=null).')
@click.option("--count", type=int, help="Shortcut: set count to this value...")
@click.option("--qualifier", type=click.Choice(QUALIFIERS), default="exact",
              help="...with this qualifier.")
@click.option("--reason", required=True, help="Why the fact is corrected.")
@_common(required_source=False)
@click.pass_context
def correct(ctx: click.Context, /, target: str, sets: tuple[str, ...], json_sets: tuple[str, ...],
            count: int | None, qualifier: str, reason: str, **kw: Any) -> None:
    """Correct fields of the fact TARGET (an event id); the original stays in the log."""
    changes = {**_parse_sets(sets, False), **_parse_sets(json_sets, True)}
    if count is not None:
        changes["count"] = _count(count, qualifier)
    if not changes:
        raise click.UsageError("nothing to correct: give --set, --set-json or --count")
    data = {"target": target, "changes": changes, "reason": reason, "source": _source(kw)}
    _submit(ctx, "fact.corrected", data, kw)


@main.command()
@click.argument("target")
@click.option("--reason", required=True, help="Why the fact is withdrawn.")
@_common(required_source=False)
@click.pass_context
def retract(ctx: click.Context, /, target: str, reason: str, **kw: Any) -> None:
    """Retract the fact TARGET: it leaves every figure but stays in the log and its trail."""
    data = {"target": target, "reason": reason, "source": _source(kw)}
    _submit(ctx, "fact.retracted", data, kw)


# -- reading ----------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON lines, as stored (upcast).")
@click.option("--from-seq", type=click.IntRange(min=1), default=1, help="Start at this seq.")
@click.option("--type", "event_type", help="Only events of this type (e.g. transfer.reported).")
@click.pass_context
def show(ctx: click.Context, as_json: bool, from_seq: int, event_type: str | None) -> None:
    """List the log's events: a table, or JSON lines with --json."""
    import orjson

    from eventlog.reader import LogReader, existing_log
    from eventlog.render import summary

    existing_log(ctx.obj)  # fail before the table header is printed
    reader = LogReader(ctx.obj)
    rows = (
        r for r in reader.records()
        if r["seq"] >= from_seq and (event_type is None or r["type"] == event_type)
    )
    if as_json:
        for record in rows:
            click.echo(orjson.dumps(record).decode())
        return
    click.echo(f"{'SEQ':>5}  {'RECORDED_AT':<20}  {'TYPE':<18}  {'ID':<24}  SUMMARY")
    for r in rows:
        click.echo(f"{r['seq']:>5}  {r['recorded_at'][:19]:<20}  {r['type']:<18}  "
                   f"{r['id']:<24}  {summary(r)}")


@main.command()
@click.option("--checkpoint", metavar="SEQ:HASH",
              help="Also prove the log still begins with the prefix `eventlog head` printed.")
@click.pass_context
def verify(ctx: click.Context, checkpoint: str | None) -> None:
    """Check every line: JSON, schema, gapless seq, the prev chain, references.

    Exit 0 when intact (a torn tail left by a crash is a warning), 1 when not,
    naming the first bad line.
    """
    from eventlog.verify import Checkpoint
    from eventlog.verify import verify as run

    report = run(ctx.obj, Checkpoint.parse(cli_tlog.head_checkpoint(checkpoint))
                 if checkpoint else None)
    if report.torn_bytes:
        click.echo(f"Warning: torn tail: {report.torn_bytes} bytes after seq {report.head.seq} "
                   "(left by a crash; the next append moves them to quarantine/)", err=True)
    proof = f", checkpoint seq {report.checkpoint.seq} holds" if report.checkpoint else ""
    proof += cli_tlog.verify_checkpoints(ctx.obj)
    click.echo(f"OK: {report.events} events, chain intact{proof}; head {report.head}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(cli_tlog.HEAD_FORMATS), default="json",
              show_default=True, help="JSON, or SEQ:HASH as `verify --checkpoint` takes.")
@click.pass_context
def head(ctx: click.Context, fmt: str) -> None:
    """Print {"seq", "hash"} of the last line: the checkpoint an auditor keeps."""
    from eventlog.reader import existing_log
    from eventlog.store import read_tail

    tail = read_tail(existing_log(ctx.obj))
    click.echo(cli_tlog.format_head(tail.position.seq, tail.position.hash, fmt))


@main.command()
def schema() -> None:
    """Print the JSON Schema of submitted events, generated from the models."""
    import orjson

    from eventlog.events import submission_schema

    click.echo(orjson.dumps(submission_schema(), option=orjson.OPT_INDENT_2).decode())


cli_tlog.register(main)

if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
