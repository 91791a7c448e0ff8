"""Generate docs/api.md, the API reference of shap_zero, from its numpydoc docstrings.

Run ``python docs/build_api.py`` to rewrite docs/api.md, or ``python docs/build_api.py --check``
to exit 1 when it is out of date. The output is deterministic (``__all__`` and definition
order, no addresses, no dates), so tests/test_api_reference.py compares it byte for byte.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

from numpydoc.docscrape import NumpyDocString

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "api.md"
COMMAND = "python docs/build_api.py"
SECTIONS = ("Alphabets", "Sketches", "Learning sketches", "Explaining", "Attribution functions",
            "Plots", "Other", "Exceptions")
MODULE_SECTIONS = {  # defining module (or package) -> section
    "shap_zero.alphabet": "Alphabets", "shap_zero.fourier": "Sketches",
    "shap_zero.synthetic": "Sketches", "shap_zero.sketch": "Learning sketches",
    "shap_zero.engines": "Learning sketches",
    "shap_zero.explainer": "Explaining", "shap_zero.models": "Explaining",
    "shap_zero.attribution": "Attribution functions", "shap_zero.plots": "Plots",
}
PARAM_SECTIONS = ("Parameters", "Other Parameters", "Returns", "Yields", "Receives", "Raises", "Warns",
                  "Attributes")
TEXT_SECTIONS = ("Warnings", "Notes", "References")
ROLE = re.compile(r":(?:py:)?[a-z]+:`(~?)([^`<]*?)(?:\s*<[^>]*>)?`")
MAX_DEFAULT = 40  # longer default values are cut to this many characters in signatures


def own_doc(obj):
    """Return the cleaned docstring ``obj`` defines itself, or "".

    Unlike :func:`inspect.getdoc` this never borrows a base class's docstring, which
    would describe another signature (e.g. an undocumented override of shap.Explainer).

    Parameters
    ----------
    obj : object
        A class, function or property getter.

    Returns
    -------
    str
    """
    doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def data_doc(name, obj):
    """Find the module that assigns a constant, and the constant's docstring.

    Parameters
    ----------
    name : str
        The name of the constant.
    obj : object
        Its value; only shap_zero modules binding ``name`` to this object are searched.

    Returns
    -------
    module : str or None
        The first such module (sorted by name) that assigns ``name`` at top level.
    doc : str
        The string literal after the assignment, else its ``#:`` comment lines, else "".
    """
    for module_name in sorted(m for m in sys.modules if m.split(".")[0] == "shap_zero"):
        if vars(sys.modules[module_name]).get(name) is not obj:
            continue
        try:
            lines = inspect.getsource(sys.modules[module_name]).splitlines()
        except (OSError, TypeError):
            continue
        body = ast.parse("\n".join(lines)).body
        for i, node in enumerate(body):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            if not any(isinstance(t, ast.Name) and t.id == name for t in targets):
                continue
            after = body[i + 1] if i + 1 < len(body) else None
            if isinstance(after, ast.Expr) and isinstance(getattr(after.value, "value", None), str):
                return module_name, inspect.cleandoc(after.value.value)
            comments, j = [], node.lineno - 2
            while j >= 0 and lines[j].lstrip().startswith("#:"):
                comments.insert(0, lines[j].lstrip()[2:].strip())
                j -= 1
            return module_name, " ".join(comments)
    return None, ""


def collect():
    """List what the reference documents, grouped into sections.

    Every name of ``shap_zero.__all__`` but ``__version__``, then the ``__all__`` of
    ``shap_zero.plots`` when that module exists. A name whose module fits no section
    goes to "Other", so nothing is dropped silently.

    Returns
    -------
    list of (str, list of (str, object, str))
        The non-empty sections in :data:`SECTIONS` order, each with its entries
        ``(qualified name, object, docstring)`` in ``__all__`` order.
    """
    import shap_zero

    entries = [(f"shap_zero.{n}", getattr(shap_zero, n)) for n in shap_zero.__all__ if n != "__version__"]
    try:
        plots = importlib.import_module("shap_zero.plots")
    except ModuleNotFoundError as error:
        if error.name != "shap_zero.plots":
            raise
    else:
        names = getattr(plots, "__all__", None) or [
            n for n, v in vars(plots).items()
            if not n.startswith("_") and inspect.isfunction(v) and v.__module__ == plots.__name__]
        entries += [(f"shap_zero.plots.{n}", getattr(plots, n)) for n in names]
    grouped = {section: [] for section in SECTIONS}
    for qualname, obj in entries:
        if inspect.isclass(obj) or inspect.isroutine(obj):
            module, doc = getattr(obj, "__module__", None) or "", own_doc(obj)
        else:
            module, doc = data_doc(qualname.rsplit(".", 1)[1], obj)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            section = "Exceptions"
        elif "explainer" in qualname.lower():
            section = "Explaining"
        else:
            section = next((s for m, s in MODULE_SECTIONS.items()
                            if module == m or (module or "").startswith(m + ".")), "Other")
        grouped[section].append((qualname, obj, doc))
    return [(section, items) for section, items in grouped.items() if items]


def unwrap(member):
    """Return the function behind a class attribute (method, class/static method, property)."""
    for attribute in ("__func__", "fget", "func"):  # class/staticmethod, property, cached_property
        if hasattr(member, attribute):
            return getattr(member, attribute)
    return member


def members(cls):
    """List the public methods and properties of a class.

    Parameters
    ----------
    cls : type
        The class. Members it inherits from classes outside shap_zero (object,
        shap.Explainer) are left out unless it overrides them.

    Returns
    -------
    list of (str, object)
        Name and raw class attribute, in definition order; ``__call__`` is public.
    """
    found = {}
    for klass in cls.__mro__:
        if klass is cls or klass.__module__.split(".")[0] == "shap_zero":
            for name, value in vars(klass).items():
                if name not in found and (not name.startswith("_") or name == "__call__"):
                    if inspect.isfunction(unwrap(value)):
                        found[name] = value
    return list(found.items())


class _Raw(str):
    """A string whose repr is itself: prints annotations and shortened defaults unquoted."""

    __repr__ = str.__str__


def signature(obj, name, drop_first=False):
    """Format the signature of a callable, one parameter per line when long.

    Parameters
    ----------
    obj : callable
        A function or class.
    name : str
        The name printed before the parentheses.
    drop_first : bool, default False
        Leave out the first parameter (``self`` or ``cls``).

    Returns
    -------
    str or None
        None when :func:`inspect.signature` cannot read one.
    """
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())[1 if drop_first else 0:]
    parts = []
    for i, p in enumerate(params):
        if p.annotation is not p.empty:
            text = p.annotation if isinstance(p.annotation, str) else inspect.formatannotation(p.annotation)
            p = p.replace(annotation=_Raw(text))
        if p.default is not p.empty:
            text = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(p.default))
            p = p.replace(default=_Raw(text if len(text) <= MAX_DEFAULT else text[:MAX_DEFAULT - 3] + "..."))
        if p.kind is p.KEYWORD_ONLY and all(q.kind < p.VAR_POSITIONAL for q in params[:i]):
            parts.append("*")
        parts.append(str(p))
        if p.kind is p.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1].kind is not p.kind):
            parts.append("/")
    returns = sig.return_annotation
    if inspect.isclass(obj) or returns is sig.empty:
        tail = ""
    else:
        tail = " -> " + (returns if isinstance(returns, str) else inspect.formatannotation(returns))
    one_line = f"{name}({', '.join(parts)}){tail}"
    if len(one_line) <= 88:
        return one_line
    return f"{name}(\n" + "".join(f"    {part},\n" for part in parts) + f"){tail}"


def inline(text):
    """Turn reST roles and ````literals```` into Markdown code spans (``~`` keeps the last part)."""
    text = ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", text)
    return re.sub(r"``(.+?)``", r"`\1`", text)


def markdown(lines):
    """Render the lines of one docstring section as Markdown.

    ``.. math::`` directives become fenced ``math`` blocks, ``::`` literal blocks fenced
    ``text`` blocks; everything else goes through :func:`inline`.

    Parameters
    ----------
    lines : list of str

    Returns
    -------
    list of str
    """
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        math = re.match(r"\s*\.\. math::\s*(.*)$", line)
        if not math and not (line.rstrip().endswith("::") and not line.lstrip().startswith("..")):
            out.append(inline(line))
            i += 1
            continue
        if not math and line.strip() != "::":
            out.append(inline(line.rstrip()[:-2].rstrip() + ":"))
        indent, body = len(line) - len(line.lstrip()), [math.group(1)] if math else []
        i += 1
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i])
            i += 1
        if math:
            out += ["", "```math", *[b.strip() for b in body if b.strip()], "```", ""]
        else:
            out += ["", "```text", *textwrap.dedent("\n".join(body)).strip("\n").splitlines(), "```", ""]
    return out


def render_doc(text):
    """Render a numpydoc docstring as Markdown lines (Examples as ``pycon``, never run).

    Parameters
    ----------
    text : str
        The docstring.

    Returns
    -------
    list of str
    """
    doc, out = NumpyDocString(text), []
    for key in ("Summary", "Extended Summary"):
        if doc[key]:
            out += [*markdown(doc[key]), ""]
    for key in PARAM_SECTIONS:
        if doc[key]:
            out += [f"**{key}**", ""]
            for p in doc[key]:
                name = f"**{p.name.replace('*', chr(92) + '*')}**" if p.name else ""
                desc = [f"  {d}" if d.strip() else "" for d in markdown(p.desc)]
                out += ["- " + " : ".join(filter(None, [name, inline(p.type)])), *([""] + desc if desc else []), ""]
    if doc["See Also"]:
        out += ["**See Also**", ""]
        for funcs, desc in doc["See Also"]:
            out.append("- " + ", ".join(f"`{f}`" for f, _ in funcs) + (": " + inline(" ".join(desc)) if desc else ""))
        out.append("")
    for key in TEXT_SECTIONS:
        if doc[key]:
            out += [f"**{key}**", "", *markdown(doc[key]), ""]
    examples = textwrap.dedent("\n".join(doc["Examples"])).strip("\n")
    if examples:
        out += ["**Examples**", "", "```pycon", *examples.splitlines(), "```", ""]
    return out


def render_object(qualname, obj, doc, heading):
    """Render one documented object, and a class's members, as Markdown lines.

    Parameters
    ----------
    qualname : str
        The public name, e.g. ``"shap_zero.FourierSketch"``.
    obj : object
        The class, function or constant.
    doc : str
        Its docstring.
    heading : callable
        Takes a heading's text, registers its anchor and returns the text.

    Returns
    -------
    list of str
    """
    short = qualname.rsplit(".", 1)[1]
    out = [f"### `{heading(qualname)}`", ""]
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        bases = ", ".join(f"`{base.__name__}`" for base in obj.__bases__)
        return out + [f"*exception*, bases: {bases}", "", *render_doc(doc)]
    if inspect.isclass(obj) or inspect.isroutine(obj):
        sig = signature(obj, short)
        out += ["*class*" if inspect.isclass(obj) else "*function*", ""]
        out += ["```text", *sig.splitlines(), "```", ""] if sig else []
    else:
        value = repr(obj) if len(repr(obj)) <= 100 else repr(obj)[:97] + "..."
        out += [f"*constant* of type `{type(obj).__name__}`: `{value}`", ""]
    out += render_doc(doc)
    for name, value in members(obj) if inspect.isclass(obj) else []:
        func = unwrap(value)
        out += [f"#### `{heading(short + '.' + name)}`", ""]
        if isinstance(value, (classmethod, staticmethod)) or func is value:
            sig = signature(func, name, drop_first=not isinstance(value, staticmethod))
            kind = type(value).__name__ if func is not value else "method"
            out += [f"*{kind}*", "", "```text", *sig.splitlines(), "```", ""]
        else:
            out += ["*property*", ""]
        out += render_doc(own_doc(func))
    return out


def build():
    """Return the text of docs/api.md.

    Returns
    -------
    str
    """
    counts, anchors, toc, body = {}, {}, [], []

    def heading(text):
        anchor = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")  # GitHub's heading ids
        anchors[text] = anchor + (f"-{counts[anchor]}" if anchor in counts else "")
        counts[anchor] = counts.get(anchor, 0) + 1
        return text

    heading("API reference"), heading("Contents")
    for section, items in collect():
        body += [f"## {heading(section)}", ""]
        toc.append(f"- [{section}](#{anchors[section]})")
        for qualname, obj, doc in items:
            body += render_object(qualname, obj, doc, heading)
            toc.append(f"  - [`{qualname}`](#{anchors[qualname]})")
    header = [
        f"<!-- Generated by `{COMMAND}` from the numpydoc docstrings. Do not edit by hand. -->", "",
        "# API reference", "",
        f"*This file is generated by `{COMMAND}` from the docstrings of `shap_zero`; do not",
        "edit it by hand. `tests/test_api_reference.py` fails when it is out of date.*", "",
        "## Contents", "", *toc, "",
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(header + body)).rstrip("\n") + "\n"


def main(argv=None):
    """Write docs/api.md, or with ``--check`` compare it with a fresh build.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit status: 1 when ``--check`` finds docs/api.md out of date, else 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is out of date")
    text, args = build(), parser.parse_args(argv)
    if not args.check:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT}")
        return 0
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if current == text:
        print(f"{OUTPUT} is up to date")
        return 0
    diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(), str(OUTPUT), "generated",
                                     lineterm="", n=1))
    print("\n".join(diff[:60] + (["..."] if len(diff) > 60 else [])))
    print(f"\n{OUTPUT} is out of date with the docstrings: run `{COMMAND}` and commit the result.")
    return 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
