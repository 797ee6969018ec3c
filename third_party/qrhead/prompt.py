"""QRHead's upstream scoring prompt and its char -> token span mapping.

Ports of ``AttnBasedRetriever.get_prompt`` (llama-3.1-8b-instruct branch), ``compose_scoring_prompt`` and
``get_content_span`` (QRHead ``src/qrretriever/attn_retriever.py``) and of the in-place paragraph strip of
``detect_qrhead_lme.py::get_doc_scores_per_head``, mirrored as
PROVENANCE.md lists. This is the ``qrhead_layout: upstream`` option; the study's own layout puts the
context first and the question last (see PROVENANCE.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

USER_HEADER = "<|start_header_id|>user<|end_header_id|>"
INTRO = " Here are some paragraphs:"
SEPARATOR = " \n\n"
INSTRUCTION = "Please find information that are relevant to the following query in the paragraphs above."
QUERY_LABEL = "Query:"
ASSISTANT_TAIL = "<|eot_id|><|start_header_id|>assistant<|end_header_id|>"


class UncoveredCharError(KeyError):
    """A span boundary falls on a character that no token's offsets cover (upstream raises KeyError)."""


def _doc_text(doc: Mapping[str, str], index: int) -> str:
    for key in ("text", "paragraph_text"):
        if key in doc:
            return doc[key]
    raise ValueError(f"document {index} has neither 'text' nor 'paragraph_text': keys {sorted(doc)}")


def doc_content(doc: Mapping[str, str], index: int) -> str:
    """The prompt text of document ``index`` (0-based): ``'[i+1] '`` + ``title + '\\n'`` (if any) + text."""
    title = doc.get("title")
    return f"[{index + 1}] " + (title + "\n" if title else "") + _doc_text(doc, index)


def query_content(query: str) -> str:
    """The prompt tail upstream uses as the query span: instruction, query and the assistant header."""
    return INSTRUCTION + SEPARATOR + QUERY_LABEL + f" {query}" + ASSISTANT_TAIL


def strip_docs(docs: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Copies of ``docs`` with their text stripped (upstream strips ``paragraph_text`` in place)."""
    out = []
    for i, doc in enumerate(docs):
        new = dict(doc)
        key = "text" if "text" in doc else "paragraph_text"
        new[key] = _doc_text(doc, i).strip()
        out.append(new)
    return out


def _span_of(prompt: str, content: str) -> tuple[int, int]:
    start = prompt.index(content)  # first occurrence, as upstream
    return start, start + len(content)


def compose_upstream_prompt(
    docs: Sequence[Mapping[str, str]], query: str
) -> tuple[str, list[tuple[int, int]], tuple[int, int]]:
    """Upstream's llama-3.1 scoring prompt for ``docs`` (dicts with ``text``/``paragraph_text``, ``title``?).

    Returns ``(prompt, doc_char_spans, query_char_span)``; spans are half-open character spans located with
    ``prompt.index`` (first occurrence). A doc span covers ``'[i] '``, the title and the text; the query span
    is the whole tail from the instruction to the end of the assistant header. Texts are used as given:
    apply :func:`strip_docs` first to reproduce upstream's strip.
    """
    contents = [doc_content(doc, i) for i, doc in enumerate(docs)]
    tail = query_content(query)
    prompt = USER_HEADER + INTRO
    for content in contents:
        prompt += SEPARATOR + content
    prompt += SEPARATOR + tail
    return prompt, [_span_of(prompt, c) for c in contents], _span_of(prompt, tail)


def char_to_token(offset_mapping: Sequence[Sequence[int]]) -> dict[int, int]:
    """Map every character covered by a token's ``(start, end)`` offsets to that token (later tokens win)."""
    mapping: dict[int, int] = {}
    for token, (start, end) in enumerate(offset_mapping):
        for char in range(int(start), int(end)):
            mapping[char] = token
    return mapping


def token_spans_inclusive_many(
    offset_mapping: Sequence[Sequence[int]], char_spans: Sequence[Sequence[int]]
) -> list[tuple[int, int]]:
    """Inclusive token spans ``(first, last)`` of half-open char spans; see :func:`token_spans_inclusive`."""
    mapping = char_to_token(offset_mapping)
    out = []
    for start, end in char_spans:
        if end <= start:
            raise ValueError(f"empty char span ({start}, {end})")
        try:
            out.append((mapping[int(start)], mapping[int(end) - 1]))
        except KeyError as err:
            raise UncoveredCharError(
                f"char {err.args[0]} of span ({start}, {end}) is covered by no token's offsets"
            ) from None
    return out


def token_spans_inclusive(offset_mapping: Sequence[Sequence[int]], char_span: Sequence[int]) -> tuple[int, int]:
    """Upstream ``get_content_span``: the tokens holding the first and the last char of ``char_span``.

    ``char_span`` is half-open ``(start, end)``; the result is inclusive ``(first_token, last_token)``.
    Raises :class:`UncoveredCharError` (a ``KeyError``) when either char is covered by no token.
    """
    return token_spans_inclusive_many(offset_mapping, [char_span])[0]
