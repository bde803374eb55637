"""The one exception users see: a refusal or a mistake, explained in a friendly sentence."""


class UserError(Exception):
    """Something the user can fix; `str(error)` is shown to them as it is (mrkdwn)."""
