"""Message templates: session fields rendered in Jinja2's sandbox; what a message needs works, everything that
could reach Python's internals, the file system or the network, or run for ever, is refused before it compiles."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from sheetflow.core.messages import FIELDS, MAX_TEXT, SAMPLE_FIELDS, TemplateProblem, compile_template, format_date

FIELDS_OF_EMMA = {
    **SAMPLE_FIELDS,
    "client": "Emma Thompson",
    "phone": "",
    "session_date": "04/12/2026",
    "session_weekday": "Friday",
    "studio": "Northlight Portraits",
}


def render(source: str, fields: dict[str, str] = FIELDS_OF_EMMA) -> str:
    return compile_template(source).render(fields)


def refusal(source: str) -> TemplateProblem:
    started = time.perf_counter()
    with pytest.raises(TemplateProblem) as caught:
        render(source)
    assert time.perf_counter() - started < 2, "refused, but only after a long time"
    assert caught.value.message and caught.value.fix
    return caught.value


def test_fields_conditions_and_text_filters():
    assert (
        render("Dear {{ client }}, see you on {{ session_weekday }} {{ session_date }} at {{ studio }}.")
        == "Dear Emma Thompson, see you on Friday 04/12/2026 at Northlight Portraits."
    )
    assert render("{% if phone %}call {{ phone }}{% else %}no phone{% endif %}") == "no phone"
    assert (
        render('{{ phone|default("no phone", true) }} {{ client|upper }} {{ client|truncate(4, true, "", 0) }}')
        == "no phone EMMA THOMPSON Emma"
    )
    assert (
        render('{% if session_type in ("Portrait", "Family") %}P{% endif %}{{ "-" ~ client|lower }}')
        == "P-emma thompson"
    )
    assert render("{% raw %}{{ not a field }}{% endraw %}") == "{{ not a field }}"


def test_dates_follow_the_studio_date_order():
    day = dt.date(2026, 12, 4)
    assert [format_date(day, order) for order in ("DMY", "MDY", "YMD")] == ["04/12/2026", "12/04/2026", "2026-12-04"]
    assert format_date(None, "DMY") == ""


def test_a_misspelt_field_is_named_with_a_suggestion():
    problem = refusal("Dear {{ cliet }}")
    assert '"cliet"' in problem.message and "did you mean {{ client }}" in problem.fix
    assert all(name in problem.fix for name in FIELDS)


def test_a_template_that_does_not_compile_says_so():
    assert "does not compile" in refusal("{% if client %}unclosed").message
    assert "does not compile" in refusal("{{ client ").message


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("{{ ''.__class__.__mro__ }}", "attributes"),
        ("{{ cycler.__init__.__globals__ }}", "attributes"),
        ("{{ client.__class__.__base__.__subclasses__() }}", "calling functions"),
        ("{{ client['__class__'] }}", "parts"),
        ("{{ lipsum }}", '"lipsum", which is not a session field'),
        ("{{ range }}", '"range", which is not a session field'),
        ("{{ config }}", '"config", which is not a session field'),
        ("{% include '/etc/passwd' %}", "include"),
        ("{% import 'os' as os %}", "import"),
        ("{% extends 'base.html' %}", "extend"),
        ("{% for i in range(10**9) %}x{% endfor %}", "loops"),
        ("{% for a in client %}{% for b in client %}{{ a }}{% endfor %}{% endfor %}", "loops"),
        ("{{ 10**10**10 }}", '"**"'),  # Jinja2 would fold this constant while compiling, and never finish
        ("{{ 'x' * 10**9 }}", '"*"'),
        ("{{ '%999999999d' % 1 }}", '"%"'),
        ("{{ client|center(1000000000) }}", 'filter "center"'),
        ("{{ client|truncate(length) }}", "plain values"),
        ("{{ client|attr('__class__') }}", 'filter "attr"'),
        ("{% set x = client %}{{ x }}", "set"),
        ("{% macro m() %}{% endmacro %}", "macros"),
        ("{{ self }}", '"self", which is not a session field'),  # Jinja2's own names are not fields either
        ("{{ loop }}", '"loop", which is not a session field'),
        ("{% filter upper %}{{ client }}{% endfilter %}", "not allowed"),
        ("{{ ((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))) }}" * 200, "characters long"),
        ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "does not compile"),
    ],
)
def test_hostile_templates_are_refused_quickly(source, said):
    assert said in refusal(source).message


def test_rendering_errors_and_oversized_messages_are_problems_not_tracebacks():
    assert "could not be filled in" in refusal("{% if client > 3 %}x{% endif %}").message
    long = compile_template("{{ client }}")
    with pytest.raises(TemplateProblem, match="more than a cell holds"):
        long.render({**FIELDS_OF_EMMA, "client": "x" * (MAX_TEXT + 1)})


def test_templates_see_only_the_fields_they_are_given():
    template = compile_template("{{ client }}")
    assert template.render({"client": "Ann"}) == "Ann"
    with pytest.raises(TemplateProblem, match="could not be filled in"):
        template.render({})
