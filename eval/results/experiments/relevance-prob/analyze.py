"""Thresholds on the relevance check's P(yes): what each would have given (README.md).

python analyze.py dev-llamacpp-unobeyed.json manuals-dev-llamacpp-unobeyed.json
"""

import json
import sys


def load(path):
    """(checked, unchecked): per question (answerable, correct[, p_yes, verdict])."""
    with open(path, encoding="utf-8") as f:
        result = json.load(f)
    with open(path + ".probs.json", encoding="utf-8") as f:
        probs = json.load(f)
    checked, unchecked = [], []
    for q in result["questions"]:
        condense = next(t for t in q["trace"] if t["step"] == "condense")
        key = condense.get("english") or condense["query"]
        right = bool(q["verdicts"].get("correct"))
        if any(t["step"] == "relevance" for t in q["trace"]):
            p_yes, verdict = probs[key]
            checked.append((q["answerable"], right, p_yes, verdict))
        else:
            unchecked.append((q["answerable"], right, q["abstained"]))
    return checked, unchecked


def at(checked, unchecked, tau):
    """correct, false abstention, abstention, wrong answers, accuracy if P(yes) < tau
    abstains."""
    answerable = sum(r[0] for r in checked) + sum(r[0] for r in unchecked)
    unanswerable = len(checked) + len(unchecked) - answerable
    right = sum(r[0] and r[1] for r in unchecked) + sum(
        r[0] and r[1] and r[2] >= tau for r in checked
    )
    refused = sum(r[0] and r[2] for r in unchecked) + sum(r[0] and r[2] < tau for r in checked)
    abstained = sum(not r[0] and r[2] for r in unchecked) + sum(
        not r[0] and r[2] < tau for r in checked
    )
    wrong = answerable - right - refused
    return (
        right / answerable,
        refused / answerable,
        abstained / max(unanswerable, 1),
        wrong / answerable,
        (right + abstained) / (answerable + unanswerable),
    )


for path in sys.argv[1:]:
    checked, unchecked = load(path)
    good = [r[2] for r in checked if r[0] and r[1]]
    bad = [r[2] for r in checked if not (r[0] and r[1])]
    auc = sum((g > b) + 0.5 * (g == b) for g in good for b in bad) / max(1, len(good) * len(bad))
    agree = sum((r[2] >= 0.5) == r[3] for r in checked)
    print(f"{path}: {len(checked)} checked, AUC right vs other {auc:.3f}, greedy agrees {agree}")
    row = "correct {:.3f} fa {:.3f} abst {:.3f} wrong {:.3f} acc {:.3f}"
    print("  no check  " + row.format(*at(checked, unchecked, 0)))
    for tau in (0.3, 0.4, 0.5, 0.6, 0.7):
        print(f"  tau {tau:.1f}   " + row.format(*at(checked, unchecked, tau)))
