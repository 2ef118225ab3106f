"""Deterministic synthetic corpora that read like documents, in English, French and Italian.

Each file is a short report: a title, then paragraphs of sentences built from templates
over a vocabulary of common words (Zipf-distributed, so a few words are frequent and most
are rare, as in real text), invented place and organisation names, years and amounts.
The same seed gives the same bytes, so two runs (and two machines) index the same corpus.

    >>> doc = document(random.Random(7), "fr", 3)
    >>> doc.splitlines()[0]   # a title, then paragraphs  # doctest: +SKIP
    'Rapport sur le budget de Veloria'

``write_corpus(folder, n_files)`` writes ``n_files`` such files (one language per file,
en/fr/it in turn) and returns their paths; ``queries(n)`` gives questions in the same
three languages about the same vocabulary.
"""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["LANGS", "document", "queries", "write_corpus"]

LANGS = ("en", "fr", "it")

_NOUNS = {
    "en": """committee budget harbour council report railway hospital school river bridge
    treaty election museum archive market factory bank court parliament ministry farm
    library station airport festival network contract border village district province
    region company union agreement programme project road tunnel port energy water forest
    mountain island coast valley city town citizen worker teacher doctor judge mayor
    minister director engineer farmer student volunteer delegation assembly commission
    survey census tax salary pension loan grant subsidy investment reform law decree
    regulation policy strategy plan meeting conference summit session vote debate
    statement declaration resolution protest strike crisis flood drought harvest
    shortage surplus deficit growth decline price rate index inventory supply demand
    export import customs license permit inspection audit review study analysis""",
    "fr": """comité budget port conseil rapport chemin hôpital école rivière pont traité
    élection musée archive marché usine banque tribunal parlement ministère ferme
    bibliothèque gare aéroport festival réseau contrat frontière village district province
    région entreprise syndicat accord programme projet route tunnel énergie eau forêt
    montagne île côte vallée ville bourg citoyen ouvrier enseignant médecin juge maire
    ministre directeur ingénieur agriculteur étudiant bénévole délégation assemblée
    commission enquête recensement impôt salaire pension prêt subvention investissement
    réforme loi décret règlement politique stratégie plan réunion conférence sommet
    session vote débat déclaration résolution manifestation grève crise inondation
    sécheresse récolte pénurie excédent déficit croissance déclin prix taux indice
    inventaire offre demande exportation importation douane licence permis inspection
    audit examen étude analyse""",
    "it": """comitato bilancio porto consiglio rapporto ferrovia ospedale scuola fiume ponte
    trattato elezione museo archivio mercato fabbrica banca tribunale parlamento ministero
    fattoria biblioteca stazione aeroporto festival rete contratto confine villaggio
    distretto provincia regione azienda sindacato accordo programma progetto strada
    galleria energia acqua foresta montagna isola costa valle città paese cittadino
    operaio insegnante medico giudice sindaco ministro direttore ingegnere agricoltore
    studente volontario delegazione assemblea commissione indagine censimento imposta
    salario pensione prestito sovvenzione investimento riforma legge decreto regolamento
    politica strategia piano riunione conferenza vertice sessione voto dibattito
    dichiarazione risoluzione protesta sciopero crisi alluvione siccità raccolto carenza
    eccedenza disavanzo crescita declino prezzo tasso indice inventario offerta domanda
    esportazione importazione dogana licenza permesso ispezione revisione esame studio
    analisi""",
}
_VERBS = {
    "en": """approved rejected reviewed funded delayed announced published extended
    reduced increased opened closed signed questioned supported criticised examined
    replaced restored expanded suspended confirmed postponed recommended proposed
    adopted blocked inspected financed completed launched""",
    "fr": """a approuvé a rejeté a examiné a financé a retardé a annoncé a publié a
    prolongé a réduit a augmenté a ouvert a fermé a signé a contesté a soutenu a critiqué
    a remplacé a restauré a élargi a suspendu a confirmé a reporté a recommandé a proposé
    a adopté a bloqué a inspecté a achevé a lancé""",
    "it": """ha approvato ha respinto ha esaminato ha finanziato ha ritardato ha annunciato
    ha pubblicato ha prorogato ha ridotto ha aumentato ha aperto ha chiuso ha firmato ha
    contestato ha sostenuto ha criticato ha sostituito ha restaurato ha ampliato ha
    sospeso ha confermato ha rinviato ha raccomandato ha proposto ha adottato ha bloccato
    ha ispezionato ha completato ha lanciato""",
}
_ADJS = {
    "en": """new old regional national local public private annual final provisional
    urgent modest large small northern southern eastern western rural urban independent
    joint special temporary permanent former current additional significant""",
    "fr": """nouveau ancien régional national local public privé annuel final provisoire
    urgent modeste grand petit septentrional méridional oriental occidental rural urbain
    indépendant conjoint spécial temporaire permanent actuel supplémentaire important""",
    "it": """nuovo vecchio regionale nazionale locale pubblico privato annuale finale
    provvisorio urgente modesto grande piccolo settentrionale meridionale orientale
    occidentale rurale urbano indipendente congiunto speciale temporaneo permanente
    attuale aggiuntivo importante""",
}
# (template, needs): {A} adjective, {N}/{M} nouns, {V} verb, {P} a name, {Y} a year, {X} an amount.
_SENTENCES = {
    "en": [
        "The {A} {N} {V} the {M} of {P} in {Y}.",
        "In {Y}, the {N} of {P} {V} a {A} {M} worth {X} euros.",
        "According to the {N}, the {M} {V} {X} requests from {P}.",
        "Officials in {P} said the {A} {N} would depend on the {M}.",
        "The {M} was {A}, and the {N} {V} it before the end of {Y}.",
        "Critics of the {N} argued that the {M} in {P} cost {X} euros.",
    ],
    "fr": [
        "Le {N} {A} {V} le {M} de {P} en {Y}.",
        "En {Y}, le {N} de {P} {V} un {M} {A} de {X} euros.",
        "Selon le {N}, le {M} {V} {X} demandes venues de {P}.",
        "À {P}, les responsables ont dit que le {N} {A} dépendrait du {M}.",
        "Le {M} était {A}, et le {N} {V} ce texte avant la fin de {Y}.",
        "Les critiques du {N} estiment que le {M} de {P} a coûté {X} euros.",
    ],
    "it": [
        "Il {N} {A} {V} il {M} di {P} nel {Y}.",
        "Nel {Y}, il {N} di {P} {V} un {M} {A} da {X} euro.",
        "Secondo il {N}, il {M} {V} {X} richieste arrivate da {P}.",
        "A {P}, i responsabili hanno detto che il {N} {A} dipenderà dal {M}.",
        "Il {M} era {A}, e il {N} {V} il testo prima della fine del {Y}.",
        "I critici del {N} sostengono che il {M} di {P} è costato {X} euro.",
    ],
}
_TITLES = {
    "en": "Report on the {N} of {P}",
    "fr": "Rapport sur le {N} de {P}",
    "it": "Rapporto sul {N} di {P}",
}
_QUESTIONS = {
    "en": ["What did the {N} of {P} decide about the {M}?", "How much did the {M} in {P} cost?"],
    "fr": ["Qu'a décidé le {N} de {P} sur le {M} ?", "Combien a coûté le {M} de {P} ?"],
    "it": ["Che cosa ha deciso il {N} di {P} sul {M}?", "Quanto è costato il {M} di {P}?"],
}
_SYLLABLES = "ka lo ve ri ta mon sel dra vin or bel gar nu pe stra lis co fen ur ald".split()  # noqa: SIM905


def _split(table: dict[str, str]) -> dict[str, list[str]]:
    return {lang: text.split() for lang, text in table.items()}


_N, _A = _split(_NOUNS), _split(_ADJS)
# French/Italian verbs are two words ("a approuvé"): pair them back up.
_V = {
    lang: [" ".join(p) for p in zip(w[::2], w[1::2], strict=True)] if lang != "en" else w
    for lang, w in _split(_VERBS).items()
}
_NAMES = [
    "".join(rng.choice(_SYLLABLES) for _ in range(2 + i % 2)).capitalize()
    for i, rng in enumerate(random.Random(f"names{j}") for j in range(400))
]


def _zipf(rng: random.Random, items: list[str]) -> str:
    """An item drawn with probability ~ 1/rank (the first items are the common ones)."""
    n = len(items)
    weights = _ZIPF_WEIGHTS.setdefault(n, [1.0 / (r + 1) for r in range(n)])
    return rng.choices(items, weights=weights)[0]


_ZIPF_WEIGHTS: dict[int, list[float]] = {}


def _fill(template: str, rng: random.Random, lang: str) -> str:
    return template.format(
        A=_zipf(rng, _A[lang]),
        N=_zipf(rng, _N[lang]),
        M=_zipf(rng, _N[lang]),
        V=_zipf(rng, _V[lang]),
        P=_zipf(rng, _NAMES),
        Y=rng.randint(1950, 2025),
        X=rng.randint(3, 950) * 10,
    )


def document(rng: random.Random, lang: str, paragraphs: int) -> str:
    """One document: a title line, then ``paragraphs`` paragraphs of 4-9 sentences."""
    body = [_fill(_TITLES[lang], rng, lang)]
    for _ in range(paragraphs):
        sentences = [
            _fill(rng.choice(_SENTENCES[lang]), rng, lang) for _ in range(rng.randint(4, 9))
        ]
        body.append(" ".join(sentences))
    return "\n\n".join(body) + "\n"


def write_corpus(folder: Path, n_files: int, paragraphs: int = 12, seed: int = 16) -> list[Path]:
    """Write ``n_files`` documents (``doc-00000-en.txt``...) under ``folder``; same seed,
    same bytes. Files already there with the same name are rewritten only if different."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_files):
        lang = LANGS[i % len(LANGS)]
        text = document(random.Random(seed * 1_000_003 + i), lang, paragraphs)
        path = folder / f"doc-{i:05d}-{lang}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def queries(n: int, seed: int = 61) -> list[str]:
    """``n`` questions over the corpus vocabulary, en/fr/it in turn (deterministic)."""
    rng = random.Random(seed)
    return [
        _fill(rng.choice(_QUESTIONS[LANGS[i % len(LANGS)]]), rng, LANGS[i % len(LANGS)])
        for i in range(n)
    ]
