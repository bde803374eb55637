"""The project store: SQLModel tables, the database connection and its migrations."""

# Tables kept outside storage/models.py register on SQLModel.metadata with it (migrations, tests).
from storage import home_tabs as _home_tabs  # noqa: F401
from storage import hours as _hours  # noqa: F401
from storage import notices as _notices  # noqa: F401
from storage import team as _team  # noqa: F401
