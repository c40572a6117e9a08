"""Every command of both command lines has help with an Examples section and is in the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from eventlog.cli import main as eventlog_main
from projections.cli import main as projections_main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


Found = tuple[str, click.Command, click.Context]


def _walk(
    command: click.Command, path: list[str], parent: click.Context | None = None
) -> Iterator[Found]:
    # With the command's own settings (-h as help), as click would make the context: the
    # help option a command builds for its first context is kept for later ones.
    ctx = click.Context(command, info_name=path[-1], parent=parent, **command.context_settings)
    yield " ".join(path), command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from _walk(sub, [*path, name], ctx)


COMMANDS = [*_walk(eventlog_main, ["eventlog"]), *_walk(projections_main, ["projections"])]


def test_the_walk_finds_every_command() -> None:
    """The walk reaches nested commands of both CLIs (report, origin, source and sources)."""
    names = {name for name, _, _ in COMMANDS}
    assert {
        "eventlog report offer",
        "eventlog origin show",
        "eventlog sources check",
        "projections trail",
        "projections report",
    } <= names
    assert len(names) > 30


@pytest.mark.parametrize(("name", "command", "ctx"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_has_examples_and_is_in_the_readme(
    name: str, command: click.Command, ctx: click.Context
) -> None:
    """The command's help has an Examples section whose lines run this command, and the
    README names the command."""
    lines = command.get_help(ctx).splitlines()
    heads = [i for i, line in enumerate(lines) if line.strip() == "Examples:"]
    assert heads, "\n".join(lines)
    examples = []
    for line in lines[heads[0] + 1 :]:
        if not line.strip():
            break
        examples.append(line)
    assert any(name in line for line in examples), examples
    assert name in README
