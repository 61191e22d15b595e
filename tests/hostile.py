"""Hostile and broken files, made in code: each kind with the stage and categories it must fail with.

Nothing here is stored in git; every file is a few KB to a few MB, built from
corpus documents or from scratch in well under a second.
"""
from __future__ import annotations

import io
import os
import random
import socket
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from msoffcrypto.format.ooxml import OOXMLFile
from PIL import Image

# Limits the hostile run uses, so that small files can stand for big ones.
MAX_PAGES = 4
MAX_FILE_MB = 60
MAX_UNPACKED_MB = 40

BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (k, (b"&lol%d;" % (k - 1) if k > 1 else b"&lol;") * 10)
                             for k in range(1, 10))
                  + b']>\n')
EXTERNAL_ENTITY = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


@dataclass(frozen=True)
class Kind:
    name: str  # the file's name in the input folder
    stage: str | None  # None: harmless once the limits hold, read to the end (status no_forms)
    categories: frozenset[str]  # one of these is right (a lying zip is damaged, or a bomb)
    make: Callable[[Path, Path], None]  # (shared, target path)


def _write(data: bytes) -> Callable[[Path, Path], None]:
    return lambda _shared, target: target.write_bytes(data)


def rezip(original: bytes, parts: dict[str, bytes]) -> bytes:
    """The archive with some parts replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info))
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def lie_about_size(archive: bytes, name: str, size: int) -> bytes:
    """The archive with `name`'s uncompressed size set to `size` in its local header and in the
    central directory, as a bomb lies to pass a check of declared sizes."""
    data = bytearray(archive)
    encoded = name.encode()
    # (signature, where the name starts, where the uncompressed size is), from the record's start
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        start = data.find(signature)
        while start >= 0:
            if data[start + name_at:start + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, start + size_at, size)
            start = data.find(signature, start + 4)
    return bytes(data)


def _docx(shared: Path) -> bytes:
    return (shared / "corpus" / "docx" / "a_docx_02.docx").read_bytes()


def _xlsx(shared: Path) -> bytes:
    return (shared / "corpus" / "xlsx" / "a_xlsx_04.xlsx").read_bytes()


def zip_bomb(shared: Path, target: Path) -> None:
    """A .docx whose document.xml unpacks to more than the unpacked-size limit (honestly declared)."""
    body = (b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            + b"<w:p/>" * ((MAX_UNPACKED_MB + 10) * 2**20 // 6) + b"</w:body></w:document>")
    target.write_bytes(rezip(_docx(shared), {"word/document.xml": body}))


def lying_zip_bomb(shared: Path, target: Path) -> None:
    """A .xlsx whose sheet declares 1 KB in the zip directory but unpacks to far more."""
    sheet = "xl/worksheets/sheet1.xml"
    bomb = rezip(_xlsx(shared), {sheet: b" " * ((MAX_UNPACKED_MB + 10) * 2**20)})
    target.write_bytes(lie_about_size(bomb, sheet, 1024))


def billion_laughs_docx(shared: Path, target: Path) -> None:
    doc = BILLION_LAUGHS + b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' \
        b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    target.write_bytes(rezip(_docx(shared), {"word/document.xml": doc}))


def external_entity_xlsx(shared: Path, target: Path) -> None:
    sheet = EXTERNAL_ENTITY + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' \
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>'
    target.write_bytes(rezip(_xlsx(shared), {"xl/worksheets/sheet1.xml": sheet}))


def entity_spreadsheetml(_shared: Path, target: Path) -> None:
    target.write_bytes(BILLION_LAUGHS + b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                       b'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="1"><Table>'
                       b'<Row><Cell><Data ss:Type="String">&lol9;</Data></Cell></Row></Table></Worksheet></Workbook>')


def encrypted_docx(shared: Path, target: Path) -> None:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_docx(shared))).encrypt("secret", out)
    target.write_bytes(out.getvalue())


def _pdf(build: Callable[[pikepdf.Pdf], None], **save: object) -> bytes:
    pdf = pikepdf.new()
    build(pdf)
    out = io.BytesIO()
    pdf.save(out, **save)  # type: ignore[arg-type]
    return out.getvalue()


def encrypted_pdf(shared: Path, target: Path) -> None:
    with pikepdf.open(shared / "corpus" / "pdf" / "a_pdf_07.pdf") as pdf:
        pdf.save(target, encryption=pikepdf.Encryption(user="secret", owner="owner", R=6))


def many_pages_pdf(_shared: Path, target: Path) -> None:
    def build(pdf: pikepdf.Pdf) -> None:
        for _ in range(MAX_PAGES * 50):
            pdf.add_blank_page()
    target.write_bytes(_pdf(build))


def huge_page_pdf(_shared: Path, target: Path) -> None:
    """One page of 5 × 5 m with ink but no text layer, so it would be rendered for OCR."""
    def build(pdf: pikepdf.Pdf) -> None:
        page = pdf.add_blank_page(page_size=(14400, 14400))
        page.obj.Contents = pdf.make_stream(b"0 0 0 rg 100 100 5000 5000 re f")
    target.write_bytes(_pdf(build))


def _raw_pdf(objects: list[bytes], root: int) -> bytes:
    """A PDF with a correct cross-reference table around the given object bodies (1-based)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def reference_loop_pdf(_shared: Path, target: Path) -> None:
    """A page tree whose Pages node is its own kid, and a stream whose length refers to itself."""
    target.write_bytes(_raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 4 0 R >>\nstream\nBT ET\nendstream",
    ], root=1))


def many_objects_pdf(_shared: Path, target: Path) -> None:
    """A one-page PDF holding a million objects besides its page."""
    target.write_bytes(_raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *([b"null"] * 1_000_000),
    ], root=1))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels, in a few hundred bytes of data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(width + 1) * 4))
            + chunk(b"IEND", b""))


def image_bomb(_shared: Path, target: Path) -> None:
    """A PNG that claims 60,000 × 60,000 pixels in a few hundred bytes."""
    target.write_bytes(png_claiming(60000, 60000))


def truncated_jpeg(_shared: Path, target: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(out, "JPEG")
    target.write_bytes(out.getvalue()[:300])


def truncated_docx(shared: Path, target: Path) -> None:
    data = _docx(shared)
    target.write_bytes(data[: len(data) // 2])


def not_office_zip(_shared: Path, target: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    target.write_bytes(out.getvalue())


def junk_xml_docx(shared: Path, target: Path) -> None:
    target.write_bytes(rezip(_docx(shared), {"word/document.xml": b"<w:document><<<\x00\xff"}))


def damaged_xls(_shared: Path, target: Path) -> None:
    """An OLE2 container that names a Workbook stream but holds noise."""
    noise = random.Random(7).randbytes(8192)
    target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise[:200] + "Workbook".encode("utf-16-le")
                       + noise[200:])


def garbage_ole2(_shared: Path, target: Path) -> None:
    target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(3).randbytes(4096))


def truncated_pdf(shared: Path, target: Path) -> None:
    data = (shared / "corpus" / "pdf" / "a_pdf_07.pdf").read_bytes()
    target.write_bytes(data[: len(data) // 3])


def too_big(_shared: Path, target: Path) -> None:
    target.write_bytes("项目支出绩效自评表\n".encode() * ((MAX_FILE_MB + 1) * 2**20 // 28))


def binary_junk(_shared: Path, target: Path) -> None:
    target.write_bytes(random.Random(11).randbytes(20000))


def link_outside(_shared: Path, target: Path) -> None:
    target.symlink_to("/etc/passwd")


def link_loop(_shared: Path, target: Path) -> None:
    partner = target.with_name(target.name + ".partner")
    target.symlink_to(partner.name)
    partner.symlink_to(target.name)


def broken_link(_shared: Path, target: Path) -> None:
    target.symlink_to("no-such-file.pdf")


def folder_link_outside(_shared: Path, target: Path) -> None:
    target.symlink_to("/usr/share", target_is_directory=True)


def fifo(_shared: Path, target: Path) -> None:
    os.mkfifo(target)


def unix_socket(_shared: Path, target: Path) -> None:
    # The socket file stays after the socket object is gone; jixiao must not try to open it.
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(target))
    server.close()


BAD_INPUT, UNSUPPORTED, LIMIT = "bad_input", "unsupported", "limit"


def _kind(name: str, stage: str | None, *categories: str, make: Callable[[Path, Path], None]) -> Kind:
    return Kind(name, stage, frozenset(categories), make)


KINDS: list[Kind] = [
    _kind("bomb.docx", "extract", LIMIT, make=zip_bomb),
    _kind("lying_bomb.xlsx", "extract", LIMIT, BAD_INPUT, make=lying_zip_bomb),
    _kind("laughs.docx", "extract", BAD_INPUT, make=billion_laughs_docx),
    _kind("xxe.xlsx", "extract", BAD_INPUT, make=external_entity_xlsx),
    _kind("laughs.xml", "extract", BAD_INPUT, make=entity_spreadsheetml),
    _kind("password.docx", "sniff", UNSUPPORTED, make=encrypted_docx),
    _kind("password.pdf", "extract", UNSUPPORTED, make=encrypted_pdf),
    _kind("pages.pdf", "extract", LIMIT, make=many_pages_pdf),
    _kind("huge_page.pdf", "extract", LIMIT, make=huge_page_pdf),
    _kind("loop.pdf", "extract", BAD_INPUT, LIMIT, make=reference_loop_pdf),
    _kind("objects.pdf", None, make=many_objects_pdf),
    _kind("bomb.png", "extract", LIMIT, make=image_bomb),
    _kind("cut.jpg", "extract", BAD_INPUT, make=truncated_jpeg),
    _kind("cut.docx", "sniff", BAD_INPUT, make=truncated_docx),
    _kind("archive.xlsx", "sniff", UNSUPPORTED, make=not_office_zip),
    _kind("junk_xml.docx", "extract", BAD_INPUT, make=junk_xml_docx),
    _kind("damaged.xls", "extract", BAD_INPUT, make=damaged_xls),
    _kind("garbage.doc", "sniff", UNSUPPORTED, make=garbage_ole2),
    _kind("cut.pdf", "extract", BAD_INPUT, make=truncated_pdf),
    _kind("too_big.txt", "sniff", LIMIT, make=too_big),
    _kind("junk.docx", "extract", UNSUPPORTED, make=binary_junk),
    _kind("passwd.txt", "sniff", BAD_INPUT, make=link_outside),
    _kind("loop.txt", "sniff", BAD_INPUT, make=link_loop),
    _kind("dangling.pdf", "sniff", BAD_INPUT, make=broken_link),
    _kind("usr_share", "sniff", BAD_INPUT, make=folder_link_outside),
    _kind("pipe.txt", "sniff", UNSUPPORTED, make=fifo),
    _kind("socket.txt", "sniff", UNSUPPORTED, make=unix_socket),
]
