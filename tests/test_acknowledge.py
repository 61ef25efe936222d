"""x-k8s.acknowledge: a reviewed warning, with its reason, is silenced (so --strict is usable)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import only

ROOT = Path(__file__).resolve().parent.parent
TWO_LOG_VOLUMES = """
    name: shop
    services:
      web:
        image: example/web:1
        volumes: [web_logs:/app/logs]
        deploy: {resources: {limits: {cpus: "1", memory: 256M}}}
        {web_x}
      api:
        image: example/api:1
        volumes: [api_logs:/app/logs]
        deploy: {resources: {limits: {cpus: "1", memory: 256M}}}
    volumes: {web_logs: {}, api_logs: {}}
    {project_x}
"""


def compose(web_x: str = "", project_x: str = "") -> str:
    return TWO_LOG_VOLUMES.replace("{web_x}", web_x).replace("{project_x}", project_x)


def logs_warnings(c) -> list[str]:
    return sorted(d.message.split(":")[0] for d in c.diagnostics if d.code == "W-VOLUME-LOGS")


def test_a_service_acknowledgement_silences_only_that_services_warning(compile_compose):
    assert logs_warnings(compile_compose(compose())) == ["service 'api'", "service 'web'"]
    c = compile_compose(compose(web_x='x-k8s: {acknowledge: [{code: W-VOLUME-LOGS, reason: "logs go to stdout"}]}'))
    assert logs_warnings(c) == ["service 'api'"]
    assert [d.code for d in c.plan.acknowledged] == ["W-VOLUME-LOGS"]
    assert "W-ACK-UNUSED" not in c.codes()


def test_a_project_acknowledgement_silences_the_code_everywhere(compile_compose):
    c = compile_compose(compose(project_x='x-k8s: {acknowledge: [{code: W-VOLUME-LOGS, reason: "stdout"}]}'))
    assert logs_warnings(c) == [] and len(c.plan.acknowledged) == 2


def test_an_acknowledgement_that_silences_nothing_is_a_warning_at_its_line(compile_compose):
    c = compile_compose(compose(project_x='x-k8s:\n      acknowledge:\n        - {code: W-PORT-INFERRED, reason: "old"}'))
    warning = only(c.diagnostics, "W-ACK-UNUSED")
    assert "x-k8s.acknowledge W-PORT-INFERRED silences no warning" in warning.message
    assert warning.position.line == 16


def test_an_acknowledgement_needs_a_warning_code_and_a_reason(compile_error):
    errors = compile_error(compose(web_x='x-k8s:\n          acknowledge:\n            - {code: W-VOLUME-LOGS}'
                                         '\n            - {code: E-SECURITY-PRIVILEGED, reason: "we know"}'
                                         '\n            - {code: W-VOLUME-LOGS, reason: "  "}'))
    messages = {e.position.line: e.message for e in errors if e.code == "E-XK8S"}
    assert "acknowledge entries are {code: W-…, reason: why it is fine}" in messages[10]
    assert "is not a warning code (W-…): only warnings can be acknowledged" in messages[11]
    assert "acknowledge W-VOLUME-LOGS needs a reason" in messages[12]


def test_atlantiplex_passes_strict():
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run([sys.executable, "-m", "composek8s.cli", "synth", "--check", "--strict"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "warning[" not in result.stderr and "error[" not in result.stderr
