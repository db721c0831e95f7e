"""Every user-facing string of the intake pipeline has its Chinese in the fragment ``locale_intake_zh.po``."""

import ast
import re
from pathlib import Path

import polib

REGISTRY = Path(__file__).resolve().parents[1]
CORE_INTAKE = REGISTRY.parent / "core" / "intake"
SOURCES = [*CORE_INTAKE.glob("*.py"), REGISTRY / "template.py", REGISTRY / "importing.py", REGISTRY / "views_import.py",
           REGISTRY / "jobs.py"]
TEMPLATES = list((REGISTRY / "templates" / "registry").glob("import*.html"))
GETTEXT = {"_", "gettext", "gettext_lazy"}


def python_msgids(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in GETTEXT:
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def template_msgids(path: Path) -> set[str]:
    text = path.read_text()
    found = set(re.findall(r'{% translate "([^"]+)" %}', text))
    for options, body in re.findall(r"{% blocktranslate([^%]*)%}(.*?){% endblocktranslate %}", text, re.S):
        if "trimmed" in options:
            body = " ".join(line.strip() for line in body.strip().splitlines())
        found.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body))
    return found


def test_the_chinese_fragment_is_complete():
    catalogue = {entry.msgid: entry.msgstr for entry in polib.pofile(str(REGISTRY / "locale_intake_zh.po"))}
    wanted = set().union(*map(python_msgids, SOURCES), *map(template_msgids, TEMPLATES))
    missing = sorted(m for m in wanted if not catalogue.get(m))
    assert not missing, missing
    assert all(re.findall(r"%\(\w+\)[sd]", k) == re.findall(r"%\(\w+\)[sd]", v) or
               sorted(re.findall(r"%\(\w+\)[sd]", k)) == sorted(re.findall(r"%\(\w+\)[sd]", v))
               for k, v in catalogue.items() if k)
