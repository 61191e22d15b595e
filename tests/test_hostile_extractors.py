"""Hostile files are refused cleanly: each with ExtractError, its category and a one-line reason.

Every hostile file is made here, small: zip bombs (declared, lying and many-part),
XML declaring entities (billion laughs, an external entity naming /etc/passwd),
image and page bombs, PDFs whose objects loop or that have too many pages, and
damaged legacy Office files.
"""
from __future__ import annotations

import io
import re
import struct
import time
import zipfile

import openpyxl
import pytest
from conftest import SAMPLES
from hostile import lie_about_size, png_claiming, rezip
from PIL import Image

from jixiao.extractors import ExtractError, ExtractOptions, extract, sniff_format
from jixiao.extractors.errors import BAD_INPUT, LIMIT
from jixiao.extractors.guard import MAX_MEMBERS
from jixiao.extractors.options import Limits

DOCX = (SAMPLES / "a_docx_05.docx").read_bytes()
XLSX = (SAMPLES / "a_xlsx_07.xlsx").read_bytes()
HTML = (SAMPLES / "a_html_07.html").read_bytes()
PASSWD = "/etc/passwd"
XML_DECLARATION = re.compile(rb"^<\?xml[^>]*\?>\s*")


def refused(fmt: str, data: bytes, options: ExtractOptions | None = None) -> ExtractError:
    started = time.perf_counter()
    with pytest.raises(ExtractError) as failure:
        extract(fmt, data, options or ExtractOptions())
    assert time.perf_counter() - started < 20, "a hostile file must be refused quickly"
    message = str(failure.value)
    assert message and "\n" not in message
    return failure.value


def part(archive: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        return source.read(name)


# --- zip bombs ----------------------------------------------------------------------------------

SMALL = ExtractOptions(limits=Limits(max_unpacked_mb=1))


@pytest.mark.parametrize(("fmt", "original", "what"), [("docx", DOCX, "Word document"),
                                                        ("xlsx", XLSX, "Excel workbook")])
def test_a_zip_bomb_is_refused_by_its_declared_size(fmt: str, original: bytes, what: str) -> None:
    bomb = rezip(original, {"customXml/filler.xml": b"<a>" + b" " * (2 << 20) + b"</a>"})
    assert len(bomb) < len(original) + 20_000 and sniff_format(bomb[:8192], bomb) == fmt
    error = refused(fmt, bomb, SMALL)
    assert error.category == LIMIT
    assert str(error) == f"zip bomb: {what} unpacks to more than 1 MB"


def test_a_zip_bomb_lying_about_its_size_is_refused_by_what_it_really_unpacks_to() -> None:
    bomb = lie_about_size(rezip(DOCX, {"customXml/filler.xml": b"<a>" + b" " * (3 << 20) + b"</a>"}),
                           "customXml/filler.xml", 100)
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert sum(i.file_size for i in archive.infolist()) < 1 << 20  # the declared sizes pass
    error = refused("docx", bomb, SMALL)
    assert error.category == LIMIT and str(error) == "zip bomb: Word document unpacks to more than 1 MB"


def test_a_zip_part_declaring_an_absurd_compression_ratio_is_refused() -> None:
    bomb = lie_about_size(rezip(XLSX, {"customXml/filler.xml": b"<a/>"}), "customXml/filler.xml", 500 << 20)
    error = refused("xlsx", bomb)
    assert error.category == LIMIT
    assert "zip bomb" in str(error) and "customXml/filler.xml" in str(error) and "ratio" in str(error)


def test_a_zip_of_too_many_parts_is_refused_before_it_is_listed() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", part(DOCX, "[Content_Types].xml"))
        archive.writestr("word/document.xml", part(DOCX, "word/document.xml"))
        for n in range(MAX_MEMBERS):
            archive.writestr(f"p/{n}", b"")
    bomb = out.getvalue()
    assert sniff_format(bomb[:8192], bomb) == "docx"
    error = refused("docx", bomb)
    assert error.category == LIMIT
    assert str(error) == f"zip bomb: Word document holds {MAX_MEMBERS + 2} parts, more than {MAX_MEMBERS}"


def test_a_damaged_office_archive_is_bad_input() -> None:
    data = bytearray(DOCX)
    at = data.find(b"word/document.xml") + len("word/document.xml") + 40
    data[at:at + 200] = bytes(200)
    error = refused("docx", bytes(data))
    assert error.category == BAD_INPUT and "Word document" in str(error)


def test_a_word_document_without_a_body_is_bad_input() -> None:
    """Its main part parses but holds no w:body (renamed, or cut away): python-docx then gives none."""
    document = part(DOCX, "word/document.xml")
    hostile = rezip(DOCX, {"word/document.xml": document.replace(b"<w:body>", b"<w:bodx>").replace(b"</w:body>",
                                                                                                  b"</w:bodx>")})
    error = refused("docx", hostile)
    assert error.category == BAD_INPUT
    assert str(error) == "unreadable Word document: its main part has no body (w:body)"


# --- XML entities -------------------------------------------------------------------------------

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
          + "]>")
LAUGH = "&lol9;"
EXTERNAL = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{PASSWD}">]>'
XXE = "&xxe;"


def _declare(xml: bytes, doctype: str, reference: str, before: bytes) -> bytes:
    """`xml` with a DOCTYPE after its declaration and `reference` put in the first `before` text."""
    declaration = XML_DECLARATION.match(xml)
    head = declaration.group(0) if declaration else b""
    body = xml[len(head):]
    at = body.index(before) + len(before)
    return head + doctype.encode() + body[:at] + reference.encode() + body[at:]


ENTITY_CASES = [pytest.param(LAUGHS, LAUGH, id="billion-laughs"), pytest.param(EXTERNAL, XXE, id="external")]


@pytest.mark.parametrize(("doctype", "reference"), ENTITY_CASES)
def test_a_word_document_declaring_entities_is_refused(doctype: str, reference: str) -> None:
    document = part(DOCX, "word/document.xml")
    hostile = rezip(DOCX, {"word/document.xml": _declare(document, doctype, reference, b"<w:t>")})
    error = refused("docx", hostile)
    assert error.category == BAD_INPUT
    assert str(error) == "XML declares entities (in word/document.xml of the Word document), which are never expanded"


@pytest.mark.parametrize(("doctype", "reference"), ENTITY_CASES)
def test_an_excel_workbook_declaring_entities_is_refused(doctype: str, reference: str) -> None:
    sheet = part(XLSX, "xl/worksheets/sheet1.xml")
    hostile = rezip(XLSX, {"xl/worksheets/sheet1.xml": _declare(sheet, doctype, reference, b"<t>")})
    error = refused("xlsx", hostile)
    assert error.category == BAD_INPUT
    assert str(error) == ("XML declares entities (in xl/worksheets/sheet1.xml of the Excel workbook), "
                          "which are never expanded")


@pytest.mark.parametrize(("doctype", "reference"), ENTITY_CASES)
def test_openpyxl_reads_sheets_through_defusedxml(doctype: str, reference: str) -> None:
    """The second line behind the archive check: openpyxl itself refuses entities in a sheet."""
    from defusedxml import DefusedXmlException

    assert openpyxl.DEFUSEDXML is True
    sheet = part(XLSX, "xl/worksheets/sheet1.xml")
    hostile = rezip(XLSX, {"xl/worksheets/sheet1.xml": _declare(sheet, doctype, reference, b"<t>")})
    with pytest.raises(ValueError) as failure:
        openpyxl.load_workbook(io.BytesIO(hostile))
    assert isinstance(failure.value, DefusedXmlException) or isinstance(failure.value.__cause__, DefusedXmlException)


SPREADSHEETML = ('<?xml version="1.0"?>\n{doctype}<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                 'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="a"><Table><Row><Cell>'
                 '<Data ss:Type="String">项目名称{reference}</Data></Cell></Row></Table></Worksheet></Workbook>')


def test_a_spreadsheetml_workbook_reads_without_entities() -> None:
    grid = extract("spreadsheetml", SPREADSHEETML.format(doctype="", reference="").encode())
    assert [c.text for t in grid.tables for c in t.cells] == ["项目名称"]


@pytest.mark.parametrize(("doctype", "reference"), ENTITY_CASES)
def test_a_spreadsheetml_workbook_declaring_entities_is_refused(doctype: str, reference: str) -> None:
    hostile = SPREADSHEETML.format(doctype=doctype, reference=reference).encode()
    assert sniff_format(hostile[:8192], hostile) == "spreadsheetml"
    error = refused("spreadsheetml", hostile)
    assert error.category == BAD_INPUT
    assert str(error) == "XML declares entities (in the Excel 2003 XML workbook), which are never expanded"


def test_entities_declared_past_the_prolog_checked_are_still_refused() -> None:
    """A DOCTYPE whose internal subset is longer than the part looked at before parsing."""
    doctype = '<!DOCTYPE x [<!-- ' + "x" * 70_000 + ' -->' + EXTERNAL[len("<!DOCTYPE x ["):]
    error = refused("spreadsheetml", SPREADSHEETML.format(doctype=doctype, reference=XXE).encode())
    assert error.category == BAD_INPUT and str(error).startswith("XML declares entities")


@pytest.mark.parametrize(("doctype", "reference"), ENTITY_CASES)
def test_a_web_page_declaring_entities_is_refused(doctype: str, reference: str) -> None:
    page = HTML.replace(b"<table", reference.encode() + b"<table", 1)
    hostile = doctype.encode() + page
    error = refused("html", hostile)
    assert error.category == BAD_INPUT and str(error) == "XML declares entities (in an HTML page), which are never expanded"


@pytest.mark.parametrize(("doctype", "reference"), ENTITY_CASES)
def test_a_web_archive_declaring_entities_is_refused(doctype: str, reference: str) -> None:
    import email.mime.multipart
    import email.mime.text

    archive = email.mime.multipart.MIMEMultipart("related")
    archive.attach(email.mime.text.MIMEText(f"{doctype}<html><body><p>{reference}</p></body></html>", "html", "utf-8"))
    hostile = archive.as_bytes()
    assert sniff_format(hostile[:8192], hostile) == "mht"
    error = refused("mht", hostile)
    assert error.category == BAD_INPUT and "XML declares entities" in str(error)


def test_the_html_parser_itself_neither_expands_nor_fetches() -> None:
    """Behind the refusal: lxml's HTML parser leaves declared entities as text."""
    import lxml.html

    for doctype, reference in ((LAUGHS, LAUGH), (EXTERNAL, XXE)):
        root = lxml.html.document_fromstring(f"{doctype}<html><body><p>{reference}</p></body></html>")
        text = root.text_content()
        assert "lollol" not in text and "root:" not in text


# --- image and page bombs ----------------------------------------------------------------------


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 255).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


@pytest.mark.parametrize("image", [pytest.param(png_claiming(60_000, 60_000), id="png"),
                                   pytest.param(_jpeg(60_000, 60_000), id="jpeg")])
def test_an_image_bomb_is_refused_before_decoding(image: bytes) -> None:
    assert len(image) < 2000 and sniff_format(image[:8192], image) == "image"
    error = refused("image", image)
    assert error.category == LIMIT
    assert str(error).startswith("image bomb") and "60000" in str(error)


def test_a_tiff_frame_over_the_pixel_limit_is_refused() -> None:
    buffer = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buffer, "TIFF")
    error = refused("image", buffer.getvalue(), ExtractOptions(limits=Limits(max_pixels=1000)))
    assert error.category == LIMIT
    assert str(error) == "image bomb: frame 1 is 40 x 30 pixels, more than the limit of 1,000"


# --- PDFs ---------------------------------------------------------------------------------------

TEXT = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _pdf(objects: dict[int, bytes]) -> bytes:
    """A PDF of these objects, catalog 1, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def _stream(body: bytes, length: bytes | None = None) -> bytes:
    return b"<< /Length %s >>\nstream\n%s\nendstream" % (length or b"%d" % len(body), body)


def _page(box: bytes = b"[0 0 612 792]") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>" % box


def _document(**changes: bytes) -> dict[int, bytes]:
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               3: _page(), 4: _stream(TEXT), 5: FONT}
    objects.update({int(key[1:]): value for key, value in changes.items()})
    return objects


def test_the_pdf_maker_makes_a_readable_pdf() -> None:
    grid = extract("pdf", _pdf(_document()))
    assert [c.text for t in grid.tables for c in t.cells] == ["Hello"]


def test_a_pdf_over_the_page_limit_is_refused() -> None:
    kids = b" ".join(b"%d 0 R" % (10 + n) for n in range(4))
    objects = _document(o2=b"<< /Type /Pages /Kids [%s] /Count 4 >>" % kids)
    objects.update({10 + n: _page() for n in range(4)})
    error = refused("pdf", _pdf(objects), ExtractOptions(limits=Limits(max_pages=3)))
    assert error.category == LIMIT and str(error) == "PDF has 4 pages, more than the limit of 3"


def test_a_pdf_page_too_large_to_render_is_refused_before_rendering() -> None:
    # No text on the page: it goes to OCR, which would render it at 200 dpi.
    hostile = _pdf(_document(o3=_page(b"[0 0 100000 100000]"), o4=_stream(b"0 0 m 100 100 l S")))
    error = refused("pdf", hostile, ExtractOptions(ocr_engine="fast"))
    assert error.category == LIMIT
    assert str(error).startswith("PDF page 1 is too large to render: 100000 x 100000 points make")


@pytest.mark.parametrize("changes", [
    pytest.param({"o2": b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>"}, id="pages-kids-itself"),
    pytest.param({"o4": _stream(TEXT, b"4 0 R")}, id="length-refers-to-its-stream"),
    pytest.param({"o4": _stream(TEXT, b"6 0 R"), "o6": b"7 0 R", "o7": b"6 0 R"}, id="length-reference-loop"),
])
def test_a_pdf_whose_objects_loop_is_damaged(changes: dict[str, bytes]) -> None:
    error = refused("pdf", _pdf(_document(**changes)))
    assert error.category == BAD_INPUT and str(error).startswith("damaged PDF")


@pytest.mark.parametrize("changes", [
    pytest.param({"o3": _page().replace(b"/Parent 2 0 R", b"/Parent 3 0 R")}, id="page-is-its-own-parent"),
    pytest.param({"o3": _page().replace(b"<< /Font << /F1 5 0 R >> >>", b"6 0 R"),
                  "o6": b"<< /Font << /F1 5 0 R >> /XObject 6 0 R >>"}, id="resources-contain-themselves"),
    pytest.param({"o6": b"[" * 50_000 + b"]" * 50_000}, id="deeply-nested-array"),
    pytest.param({"o3": _page().replace(b"/Resources << /Font << /F1 5 0 R >> >>",
                                        b"/Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >>"),
                  "o4": _stream(b"/X Do " + TEXT),
                  "o6": b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X 6 0 R >> >>"
                        b" /Length 5 >>\nstream\n/X Do\nendstream"}, id="form-draws-itself"),
])
def test_a_pdf_with_loops_a_reader_can_step_around_is_read(changes: dict[str, bytes]) -> None:
    started = time.perf_counter()
    grid = extract("pdf", _pdf(_document(**changes)))
    assert time.perf_counter() - started < 20
    assert [c.text for t in grid.tables for c in t.cells] == ["Hello"]


def test_a_pdf_of_many_objects_is_read_in_bounded_time() -> None:
    objects = _document()
    objects.update({10 + n: b"%d" % n for n in range(200_000)})
    started = time.perf_counter()
    grid = extract("pdf", _pdf(objects))
    assert time.perf_counter() - started < 20
    assert [c.text for t in grid.tables for c in t.cells] == ["Hello"]


# --- legacy formats ----------------------------------------------------------------------------

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize("data", [
    pytest.param(OLE2_MAGIC + bytes(504) + "Workbook".encode("utf-16-le"), id="header-only"),
    pytest.param(OLE2_MAGIC + b"\xff" * 2000 + "Workbook".encode("utf-16-le"), id="garbage-sectors"),
])
def test_a_truncated_or_garbage_xls_is_bad_input(data: bytes) -> None:
    assert sniff_format(data[:8192], data) == "xls"
    error = refused("xls", data)
    assert error.category == BAD_INPUT and str(error).startswith("unreadable Excel 97-2003 workbook")


def test_a_garbage_doc_is_bad_input(soffice: str) -> None:
    data = OLE2_MAGIC + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(3000)
    assert sniff_format(data[:8192], data) == "doc"
    error = refused("doc", data)
    assert error.category == BAD_INPUT and "LibreOffice could not convert" in str(error)


def test_a_workbook_merging_a_whole_sheet_is_refused_before_openpyxl_makes_its_cells() -> None:
    sheet = part(XLSX, "xl/worksheets/sheet1.xml")
    hostile = sheet.replace(b"</mergeCells>", b'<mergeCell ref="A100:XFD1048576"/></mergeCells>')
    error = refused("xlsx", rezip(XLSX, {"xl/worksheets/sheet1.xml": hostile}))
    assert error.category == LIMIT
    assert str(error).startswith("Excel workbook's merged ranges cover 17,178,2")
    assert str(error).endswith("cells, more than the limit of 4,000,000")


# --- markup declaring enormous tables ----------------------------------------------------------


def test_a_web_page_whose_spans_cover_millions_of_positions_is_refused() -> None:
    rows = '<tr><td rowspan="5000" colspan="1000">x</td></tr>' * 2000
    error = refused("html", f"<html><body><table>{rows}</table></body></html>".encode())
    assert error.category == LIMIT
    assert str(error) == "table too large: its cells' spans cover more than 1000000 positions"


def test_a_word_table_with_absurd_or_damaged_spans_is_read() -> None:
    document = part(DOCX, "word/document.xml")
    at = document.index(b"<w:tc>") + len(b"<w:tc>")
    hostile = (document[:at] + b'<w:tcPr><w:gridSpan w:val="4000000000"/></w:tcPr>' + document[at:]).replace(
        b"<w:t>", b'<w:sym w:font="Symbol" w:char="zz"/><w:t>', 1)
    started = time.perf_counter()
    grid = extract("docx", rezip(DOCX, {"word/document.xml": hostile}))
    assert time.perf_counter() - started < 20
    assert max(c.col + c.colspan for t in grid.tables for c in t.cells) < 1100  # clamped at 1000 columns
    assert "项目名称" in {c.text for t in grid.tables for c in t.cells}


def test_a_spreadsheetml_workbook_hiding_a_trillion_columns_is_read() -> None:
    data = SPREADSHEETML.format(doctype="", reference="").replace(
        "<Table>", '<Table><Column ss:Hidden="1" ss:Index="3" ss:Span="1000000000000"/>').encode()
    started = time.perf_counter()
    grid = extract("spreadsheetml", data)
    assert time.perf_counter() - started < 5
    assert [c.text for t in grid.tables for c in t.cells] == ["项目名称"]
