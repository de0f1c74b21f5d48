"""Making known-bad PDFs from good ones, for the tests that show a check failing."""

from __future__ import annotations

import io
from typing import Callable

import pikepdf


def edit(good: bytes, change: Callable[[pikepdf.Pdf], None]) -> bytes:
    """The bytes of `good` after `change` (which edits the open file in place)."""
    with pikepdf.open(io.BytesIO(good)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()
