"""Build benchmarks/precision/sample.jsonl: real, human-written question/answer records in English and Korean that
may be redistributed, for measuring how often each generated-text and truncation flag is right.

Sources (snapshot commits named in README.md; licence texts in licences/):
- dolly: databricks-dolly-15k records (CC BY-SA 3.0), the 151-record sample committed in
  ANTI-Tony/triforce-reproduce (its `dolly.jsonl` in the data folder; Alpaca prompt wrapper and `###eos_token###`
  taken off).
- chatbot_ko: songys/Chatbot_data `ChatbotData.csv` (MIT), Korean pairs written by hand in 2018; a seeded sample.
- course_en / course_ko: huggingface/course `chapters/en`, `chapters/ko` (Apache-2.0): each section of a chapter is
  a record, its heading the question and its text (JSX/HTML component lines removed) the answer.
- ollama_docs: ollama/ollama, the Markdown pages of its docs folder (MIT), sections the same way: a
  product-documentation Q/A set.
- gpteacher: teknium1/GPTeacher Codegen and Roleplay (MIT), GPT-4-written: every record naming AI/OpenAI/a language
  model, plus 150 drawn from each (seed 0): text where chat-model phrases really occur.
- peft_docs: huggingface/peft `docs/source` (Apache-2.0), sections the same way (LoRA, adapters, training data).

Run with the mirrors at hand (they are not shipped; the output is):

    .venv/bin/python benchmarks/precision/build_sample.py MIRRORS_DIR
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_JSX = re.compile(r"^\s*(</?[A-Za-z][^>]*>|/>|\{/\*.*\*/\})\s*$")


def git_show(repo: Path, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, check=True
    ).stdout.decode()


def git_ls(repo: Path, under: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "HEAD", under], capture_output=True)
    return out.stdout.decode().split()


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) for each section of a Markdown/MDX page; front matter, component-only lines and multi-line
    JSX tags dropped, fenced code kept."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    out, head, body, fence, in_tag = [], None, [], False, False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fence = not fence
        if not fence:
            if in_tag:
                in_tag = not line.rstrip().endswith(">")
                continue
            if re.match(r"^\s*<[A-Za-z]", line) and not line.rstrip().endswith(">"):
                in_tag = True
                continue
            if _JSX.match(line):
                continue
            m = _HEADING.match(line)
            if m:
                if head and "\n".join(body).strip():
                    out.append((head, "\n".join(body).strip()))
                head, body = m.group(2).strip(), []
                continue
        body.append(line)
    if head and "\n".join(body).strip():
        out.append((head, "\n".join(body).strip()))
    return out


def docs(repo: Path, under: str, source: str, licence: str, exts=(".md", ".mdx")) -> list[dict]:
    rows = []
    for path in sorted(git_ls(repo, under)):
        if not path.endswith(exts) or "/_" in path:
            continue
        for head, body in sections(git_show(repo, path)):
            if len(body) >= 40:
                rows.append({"source": source, "origin": path, "licence": licence, "question": head, "answer": body})
    return rows


def dolly(repo: Path) -> list[dict]:
    rows = []
    for line in git_show(repo, "/".join(("data", "dolly.jsonl"))).splitlines():
        r = json.loads(line)
        m = re.search(r"### Instruction:\n(.*?)\n\n(?:### Input:\n(.*?)\n\n)?### Response:", r["prompt"], re.S)
        answer = r["answer"].removesuffix("###eos_token###")
        rows.append(
            {
                "source": "dolly",
                "origin": "dolly.jsonl",
                "licence": "CC-BY-SA-3.0",
                "question": m.group(1).strip(),
                "answer": answer,
            }
        )
    return rows


def chatbot(repo: Path, n: int, seed: int = 0) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(git_show(repo, "ChatbotData.csv"))))
    pick = sorted(random.Random(seed).sample(range(len(rows)), n))
    return [
        {
            "source": "chatbot_ko",
            "origin": f"ChatbotData.csv:{i + 2}",
            "licence": "MIT",
            "question": rows[i]["Q"],
            "answer": rows[i]["A"],
        }
        for i in pick
    ]


def gpteacher(repo: Path, n: int, seed: int = 0) -> list[dict]:
    """Every record of GPTeacher's Codegen and Roleplay sets that names AI, OpenAI or a language model, plus `n` of
    each set drawn with `seed`: GPT-4-written text, where chat-model phrases really occur."""
    rows, rx = [], re.compile(r"as an ai|openai|my training|as of my|language model", re.I)
    for path in ("Codegen/codegen-instruct.json", "Roleplay/roleplay-simple-deduped-roleplay-instruct.json"):
        data = json.loads(git_show(repo, path))
        pick = set(random.Random(seed).sample(range(len(data)), n))
        pick |= {i for i, r in enumerate(data) if rx.search(r["response"])}
        for i in sorted(pick):
            q = data[i]["instruction"] + ("\n\n" + data[i]["input"] if data[i].get("input") else "")
            rows.append(
                {
                    "source": "gpteacher",
                    "origin": f"{path}#{i}",
                    "licence": "MIT",
                    "question": q,
                    "answer": data[i]["response"],
                }
            )
    return rows


def main(mirrors: Path) -> None:
    course = mirrors / "huggingface+course" / "repo"
    rows = (
        dolly(mirrors / "ANTI-Tony+triforce-reproduce" / "repo")
        + chatbot(mirrors / "songys+Chatbot_data" / "repo", 1000)
        + docs(course, "chapters/en", "course_en", "Apache-2.0")
        + docs(course, "chapters/ko", "course_ko", "Apache-2.0")
        + docs(mirrors / "ollama+ollama" / "repo", "docs", "ollama_docs", "MIT")
        + docs(mirrors / "huggingface+peft" / "repo", "docs/source", "peft_docs", "Apache-2.0")
        + gpteacher(mirrors / "teknium1+GPTeacher" / "repo", 150)
    )
    with open(HERE / "sample.jsonl", "w", encoding="utf-8") as fh:
        for i, r in enumerate(rows):
            fh.write(json.dumps({"id": f"{r['source']}:{i}", **r}, ensure_ascii=False) + "\n")
    print(len(rows), "records")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/.mirror"))
