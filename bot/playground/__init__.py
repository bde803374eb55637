"""Try Shepherd without Slack: `python -m bot playground` runs the real app against a Slack
stand-in in the same process and serves a page that looks like a workspace (see `run.py`)."""
