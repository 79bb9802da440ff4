"""Message catalogues by area, merged into the one the templates use (shoudai.web.i18n).

Each module here defines MESSAGES = {key: (中文, English)}; keys are prefixed by area so modules never collide.
"""

from __future__ import annotations

import importlib
import pkgutil


def merged() -> dict[str, tuple[str, str]]:
    """Every area's messages; a key defined twice is a bug, so it fails loudly at start-up."""
    out: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        part = importlib.import_module(f"{__name__}.{info.name}").MESSAGES
        clash = out.keys() & part.keys()
        if clash:
            raise RuntimeError(f"message keys defined twice: {sorted(clash)}")
        out.update(part)
    return out
