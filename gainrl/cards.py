"""Render the Hub cards (README.md files with YAML metadata) from the Jinja templates in `hub_cards/`.

What it does not cover: pushing cards (the callers upload them with the rest of a repo) or validating metadata
against the Hub's schema (the Hub's `validate-yaml` does that on upload).
"""

from __future__ import annotations

from importlib import resources

import jinja2


def render_card(template_name: str, **context) -> str:
    """Render `hub_cards/<template_name>` with `context`; undefined variables are errors, not blanks."""
    source = resources.files("gainrl.hub_cards").joinpath(template_name).read_text(encoding="utf-8")
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(source).render(**context)
