"""The apidoc driver: API documentation of an installed package (--driver apidoc:PACKAGE)."""

import json

from .base import SCENE_FILE, RenderError


class Driver:
    """API documentation of an installed package, for repairs grounded in the real API (RITL-DOC).

    Jobs never run the program: its source is parsed with `ast`. A job directory holds the program
    (scene.py) and apidoc_request.json, {"mode": "lookup"} or {"mode": "index"}.
    - lookup: the names the program calls or reads as attributes, in order of first use, with
      `x.method` resolved to `Class.method` where `x` was assigned from a call of a package class
      and `self.method` to the enclosing class's package base; builtins, names the program defines
      itself and names rooted in other imported modules are dropped. Each name is looked up in the
      package: signature and docstring cut before its examples section, or unresolved.
    - index: every public name of the package and of its modules two levels down, and the public
      attributes of their classes, for suggesting real names in place of hallucinated ones."""
    compiles_python = False
    # Its jobs run nothing of the program (ast only) and read apidoc_request.json: a plain job child.
    job_isolation = False
    argument = "PACKAGE"
    DOC_LIMIT = 1500

    def __init__(self, package):
        self.package = package
        self.name = "apidoc:" + package

    def warm(self):
        import importlib
        self.module = importlib.import_module(self.package)
        return {self.package: str(getattr(self.module, "__version__", "unknown"))}

    def render(self, compiled, settings, out_dir):
        with open("apidoc_request.json") as f:
            mode = json.load(f).get("mode")
        with open(SCENE_FILE, encoding="utf-8", errors="replace") as f:
            source = f.read()
        version = str(getattr(self.module, "__version__", "unknown"))
        if mode == "index":
            return {"frames": [], "apidoc": {"package": self.package, "version": version, "names": self.index()}}
        if mode != "lookup":
            raise RenderError("bad_input", "unknown apidoc mode %r" % (mode,))
        return {"frames": [], "apidoc": {"package": self.package, "version": version, "entries": self.lookup(source)}}

    def index(self):
        """Public names of the package, of its modules two levels down (rdkit's names live in rdkit.Chem and
        rdkit.Chem.Draw, matplotlib's in matplotlib.pyplot: the top level alone has almost none), and the public
        attributes of their classes, as `name`, `Class.attr`, `sub.name` or `sub.Class.attr`. Names another
        package owns (re-exported os, numpy...) are left out; test and GUI-backend modules are not imported, and
        a module that fails to import is passed over."""
        import importlib
        import inspect
        import pkgutil
        package = self.package
        names = set()

        def add(module, prefix):
            for name in dir(module):
                if name.startswith("_"):
                    continue
                obj = getattr(module, name, None)
                if inspect.ismodule(obj):
                    if not obj.__name__.startswith(package + "."):
                        continue
                elif inspect.isclass(obj) or inspect.isroutine(obj):  # constants (instances) are the package's own
                    owner = getattr(obj, "__module__", None)
                    if isinstance(owner, str) and owner.split(".")[0] != package:
                        continue
                names.add(prefix + name)
                if inspect.isclass(obj):
                    names.update("%s%s.%s" % (prefix, name, attr) for attr in dir(obj) if not attr.startswith("_"))

        add(self.module, "")
        for info in pkgutil.walk_packages(getattr(self.module, "__path__", []), package + ".", onerror=lambda name: None):
            parts = info.name[len(package) + 1:].split(".")
            if len(parts) > 2 or any(p.startswith("_") or "test" in p.lower() or "backend" in p.lower() for p in parts):
                continue
            try:
                sub = importlib.import_module(info.name)
            except BaseException:  # a module that needs what is not installed (pandas, reportlab...), or exits
                continue
            names.add(".".join(parts))
            add(sub, ".".join(parts) + ".")
        return sorted(names)

    def lookup(self, source):
        import ast
        import builtins
        import inspect
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return []
        defined, foreign = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] != self.package:
                        foreign.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] != self.package:
                for alias in node.names:
                    foreign.add(alias.asname or alias.name)
        skip = set(dir(builtins)) | {"self", "cls", "super"}

        def package_class(name):
            obj = getattr(self.module, name, None)
            return name if inspect.isclass(obj) else None

        # x = Circle(...) makes x a Circle; self inside `class S(Scene)` is a Scene.
        types = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
                cls = package_class(node.value.func.id)
                for target in node.targets:
                    if isinstance(target, ast.Name) and cls:
                        types[target.id] = cls
        self_types = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                base = next((b.id for b in node.bases if isinstance(b, ast.Name) and package_class(b.id)), None)
                for inner in ast.walk(node):
                    self_types[id(inner)] = base

        found = []
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                if name in skip or name in defined or name in foreign:
                    name = None
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                head = node.value.id
                if head == "self":
                    base = self_types.get(id(node))
                    name = "%s.%s" % (base, node.attr) if base else None
                elif head in types:
                    name = "%s.%s" % (types[head], node.attr)
                elif head in foreign or head in skip or head in defined:
                    name = None
                elif head == self.package:
                    name = node.attr
                else:
                    name = None  # a local variable of unknown type: nothing to resolve against
            if name:
                found.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), name))
        seen, entries = set(), []
        for _, _, name in sorted(found):
            if name in seen:
                continue
            seen.add(name)
            entries.append(self.describe(name))
        return entries

    def describe(self, name):
        import inspect
        obj = self.module
        for part in name.split("."):
            try:
                obj = inspect.getattr_static(obj, part) if inspect.isclass(obj) else getattr(obj, part)
            except AttributeError:
                return {"name": name, "resolved": False}
            if isinstance(obj, (staticmethod, classmethod)):
                obj = obj.__func__
        signature = ""
        try:
            if callable(obj):
                signature = str(inspect.signature(obj))
        except (TypeError, ValueError):
            pass
        doc = inspect.getdoc(obj) or ""
        for marker in ("\nExamples\n", "\nExample\n", "\n.. manim::"):
            cut = doc.find(marker)
            if cut >= 0:
                doc = doc[:cut]
        return {"name": name, "resolved": True, "signature": signature, "doc": doc.strip()[:self.DOC_LIMIT]}
