"""Where the answers the relevance check lets through go wrong (the closing note's numbers).

    python misses.py dev-llamacpp-unobeyed.json manuals-dev-llamacpp-unobeyed.json
    python misses.py --cited ../../dev-llamacpp.json ../../manuals-dev-llamacpp.json

Without ``--cited``: of the answers the check would pass (P(yes) >= 0.5) that are wrong,
how many had the evidence in the model's context. With ``--cited``: of the answered
answerable questions of a committed run, the share right when the first citation is the
context's best-ranked passage ([1]) and when it is another.
"""

import json
import sys

args = sys.argv[1:]
cited = args[:1] == ["--cited"]
for path in args[1:] if cited else args:
    with open(path, encoding="utf-8") as f:
        questions = json.load(f)["questions"]
    if cited:
        counts = {"[1]": [0, 0], "other": [0, 0]}  # [right, answered]
        for q in questions:
            if q["abstained"] or not q["answerable"]:
                continue
            first = min((c["n"] for c in q["citations"]), default=0)
            bucket = counts["[1]" if first == 1 else "other"]
            bucket[0] += bool(q["verdicts"].get("correct"))
            bucket[1] += 1
        print(path, {k: (n, round(r / max(n, 1), 2)) for k, (r, n) in counts.items()})
        continue
    with open(path + ".probs.json", encoding="utf-8") as f:
        probs = json.load(f)
    wrong = in_context = 0
    for q in questions:
        if not q["answerable"] or not any(t["step"] == "relevance" for t in q["trace"]):
            continue
        condense = next(t for t in q["trace"] if t["step"] == "condense")
        if probs[condense.get("english") or condense["query"]][0] < 0.5:
            continue
        if not q["verdicts"].get("correct"):
            wrong += 1
            in_context += bool(q["verdicts"].get("in_context"))
    print(f"{path}: wrong answers passing the check {wrong}, evidence in context {in_context}")
