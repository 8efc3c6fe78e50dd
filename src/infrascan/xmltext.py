"""XML read as text, line by line: detectors cite the line a value is on, which an XML tree does not
keep (Maven's pom.xml, Logback and Log4j 2 configuration)."""

from __future__ import annotations

import re

_NOT_A_LINE_BREAK = re.compile(r"[^\n]")


def uncommented(xml: str) -> str:
    """The XML with its comments blanked to spaces, line breaks kept (lines still count as in the
    file). Found with `str.find`, not a lazy pattern, which an unclosed `<!--` repeated through a
    large file would make scan to the end once per occurrence; an unclosed comment runs to the
    end, as a parser would refuse the rest."""
    pieces, at = [], 0
    while (start := xml.find("<!--", at)) != -1:
        end = xml.find("-->", start + 4)
        end = len(xml) if end == -1 else end + 3
        pieces += [xml[at:start], _NOT_A_LINE_BREAK.sub(" ", xml[start:end])]
        at = end
    return "".join([*pieces, xml[at:]])
