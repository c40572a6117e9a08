"""Every command of both command lines has help with an Examples section and is in the README."""

from __future__ import annotations

import subprocess
import sys
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


GROUPS = [name for name, command, _ in COMMANDS if isinstance(command, click.Group)]


@pytest.mark.parametrize("name", GROUPS)
def test_a_bare_group_prints_its_help_not_a_flattened_error(name: str, tmp_path: Path) -> None:
    """A group run without a subcommand shows its help as help (exit 2), not as one Error: line."""
    program, *rest = name.split()
    argv = [str(Path(sys.executable).parent / program), *rest]
    done = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert not done.stderr.startswith("Error:")
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"Usage: {name} ")
    assert "Commands:" in lines
    assert "Examples:" in [line.strip() for line in lines]
