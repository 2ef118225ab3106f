"""What kind of answer a question expects, and whether a sentence can carry one.

    >>> answer_type("Quand le référendum a-t-il eu lieu ?")
    'date'
    >>> satisfies_type("number", "The Assembly calls for releasing 39 political prisoners.")
    True
    >>> satisfies_type("person", "The Assembly adopted the resolution.")
    False

Split out of ``rag.evidence``, which uses it for its gate; ``rag.answer`` may use it on
generated answers.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = [
    "TITLE_WORDS",
    "acronyms",
    "answer_type",
    "co_listed",
    "date_words",
    "drop_years",
    "holds_role",
    "kind_asked",
    "names_kind",
    "role_asked",
    "satisfies_type",
    "split_compound",
    "tokens",
]

_NUMBER_PATTERNS = {
    "en": r"\bhow (many|much)\b|\bwhat (number|percentage|share|amount)\b",
    "fr": r"\bcombien\b|\bquel(le)? (nombre|pourcentage|montant)\b",
    "it": r"\bquant[ieoa]\b|\bquale (numero|percentuale|importo)\b",
}
# "What is the population of X?" asks for a number without saying "how many".
QUANTITY_NOUNS = (
    r"\b(population|gdp|budget|size|area|age|height|length|percentage|rate|turnout|"
    r"popolazione|pil|superficie|importo|pib|montant|nombre|numero)\b"
)
_DATE_PATTERNS = {
    "en": r"\bwhen\b|\b(what|which) (year|date|day|month)\b|\bsince when\b",
    "fr": r"\bquand\b|\bquel(le)? (année|date|jour|mois)\b",
    "it": r"\bquando\b|\b(che|quale|in quale|in che) (anno|data|giorno|mese)\b",
}
_PERSON_PATTERNS = {
    "en": r"^\s*(who|whom|whose)\b|\bwho (is|was|are|were|signed|leads|led)\b",
    "fr": r"^\s*qui\b|\bqui (est|était|a|ont)\b",
    "it": r"^\s*chi\b|\bchi (è|era|ha|sono)\b",
}

_NUMBER_WORDS_TEXT = (
    "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred thousand million billion dozen deux trois quatre cinq six sept huit neuf dix "
    "onze douze vingt trente cent mille milliard due tre quattro cinque sei sette otto nove "
    "dieci venti trenta cento mila mille milione miliardo"
)
_NUMBER_WORDS = frozenset(_NUMBER_WORDS_TEXT.split())
_MONTH_NAMES = (
    "January February March April May June July August September October November December",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
)
# Full names first: "mar" must not match the start of "March".
_MONTHS = "|".join(
    [
        *dict.fromkeys(w.lower() for names in _MONTH_NAMES for w in names.split()),
        *("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept?", "oct", "nov", "dec"),
    ]
)
_ISO_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?")


def date_words(date: str | None) -> str:
    """A document's date as the words a question may use for it, month in en/fr/it:

    >>> date_words("2025-11-14")
    '2025 November novembre novembre'
    >>> date_words(None)
    ''
    """
    m = _ISO_DATE.match(date or "")
    if not m:
        return ""
    out = [m.group(1)]
    if m.group(2) and 1 <= int(m.group(2)) <= 12:
        out += [names.split()[int(m.group(2)) - 1] for names in _MONTH_NAMES]
    return " ".join(out)


#: A month name, for whole-word matching: "March" in "March 15" is a date, not a name.
MONTH_RE = re.compile(rf"^(?:{_MONTHS})$", re.IGNORECASE)
#: A day and month followed by a year: "January 23, 2025", "23 janvier 2025".
_DAY_MONTH_YEAR = re.compile(
    rf"(\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|\b\d{{1,2}}(?:st|nd|rd|th|er)?\s+"
    rf"(?:{_MONTHS})\b\.?)(,?\s+(?:of\s+)?((?:1[89]|20)\d\d))\b",
    re.IGNORECASE,
)


def drop_years(text: str, years: set[str]) -> str:
    """``text`` without the given years where they complete a day and month:

    >>> drop_years("It took place on January 23, 2025 [1].", {"2025"})
    'It took place on January 23 [1].'
    >>> drop_years("It took place on 23 January 2025, in 2025.", {"2025"})
    'It took place on 23 January, in 2025.'
    """
    return _DAY_MONTH_YEAR.sub(lambda m: m[1] if m[3] in years else m[0], text)


_DATE_RE = re.compile(
    rf"\b(1[89]|20)\d\d\b|\b({_MONTHS})\b\.?|\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b",
    re.IGNORECASE,
)
# Capitalised words that name institutions, not people: a "who" answer needs more.
_INSTITUTION_WORDS_TEXT = (
    "the a an assembly council europe european parliament parliamentary senate kazakhstan "
    "kazakh republic ministry minister justice court constitutional president speaker "
    "united nations human rights state states committee commission office group union "
    "national international resolution convention pace cis un"
)
_INSTITUTION_WORDS = frozenset(_INSTITUTION_WORDS_TEXT.split())

_CARDINAL_RE = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)*(?![\d.,]*\d)(?!\s?(?:st|nd|rd|th|e|er|ème|a|°|º)\b)"
)
_LABEL_RE = re.compile(r"^\s*\d+(?:\.\d+)*\.?\s")
# "how many X": the counted thing X must be in the answer sentence.
COUNTED_RE = re.compile(
    r"\b(?:how many|how much|combien d[e'’]|quant[ieoa])\s*([^\W\d_]+)", re.IGNORECASE
)
TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")


def tokens(text: str) -> list[str]:
    """Words and numbers of ``text``: "In 2022, 39 were freed" -> ["In", "2022", "39", ...]."""
    return TOKEN_RE.findall(text)


def answer_type(question: str) -> str | None:
    """ "number", "date", "person" or None: what kind of answer the question expects."""
    q = question.lower()
    for patterns, kind in (
        (_NUMBER_PATTERNS, "number"),
        (_DATE_PATTERNS, "date"),
        (_PERSON_PATTERNS, "person"),
    ):
        if any(re.search(p, q) for p in patterns.values()):
            return kind
    if re.search(r"\b(what|quel(le)?|quale|qual)\b", q) and re.search(QUANTITY_NOUNS, q):
        return "number"
    return None


def satisfies_type(kind: str | None, sentence: str) -> bool:
    """Whether ``sentence`` can carry an answer of this kind (None: any sentence can)."""
    if kind is None:
        return True
    if kind == "number":
        # A count: not an ordinal ("8th", "20e", "31a") nor a paragraph label ("5. The").
        body = _LABEL_RE.sub("", sentence)
        return bool(_CARDINAL_RE.search(body)) or any(
            t.lower() in _NUMBER_WORDS for t in tokens(body)
        )
    if kind == "date":
        return bool(_DATE_RE.search(sentence))
    if kind == "person":
        return _has_person_name(sentence)
    return True


def _has_person_name(sentence: str) -> bool:
    """Two capitalised words in a row, at least one not an institution word."""
    return bool(_person_names(sentence))


def _person_names(sentence: str) -> list[str]:
    """Runs of two or more capitalised words with one not an institution word, as
    written: "... Council of Europe Secretary General Alain Berset." -> ["Secretary General
    Alain Berset"] (titles run into the name; the last word is the surname)."""
    out: list[str] = []
    run: list[str] = []
    for tok in [*tokens(sentence), "x"]:
        if tok[0].isupper() and not tok.isupper():
            run.append(tok)
            continue
        if len(run) >= 2 and any(w.lower() not in _INSTITUTION_WORDS for w in run):
            out.append(" ".join(run))
        run = []
    return out


# A question word that starts a second question: "..., and how did he ...?"
_WH = (
    r"who|whom|whose|what|which|when|where|why|how|"
    r"qui|que|quel|quelle|quels|quelles|quand|où|comment|pourquoi|combien|"
    r"chi|che|cosa|quale|quali|quando|dove|come|perché|quanti|quante|quanto"
)
_PREPOSITION = r"(?:(?:on|in|at|for|from|to|by|à|en|de|dans|pour|par|a|da|di|per|su)\s+)?"
_SECOND_QUESTION = re.compile(rf",?\s+(?:and|et|e)\s+(?={_PREPOSITION}(?:{_WH})\b)", re.IGNORECASE)
#: Each part of a compound question must be a question of its own, not "When and where".
_MIN_PART_WORDS = 3


def split_compound(question: str) -> list[str]:
    """The questions a compound question asks, in order; [] when it asks one.

    >>> split_compound("Who is Zsolt Németh, and how did he characterise the reforms?")
    ['Who is Zsolt Németh?', 'How did he characterise the reforms?']
    >>> split_compound("When and where was the joint statement issued?")
    []
    """
    parts = [p.strip(" ,") for p in _SECOND_QUESTION.split(question.strip())]
    if len(parts) < 2 or any(len(p.split()) < _MIN_PART_WORDS for p in parts):
        return []
    m = re.search(r"\s*[?？]$", question.strip())
    end = m[0] if m else "?"  # French writes " ?"
    return [p[0].upper() + p[1:] + ("" if p[-1] in "?？" else end) for p in parts]


_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][\w’'.-]*"
_NAME_PHRASE = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,5}}"
#: "A and B", "A, B and C", "A, B, et C": capitalised phrases joined by a conjunction.
_COORDINATION = re.compile(
    rf"({_NAME_PHRASE})((?:,\s+{_NAME_PHRASE})*),?\s+(?:and|et|e)\s+({_NAME_PHRASE})"
)
#: "Resolutions 1526 (2006) « Title » and 2193 (2017) « Title »": numbered references.
_REFERENCE = r"\d[\d/.-]*\s*\((?:1[89]|20)\d\d\)(?:\s*«[^»]{0,200}»)?"
_REFERENCES = re.compile(
    rf"({_REFERENCE})((?:,\s+{_REFERENCE})*),?\s+(?:and|et|e)\s+({_REFERENCE})"
)
_REFERENCE_KEY = re.compile(r"\d[\d/.-]*\s*\(\d{4}\)")
_WHICH = re.compile(r"\b(?:which|what|quels|quelles|quali|quale)\b", re.IGNORECASE)
_AND = {"en": "and", "fr": "et", "it": "e"}
#: How far before a list of names the question's own words must be ("signed by A and B").
_LEAD_CHARS = 60


def co_listed(
    question: str, answer: str, quote: str, lang: str = "en", answer_lang: str | None = None
) -> tuple[str, str] | None:
    """The members of a list in ``quote`` that ``answer`` leaves out, when it names some:
    the people a "who" question asks for ("signed by A and B" answered "A signed it"), or
    the numbered references a "which" question asks for ("its Resolutions 1526 (2006) and
    2193 (2017)" answered "Resolution 1526 (2006)"). Returns the member the answer names
    (its last name, or its "number (year)") and the text to add after it.

    The list must be what the question asks about: a word of the question stands just
    before it in the source ("signed" in "Who signed ...?"); people's lists must hold only
    names (``satisfies_type("person", ...)``). ``lang`` is the question's language,
    ``answer_lang`` the answer's (default ``lang``). A list the question does not lead to
    ("he met with A and B" for "Who signed ...?") is left alone.

    >>> co_listed("Who signed the statement?", "Maulen Ashimbayev signed it [1].",
    ...          "The statement, signed by Senate Chairperson Maulen Ashimbayev and PACE "
    ...          "President Theodoros Roussopoulos, emphasized ...")
    ('Ashimbayev', ' and PACE President Theodoros Roussopoulos')
    """
    from rag.evidence import terms

    kind = answer_type(question)
    people = kind == "person"
    if not people and not (kind is None and _WHICH.search(question)):
        return None
    lists = _COORDINATION if people else _REFERENCES

    def key(member: str) -> str:  # how the answer names it: a last name, "1526 (2006)"
        if people:
            return member.split()[-1]
        found = _REFERENCE_KEY.match(member)
        return found[0] if found else member

    asked = {t.key for t in terms(question, lang)}
    folded = answer.lower()
    for m in lists.finditer(quote):
        rest = [x for x in re.split(r",\s+(?=\S)", m[2]) if x.strip()] if m[2] else []
        members = [x.strip().rstrip(".") for x in (m[1], *rest, m[3])]  # not a full stop
        if people and not all(_has_person_name(x) for x in members):
            continue
        named = [x for x in members if key(x).lower() in folded]
        # A person with their title ("PACE President ..."); a reference without its title.
        missing = [x if people else key(x) for x in members if x not in named]
        lead = quote[max(0, m.start() - _LEAD_CHARS) : m.start()]
        # The source may be English while the question is not: its words in both.
        led = asked & {t.key for t in (*terms(lead, lang), *terms(lead, "en"))}
        if not named or not missing or not led:
            continue
        conj = _AND.get(answer_lang or lang, "and")  # an English answer says "and"
        if len(missing) == 1:
            added = f" {conj} {missing[0]}"  # "A signed" -> "A and B signed"
        else:  # "A signed" -> "A, B and C signed"
            added = f", {', '.join(missing[:-1])} {conj} {missing[-1]}"
        return key(named[-1]), added
    return None


#: "Who is the Secretary General of the Parliamentary Assembly ...?": the role asked about.
_ROLE_QUESTION = re.compile(
    r"^\s*(?:who|qui|chi)\s+(?:is|was|are|were|est|était|è|era)\s+"
    r"(?:the\s+|le\s+|la\s+|il\s+|lo\s+|l['’]\s*)?(?P<role>.+?)\s*[?？]?\s*$",
    re.IGNORECASE,
)
#: Words that name an office, not whose office it is: one of them in the source is enough
#: ("Chairperson" for "Speaker"); the rest of the role ("of the Parliamentary Assembly")
#: must be there.
_OFFICE_WORDS_TEXT = (
    "secretary general president vice deputy speaker chairperson chairman chairwoman chair "
    "minister prime rapporteur head leader director ambassador commissioner spokesperson "
    "secrétaire général président vice ministre premier rapporteur chef directeur "
    "segretario generale presidente vice ministro primo relatore capo direttore"
)
_OFFICE_WORDS = frozenset(_OFFICE_WORDS_TEXT.split())
#: Capitalised words of titles and institutions, which a translation translates
#: ("Minister of Justice" -> "Ministro della Giustizia"): the office words and these.
_BODY_WORDS_TEXT = (
    "ministry justice presidency assembly council parliament parliamentary senate court "
    "constitutional committee commission office group union national international state "
    "states republic government resolution convention agreement declaration statement "
    "report session ministère assemblée conseil parlement sénat cour commission ministero "
    "giustizia assemblea consiglio parlamento senato corte"
)
TITLE_WORDS = _OFFICE_WORDS | frozenset(_BODY_WORDS_TEXT.split())
_ROLE_END = re.compile(
    r"\s+(?:that|who|which|whom|whose|before|after|since|during|until|when|qui|que|dont|"
    r"avant|après|depuis|pendant|quand|che|cui|prima|dopo|durante|quando)\b",
    re.IGNORECASE,
)
#: "Parliamentary Assembly of the Council of Europe (PACE)": a long form and its acronym.
_ACRONYM = re.compile(r"\(([A-Z]{2,6})\)")


def acronyms(text: str) -> dict[str, str]:
    """Acronyms the text defines, with their long form:

    >>> acronyms("the Parliamentary Assembly of the Council of Europe (PACE) said")
    {'PACE': 'Parliamentary Assembly of the Council of Europe'}
    """
    out: dict[str, str] = {}
    for m in _ACRONYM.finditer(text):
        short = m[1]
        words = text[: m.start()].split()[-3 * len(short) :]
        for start in range(len(words)):
            caps = [w for w in words[start:] if w[:1].isupper()]
            if words[start][:1].isupper() and "".join(w[0] for w in caps) == short:
                out[short] = " ".join(words[start:])
                break
    return out


def role_asked(question: str) -> str | None:
    """The office a "Who is the <role>?" question asks the holder of, as a noun phrase
    (None for other questions): "Who was President of PACE before Roussopoulos?" ->
    "President of PACE"; a compound question is read by its first question."""
    parts = split_compound(question)  # "Who was the rapporteur, and which committee ...?"
    m = _ROLE_QUESTION.match(parts[0] if parts else question)
    return _ROLE_END.split(m["role"])[0] if m else None


def holds_role(
    question: str, answer: str, quote: str, lang: str = "en", known: dict[str, str] | None = None
) -> bool | None:
    """Whether the source gives the person the answer names the role the question asks
    about; None when the question asks for no role holder ("Who is the X of Y?"), or the
    answer names no one new.

    The role must be said of that person in the quote's clause holding their name: the
    words before it back to a comma or the sentence start ("Council of Europe Secretary
    General Alain Berset"), and what follows it when that names no one else (", the
    Speaker of the Senate,"; " is the Minister of Justice"). The names of the role that
    say whose office it is must be there ("Parliamentary Assembly"; an acronym counts for
    its long form, from ``known`` or the quote); one office word is enough ("Chairperson"
    for "Speaker").

        >>> holds_role("Who is the Secretary General of the Parliamentary Assembly?",
        ...            "It is Alain Berset [1].",
        ...            "He met Council of Europe Secretary General Alain Berset.")
        False
    """
    role = role_asked(question)
    if role is None:
        return None
    office, rest = _role_words(role, lang)
    if not office:
        return None  # "Who is Zsolt Németh?" asks for a description, not a holder
    asked = {w.split()[-1] for w in _person_names(question)}
    new = [n.split()[-1] for n in _person_names(answer) if n.split()[-1] not in asked]
    if not new:
        return None
    from rag.evidence import terms

    expand = {**acronyms(quote), **(known or {})}
    for surname in new:
        for clause in _clauses_naming(quote, surname):
            text = clause + " " + " ".join(v for k, v in expand.items() if k in clause.split())
            have = {t.key for t in terms(text, lang)} | {t.key for t in terms(text, "en")}
            if rest <= have and (office & have or _mentions_office(clause)):
                return True
    return False


def _role_words(role: str, lang: str) -> tuple[set[str], set[str]]:
    """The stems of a role's office words, and of the names that say whose office it is
    ("Parliamentary Assembly", "Kazakh Senate"). Lowercase words and a numbered document
    ("the report behind Resolution 2616": the source may be that document) are not
    required."""
    from rag.evidence import terms

    documents = {w.lower() for w in re.findall(r"\b([A-Z]\w+)\s+(?:n[o°.]*\s*)?\d", role)}
    office: set[str] = set()
    rest: set[str] = set()
    for t in terms(role, lang):
        if t.surface.lower() in _OFFICE_WORDS:
            office.add(t.key)
        elif t.kind == "name" and t.surface.lower() not in documents:
            rest.add(t.key)
    return office, rest


def _mentions_office(clause: str) -> bool:
    return any(w.lower() in _OFFICE_WORDS for w in tokens(clause))


def _clauses_naming(quote: str, surname: str) -> list[str]:
    """The clause of ``quote`` that ends with ``surname`` (from the last comma, semicolon,
    sentence start, or "and" after another person before it), plus what follows the name
    up to the next comma ("X is the Minister of ...") or, right after a comma, the next
    clause (", the Minister of ...,"), when it names no other person."""
    out = []
    for m in re.finditer(rf"(?<!\w){re.escape(surname)}(?!\w)", quote):
        before = re.split(r"[,;()]|(?<=[.!?])\s", quote[: m.end()])[-1]  # "rapporteur: X"
        # "A's title A and B's title B": B's clause starts after the "and" that follows a
        # person ("... Political Affairs and Democracy" is one name).
        pieces = re.split(r"\s(?:and|et|e)\s", before)
        for i in range(len(pieces) - 1, 0, -1):
            if _person_names(" and ".join(pieces[:i])):
                before = " ".join(pieces[i:])
                break
        after = re.split(r"[;()]|(?<=[.!?])\s", quote[m.end() :])[0]
        # ", the Minister of Justice," or " is the Minister of Justice of Kazakhstan."
        parts = after.split(",")
        nxt = parts[0] if parts[0].strip() or len(parts) == 1 else parts[1]
        if _person_names(nxt) or re.match(r"\s*(and|et|e)\b", nxt):
            nxt = ""
        out.append(f"{before} {nxt}".strip())
    return out


#: Kinds of thing a "which <noun>" question asks for that the sources name with that noun
#: ("the opposition party « Alga Kazakhstan »", "the Committee on Political Affairs"), in
#: English, French and Italian, singular and plural; the first word is the kind's name.
_KIND_NOUNS_TEXT = (
    "party parties parti partis partito partiti",
    "committee committees commission commissions comité comités commissione commissioni "
    "comitato comitati",
    "group groups groupe groupes gruppo gruppi",
    "convention conventions convenzione convenzioni",
    "court courts cour cours tribunal tribunaux corte corti tribunale tribunali",
    "agency agencies agence agences agenzia agenzie",
    "ministry ministries ministère ministères ministero ministeri",
)
_KIND_OF = {w: ws.split()[0] for ws in _KIND_NOUNS_TEXT for w in ws.split()}
_KIND_FORMS = {ws.split()[0]: frozenset(ws.split()) for ws in _KIND_NOUNS_TEXT}
#: "In which city ...?": answered by a place that is not a country.
_CITY_NOUNS_TEXT = "city cities town towns capital ville villes capitale città"
_CITY_NOUNS = frozenset(_CITY_NOUNS_TEXT.split())
#: Where an answer puts something: "held in Kazakhstan", "in the Republic of Kazakhstan",
#: "à Strasbourg", "a Ginevra".
_PLACE = re.compile(
    r"\b(?i:in|at|à|en|dans|a|nella|nel)\s+(?:the\s+)?"
    r"([A-ZÀ-ÖØ-Þ][\w’'-]+(?:\s+(?:of\s+|de\s+|du\s+|di\s+|del\s+)?[A-ZÀ-ÖØ-Þ][\w’'-]+)*)"
)
_WHICH_WORD = r"(?:which|what|quel|quelle|quels|quelles|quale|quali)"
#: Between "which" and its noun, adjectives and names ("which political party", "which
#: Council of Europe group"), never a verb or an article ("what did the committee say?").
_NOT_BETWEEN_TEXT = (
    "is are was were be been do does did has have had will would can could should may "
    "the a an this that these those its his her their "
    "est sont était a ont le la les l un une ce cette "
    "è sono era ha hanno il lo gli i un una questo questa"
)
_NOT_BETWEEN = frozenset(_NOT_BETWEEN_TEXT.split())


def kind_asked(question: str) -> str | None:
    """The kind of thing a "which <noun>" question asks for: a key of the kind nouns
    ("party", "committee", ...), "city", or None.

    >>> kind_asked("Which political party does he belong to?")
    'party'
    >>> kind_asked("De quel groupe du Conseil de l'Europe le Kazakhstan devrait-il être membre ?")
    'group'
    >>> kind_asked("What did the committee recommend?") is None
    True
    """
    parts = split_compound(question)
    words = re.findall(r"[^\W\d_]+", (parts[0] if parts else question).lower())
    for i, w in enumerate(words):
        if not re.fullmatch(_WHICH_WORD, w):
            continue
        for noun in words[i + 1 : i + 5]:
            if noun in _CITY_NOUNS:
                return "city"
            if noun in _KIND_OF:
                return _KIND_OF[noun]
            if noun in _NOT_BETWEEN:
                break
    return None


def names_kind(kind: str | None, question: str, answer: str, quotes: list[str]) -> bool | None:
    """Whether an answer names a thing of the kind the question asks for; None when the
    question asks for no kind (or the answer names nothing new).

    - a kind noun: one of the cited quotes, the source sentences the answer rests on,
      calls something by that noun ("party", "parti", "partito"). The answer's own words
      do not count, since they echo the question ("The political party he belongs to is
      the Committee on Political Affairs [1].");
    - "city": the places the answer puts things in ("in X", "à X", "a X") that the
      question does not name are not all countries ("held in Kazakhstan" does not say in
      which city).

        >>> names_kind("city", "In which city was it held?", "It was held in Kazakhstan [1].", [])
        False
        >>> names_kind("city", "In which city was it held?", "It was held in Astana [1].", [])
        True
    """
    if kind is None:
        return None
    if kind == "city":
        from rag.text import fold

        asked = {fold(w) for w in tokens(question)}
        # A place is named by its last word: "the Republic of Kazakhstan" -> "kazakhstan".
        places = [fold(m[1].split()[-1]) for m in _PLACE.finditer(answer)]
        places = [p for p in places if p not in asked and p not in TITLE_WORDS]
        if not places:
            return None
        countries = country_words()
        return not all(p in countries for p in places)
    forms = _KIND_FORMS[kind]
    return any(w.lower() in forms for q in quotes for w in tokens(q))


@cache
def country_words() -> frozenset[str]:
    """Folded one-word country names in English, French and Italian ("kazakhstan",
    "kazakistan", "russia"), from ISO 3166 (pycountry's data and translations, offline).
    Longer names ("Russian Federation") are left out: their words are not countries."""
    import gettext

    import pycountry

    from rag.text import fold

    names: set[str] = set()
    for c in pycountry.countries:
        names.update(
            v for a in ("name", "common_name", "official_name") if (v := getattr(c, a, None))
        )
    for lang in ("fr", "it"):
        tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        names.update(tr.gettext(c.name) for c in pycountry.countries)
    return frozenset(fold(n) for n in names if " " not in n and "," not in n)
