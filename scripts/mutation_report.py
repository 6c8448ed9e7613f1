"""Write the mutation score of the last `mutmut run` into docs/testing.md.

python scripts/mutation_report.py   # after `mutmut run` (nox -s mutate runs both)

Reads mutmut's results under mutants/ and, from scripts/mutation_equivalents.toml, the
equivalent mutants with why (and the few left for later, outside the goal's modules). A
surviving mutant is known by its function and the lines it changes, not by its number (numbers
shift when the function changes). Rewrites the part of docs/testing.md between the two markers;
exits 1 when a mutant survived that is not listed, or a module of GOAL_ZERO has a mutant no
test ran.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.toml"
PAGE = ROOT / "docs" / "testing.md"
START, END = "<!-- mutation-report:start -->", "<!-- mutation-report:end -->"
# Modules that must have no surviving mutant other than the listed equivalents.
GOAL_ZERO = ("agentbay._transports", "agentbay._request", "agentbay._reply", "agentbay._retry")
ITERATORS = ("iter_contexts", "iter_files", "_iter_folder", "_folder_key", "_is_below")


def change(mutant: str, path: Path) -> tuple[str, str]:
    """The lines a mutant removes and adds, stripped and joined: its identity with its function."""
    diff = get_diff_for_mutant(mutant, path=path).splitlines()[2:]
    removed = [line[1:].strip() for line in diff if line.startswith("-")]
    added = [line[1:].strip() for line in diff if line.startswith("+")]
    return "\n".join(removed), "\n".join(added)


def function_of(mutant: str) -> str:
    """``agentbay._retry.x_backoff_delay`` of ``agentbay._retry.x_backoff_delay__mutmut_6``."""
    return mutant.rsplit("__mutmut_", 1)[0]


def module_of(mutant: str) -> str:
    return function_of(mutant).rsplit(".", 1)[0]


def readable(function: str) -> str:
    """``agentbay._async.context.AsyncContextService.iter_files`` for the mangled name."""
    module, _, name = function.rpartition(".")
    name = ".".join(name[2:].split("ǁ")) if name.startswith("xǁ") else name[2:]
    return f"{module}.{name}"


def in_goal(mutant: str) -> bool:
    function = function_of(mutant)
    return module_of(mutant).startswith(GOAL_ZERO) or any(
        function.endswith(("ǁ" + name, "x_" + name)) for name in ITERATORS
    )


def load_results() -> dict[str, tuple[str, Path]]:
    """{mutant: (status, source path)} of every mutant mutmut generated."""
    results = {}
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for mutant, exit_code in data.exit_code_by_key.items():
            results[mutant] = (status_by_exit_code[exit_code], path)
    return results


def markdown_code(text: str) -> str:
    return "`" + text.replace("\n", " ⏎ ").replace("`", "'") + "`" if text else "(nothing)"


def keyed(entries: list[dict[str, str]]) -> dict[tuple[str, str, str], str]:
    """{(function, before, after): why} of the entries of the equivalents file."""
    return {(e["function"], e["before"].strip(), e["after"].strip()): e["why"] for e in entries}


def report(
    results: dict[str, tuple[str, Path]],
    equivalents: list[dict[str, str]],
    later: list[dict[str, str]],
) -> tuple[str, list[str]]:
    """The generated section of the page, and the problems that fail the session."""
    known, deferred = keyed(equivalents), keyed(later)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    listed: list[tuple[str, str, str, str]] = []
    unexplained: list[tuple[str, str, str]] = []
    left: list[tuple[str, str, str, str]] = []
    problems: list[str] = []
    used = set()
    for mutant, (status, path) in sorted(results.items()):
        module = module_of(mutant)
        if status == "survived":
            before, after = change(mutant, path)
            key = (function_of(mutant), before, after)
            if key in known:
                used.add(key)
                counts[module]["equivalent"] += 1
                listed.append((readable(function_of(mutant)), before, after, known[key]))
                continue
            if key in deferred and not in_goal(mutant):
                used.add(key)
                left.append((readable(function_of(mutant)), before, after, deferred[key]))
            else:
                unexplained.append((mutant, before, after))
                problems.append(f"{mutant} survived: {before!r} -> {after!r}")
        elif status == "no tests" and in_goal(mutant):
            problems.append(f"{mutant}: no test runs it")
        elif status == "not checked":
            problems.append(f"{mutant}: not checked (the run did not finish)")
        counts[module][status] += 1
    for key in sorted((set(known) | set(deferred)) - used):
        print(
            f"note: a listed mutant no longer survives: {key[0]}: {key[1]!r} -> {key[2]!r}",
            file=sys.stderr,
        )

    total = sum(sum(c.values()) for c in counts.values())
    killed = sum(c["killed"] + c["timeout"] for c in counts.values())
    equivalent = sum(c["equivalent"] for c in counts.values())
    survived = sum(c["survived"] for c in counts.values())
    untested = sum(c["no tests"] for c in counts.values())
    unchecked = sum(c["not checked"] for c in counts.values())
    checked = total - unchecked
    score = killed / (checked - equivalent) if checked > equivalent else 1.0
    survival = (equivalent + survived + untested) / max(checked, 1)
    lines = [
        START,
        "",
        f"**Mutation score: {score:.1%}** ({killed} of the {checked - equivalent} mutants"
        f" checked that can be killed are killed). {total} mutants in all: {killed} killed,"
        f" {equivalent} equivalent,"
        f" {survived} surviving ({len(left)} of them left for later, below),"
        f" {untested} that no selected test runs"
        + (f", {unchecked} not checked: the run did not finish" if unchecked else "")
        + f". Survival (equivalents included): {survival:.1%}"
        + (f" of the {total - unchecked} checked." if unchecked else "."),
        "",
        "| module | mutants | killed | equivalent | survived | no tests | not checked |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for module, c in sorted(counts.items()):
        lines.append(
            f"| `{module}` | {sum(c.values())} | {c['killed'] + c['timeout']} | {c['equivalent']}"
            f" | {c['survived']} | {c['no tests']} | {c['not checked']} |"
        )
    lines += ["", "### Equivalent mutants", ""]
    lines += [
        "No test can tell these from the code (scripts/mutation_equivalents.toml says why):",
        "",
    ]
    for function, before, after, why in listed:
        lines.append(f"- `{function}`: {markdown_code(before)} → {markdown_code(after)}: {why}")
    if not listed:
        lines.append("- none")
    lines += ["", "### Left for later", ""]
    lines += ["Killable, in code another branch is reworking (the transfers):", ""]
    for function, before, after, why in left:
        lines.append(f"- `{function}`: {markdown_code(before)} → {markdown_code(after)}: {why}")
    if not left:
        lines.append("- none")
    lines += ["", "### Surviving mutants", ""]
    for mutant, before, after in unexplained:
        lines.append(f"- `{mutant}`: {markdown_code(before)} → {markdown_code(after)}")
    if not unexplained:
        lines.append("- none")
    lines += ["", END]
    return "\n".join(lines), problems


def main() -> int:
    """Rewrite the page's generated section; return the exit status."""
    listed = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8"))
    results = load_results()
    if not results:
        print("No mutmut results under mutants/: run `mutmut run` first.", file=sys.stderr)
        return 1
    section, problems = report(results, listed.get("equivalent", []), listed.get("later", []))
    page = PAGE.read_text(encoding="utf-8")
    head, _, rest = page.partition(START)
    _, _, tail = rest.partition(END)
    PAGE.write_text(head + section + tail, encoding="utf-8")
    print(section.splitlines()[2])
    for problem in problems:
        print("  " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
