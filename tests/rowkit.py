"""Build normaliser rows from printed cell texts, as an export would lay them out."""
from __future__ import annotations

from jixiao.grid import Cell
from jixiao.normalizers.cleaning import clean_text
from jixiao.normalizers.rows import RCell, Row


def row(*texts: str) -> Row:
    return Row(index=0, cells=tuple(RCell(col=i, span=1, text=clean_text(t), source=Cell(t, 0, i))
                                    for i, t in enumerate(texts)))


def tsv(line: str) -> Row:
    return row(*line.split("\t"))
