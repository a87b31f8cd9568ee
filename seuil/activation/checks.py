from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def zxcvbn_is_vendored(**kwargs: Any) -> list[CheckMessage]:
    """The live indicator needs the browser's zxcvbn, which npm installs (make does it)."""
    if any(
        (Path(folder) / "vendor" / "zxcvbn.js").is_file() for folder in settings.STATICFILES_DIRS
    ):
        return []
    return [
        Error(
            "static/vendor/zxcvbn.js is missing: the password indicator cannot judge passwords.",
            hint="Run `make static/vendor/zxcvbn.js` (npm ci, then a copy); make run does it.",
            id="seuil.E001",
        )
    ]
