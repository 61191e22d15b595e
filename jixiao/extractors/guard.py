"""Checks on hostile files before a library parses them.

Office files are zip archives of XML: a zip bomb (a few KiB unpacking to
gigabytes, or declaring small sizes and unpacking to more) and XML that declares
entities (a billion-laughs expansion, an external entity reading a local file)
are refused here, before python-docx or openpyxl open the archive. Every part is
decompressed once as a stream, counting bytes, so the real size is known without
ever holding more than one chunk. The archive may be bytes in memory or an open
file, which is then read a chunk at a time too.
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO
from typing import BinaryIO

from jixiao.extractors.errors import BAD_INPUT, LIMIT, ExtractError
from jixiao.extractors.options import Limits

# A Word or Excel file has tens of parts, a large workbook some thousands.
MAX_MEMBERS = 10_000
# Deflate cannot compress better than about 1032:1; a part declaring more lies.
MAX_RATIO = 1000
# Below this a part's ratio is not worth judging (a run of blank cells compresses well).
_RATIO_FLOOR = 1 << 20
_CHUNK = 1 << 20
_ENCRYPTED = 0x1
_MB = 1 << 20

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_LOCAL_HEADER = b"PK\x03\x04"
_LOCAL_HEADER_SIZE = 30
# An XML document type declaration with an internal subset that declares entities,
# in the encodings an XML part may use.
_DOCTYPES = [b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be")]
_ENTITIES = [b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be")]
_OVERLAP = 2 * len(_ENTITIES[1])
# Errors zipfile raises on a damaged archive or part.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError, KeyError,
               struct.error)
# Where a document's DOCTYPE is looked for: it comes before the root element.
_PROLOG = 1 << 16

# An Office archive: its bytes, or a seekable binary file.
Archive = bytes | BinaryIO


def _read_at(archive: Archive, offset: int, size: int) -> bytes:
    if isinstance(archive, bytes):
        return archive[offset:offset + size]
    archive.seek(offset)
    return archive.read(size)


def _length(archive: Archive) -> int:
    return len(archive) if isinstance(archive, bytes) else archive.seek(0, 2)


def open_zip(archive: Archive) -> zipfile.ZipFile:
    return zipfile.ZipFile(BytesIO(archive) if isinstance(archive, bytes) else archive)


def declared_members(archive: Archive) -> int | None:
    """The number of parts a zip's end record declares, read without parsing the directory
    (which for millions of parts would itself exhaust memory); None if there is no end record."""
    length = _length(archive)
    tail_at = max(0, length - _EOCD_SIZE - 0xFFFF)
    tail = _read_at(archive, tail_at, length - tail_at)
    at = tail.rfind(_EOCD)
    if at < 0 or at + _EOCD_SIZE > len(tail):
        return None
    total = struct.unpack_from("<H", tail, at + 10)[0]
    locator = tail_at + at - 20
    if total == 0xFFFF and locator >= 0 and _read_at(archive, locator, 4) == _ZIP64_LOCATOR:
        offset = struct.unpack_from("<Q", _read_at(archive, locator + 8, 8))[0]
        record = _read_at(archive, offset, 56)
        if record[:4] == _ZIP64_EOCD and len(record) == 56:
            return int(struct.unpack_from("<Q", record, 32)[0])
    return int(total)


def declares_entities(xml: bytes) -> bool:
    """Whether an XML document's prolog declares entities in a DOCTYPE (any expansion or
    external reference needs such a declaration); HTML's own DOCTYPE declares none."""
    head = xml[:_PROLOG]
    for doctype, entity in zip(_DOCTYPES, _ENTITIES, strict=True):
        at = head.find(doctype)
        if at >= 0 and head.find(entity, at) >= 0:
            return True
    return False


def check_zip(data: Archive, limits: Limits, what: str) -> None:
    """Refuse an Office archive (`what`: "Word document", "Excel workbook") that is a zip bomb
    (LIMIT) or holds XML declaring entities (BAD_INPUT); a damaged archive is BAD_INPUT."""
    cap = int(limits.max_unpacked_mb * _MB)
    too_big = ExtractError(f"zip bomb: {what} unpacks to more than {limits.max_unpacked_mb:g} MB", LIMIT)
    members = declared_members(data)
    if members is not None and members > MAX_MEMBERS:
        raise ExtractError(f"zip bomb: {what} holds {members} parts, more than {MAX_MEMBERS}", LIMIT)
    try:
        with open_zip(data) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise ExtractError(f"zip bomb: {what} holds {len(infos)} parts, more than {MAX_MEMBERS}", LIMIT)
            if sum(i.file_size for i in infos) > cap:
                raise too_big
            for info in infos:
                if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise ExtractError(f"zip bomb: {what} part {info.filename} declares a compression ratio "
                                       f"over {MAX_RATIO}:1", LIMIT)
            total = 0
            for info in infos:
                total = _scan_part(data, archive, info, total, cap, too_big, what)
    except _ZIP_ERRORS as exc:
        raise ExtractError(f"unreadable {what}: damaged zip archive ({type(exc).__name__}: {exc})",
                           BAD_INPUT) from exc


def _scan_part(data: Archive, archive: zipfile.ZipFile, info: zipfile.ZipInfo, total: int, cap: int,
               too_big: ExtractError, what: str) -> int:
    """Decompress one part as a stream, adding its real size to `total` and stopping past `cap`;
    refuse XML that declares entities."""
    if info.flag_bits & _ENCRYPTED:
        raise ExtractError(f"unreadable {what}: part {info.filename} is encrypted", BAD_INPUT)
    doctype = False
    tail = b""
    for chunk in _unpacked(data, archive, info):
        total += len(chunk)
        if total > cap:
            raise too_big
        window = tail + chunk
        doctype = doctype or any(d in window for d in _DOCTYPES)
        if doctype and any(e in window for e in _ENTITIES):
            raise ExtractError(f"XML declares entities (in {info.filename} of the {what}), "
                               "which are never expanded", BAD_INPUT)
        tail = chunk[-_OVERLAP:]
    return total


def _unpacked(data: Archive, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes as its compressed data really unpacks, chunk by chunk: for deflate
    (what Office writes) inflated from the raw data, whatever size the headers declare."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        with archive.open(info) as part:
            yield from iter(lambda: part.read(_CHUNK), b"")
        return
    start = info.header_offset
    header = _read_at(data, start, _LOCAL_HEADER_SIZE)
    if header[:4] != _LOCAL_HEADER:
        raise zipfile.BadZipFile(f"part {info.filename} has no local header")
    name_length, extra_length = struct.unpack_from("<HH", header, 26)
    start += _LOCAL_HEADER_SIZE + name_length + extra_length
    if start + info.compress_size > _length(data):
        raise EOFError(f"part {info.filename} is cut short")
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    for at in range(0, info.compress_size, _CHUNK):
        pending = _read_at(data, start + at, _CHUNK if at + _CHUNK <= info.compress_size else info.compress_size - at)
        while pending and not inflate.eof:
            chunk = inflate.decompress(pending, _CHUNK)
            pending = inflate.unconsumed_tail
            if chunk:
                yield chunk
        if inflate.eof:
            return
