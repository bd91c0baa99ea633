"""Writes pairs.jsonl, pairwise.csv and single.csv in this folder from the hand-authored table below.

Everything here was AUTHORED FOR THIS PROJECT (by the workbench "judges" helper), not collected from real experts:
the "weak" answers and every vote were written by hand to exercise the agreement report. Run it from the repo root:
    .venv/bin/python data/human-ratings/make_ratings.py
"""

import csv
import json
from pathlib import Path

HERE = Path(__file__).parent
TRAIN = HERE.parent / "enlighten-instruct" / "TrainData.csv"

# (TrainData row, alternative answer written by hand, which side the human reference answer is shown on,
#  votes of expert-1, expert-2, expert-3 in the A/B frame: A, B, tie or bothbad)
TABLE = [
    (0, "It is a class for the beast.", "A", "A", "A", "A"),
    (
        20,
        "The BeastKillsPlayerSequenceAnimator class plays the cutscene in which the beast kills the player, "
        "by driving the animation sequence for that moment.",
        "B",
        "tie",
        "tie",
        "B",
    ),
    (40, "BeastManager.cs spawns new beasts every few seconds at random places in the level.", "A", "A", "A", "A"),
    (
        60,
        "BeastState.cs is the base class of every beast state: it holds the variables and methods the states share.",
        "B",
        "tie",
        "B",
        "tie",
    ),
    (80, "The Killing state is when the beast", "A", "A", "A", "tie"),
    (100, "It represents the state where the beast chases its target, the player.", "B", "tie", "tie", "tie"),
    (120, "They set how loud the beast roars while roaming.", "B", "B", "B", "B"),
    (140, "It makes the beast escape.", "A", "A", "tie", "A"),
    (
        160,
        "BeastStateSleep is the state where the beast is asleep and inactive; it is entered when the power "
        "comes back on.",
        "A",
        "tie",
        "A",
        "B",
    ),
    (180, "GlobalEventHub stores the player's score and saves it to disk between sessions.", "B", "B", "B", "B"),
    (200, "Something happens with the power core.", "A", "bothbad", "A", "A"),
    (
        220,
        "OnGrabbableObjectInteracted is raised by GrabbableObjects.cs when the player touches a grabbable "
        "object, i.e. when its collider meets a collider tagged Player.",
        "B",
        "tie",
        "B",
        "tie",
    ),
    (240, "UiEventHub draws the main menu.", "A", "A", "A", "A"),
    (
        260,
        "It destroys objects that fall out of the level into the void, so they don't keep falling forever.",
        "B",
        "B",
        "B",
        "tie",
    ),
    (280, "PlayerDetector.cs detects players.", "A", "A", "A", "bothbad"),
    (300, "SimpleLight turns lights on and off.", "B", "tie", "A", "tie"),
    (320, "'_lastFacing' stores the last direction the player faced, for the save file.", "A", "A", "A", "A"),
    (
        340,
        "LevelLightsManager manages the level's lights: it turns them off, turns them back on once every power "
        "switch is activated, and controls the emergency lights.",
        "B",
        "tie",
        "tie",
        "tie",
    ),
    (360, "The LevelManager class manages levels.", "A", "A", "A", "A"),
    (380, "It is the abstract base class that every puzzle room manager derives from.", "B", "tie", "tie", "B"),
    (400, "It adapts the level.", "A", "bothbad", "A", "bothbad"),
    (420, "It opens every door in the forbidden area so the player can escape.", "B", "B", "B", "B"),
    (440, "PowerSwitchUiHelper shows the UI for the level's power switches.", "A", "tie", "tie", "A"),
    (460, "Level1EventHub implements the singleton pattern.", "B", "B", "B", "B"),
    (480, "It subscribes to some events.", "A", "A", "bothbad", "A"),
    (500, "Level1PuzzleMaster is used by Level1Manager.", "B", "tie", "tie", "tie"),
    (520, "It is the base class for level 1 puzzle rooms.", "A", "A", "A", "tie"),
    (540, "It handles the first time the beast appears.", "B", "B", "B", "B"),
    (560, "It manages the friend character's inventory.", "A", "A", "A", "A"),
    (580, "It is the message shown when the player picks up the light gun.", "B", "tie", "B", "B"),
]
# Single-answer scores (1-10) by the same three authored experts for the weaker answer of the first 10 rows.
SCORES = [(2, 3, 2), (8, 9, 8), (1, 1, 2), (8, 8, 9), (3, 2, 4), (8, 9, 9), (1, 2, 1), (4, 3, 3), (7, 8, 7), (1, 1, 1)]


def main() -> None:
    rows = list(csv.DictReader(TRAIN.open(encoding="utf-8")))
    pairs, votes, scores = [], [], []
    for k, (row, alt, ref_side, *experts) in enumerate(TABLE):
        q, ref = rows[row]["Q"].strip(), rows[row]["A"].strip()
        a, b = (ref, alt) if ref_side == "A" else (alt, ref)
        item = f"enl-{row:04d}"
        pairs.append(
            {
                "item_id": item,
                "question": q,
                "answer_a": a,
                "answer_b": b,
                "reference": ref,
                "model_a": "human-reference" if ref_side == "A" else "authored-alt",
                "model_b": "authored-alt" if ref_side == "A" else "human-reference",
            }
        )
        for e, v in enumerate(experts, start=1):
            votes.append(
                {
                    "item_id": item,
                    "rater": f"expert-{e}",
                    "rating": v,
                    "rater_kind": "human",
                    "len_a": len(a),
                    "len_b": len(b),
                }
            )
        if k < len(SCORES):
            for e, s in enumerate(SCORES[k], start=1):
                scores.append({"item_id": f"{item}-alt", "rater": f"expert-{e}", "rating": s, "rater_kind": "human"})
    with (HERE / "pairs.jsonl").open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    for name, recs in (("pairwise.csv", votes), ("single.csv", scores)):
        with (HERE / name).open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(recs[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(recs)


if __name__ == "__main__":
    main()
