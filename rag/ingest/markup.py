"""Markup and typography inside text: markdown reduced to plain text, emphasis, footnote
marks and a heading glued to another by PDF extraction undone. Pure string functions,
used by ``rag.ingest.normalize`` (paragraphs) and the loaders (markdown files).

    >>> clean_inline("Ref. **A-12** ⁽¹⁾")
    'Ref. A-12'
"""

from __future__ import annotations

import re

__all__ = [
    "HEADING_MARK",
    "clean_inline",
    "split_glued_headings",
    "strip_markdown",
    "strip_terminal_codes",
]

#: Explicit headings travel through the pipeline with this prefix.
HEADING_MARK = "# "

_EMPH_BOLD = re.compile(r"(\*\*|__)(\S(?:.*?\S)?)\1")
_EMPH_STAR = re.compile(r"(?<![\w*])\*(\S(?:[^*]*?\S)?)\*(?![\w*])")
_EMPH_UNDERSCORE = re.compile(r"(?<![\w_])_(\S(?:[^_]*?\S)?)_(?![\w_])")
_FOOTNOTE_REF = re.compile(r"\s*(⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾|\[\^\w+\])")
_CARET_ORDINAL = re.compile(r"(\d)\^([^\W\d_]{1,4})\b")
# What a terminal reads as formatting: ANSI escape sequences (CSI "ESC [ ... m" for bold,
# underline, colour; OSC "ESC ] ... BEL"; two-character escapes) and nroff's overstrike
# (a character, a backspace and the character again for bold; underscore, backspace,
# character for underline), as `man` or `groff -Tutf8` write into text files.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_OVERSTRIKE = re.compile(r".(?:\x08.)+")  # characters printed over each other
# A code span's characters are literal: its '*' and '_' travel as private-use characters
# until ``clean_inline`` has removed emphasis, so '`==3.1.*`' keeps its star.
_KEEP = str.maketrans({"*": "\ue000", "_": "\ue001"})
_KEPT = str.maketrans({"\ue000": "*", "\ue001": "_"})
# Read as written: a code span's text, and a punctuation mark after a backslash (markdown's
# escape, as HTML-to-markdown converters write "cg\\_annotate" and "\\[1\\]").
# A MyST role before a code span ("{ref}`Caching`") goes with the span's backticks.
_LITERAL = re.compile(r"(?:\{[\w:.-]+\})?`([^`\n]+)`|\\([!-/:-@\[-`{-~])")
# A fence opening or closing a code block ("```python", "~~~~"), or a directive of MyST
# markdown ("```{note}", "````{tab} Linux"); a fence closes the innermost open one of its
# kind and at least its length.
_FENCE = re.compile(r"^\s{0,3}(?P<marker>`{3,}|~{3,})(?P<info>[^`]*)$")
# Inline code that an HTML-to-markdown converter wrote with three backticks over several
# lines ("try ```\nfinger\nme@host\n```\n to see"): a fence opens a line, so text before
# the backticks makes them a code span, which the next line of only backticks closes.
_INLINE_FENCE = re.compile(
    r"^(?P<lead>[^\n]*[^\s`])[ \t]*```[ \t]*\n"
    r"(?P<code>(?:[ \t]*[^\s`][^\n`]*\n){1,8}?)[ \t]*```[ \t]*$",  # one way to match a line
    re.MULTILINE,
)
_GLUED = re.compile(r"^(?P<a>[^*]*[^\s*])\*\*(?P<b>[^*]+)\*\*\s*$")


def strip_terminal_codes(text: str) -> str:
    """Text without a terminal's formatting codes: what a reader of the printed page sees.

    Overstruck characters become one: the character itself (bold), the one under the
    underscore (underline), a bullet for nroff's ``+`` over ``o``.

    >>> strip_terminal_codes("\\x1b[1mman-db\\x1b[0m b\\x08bo\\x08old _\\x08u_\\x08l +\\x08o x")
    'man-db bold ul • x'
    """
    if "\x1b" not in text and "\x08" not in text:
        return text
    return _OVERSTRIKE.sub(_overstruck, _ANSI.sub("", text)).replace("\x08", "")


def _overstruck(match: re.Match[str]) -> str:
    chars = [c for c in match.group(0)[::2] if c != "_"] or ["_"]
    return "•" if set(chars) == {"+", "o"} else chars[0]


def strip_markdown(text: str) -> str:
    """Reduce markdown to plain text, keeping headings as ``# text`` paragraphs.

    Links keep their text, code-fence markers and link definitions go, headings stand
    alone between blank lines:

        >>> strip_markdown("## Intro\\nSee [the site](https://x.org).\\n```\\ncode\\n```")
        '\\n\\n# Intro\\n\\nSee the site.\\ncode'

    A backslash escape is the character it escapes, except inside code, where the backslash
    is part of the text:

        >>> clean_inline(strip_markdown("Run cg\\\\_annotate \\\\[1\\\\] or `a\\\\_b`"))
        'Run cg_annotate [1] or a\\\\_b'
        >>> strip_markdown("```\\nx\\\\_y\\n```")
        'x\\\\_y'
        >>> strip_markdown("Try ```\\nfinger\\nme@host\\n```\\n to see.")
        'Try finger me@host\\n to see.'

    A MyST directive's body is text, its name and argument a line of it:

        >>> strip_markdown("(caching)=\\n```{versionadded} 6.0\\nSee {ref}`Caching`.\\n```\\nMore.")
        'versionadded 6.0\\nSee Caching.\\nMore.'
        >>> strip_markdown("````{tab} Linux\\n```\\n~/.cache/pip\\n```\\n````\\nMore.")
        'tab Linux\\n~/.cache/pip\\nMore.'
    """
    out: list[str] = []
    open_fences: list[tuple[str, bool]] = []  # (marker, is code), innermost last
    text = _INLINE_FENCE.sub(lambda m: f"{m['lead']} `{' '.join(m['code'].split())}`", text)
    for line in text.replace("\r\n", "\n").split("\n"):
        fence = _FENCE.match(line)
        code = bool(open_fences) and open_fences[-1][1]
        if fence and not (code and fence["info"]):
            marker, info = fence["marker"], fence["info"].strip()
            top = open_fences[-1][0] if open_fences else ""
            if not info and top and marker[0] == top[0] and len(marker) >= len(top):
                open_fences.pop()  # the fence that closes the innermost open one
            elif code:
                out.append(line)  # a shorter or other fence inside code is code
            else:
                open_fences.append((marker, not info.startswith("{")))
                if info.startswith("{"):  # "```{note}": a directive, whose body is text
                    out.append(re.sub(r"^\{([^}]*)\}", r"\1", info))
            continue  # fence markers go; the fenced text is content
        if code:
            out.append(line)  # kept as written
            continue
        line = _LITERAL.sub(lambda m: (m.group(1) or m.group(2)).translate(_KEEP), line)
        if re.match(r"^\s*\[[^\]]+\]:\s*\S+|^\s*([-*_]\s*){3,}$|^\([\w.:-]+\)=\s*$", line):
            continue  # link definitions, horizontal rules, MyST targets "(wheel-caching)="
        heading = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            out.append(f"\n\n{HEADING_MARK}{heading.group(1)}\n\n")
            continue
        line = re.sub(r"^\s{0,3}>\s?", "", line)
        out.append(line)
    joined = "\n".join(out)
    joined = re.sub(r"<!--.*?-->", "", joined, flags=re.DOTALL)
    joined = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", joined)
    joined = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", joined)
    joined = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", joined)
    joined = re.sub(r"<(https?://[^>\s]+)>", r"\1", joined)
    return re.sub(r"\n{3,}", "\n\n", joined).replace("\n\n\n", "\n\n")


def split_glued_headings(paragraph: str) -> list[str]:
    """Split a heading glued to a bold heading by PDF extraction into two.

    >>> split_glued_headings("ANNUAL REPORT**CHAPTER 3 (2024)**")
    ['ANNUAL REPORT', 'CHAPTER 3 (2024)']
    >>> split_glued_headings("Ref. **A-12**")
    ['Ref. **A-12**']
    """
    match = _GLUED.match(paragraph)
    if not match:
        return [paragraph]
    return [match.group("a").strip(), match.group("b").strip()]


def clean_inline(paragraph: str) -> str:
    """Remove typographic artefacts inside a paragraph and normalize its whitespace.

    >>> clean_inline("Ref. **A-12**  CHAPTER 3 ⁽¹⁾ (2^e édition) *Board minutes*")
    'Ref. A-12 CHAPTER 3 (2e édition) Board minutes'
    """
    text = _EMPH_BOLD.sub(r"\2", paragraph)
    text = _EMPH_STAR.sub(r"\1", text)
    text = _EMPH_UNDERSCORE.sub(r"\1", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _CARET_ORDINAL.sub(r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip().translate(_KEPT)
