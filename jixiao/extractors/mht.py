"""Single-file web pages (MHT: "Web archive" saves of Word and Excel, often named .doc or
.xls): the HTML part, decoded from its transfer encoding and MIME charset, read as HTML."""
from __future__ import annotations

import codecs
import email
import email.policy

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.html import extract_html
from jixiao.grid import Grid


def extract_mht(data: bytes) -> Grid:
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() in ("text/html", "application/xhtml+xml"):
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            charset = part.get_content_charset()
            if charset:
                try:
                    text = payload.decode(codecs.lookup(charset).name, errors="replace")
                except LookupError:
                    text = payload.decode("gb18030", errors="replace")
                # The MIME charset is the truth; a byte-order mark says so to the HTML reader.
                payload = codecs.BOM_UTF8 + text.encode("utf-8")
            return extract_html(payload)
    raise ExtractError("a web archive (MHT) without an HTML part")
