"""infrascan's hidden state inside the document it writes.

The state (the commit scanned, and what infrascan wrote) lives in one HTML comment at the end
of the document, so the document alone carries everything `generate` and `drift` need: nothing
else has to be committed. The JSON inside is made HTML-comment-safe (`<`, `>` escaped), so no
value can close the comment early.
"""

from __future__ import annotations

import json
from typing import Any

from infrascan import __version__
from infrascan.merge import Model

STATE_OPEN = "<!-- infrascan:state"
STATE_CLOSE = "-->"


def is_infrascan_document(text: str) -> bool:
    return STATE_OPEN in text


def _safe_json(data: Any) -> str:
    raw = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def state_block(model: Model) -> str:
    data = {"version": 1, "infrascan": __version__, "commit": model.repository.commit}
    return f"{STATE_OPEN}\n{_safe_json(data)}\n{STATE_CLOSE}\n"


def with_state(text: str, model: Model) -> str:
    return text.rstrip("\n") + "\n\n" + state_block(model)
