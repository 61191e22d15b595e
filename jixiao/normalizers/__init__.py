"""Grid -> forms. Every rule about the 项目支出绩效自评表 lives in this package, and none about file formats."""
from __future__ import annotations

from dataclasses import dataclass, field

from jixiao.grid import Grid
from jixiao.normalizers.forms import attach_stray_totals, find_forms, finish, parse_form, record_cells
from jixiao.normalizers.keys import form_key
from jixiao.normalizers.rows import RCell, row_stream
from jixiao.records import Form


@dataclass(slots=True)
class Normalized:
    forms: list[Form] = field(default_factory=list)
    unmapped_headers: list[str] = field(default_factory=list)


def normalize(grid: Grid) -> Normalized:
    rows = row_stream(grid)
    parsed = [item for item in map(parse_form, find_forms(rows)) if item.is_form]
    for index, item in enumerate(parsed):
        item.form.project.table_index = index
    attach_stray_totals(parsed)
    result = Normalized()
    # A year line printed once, above several forms, holds for all of them, and a table
    # printed without a title of its own continues the form before; a form that prints
    # its own title but no year has none.
    own_years = [item.form.project.year for item in parsed if item.form.project.year is not None]
    shared_year = own_years[0] if len(own_years) == 1 and parsed[0].form.project.year is not None else None
    shared_cells = parsed[0].sources.get("year", []) if shared_year is not None else []
    previous_year: int | None = None
    previous_cells: list[RCell] = []
    for item in parsed:
        form = finish(item)
        form.project.extractor = grid.extractor
        if form.project.year is None:
            form.project.year = shared_year if item.titled else previous_year
            # Where the year it takes over was printed.
            item.sources["year"] = shared_cells if item.titled else previous_cells
        if form.project.year is None and item.unsure_preamble and "unreadable_cell" not in form.project.issues:
            form.project.issues.append("unreadable_cell")  # the year may be in the line that could not be read
        previous_year, previous_cells = form.project.year, item.sources.get("year", [])
        form.project.form_key = form_key(form.project)
        record_cells(item)
        result.forms.append(form)
        result.unmapped_headers.extend(item.unmapped_headers)
    return result
