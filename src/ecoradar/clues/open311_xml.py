"""Open311 answers as XML, built with ``xml.etree.ElementTree`` (never by joining strings).

The JSON answers are the "Spark convention" mapping of the XML ones, so one encoder serves
every resource: a dict is an element per key, in order; a list is a container element whose
children all have the singular name from ``ITEM_NAMES`` (``services`` > ``service``,
``service_requests`` > ``request``, ``values`` > ``value``...); ``None`` is an empty element;
booleans are ``true``/``false``. Nothing untrusted is ever parsed here: this module only writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree as ET

DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
"""The declaration the specification's examples begin with (ElementTree writes single
quotes)."""

ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "photos": "photo",
    "notes": "note",
}
"""The child element of each list: the containers of the specification and its extensions."""

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/F)."""


def text_of(value: Any) -> str | None:
    """The text of an element: ``None`` for an empty one, ``true``/``false`` for booleans,
    characters XML cannot carry removed."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        child = ITEM_NAMES[element.tag]
        for item in value:
            _fill(ET.SubElement(element, child), item)
    else:
        element.text = text_of(value)


def element(root: str, value: Any) -> ET.Element:
    """``value`` as the element tree rooted at ``root``."""
    top = ET.Element(root)
    _fill(top, value)
    return top


def render(root: str, value: Any) -> bytes:
    """The UTF-8 document: the declaration, then ``value`` under ``root`` (``services``,
    ``service_definition``, ``service_requests``, ``errors``, ``discovery``)."""
    body = ET.tostring(element(root, value), encoding="unicode", short_empty_elements=True)
    return DECLARATION + body.encode("utf-8")
