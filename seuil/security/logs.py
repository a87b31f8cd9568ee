"""Keep live tokens out of every log seuil writes.

Django's `django.request` logger writes the path of every 4xx and 5xx ("Bad Request: /…"), and a
reset or confirmation link carries its token in the path. This filter, on seuil's log handler,
masks those tokens in any record, from any logger. The reverse proxy's access log is outside
seuil: SECURITY.md says what it must not log.
"""

import logging
import re

TOKEN_PATHS = [
    (re.compile(r"(/nouveau-mot-de-passe/)[^/\s\"']+/[^/\s\"']+"), r"\1…/…"),
    (re.compile(r"(/confirmer-mail/)[^/\s\"'?]+"), r"\1…"),
    (re.compile(r"(/deverrouiller/)[^/\s\"'?]+"), r"\1…"),
]


def redact(text: str) -> str:
    for pattern, replacement in TOKEN_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
