"""pdfminer follows an object that is only a reference to another (`6 0 obj 7 0 R endobj`)
until it reaches a value, without noticing a loop: `6 0 R` → `7 0 R` → `6 0 R` spins
for ever. `guard_reference_loops` makes such a loop an error that fails the file as damaged
(not a syntax error, which pdfminer would take as a missing object and go on). pdfium, the other reader, detects loops itself.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfexceptions import PDFException
from pdfminer.pdftypes import PDFObjRef

_GUARDED = "_jixiao_loop_guard"


class PDFReferenceLoop(PDFException):
    """An object whose chain of references leads back to itself."""


def guard_reference_loops() -> None:
    """Wrap `PDFDocument.getobj` (once per process) to refuse an object whose chain of
    bare references comes back to an object already on it."""
    original: Callable[[PDFDocument, int], object] = PDFDocument.getobj
    if getattr(original, _GUARDED, False):
        return

    @wraps(original)
    def getobj(self: PDFDocument, objid: int) -> object:
        obj = original(self, objid)
        seen = {objid}
        target = obj
        while isinstance(target, PDFObjRef):  # rare: most objects are values, not references
            if target.objid in seen:
                raise PDFReferenceLoop(f"object {objid} refers to itself through a loop of references")
            seen.add(target.objid)
            target = original(self, target.objid)
        return obj

    setattr(getobj, _GUARDED, True)
    PDFDocument.getobj = getobj  # type: ignore[method-assign]
