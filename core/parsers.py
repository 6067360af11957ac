"""The API's JSON parser, in a module of its own: DRF's APIView reads DEFAULT_PARSER_CLASSES
when rest_framework.views is first imported, so this module must not import it (core.api does).
"""

import io
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

# JSON bodies: a size and a nesting limit, checked before the body is parsed, so a deeply nested
# body is a clear 400 instead of a RecursionError (500).


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with API_JSON["MAX_BYTES"] and API_JSON["MAX_DEPTH"] (settings)."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limits = settings.API_JSON
        body = stream.read(limits["MAX_BYTES"] + 1) if stream is not None else b""
        if len(body) > limits["MAX_BYTES"]:
            raise exceptions.ParseError(
                _("The JSON body is too large: at most %(n)s bytes.") % {"n": limits["MAX_BYTES"]}
            )
        if json_depth(body) > limits["MAX_DEPTH"]:
            raise exceptions.ParseError(
                _("The JSON body is nested too deeply: at most %(n)s levels.")
                % {"n": limits["MAX_DEPTH"]}
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)


_BRACKETS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped), without
    parsing it; a malformed text gives some number and fails later in the parser."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest
