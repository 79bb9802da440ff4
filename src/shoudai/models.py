"""Every table module, imported once so Base.metadata is complete (Alembic, tests)."""

from shoudai.accounts import models as accounts_models  # noqa: F401  (imports audit's tables too)
from shoudai.bankapi import models as bankapi_models  # noqa: F401
from shoudai.db import Base
from shoudai.lending import models as lending_models  # noqa: F401  (imports the outbox table too)
from shoudai.outreach import models as outreach_models  # noqa: F401
from shoudai.oversight import models as oversight_models  # noqa: F401
from shoudai.reference import models as reference_models  # noqa: F401
from shoudai.registry import models as registry_models  # noqa: F401

metadata = Base.metadata
