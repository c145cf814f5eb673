"""Code-shape metrics of the `gainrl` package (issue 16), measured from the source with `ast`, plus `gainrl --help`'s
wall time.

    python bench/bench_code_shape.py [--root .] [--baseline-root MAIN_TREE] [--runs 7] [--json out.json]

Measures:
- modules at the top of `gainrl/` (`*.py` directly in the folder, `__init__`/`__main__` counted apart);
- function length in lines (every `def`, nested ones and methods included: `end_lineno - lineno + 1`), median and
  maximum, over every module of the package;
- function-level imports: `import` statements inside a function body, all of them and those of gainrl's own modules;
- import cycles: strongly connected components (more than one module) of the graph "module A imports gainrl module B",
  once with module-level imports only (what Python executes at import time) and once with every import
  (`if TYPE_CHECKING:` imports are never executed and left out);
- places that read the scored dataset: functions outside the scored artifact's own module that read a scored
  dataset's rows or card directly (they call `datasets.load_dataset`/`load_from_disk` on it, or the card readers
  `scoring_provenance`/`read_card_metadata`), and call sites of the public loader `load_scored`. Loads of data that is
  not a scored dataset (the source split being scored, the eval suite, the audit's sampled subset file, the
  quickstart's synthetic source) are listed in NOT_SCORED and left out;
- `gainrl --help` wall time: median and maximum of `--runs` fresh processes (`python -m gainrl --help` run in the
  tree's root, so that tree's package is the one imported), alternating with the baseline tree's runs.

What it does not cover: anything dynamic (imports via importlib, calls through variables).
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCORED_MODULES = ("gainrl.scored_data", "gainrl.scored")  # where the artifact's reader lives (before / after)
CARD_READERS = {"scoring_provenance", "read_card_metadata"}
ROW_READERS = {"load_dataset", "load_from_disk"}
# (module suffix, function) pairs that load data which is not a scored dataset
NOT_SCORED = {("scored_data", "_load_whole_split"), ("source", "_load_whole_split"), ("eval_suite", "hub_rows"),
              ("eval_suite", "load_suite_config"), ("suite", "hub_rows"), ("suite", "load_suite_config"),
              ("audit", "_subset_rows"), ("quickstart", "load_back")}
# a consumer that lived in the artifact's module before (`gainrl export-indices`)
CONSUMERS_IN_SCORED_MODULE = {"export_indices"}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_modules(root: Path) -> dict[str, Path]:
    return {module_name(root, path): path for path in sorted((root / "gainrl").rglob("*.py"))}


def imported_modules(node: ast.AST, current: str, known: set[str]) -> list[str]:
    """gainrl modules an import statement names (`from gainrl.x import y` counts `gainrl.x.y` when that is a
    module, else `gainrl.x`)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = current.split(".")[: -node.level]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    found = []
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name.startswith("gainrl") and name != "gainrl":
            found.append(name)
    return found


def functions(tree: ast.AST):
    return [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def qualified_functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function, methods as `Class.method`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from qualified_functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from qualified_functions(node, f"{prefix}{node.name}.")
        else:
            yield from qualified_functions(node, prefix)


def _ids_of_imports(nodes) -> set[int]:
    return {id(node) for root in nodes for node in ast.walk(root) if isinstance(node, (ast.Import, ast.ImportFrom))}


def imports_in(tree: ast.AST, inside_functions: bool):
    """Import statements inside function bodies, or outside them; `if TYPE_CHECKING:` imports (never executed)
    are left out of both."""
    in_function = _ids_of_imports(functions(tree))
    type_only = _ids_of_imports(node for node in ast.walk(tree) if isinstance(node, ast.If)
                                and "TYPE_CHECKING" in ast.unparse(node.test))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in type_only \
                and (id(node) in in_function) == inside_functions:
            yield node


def called_names(function: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            target = node.func
            names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; components with more than one module."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def scored_reads(name: str, tree: ast.AST) -> tuple[list[str], list[str]]:
    """(functions that read a scored dataset directly, functions that call load_scored) in one module."""
    direct, through_loader = [], []
    suffix = name.rpartition(".")[2]
    for qualified, function in qualified_functions(tree):
        if name in SCORED_MODULES and function.name not in CONSUMERS_IN_SCORED_MODULE:
            continue
        calls = called_names(function)
        where = f"{name}.{qualified}"
        if "load_scored" in calls:
            through_loader.append(where)
        if (suffix, function.name) in NOT_SCORED:
            continue
        if calls & (CARD_READERS | ROW_READERS):
            direct.append(where)
    return direct, through_loader


def measure_source(root: Path) -> dict:
    modules = package_modules(root)
    known = set(modules)
    lengths, all_local, own_local = [], 0, []
    top_graph, full_graph = {name: set() for name in modules}, {name: set() for name in modules}
    direct_reads, loader_calls = [], []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        current = name + (".__init__" if path.name == "__init__.py" else "")
        lengths += [node.end_lineno - node.lineno + 1 for node in functions(tree)]
        for node in imports_in(tree, inside_functions=False):
            targets = set(imported_modules(node, current, known)) - {name}
            top_graph[name] |= targets
            full_graph[name] |= targets
        for node in imports_in(tree, inside_functions=True):
            all_local += 1
            targets = set(imported_modules(node, current, known)) - {name}
            full_graph[name] |= targets
            if targets:
                own_local.append(f"{name}:{node.lineno}")
        direct, through_loader = scored_reads(name, tree)
        direct_reads += direct
        loader_calls += through_loader
    top = sorted(p.name for p in (root / "gainrl").glob("*.py"))
    return {
        "top_level_modules": len([n for n in top if n not in ("__init__.py", "__main__.py")]),
        "top_level_files": top,
        "modules_total": len(modules),
        "functions": len(lengths),
        "function_lines_median": statistics.median(lengths),
        "function_lines_max": max(lengths),
        "function_imports_all": all_local,
        "function_imports_gainrl": len(own_local),
        "import_cycles_module_level": strongly_connected(top_graph),
        "import_cycles_all_imports": strongly_connected(full_graph),
        "scored_reads_direct": sorted(direct_reads),
        "scored_reads_via_load_scored": sorted(loader_calls),
    }


def help_seconds(root: Path) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gainrl", "--help"], cwd=root, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--baseline-root", default=None, help="a second source tree (e.g. `git archive` of main), "
                        "measured the same way; `--help` runs alternate between the two trees")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    roots = {"this": Path(args.root)} | ({"baseline": Path(args.baseline_root)} if args.baseline_root else {})
    found = {name: measure_source(root) for name, root in roots.items()}
    times = {name: [] for name in roots}
    for _ in range(args.runs):
        for name, root in roots.items():
            times[name].append(help_seconds(root))
    for name in roots:
        found[name].update(help_seconds_median=round(statistics.median(times[name]), 3),
                           help_seconds_max=round(max(times[name]), 3), help_runs=args.runs)
    text = json.dumps(found, indent=1)
    if args.json:
        Path(args.json).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
