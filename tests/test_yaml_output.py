"""YAML as composek8s writes it (``synth/output.py``): its shortcuts past PyYAML's representer
and resolver must not change a byte of what PyYAML itself writes (issue #16)."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from composek8s.synth.output import to_yaml


class Reference(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's own representer, with the one rule composek8s adds: text of several lines is
    a literal block unless it ends in a blank."""


def _str(dumper, value):
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


Reference.add_representer(str, _str)

# Text that tests the emitter's choices: words YAML reads as other types, indicators,
# leading and trailing blanks, line breaks, non-ASCII and long text.
TRICKY = st.sampled_from(["", " ", "yes", "no", "on", "off", "true", "null", "~", "0", "0o17", "0x1F", "1e3",
                          "1_000", ".5", "-.inf", ".nan", "12:30", "2024-01-01", "- a", "a: b", "a #b", "#c",
                          "&a", "*a", "!tag", "|", ">", "%x", "@x", "`x", "'", '"', "{a}", "[a]", "a,b",
                          "? x", "x\n", "\nx", "a\nb", "a\n\nb\n", " a\nb", "a\nb ", "a\tb", "\u2028", "é✓",
                          "\x00", "\x85x", "\ufeff", "a" * 70, "{{ x }}", "$(VAR)", "=", "<<"])
# Mostly what manifests hold (printable ASCII with the characters that decide plain or quoted),
# so that most documents take the direct path and the rest PyYAML's.
ASCII = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
TEXT = st.one_of(TRICKY, ASCII, ASCII, st.text(max_size=30), st.text(alphabet=" \n\t:-#'\"abc01", max_size=12),
                 st.text(alphabet="ab", min_size=120, max_size=140))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False), TEXT)
DATA = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(TEXT, inner, max_size=4)), max_leaves=25)


@settings(max_examples=1500, deadline=None)
@given(DATA)
def test_to_yaml_writes_what_pyyaml_writes(data):
    expected = yaml.dump(data, Dumper=Reference, sort_keys=True, default_flow_style=False,
                         allow_unicode=True, width=1_000_000)
    assert to_yaml(data) == expected


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(TEXT, DATA, max_size=5))
def test_unsorted_and_flow_choices_are_pyyaml_s_too(data):
    from composek8s.synth.output import _Dumper

    for options in ({"sort_keys": False}, {"default_flow_style": None}):
        assert yaml.dump(data, Dumper=_Dumper, **options) == yaml.dump(data, Dumper=Reference, **options)


def test_a_manifest_is_written_without_pyyaml(monkeypatch):
    """The direct path is what manifests take (PyYAML only quotes a text once)."""
    manifest = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {
        "app.kubernetes.io/name": "web"}}, "spec": {"replicas": 1, "template": {"spec": {"containers": [{
            "args": ["sh", "-c", "exec nginx -g 'daemon off;'"], "env": [{"name": "URL", "value": "http://a:80/"}],
            "ports": [{"containerPort": 8080}], "securityContext": {"readOnlyRootFilesystem": True}}],
            "volumes": [{"emptyDir": {}, "name": "tmp"}], "tolerations": []}}}}
    expected = to_yaml(manifest)
    monkeypatch.setattr(yaml, "dump", lambda *a, **k: pytest.fail("PyYAML was asked"))
    assert to_yaml(manifest) == expected
    assert "        - -c\n" in expected and "      - emptyDir: {}\n" in expected


def test_a_value_repeated_in_a_document_is_written_again_not_anchored():
    shared = {"app": "web"}
    text = to_yaml({"metadata": {"labels": shared}, "selector": {"matchLabels": shared}})
    assert "&" not in text and "*" not in text and text.count("app: web") == 2
