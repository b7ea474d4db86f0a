"""Trigger messages: the Subject and Message cells are templates over a session's fields, e.g.
`Dear {{ client }}, see you on {{ session_date }}`, rendered by Jinja2 in its sandbox.

Templates are typed by whoever edits the workbook, so they are treated as hostile: before anything is compiled,
the parsed template is checked against a short list of what a message needs (text, fields, `{% if %}`,
comparisons, `~` and a few text filters). Loops, attribute and item access, calls, arithmetic that multiplies,
includes, imports, macros and assignments are refused with a message, so no template can reach Python's
internals, the file system or the network, or run for ever. Jinja2's immutable sandbox with strict undefined
stays underneath as a second wall, and is given no globals and only the filters listed here.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 32767  # the most characters an Excel cell holds
MAX_TEMPLATE = 8000  # a message template longer than this is not a message

# The fields a template may use, and what each holds (dates are written in the studio's date order).
FIELDS: dict[str, str] = {
    "client": "the session's Client",
    "session_id": "its Session ID",
    "email": "its Email",
    "phone": "its Phone",
    "session_type": "its Session Type",
    "session_date": "its Session Date",
    "session_weekday": "the weekday of its Session Date, such as Friday",
    "status": "its Status",
    "status_date": "the date it entered its Status",
    "due_date": "its Due Date",
    "stage": "the Stage of its Status",
    "assigned_to": "who the session is assigned to",
    "studio": "the Studio name on Settings",
    "user": "the Current user on Settings",
    "trigger": "the trigger's name",
    "trigger_date": "the trigger's date",
    "today": "the date of the run",
}
SAMPLE_FIELDS: dict[str, str] = {
    "client": "Sample Client",
    "session_id": "1001",
    "email": "client@example.com",
    "phone": "555-0100",
    "session_type": "Portrait",
    "session_date": "25/11/2026",
    "session_weekday": "Wednesday",
    "status": "Session Pending",
    "status_date": "18/11/2026",
    "due_date": "20/11/2026",
    "stage": "Booking",
    "assigned_to": "Maya",
    "studio": "Sample Studio",
    "user": "Maya",
    "trigger": "Reminder",
    "trigger_date": "18/11/2026",
    "today": "18/11/2026",
}
# Text filters whose output is never much longer than their input.
FILTERS = ("upper", "lower", "title", "capitalize", "trim", "truncate", "default")
FIELD_LIST = ", ".join(FIELDS)


@dataclass(frozen=True)
class TemplateProblem(Exception):
    """A template that can't be used, said for the studio owner."""

    message: str
    fix: str


@dataclass(frozen=True)
class MessageTemplate:
    source: str
    compiled: Any  # a jinja2 Template

    def render(self, fields: Mapping[str, str]) -> str:
        """The text for one session; a template that fails at run time is a TemplateProblem, never a traceback."""
        try:
            text = self.compiled.render(dict(fields))
        except Exception as exc:  # Jinja2's errors and Python's (comparing text with a number) alike
            raise TemplateProblem(
                f"the template could not be filled in ({_reason(exc)})",
                'compare fields only with text in quotes, such as {% if status == "Booked" %}',
            ) from None
        if len(text) > MAX_TEXT:
            raise TemplateProblem(
                f"the message comes to {len(text):,} characters, more than a cell holds", "shorten the template"
            )
        return text


def format_date(day: dt.date | None, date_order: str) -> str:
    """A date as the studio writes it: 25/11/2026 (DMY), 11/25/2026 (MDY), 2026-11-25 (YMD)."""
    if day is None:
        return ""
    if date_order == "MDY":
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    if date_order == "YMD":
        return day.isoformat()
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def compile_template(source: str) -> MessageTemplate:
    """Check a template and compile it; raises TemplateProblem naming what is wrong."""
    from jinja2 import TemplateSyntaxError, meta

    if len(source) > MAX_TEMPLATE:
        raise TemplateProblem(
            f"the template is {len(source):,} characters long",
            f"keep a message template under {MAX_TEMPLATE:,} characters",
        )
    env = _environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"the template does not compile ({exc.message}, line {exc.lineno})",
            "check that every {{ has its }} and every {% if %} its {% endif %}",
        ) from None
    except Exception as exc:  # nesting deep enough to exhaust the parser, and the like
        raise TemplateProblem(f"the template does not compile ({_reason(exc)})", "simplify the template") from None
    _check_tree(tree)
    try:
        unknown = sorted(meta.find_undeclared_variables(tree) - FIELDS.keys())
    except Exception as exc:  # deep nesting exhausts its recursion
        raise TemplateProblem(f"the template does not compile ({_reason(exc)})", "simplify the template") from None
    if unknown:
        raise _unknown_field(unknown[0])
    try:
        compiled = env.from_string(tree)
    except Exception as exc:
        raise TemplateProblem(f"the template does not compile ({_reason(exc)})", "simplify the template") from None
    return MessageTemplate(source, compiled)


def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, cache_size=0, auto_reload=False
    )
    env.globals.clear()  # range, lipsum, cycler, joiner, namespace, dict: none belongs in a message
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {}
    return env


def _check_tree(tree: Any) -> None:
    """Refuse, before compiling (Jinja2 folds constants while compiling: 10**10**10 would never finish), every
    node a message does not need."""
    from jinja2 import nodes

    allowed = (
        nodes.Template,
        nodes.Output,
        nodes.TemplateData,
        nodes.Const,
        nodes.Name,
        nodes.If,
        nodes.CondExpr,
        nodes.Compare,
        nodes.Operand,
        nodes.And,
        nodes.Or,
        nodes.Not,
        nodes.Concat,
        nodes.Add,
        nodes.Filter,
        nodes.Keyword,
        nodes.Tuple,
        nodes.List,
    )
    refused = {
        nodes.For: "loops ({% for %}) are not allowed in messages",
        nodes.Getattr: "a field's attributes (field.something) can't be used in messages",
        nodes.Getitem: "a field's parts (field[...]) can't be used in messages",
        nodes.Call: "calling functions (name(...)) is not allowed in messages",
        nodes.Include: "messages can't include other files",
        nodes.Import: "messages can't import anything",
        nodes.FromImport: "messages can't import anything",
        nodes.Extends: "messages can't extend other templates",
        nodes.Macro: "macros are not allowed in messages",
        nodes.Assign: "{% set %} is not allowed in messages",
        nodes.AssignBlock: "{% set %} is not allowed in messages",
    }
    fix = f"use fields such as {{{{ client }}}}, {{% if %}} … {{% endif %}} and the filters {', '.join(FILTERS)}"
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, allowed):
            reason = next((text for kind, text in refused.items() if isinstance(node, kind)), None)
            if reason is None and isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
                reason = f'the operator "{node.operator}" is not allowed in messages'
            raise TemplateProblem(reason or f"{type(node).__name__} blocks are not allowed in messages", fix)
        if isinstance(node, nodes.Filter):
            if node.name not in FILTERS:
                raise TemplateProblem(
                    f'the filter "{node.name}" is not allowed in messages', f"use one of {', '.join(FILTERS)}"
                )
            values = [*node.args, *(k.value for k in node.kwargs)]
            if node.dyn_args or node.dyn_kwargs or not all(isinstance(v, nodes.Const) for v in values):
                raise TemplateProblem(
                    f'the filter "{node.name}" may only be given plain values',
                    'such as {{ client|truncate(20) }} or {{ phone|default("no phone", true) }}',
                )
        if isinstance(node, nodes.Name) and (node.ctx != "load" or node.name not in FIELDS):
            raise _unknown_field(node.name)  # Jinja2's own names (self, loop…) too, which meta does not report
        stack.extend(reversed(list(node.iter_child_nodes())))  # in reading order: the first problem is named


def _unknown_field(name: str) -> TemplateProblem:
    close = difflib.get_close_matches(name, FIELDS, n=1)
    hint = f"did you mean {{{{ {close[0]} }}}}? " if close else ""
    return TemplateProblem(
        f'the template uses "{name}", which is not a session field', f"{hint}the fields are {FIELD_LIST}"
    )


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
