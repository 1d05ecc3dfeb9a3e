"""Dataset files whose loader module is not written yet (chapters 8–15).

Every file of ``../shared/data`` is declared somewhere, with its canonical URL and SHA-1, so that
``tests/test_data_store.py`` can check the whole mirror. A file lives here only until its chapter
adds ``dlnotes/data/<dataset>.py``; that module then declares the file itself and the line here
goes. No page imports this module, so editing it re-runs nothing.
"""

from __future__ import annotations

from .store import DataFile

__all__ = ["PENDING"]

_D2L = "http://d2l-data.s3-accelerate.amazonaws.com/"
_D2L_ZH = "https://raw.githubusercontent.com/d2l-ai/d2l-zh/592fbef84a684e752393edbf267c07dbc53e082b/data/"

PENDING: tuple[DataFile, ...] = (
    DataFile("fr-en-small.txt", _D2L_ZH + "fr-en-small.txt",
             "4192ace3405b0b6a2f9761eb6c19494b1f8a9761"),
)
