"""Every import of the project's own code, read with `ast`: no import circles anywhere, and every
import follows the layers written in docs/architecture.md (section "Layers"), the source of truth.

Read: `import x`, `from x import y` and relative imports, at module level and inside functions
and methods. `from pkg import name` is an import of the submodule `pkg.name` when there is one,
else of `pkg`; `import a.b.c` depends on `a.b.c` only (not on the `__init__` of `a` or `a.b`,
or every re-exporting `__init__` would close a circle). Not read: `if TYPE_CHECKING:` blocks
(they never run) and strings (django-q2 task paths), which are not imports.

Scope: the packages in PACKAGES, without their migrations; tests/ and bench/ are not checked.
Pure `ast`, so no database: no test here asks for the `db` fixture, and pytest-django keeps the
database blocked (and never creates it) for tests that do not; the project is read once for the
module, in a fraction of a second. The last tests run the same functions over a tiny package
written to tmp_path, to show that each check fails when it should and passes when it should.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "escalation", "helpdesk", "forms_4052_4055", "access")
ARCHITECTURE = Path("docs") / "architecture.md"
LAYERS_HEADING = "## Layers"


# Reading the imports ------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One project module imported by one statement (a statement naming several is several)."""

    source: str  # the importing module, e.g. "helpdesk.models.tickets"
    target: str  # the imported project module, e.g. "helpdesk.directory.permissions"
    path: Path  # the importing file, relative to the root
    line: int
    function: str  # "" at import time, else the enclosing function, e.g. "Ticket.user_may"

    def where(self) -> str:
        when = f"in {self.function}" if self.function else "module level"
        return f"{self.path.as_posix()}:{self.line} ({when})"


@dataclass(frozen=True)
class Unresolved:
    """A statement naming project code that does not exist (an ImportError when it runs)."""

    path: Path
    line: int
    name: str


@dataclass
class Project:
    modules: dict[str, Path]  # dotted name -> file relative to the root
    imports: list[Import] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)

    def graph(self) -> dict[str, set[str]]:
        graph: dict[str, set[str]] = {name: set() for name in self.modules}
        for imp in self.imports:
            graph[imp.source].add(imp.target)
        return graph

    def imports_between(self, source: str, target: str) -> list[Import]:
        return [i for i in self.imports if i.source == source and i.target == target]


def find_modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package by the name of its `__init__`)."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts:
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = relative
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")  # where statements nest


class _Reader:
    """Collects (candidates, line, function) for each imported name: the candidates are the
    dotted names the name may be, most specific first. Imports are statements, so only
    statement blocks are walked (no expressions: fast)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.package = module.split(".") if is_package else module.split(".")[:-1]
        self.found: list[tuple[tuple[str, ...], int, str]] = []
        self.bad_relative: list[tuple[int, str]] = []

    def read(self, statements: Sequence[ast.AST], scope: str = "", function: str = "") -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.found.append(((alias.name,), node.lineno, function))
            elif isinstance(node, ast.ImportFrom):
                self._read_from(node, function)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{scope}.{node.name}" if scope else node.name
                self.read(node.body, name, name)
            elif isinstance(node, ast.ClassDef):
                name = f"{scope}.{node.name}" if scope else node.name
                self.read(node.body, name, function)  # a class body runs at import time
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                self.read(node.orelse, scope, function)  # the else branch does run
            else:
                for block in _BLOCKS:
                    self.read(getattr(node, block, ()), scope, function)

    def _read_from(self, node: ast.ImportFrom, function: str) -> None:
        if node.level:
            keep = len(self.package) - (node.level - 1)
            if keep <= 0:
                self.bad_relative.append((node.lineno, "." * node.level + (node.module or "")))
                return
            base = ".".join(self.package[:keep] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self.found.append(((base,), node.lineno, function))
            else:
                self.found.append(((f"{base}.{alias.name}", base), node.lineno, function))


def read_project(root: Path, packages: tuple[str, ...]) -> Project:
    project = Project(modules=find_modules(root, packages))
    for module, path in project.modules.items():
        reader = _Reader(module, is_package=path.name == "__init__.py")
        tree = ast.parse((root / path).read_text(encoding="utf-8"), filename=str(path))
        reader.read(tree.body)
        for line, name in reader.bad_relative:
            project.unresolved.append(Unresolved(path, line, name))
        for candidates, line, function in reader.found:
            if candidates[-1].split(".")[0] not in packages:
                continue  # django, the standard library, third-party code: not checked
            target = next((c for c in candidates if c in project.modules), None)
            if target is None:
                project.unresolved.append(Unresolved(path, line, candidates[0]))
            elif target != module:
                project.imports.append(Import(module, target, path, line, function))
    project.imports = list(dict.fromkeys(project.imports))  # `from m import a, b`: once
    return project


# Circles -------------------------------------------------------------------------------------


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative (no recursion limit), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def enter(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for start in sorted(graph):
        if start in index:
            continue
        enter(start)
        work = [(start, iter(sorted(graph.get(start, ()))))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    enter(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _shortest_circle_through(graph: dict[str, set[str]], start: str, within: set[str]) -> list:
    """The shortest path start -> ... -> start inside `within` (breadth first)."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph.get(node, ())):
            if child not in within:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return []


def find_circles(graph: dict[str, set[str]]) -> list[tuple[list[str], list[list[str]]]]:
    """For each group of modules that import each other round (a strongly connected component),
    the group and the shortest circle through each of its members (the same circle once),
    each written start -> ... -> start."""
    result = []
    for component in strongly_connected(graph):
        members = set(component)
        if len(component) == 1 and component[0] not in graph.get(component[0], ()):
            continue
        circles, seen = [], set()
        for member in component:
            circle = _shortest_circle_through(graph, member, members)
            turn = circle.index(min(circle[:-1]))
            canonical = tuple(circle[turn:-1] + circle[:turn])
            if canonical not in seen:
                seen.add(canonical)
                circles.append([*canonical, canonical[0]])
        circles.sort(key=lambda c: (len(c), c))
        result.append((component, circles))
    return result


def circle_problems(project: Project) -> list[str]:
    problems = []
    for component, circles in find_circles(project.graph()):
        lines = [f"{len(component)} modules import each other round: {', '.join(component)}"]
        for circle in circles:
            lines.append(f"  circle: {' -> '.join(circle)}")
            for source, target in pairwise(circle):
                lines += [
                    f"    {i.where()} imports {target}"
                    for i in project.imports_between(source, target)
                ]
        problems.append("\n".join(lines))
    return problems


# The layers table ----------------------------------------------------------------------------


@dataclass
class Layers:
    builds_on: dict[str, tuple[str, ...]]  # each row, in the table's order
    line: dict[str, int]  # the row's line in the document

    def layer_of(self, module: str) -> str | None:
        """The most specific (longest) row naming the module or a package holding it."""
        rows = [r for r in self.builds_on if module == r or module.startswith(r + ".")]
        return max(rows, key=len, default=None)

    def below(self, row: str) -> set[str]:
        """What a row may import besides itself: what it builds on, transitively."""
        seen: set[str] = set()
        todo = list(self.builds_on.get(row, ()))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.builds_on.get(name, ()))
        return seen


_NAME = r"[A-Za-z_][\w.]*"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_layers(text: str, source: str) -> tuple[Layers, list[str]]:
    """Reads the first table after the `## Layers` heading (until the next heading): a header
    `| package | builds on |`, a separator, then one row per package; the first cell holds one
    name in backticks, the second any number (or none), separated by commas or spaces.
    Further columns are free text. Returns the layers and what is wrong with the table."""
    layers, problems = Layers({}, {}), []
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if line.strip() == LAYERS_HEADING), None)
    if start is None:
        return layers, [f"{source}: no `{LAYERS_HEADING}` heading"]
    table: list[tuple[int, str]] = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.startswith("#"):
            break
        if line.strip().startswith("|"):
            table.append((number, line))
        elif table:
            break
    if len(table) < 2 or [c.lower() for c in _cells(table[0][1])[:2]] != ["package", "builds on"]:
        return layers, [f"{source}: no `| package | builds on |` table under `{LAYERS_HEADING}`"]
    for number, line in table[2:]:
        cells = _cells(line)
        package = re.fullmatch(rf"`({_NAME})`", cells[0])
        below = cells[1] if len(cells) > 1 else ""
        names = re.findall(rf"`({_NAME})`", below)
        if not package or re.sub(rf"`{_NAME}`", "", below).strip(" ,"):
            problems.append(
                f"{source}:{number}: cannot read the row {line.strip()!r}; write "
                "| `package` | `lower`, `other` | (each name in backticks)"
            )
            continue
        name = package.group(1)
        if name in layers.builds_on:
            problems.append(
                f"{source}:{number}: `{name}` has a row already (line {layers.line[name]})"
            )
            continue
        layers.builds_on[name] = tuple(names)
        layers.line[name] = number
    return layers, problems


def layers_table_problems(layers: Layers, modules: dict[str, Path], source: str) -> list[str]:
    """Names that are no package or module of the project, names no row defines, circles."""
    problems = []
    for row, names in layers.builds_on.items():
        where = f"{source}:{layers.line[row]}"
        if row not in modules:
            problems.append(f"{where}: `{row}` is no package or module of the project")
        problems += [
            f"{where}: `{row}` builds on `{name}`, which has no row of its own"
            for name in names
            if name not in layers.builds_on
        ]
    graph = {row: set(names) & set(layers.builds_on) for row, names in layers.builds_on.items()}
    for _, circles in find_circles(graph):
        problems += [
            f"{source}: the table goes round in a circle: {' -> '.join(c)} (each builds on "
            "the next); a layer cannot be below itself"
            for c in circles
        ]
    return problems


def uncovered_modules(project: Project, layers: Layers) -> list[str]:
    return [
        f"{path.as_posix()}: {module} is in no row of the Layers table; add a row for it or "
        "for a package holding it"
        for module, path in project.modules.items()
        if layers.layer_of(module) is None
    ]


def layering_problems(project: Project, layers: Layers, source: str) -> list[str]:
    problems = []
    for imp in project.imports:
        mine, theirs = layers.layer_of(imp.source), layers.layer_of(imp.target)
        if mine is None or theirs is None:
            continue  # reported by uncovered_modules
        if theirs == mine or theirs in layers.below(mine):
            continue
        if mine in layers.below(theirs):
            why = f"an upward import (`{theirs}` builds on `{mine}`)"
        else:
            why = f"`{mine}` does not build on `{theirs}`, directly or through its rows"
        rows = ", ".join(f"`{n}`" for n in layers.builds_on[mine])
        rows = f"builds on {rows} and what those build on" if rows else "builds on nothing"
        problems.append(
            f"{imp.where()} imports {imp.target}\n"
            f"    layer `{mine}` imports layer `{theirs}`: {why}.\n"
            f"    `{mine}` {rows} ({source}, Layers).\n"
            "    Fix: move the imported code down a layer, have the higher layer register it "
            "with the lower one (AppConfig.ready), or change the table."
        )
    return problems


# The checks on the project -----------------------------------------------------------------


def _fail_on(title: str, problems: list[str]) -> None:
    """Fails with the problems alone: no traceback, no repr of the fixtures."""
    if problems:
        pytest.fail(f"{title} ({len(problems)}):\n\n" + "\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def project() -> Project:
    return read_project(ROOT, PACKAGES)


@pytest.fixture(scope="module")
def layers_and_problems() -> tuple[Layers, list[str]]:
    if not (ROOT / ARCHITECTURE).is_file():
        return Layers({}, {}), [f"{ARCHITECTURE} is missing; it holds the Layers table"]
    return parse_layers((ROOT / ARCHITECTURE).read_text(encoding="utf-8"), str(ARCHITECTURE))


def test_no_import_circles(project):
    problems = circle_problems(project)
    _fail_on(
        "Import circles: break each one by moving the shared code down a layer, or by having "
        "the lower module call what the higher one registers",
        problems,
    )


def test_every_import_of_project_code_names_a_module(project):
    problems = [
        f"{u.path.as_posix()}:{u.line} imports {u.name}, which is no module of the project"
        for u in project.unresolved
    ]
    _fail_on("Imports of project code that does not exist", problems)


def test_the_layers_table_is_sound(project, layers_and_problems):
    layers, problems = layers_and_problems
    problems = problems + layers_table_problems(layers, project.modules, str(ARCHITECTURE))
    _fail_on(f"The Layers table of {ARCHITECTURE}", problems)


def test_every_module_has_a_layer(project, layers_and_problems):
    problems = uncovered_modules(project, layers_and_problems[0])
    _fail_on(f"Modules the Layers table of {ARCHITECTURE} misses", problems)


def test_imports_follow_the_layers(project, layers_and_problems):
    problems = layering_problems(project, layers_and_problems[0], str(ARCHITECTURE))
    _fail_on(
        f"Imports against the layers of {ARCHITECTURE} (lower layers never import higher ones)",
        problems,
    )


# The checks on a tiny package -------------------------------------------------------------


TINY_TABLE = """# Tiny

## Layers

| package | builds on |
| --- | --- |
| `tiny.low` | |
| `tiny.mid` | `tiny.low` |
| `tiny.high` | `tiny.mid` |
| `tiny` | `tiny.high` |

## Next
"""

TINY_FILES = {
    "tiny/__init__.py": "",
    "tiny/apps.py": "from tiny.high import views\n",
    "tiny/low/__init__.py": "from tiny.low.models import Thing\n",
    # A circle through a function-level import that is also an upward import.
    "tiny/low/models.py": (
        "class Thing:\n"
        "    def allowed(self):\n"
        "        from tiny.mid.rules import check\n"
        "        return check(self)\n"
    ),
    "tiny/mid/__init__.py": "",
    # A module importing its own package's __init__: a real edge; here it closes the circle.
    "tiny/mid/rules.py": "from tiny.low import Thing\n\ndef check(thing):\n    return True\n",
    # Relative imports, and a TYPE_CHECKING import of a higher layer that must be ignored.
    "tiny/mid/services.py": (
        "from typing import TYPE_CHECKING\n"
        "\n"
        "from . import rules\n"
        "from ..low.models import Thing\n"
        "\n"
        "if TYPE_CHECKING:\n"
        "    from tiny.high.views import View\n"
        "else:\n"
        "    import tiny.low\n"
    ),
    "tiny/high/__init__.py": "",
    # The string is a task path, not an import.
    "tiny/high/views.py": (
        "import tiny.mid.services\nfrom tiny.missing import nothing\nTASK = 'tiny.apps.run'\n"
    ),
    "tiny/migrations/__init__.py": "",
    "tiny/migrations/0001_initial.py": "import tiny.high.views\n",
}


def _tiny(tmp_path: Path) -> Project:
    for name, text in TINY_FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return read_project(tmp_path, ("tiny",))


def test_the_checks_judge_a_tiny_package(tmp_path):
    project = _tiny(tmp_path)
    edges = {(i.source, i.target, i.line, i.function) for i in project.imports}
    assert edges == {
        ("tiny.apps", "tiny.high.views", 1, ""),
        ("tiny.low", "tiny.low.models", 1, ""),
        ("tiny.low.models", "tiny.mid.rules", 3, "Thing.allowed"),
        ("tiny.mid.rules", "tiny.low", 1, ""),
        ("tiny.mid.services", "tiny.mid.rules", 3, ""),  # from . import rules
        ("tiny.mid.services", "tiny.low.models", 4, ""),  # from ..low.models import Thing
        ("tiny.mid.services", "tiny.low", 9, ""),  # the else of TYPE_CHECKING runs
        ("tiny.high.views", "tiny.mid.services", 1, ""),  # not the __init__ of tiny or mid
    }
    assert "tiny.migrations" not in project.modules
    assert [(u.name, u.line) for u in project.unresolved] == [("tiny.missing.nothing", 2)]

    assert find_circles(project.graph()) == [
        (
            ["tiny.low", "tiny.low.models", "tiny.mid.rules"],
            [["tiny.low", "tiny.low.models", "tiny.mid.rules", "tiny.low"]],
        )
    ]
    [circle] = circle_problems(project)
    assert "tiny/low/models.py:3 (in Thing.allowed) imports tiny.mid.rules" in circle

    layers, problems = parse_layers(TINY_TABLE, "tiny.md")
    assert problems == []
    assert layers_table_problems(layers, project.modules, "tiny.md") == []
    assert layers.layer_of("tiny.low.models") == "tiny.low"
    assert layers.layer_of("tiny.apps") == "tiny"
    assert layers.below("tiny") == {"tiny.high", "tiny.mid", "tiny.low"}
    assert uncovered_modules(project, layers) == []
    [upward] = layering_problems(project, layers, "tiny.md")
    assert upward.startswith("tiny/low/models.py:3 (in Thing.allowed) imports tiny.mid.rules")
    assert "an upward import (`tiny.mid` builds on `tiny.low`)" in upward


def test_the_checks_pass_a_tiny_package_once_it_is_fixed(tmp_path):
    _tiny(tmp_path)
    (tmp_path / "tiny/low/models.py").write_text("class Thing:\n    pass\n")
    (tmp_path / "tiny/high/views.py").write_text("import tiny.mid.services\n")
    project = read_project(tmp_path, ("tiny",))
    layers, problems = parse_layers(TINY_TABLE, "tiny.md")
    assert problems == []
    assert project.unresolved == []
    assert circle_problems(project) == []
    assert layering_problems(project, layers, "tiny.md") == []


def test_the_checks_judge_a_tiny_table(tmp_path):
    project = _tiny(tmp_path)
    text = TINY_TABLE.replace("| `tiny.low` | |", "| `tiny.low` | `tiny.high` |").replace(
        "| `tiny` | `tiny.high` |",
        "| `tiny.high` | `tiny.low` |\n| `tiny.gone` | `tiny.nowhere` |\n| tiny | |",
    )
    layers, problems = parse_layers(text, "tiny.md")
    assert problems == [
        "tiny.md:10: `tiny.high` has a row already (line 9)",
        "tiny.md:12: cannot read the row '| tiny | |'; write | `package` | `lower`, `other` | "
        "(each name in backticks)",
    ]
    assert layers_table_problems(layers, project.modules, "tiny.md") == [
        "tiny.md:11: `tiny.gone` is no package or module of the project",
        "tiny.md:11: `tiny.gone` builds on `tiny.nowhere`, which has no row of its own",
        "tiny.md: the table goes round in a circle: tiny.high -> tiny.mid -> tiny.low -> "
        "tiny.high (each builds on the next); a layer cannot be below itself",
    ]
    assert uncovered_modules(project, layers) == [
        "tiny/__init__.py: tiny is in no row of the Layers table; add a row for it or for a "
        "package holding it",
        "tiny/apps.py: tiny.apps is in no row of the Layers table; add a row for it or for a "
        "package holding it",
    ]
    assert parse_layers("# Nothing here\n", "x.md")[1] == ["x.md: no `## Layers` heading"]
