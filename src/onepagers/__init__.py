"""onepagers: turn the text of a series of two-page A4 theme sheets into print-ready PDFs.

Data flows one way: YAML (`source`) -> validated model (`model`, `library`)
-> resolved variant (`variants`) -> HTML (`html`) -> PDF (`pdf`) -> checks
(`fit`, `pdftext`). The CLI (`cli`) is a thin layer over `build`.
"""

__version__ = "0.1.0"
