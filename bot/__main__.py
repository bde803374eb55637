"""`python -m bot` runs Shepherd; `python -m bot migrate` only brings the database schema up to date;
`python -m bot remind` runs one reminder pass and exits; `python -m bot work` does the work that
acknowledging-only processes leave; `python -m bot playground` tries it all without Slack."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["playground"]:  # its own options, and no Slack settings to read
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        from bot.playground.run import main as playground

        return playground(argv[1:])
    parser = argparse.ArgumentParser(
        prog="shepherd",
        description="Shepherd: client projects in Slack. Settings come from the environment and .env.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "commands:\n"
            "  run      (default) migrate the database, then serve Slack: Socket Mode when\n"
            "           SLACK_APP_TOKEN is set, else HTTP on HOST:PORT; reminders run inside\n"
            "  migrate  bring the database schema up to date, then exit\n"
            "  remind   run one reminder pass, print what was sent and held back, then exit\n"
            "  work     do the work after acknowledgements for processes run with\n"
            "           WORK_THREADS=0 (several may run), until stopped\n"
            "  playground  try Shepherd without Slack: a local page at http://127.0.0.1:3000/\n"
            "           (--demo, --empty; see `python -m bot playground --help`)"
        ),
    )
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate", "remind", "work"], help="see below")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A line per migration step, per pass, or per pass skipped because the last one still runs
    # (a long Retry-After) is noise in production logs; Shepherd logs what matters itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"shepherd: {error}", file=sys.stderr)
        return 2

    import handlers  # the listeners: the start-up code hands them to the app factory
    from bot.slack.runner import migrate_only, remind_once, run, work

    try:
        if args.command == "migrate":
            return migrate_only(settings)
        if args.command == "remind":
            return remind_once(settings)
        if args.command == "work":
            return work(settings, handlers.register)
        return run(settings, handlers.register)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
