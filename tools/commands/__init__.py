"""``python -m tools COMMAND``: the maintainer's commands, one module each (``make`` calls them).

Each module here holds one command: ``HELP`` (its line in ``python -m tools --help``), ``EXAMPLES``
(the end of its own ``--help``), ``add_arguments(parser)`` and ``run(args) -> int`` (the exit status).
"""

from __future__ import annotations

import argparse

from . import execute, grade, site, slides, student

COMMANDS = {"slides": slides, "student": student, "grade": grade, "execute": execute, "site": site}


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per module of :data:`COMMANDS`."""
    top = argparse.ArgumentParser(
        prog="python -m tools",
        description="Build the editions of the seminar notebooks (notebooks/ is the one source), grade\n"
        "submissions and build the course website; `make slides`, `make student`, `make grade`,\n"
        "`make execute` and `make site` run these.",
        epilog="examples:\n  python -m tools slides\n  python -m tools grade --help\n\n"
        "Run `python -m tools COMMAND --help` for a command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=module.HELP,
            description=module.__doc__,
            epilog="examples:\n" + module.EXAMPLES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return top


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: the process's arguments) and run the command; its exit status."""
    args = parser().parse_args(argv)
    return args.run(args)
