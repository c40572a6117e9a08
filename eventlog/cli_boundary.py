"""The error boundary both command lines share, so that they fail alike.

Library errors carry their exit code; a subclass of ``BoundaryGroup`` says which
errors it knows (``convert``). Everything else a user can cause becomes one
``Error:`` line here: OSError (naming the file), usage errors (one line and a
hint, exit 2) and a closed pipe (quiet, exit 141 = 128 + SIGPIPE).
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any, NoReturn

import click

EXIT_USAGE, EXIT_PIPE = 2, 141


def one_line(message: str) -> str:
    """The message with control characters (newlines in a submitted key...) escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in message)


def fail(message: str, code: int = 1) -> NoReturn:
    """One ``Error:`` line on stderr and the exit code."""
    click.echo(f"Error: {one_line(message)}", err=True)
    sys.exit(code)


def closed_pipe() -> NoReturn:
    """A reader closed the pipe (``| head``): end quietly with the shell's usual code."""
    # Whatever is still buffered cannot be written either: point stdout at /dev/null
    # so that the interpreter's final flush does not print a second error.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_PIPE)


class BoundaryGroup(click.Group):
    """A click group whose commands' errors end as one ``Error:`` line and an exit code."""

    def convert(self, exc: Exception) -> tuple[str, int] | None:
        """The message and exit code of an error this command line knows, else None."""
        return None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            known = self.convert(exc)
            if known is not None:
                fail(*known)
            if isinstance(exc, OSError):
                if exc.errno == errno.EPIPE:
                    closed_pipe()
                where = f"{exc.filename}: " if exc.filename else ""
                fail(f"{where}{exc.strerror or exc}")
            raise

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # a bare group: its help, as is
            click.echo(exc.format_message(), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:  # one line, and a hint where one helps
            click.echo(f"Error: {one_line(' '.join(exc.format_message().split()))}", err=True)
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                click.echo(f"Try '{exc.ctx.command_path} -h' for help.", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            fail("aborted")
        sys.exit(code if isinstance(code, int) else 0)
