"""Mutated real files never crash an extractor: each returns a Grid or raises ExtractError,
and the normaliser reads whatever Grid comes back.

Seeds are real documents (samples/, the shared corpus) and files made from them;
mutations flip bytes, cut the file short, insert bytes or tokens, and duplicate or
drop chunks. Zip containers (.docx, .xlsx) also have the XML inside mutated and are
zipped again, so python-docx, openpyxl and lxml see damaged XML rather than a zip
that fails its checksum. Runs are derandomized (the same cases every run) and
bounded; the number of cases per extractor is printed at the end of the module.

Left out: .doc and RTF, whose reading is LibreOffice's conversion (seconds a file)
followed by the .docx extractor fuzzed here; garbage .doc files are in
test_hostile_extractors. Images and the pages PDFs send to OCR are fuzzed up to the
OCR engine (decoding, pixel limits, rendering), not through it: an engine run takes
seconds a page.
"""
from __future__ import annotations

import copy
import email.mime.multipart
import email.mime.text
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pikepdf
import pytest
from conftest import SAMPLES, lo_convert
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image, ImageDraw
from test_hostile_extractors import TEXT, _document, _pdf
from test_xlsx import spreadsheetml

from jixiao.extractors import ExtractError, ExtractOptions, extract
from jixiao.extractors.ocr import render
from jixiao.extractors.pdf import extract_pdf
from jixiao.grid import Grid, Table
from jixiao.normalizers import normalize

# 2,600 cases: `make test-all` and CI run them, `make test` leaves them out.
pytestmark = pytest.mark.slow

OPTIONS = ExtractOptions(ocr_engine="fast")
# Cases run per extractor, and how many of them it refused with ExtractError.
CASES: Counter[str] = Counter()
REFUSED: Counter[str] = Counter()
# Values that parsers treat specially, put in place of attribute values and between tags.
TOKENS = [b'"-1"', b'"0"', b'"99999999999999999999"', b'"4294967296"', b'"abc"', b'""', b'"\xef\xbc\x91"',
          b"&amp;", b"&#0;", b"&#x110000;", b"&bogus;", b"\x00", b"\xff\xfe", b"<![CDATA[x]]>", b"<!-- -->",
          b"<w:tbl>", b"</w:tr>", b"<w:tc>", b'<w:gridSpan w:val="500"/>', b"<w:vMerge/>", b'<w:vMerge w:val="restart"/>',
          b'<w:sym w:char="F0B3"/>', b"<w:br/>", b'<mergeCell ref="A1:C3000"/>', b'<c r="ZZZ9"><v>1e308</v></c>',
          b'<c r="A1" t="s"><v>9999</v></c>', b'<c t="d"><v>x</v></c>', b'<td rowspan="70000" colspan="9999">',
          b"<table><tr><td>", b"</table>", b"1e400", b"NaN", b"-0", b"%PDF-", b"endobj", b"stream\n", b"0 0 R",
          b"/Length 99999999", b"[[[[[[[[", b"<<<<", b"\t", b"\r\n\r\n", b'"', b",", b"=?utf-8?b?",
          b"Content-Transfer-Encoding: base64\r\n"]
ATTRIBUTE_VALUE = re.compile(rb'="[^"]{0,40}"')


@pytest.fixture(scope="module", autouse=True)
def report_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    line = "fuzz cases: " + ", ".join(f"{name} {count} ({REFUSED[name]} refused)" for name, count in sorted(CASES.items()))
    line += f"; {sum(CASES.values())} in all"
    # Shown past pytest's output capture: the count is wanted for the run's record.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


# --- mutations ---------------------------------------------------------------------------------


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` changed by one to four mutations."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "token", "duplicate", "drop", "value"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del out[at:]
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "token":
            out[at:at] = draw(st.sampled_from(TOKENS))
        elif kind == "duplicate":
            size = draw(st.integers(1, 4096))
            out[at:at] = out[at:at + size] * draw(st.integers(1, 3))
        elif kind == "drop":
            del out[at:at + draw(st.integers(1, 4096))]
        elif kind == "value":
            values = list(ATTRIBUTE_VALUE.finditer(out))
            if values:
                m = values[draw(st.integers(0, len(values) - 1))]
                out[m.start() + 1:m.end()] = draw(st.sampled_from([t for t in TOKENS if t.startswith(b'"')]))
    return bytes(out)


VALUES = ["-1", "0", "1", "2", "3", "500", "99999999999999999999", "abc", "", "restart", "continue", "true",
          "F0B3", "A1:C3000", "1e308", "NaN", "General", "0.00%", "yyyy-mm-dd", "@", "hidden", "\u0661"]


@st.composite
def mutated_tree(draw: st.DrawFn, xml: bytes) -> bytes:
    """Well-formed XML changed where its readers look: attribute values, elements removed,
    duplicated, renamed or moved, text replaced. Reaches the code past the XML parser,
    which byte mutations mostly stop at."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return xml
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    tags = sorted({el.tag for el in elements})
    for _ in range(draw(st.integers(1, 6))):
        el = elements[draw(st.integers(0, len(elements) - 1))]
        kind = draw(st.sampled_from(["attribute", "remove", "duplicate", "rename", "text", "move"]))
        parent = el.getparent()
        if kind == "attribute" and el.attrib:
            el.set(draw(st.sampled_from(sorted(el.attrib))), draw(st.sampled_from(VALUES)))
        elif kind == "remove" and parent is not None:
            parent.remove(el)
        elif kind == "duplicate" and parent is not None:
            for _ in range(draw(st.integers(1, 3))):
                el.addnext(copy.deepcopy(el))
        elif kind == "rename":
            el.tag = draw(st.sampled_from(tags))
        elif kind == "text":
            el.text = draw(st.sampled_from(VALUES))
        elif kind == "move" and parent is not None:
            target = elements[draw(st.integers(0, len(elements) - 1))]
            if el not in target.iterancestors() and target is not el:
                target.append(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _parts(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        return {info.filename: source.read(info) for info in source.infolist()}


def _zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


@st.composite
def mutated_zip(draw: st.DrawFn, archive: bytes) -> bytes:
    """Mostly the XML inside mutated and zipped again; sometimes the archive's own bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(mutated_bytes(archive))
    parts = _parts(archive)
    xml = sorted(name for name in parts if name.endswith((".xml", ".rels")))
    for name in draw(st.lists(st.sampled_from(xml), min_size=1, max_size=2, unique=True)):
        mutation = mutated_tree if draw(st.booleans()) else mutated_bytes
        parts[name] = draw(mutation(parts[name]))
    if draw(st.integers(0, 9)) == 0:
        del parts[draw(st.sampled_from(sorted(parts)))]
    return _zipped(parts)


def check(fmt: str, data: bytes, extractor: Callable[[bytes], Grid] | None = None) -> None:
    """A Grid or an ExtractError, nothing else; and the normaliser takes the Grid."""
    CASES[fmt] += 1
    try:
        grid = extractor(data) if extractor is not None else extract(fmt, data, OPTIONS)
    except ExtractError as error:
        REFUSED[fmt] += 1
        assert str(error) and "\n" not in str(error) and error.category
        return
    assert isinstance(grid, Grid)
    normalize(grid)


FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- seeds -------------------------------------------------------------------------------------


def _seed_files(folder: Path, pattern: str, count: int) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob(pattern))[:count]]


def _mht(page: bytes) -> bytes:
    archive = email.mime.multipart.MIMEMultipart("related")
    archive.attach(email.mime.text.MIMEText(page.decode("utf-8"), "html", "utf-8"))
    return archive.as_bytes()


TXT = [data[:6000] for data in _seed_files(SAMPLES, "*.txt", 3)]
HTML = _seed_files(SAMPLES, "*.html", 1)
DOCX = _seed_files(SAMPLES, "*.docx", 1)
XLSX = _seed_files(SAMPLES, "*.xlsx", 1)


@given(data=st.sampled_from(TXT).flatmap(mutated_bytes))
@settings(FUZZ, max_examples=300)
def test_fuzz_txt(data: bytes) -> None:
    check("txt", data)


@given(data=st.sampled_from(HTML).flatmap(mutated_bytes))
@settings(FUZZ, max_examples=300)
def test_fuzz_html(data: bytes) -> None:
    check("html", data)


@given(data=st.sampled_from([_mht(page) for page in HTML]).flatmap(mutated_bytes))
@settings(FUZZ, max_examples=200)
def test_fuzz_mht(data: bytes) -> None:
    check("mht", data)


@given(data=st.sampled_from(DOCX).flatmap(mutated_zip))
@settings(FUZZ, max_examples=400)
def test_fuzz_docx(data: bytes) -> None:
    check("docx", data)


@given(data=st.sampled_from(XLSX).flatmap(mutated_zip))
@settings(FUZZ, max_examples=400)
def test_fuzz_xlsx(data: bytes) -> None:
    check("xlsx", data)


@given(data=st.sampled_from([spreadsheetml(openpyxl.load_workbook(io.BytesIO(x))) for x in XLSX])
       .flatmap(lambda seed: st.one_of(mutated_bytes(seed), mutated_tree(seed))))
@settings(FUZZ, max_examples=300)
def test_fuzz_spreadsheetml(data: bytes) -> None:
    check("spreadsheetml", data)


@pytest.fixture(scope="module")
def xls_seed(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    work = tmp_path_factory.mktemp("fuzz_xls")
    source = work / "seed.xlsx"
    source.write_bytes(XLSX[0])
    return lo_convert(soffice, source, "xls", work).read_bytes()


def test_fuzz_xls(xls_seed: bytes) -> None:
    @given(data=mutated_bytes(xls_seed))
    @settings(FUZZ, max_examples=400)
    def run(data: bytes) -> None:
        check("xls", data)

    run()


def _uncompressed(pdf: bytes) -> bytes:
    """The same PDF with plain streams and no object streams, so mutations reach its operators."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def _render_only(data: bytes, pages: list[int]) -> list[Table]:
    """The OCR route up to the engine: the pages are rendered (with their pixel limits)."""
    for _ in render.pdf_pages(data, pages, limits=OPTIONS.limits):
        pass
    return []


@pytest.fixture(scope="module")
def pdf_seeds(corpus: Path) -> list[bytes]:
    smallest = min((corpus / "pdf").glob("*.pdf"), key=lambda p: p.stat().st_size).read_bytes()
    return [smallest, _uncompressed(smallest), _pdf(_document(o4=b"<< /Length %d >>\nstream\n%s\nendstream"
                                                              % (len(TEXT), TEXT)))]


def test_fuzz_pdf(pdf_seeds: list[bytes]) -> None:
    @given(data=st.sampled_from(pdf_seeds).flatmap(mutated_bytes))
    @settings(FUZZ, max_examples=200)
    def run(data: bytes) -> None:
        check("pdf", data, lambda d: extract_pdf(d, _render_only, OPTIONS.limits))

    run()


def _images() -> list[bytes]:
    picture = Image.new("RGB", (160, 60), "white")
    ImageDraw.Draw(picture).text((10, 20), "2023 project", fill="black")
    seeds = []
    for kind in ("PNG", "JPEG", "TIFF", "GIF", "BMP"):
        buffer = io.BytesIO()
        picture.save(buffer, kind)
        seeds.append(buffer.getvalue())
    return seeds


def _decode_only(data: bytes) -> Grid:
    """The image route up to the engine: every frame decoded, checked and turned upright."""
    for _ in render.image_pages(data, OPTIONS.limits):
        pass
    return Grid("image", "ocr")


@given(data=st.sampled_from(_images()).flatmap(mutated_bytes))
@settings(FUZZ, max_examples=100)
def test_fuzz_image_up_to_ocr(data: bytes) -> None:
    check("image", data, _decode_only)
