"""`python -m bot` runs Shepherd; `python -m bot migrate` only brings the database schema up to date;
`python -m bot remind` runs one reminder pass and exits."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Shepherd: client projects in Slack.")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate", "remind"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "apscheduler"):  # a line per migration step and per pass is noise in production logs
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"shepherd: {error}", file=sys.stderr)
        return 2

    from bot.runner import migrate_only, remind_once, run

    try:
        if args.command == "migrate":
            return migrate_only(settings)
        if args.command == "remind":
            return remind_once(settings)
        return run(settings)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
