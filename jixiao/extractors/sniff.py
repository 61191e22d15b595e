"""Decide a file's format from its bytes, never from its name.

Government downloads are often misnamed (an .xls that is really HTML, a .doc
saved as .docx), so only the content counts.
"""
from __future__ import annotations

import re
import zipfile
from typing import BinaryIO

from jixiao.extractors.guard import MAX_MEMBERS, Archive, declared_members, open_zip

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"GIF8",
)
# A web archive (MHT) opens with MIME header lines.
_MIME_HEADERS = re.compile(rb"(?:[a-z][a-z0-9-]*:[^\n]*\r?\n)+")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_HTML_MARKERS = (b"<html", b"<!doctype html", b"<table", b"<body", b"<head", b"<meta")
# The head of a file, all the sniffer needs but for containers.
SNIFF_BYTES = 8192
_CHUNK = 1 << 20


def sniff_format(head: bytes, data: bytes | None = None) -> str:
    """Return one of txt, docx, xlsx, doc, rtf, xls, spreadsheetml, html, mht, pdf, image, zip,
    damaged_zip, ole2, encrypted, empty.

    `head` is the first few KiB; `data` the whole file, needed only to look
    inside zip containers.
    """
    if not head:
        return "empty"
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(OLE2_MAGIC):
        if _ENCRYPTED_PACKAGE in (data or head):
            return "encrypted"  # a password-protected .docx/.xlsx is an OLE2 container
        if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in (data or head):
            return "doc"
        if b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in (data or head) or b"B\x00o\x00o\x00k" in (data or head):
            return "xls"
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data or head)
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if any(head.startswith(m) for m in _IMAGE_MAGIC):
        return "image"
    lowered = head[:4096].lower()
    stripped = lowered.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _MIME_HEADERS.match(stripped) and b"multipart/related" in lowered:
        return "mht"
    # A markup document starts with a tag; prose that merely mentions <table> is text.
    if stripped.startswith(b"<"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered and b"<workbook" in lowered:
            return "spreadsheetml"
        if any(m in lowered for m in (b"<?xml", *_HTML_MARKERS)):
            return "html"
    return "txt"


def sniff_file(handle: BinaryIO) -> str:
    """`sniff_format` for an open file, reading only its head, a zip container's directory, or the
    whole of an OLE2 container (whose directory may lie anywhere in it; its formats are read whole)."""
    handle.seek(0)
    head = handle.read(SNIFF_BYTES)
    fmt = sniff_format(head, head)
    if fmt in ("doc", "xls", "ole2", "encrypted"):
        handle.seek(0)
        return sniff_format(head, handle.read())
    if head.startswith(b"PK\x03\x04") and fmt != "pdf":
        return _sniff_zip(handle)
    return fmt


def _sniff_zip(data: Archive) -> str:
    if (declared_members(data) or 0) > MAX_MEMBERS:
        # Listing millions of parts would itself exhaust memory: the names are looked for in
        # the raw bytes, and the extractor refuses the file.
        names = {name for name in ("word/document.xml", "xl/workbook.xml") if _holds(data, name.encode())}
        return "docx" if "word/document.xml" in names else "xlsx" if names else "zip"
    try:
        with open_zip(data) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "damaged_zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def _holds(data: Archive, needle: bytes) -> bool:
    if isinstance(data, bytes):
        return needle in data
    data.seek(0)
    tail = b""
    while chunk := data.read(_CHUNK):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle):]
    return False
