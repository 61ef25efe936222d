"""The Helm chart of a Plan: Chart.yaml, values (+ schema), templates, helpers, NOTES, tests.

The templates come from the same planned objects as dist/ (see ``render.py``); the few
files written by hand here are the chart's own: helpers, NOTES, the Secret created at
install from values, and the ``helm test`` hook.
"""
from __future__ import annotations

from ..graph import readme_section
from ..plan import Plan
from ..plan.exceptions import annotations, hook_pod_exceptions
from ..plan.model import Resource, resolve_values
from ..plan.names import camel_key, dns_name
from ..plan.startup import WAIT_IMAGE
from ..synth.output import HEADER, file_name, to_yaml
from .digest import DIGEST_ANNOTATION
from .render import Renderer, go_string, values_ref, scalar
from .values import values_schema, values_tree, values_yaml

KUBE_VERSION = ">=1.30.0-0"
TEST_IMAGE = f"{WAIT_IMAGE.repository}:{WAIT_IMAGE.tag}"  # by default; global.waitImage sets it
HELMIGNORE = """\
# Patterns ignored when packaging the chart.
.DS_Store
.git/
.gitignore
*.swp
*.bak
*.tmp
*.orig
*~
.idea/
.vscode/
"""


def chart_name(plan: Plan) -> str:
    return dns_name(plan.project)


def render_chart(plan: Plan, version: str = "0.1.0", digest: str | None = None) -> dict[str, str]:
    """The whole chart as {relative path: text}; ``digest`` (of its content) goes into
    Chart.yaml so a later run can tell whether the content changed (see versioning.py)."""
    name = chart_name(plan)
    renderer = Renderer(name)
    tree = values_tree(plan)
    files = {
        "Chart.yaml": chart_yaml(plan, version, digest),
        "values.yaml": values_yaml(plan, tree, HEADER),
        "values.schema.json": values_schema(plan, tree),
        ".helmignore": HELMIGNORE,
        "templates/_helpers.tpl": helpers(plan),
        "README.md": chart_readme(plan),
        "templates/NOTES.txt": notes(plan),
        "templates/secret.yaml": secret_template(plan),
        "templates/tests/test-connection.yaml": test_hook(plan),
    }
    for resource in plan.resources:
        if resource.chart:
            files[f"templates/{file_name(resource.plain())}"] = template(renderer, resource)
    files.update(ci_values(plan, tree))
    for env, spec in plan.environments.items():
        files[f"values-{env}.yaml"] = (HEADER + f"# Values of the {env} environment (x-k8s.environments in the "
                                       "compose file): helm install -f values-" + env + ".yaml\n"
                                       + to_yaml(spec["values"] or {}))
    return files


def chart_yaml(plan: Plan, version: str, digest: str | None = None) -> str:
    """Chart.yaml: the only file of the chart that depends on its version and digest."""
    meta = {
        "apiVersion": "v2", "name": chart_name(plan), "version": version, "appVersion": plan.app_version,
        "kubeVersion": KUBE_VERSION, "type": "application",
        "description": f"{plan.project}, compiled from Docker Compose by composek8s: hardened "
                       "workloads, NetworkPolicies, PodDisruptionBudgets.",
        "keywords": ["compose", "composek8s", plan.project],
    }
    if digest:
        meta["annotations"] = {DIGEST_ANNOTATION: digest}
    return HEADER + to_yaml(meta)


def check_environments(plan: Plan, files: dict[str, str]) -> None:
    """Each environment's values, merged over the defaults as Helm merges them, must pass
    the chart's own values.schema.json: a typo is an error here, not at deploy time."""
    if not plan.environments:
        return
    import json

    from ..diagnostics import CompileError, Diagnostic
    from ..plan.model import merge_values
    from ..schemagate import certainly_valid, fast_validator

    tree = values_tree(plan)
    schema = json.loads(files["values.schema.json"])
    merged = {env: merge_values(tree, spec["values"]) for env, spec in plan.environments.items()}
    fast = fast_validator(schema)
    if all(certainly_valid(fast, values) for values in merged.values()):
        return  # jsonschema (below) only for the messages
    import jsonschema

    validator = jsonschema.Draft7Validator(schema)
    errors = []
    for env, values in merged.items():
        for error in sorted(validator.iter_errors(values), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in error.path) or "values"
            errors.append(Diagnostic("error", "E-ENVIRONMENT", f"environment {env!r}: {where}: "
                                     f"{error.message}", plan.x_k8s_at("environments", env, "values", *error.path)))
    if errors:
        raise CompileError(errors)


def template(renderer: Renderer, resource: Resource) -> str:
    body = renderer.document(resource.manifest)
    if resource.condition:
        ref = values_ref(resource.condition)
        body = f"{{{{- if {ref} }}}}\n{body}{{{{- end }}}}\n"
    return HEADER + body


def helpers(plan: Plan) -> str:
    n, project = chart_name(plan), go_string(plan.project)
    return f'''{{{{/* {HEADER[2:].strip()} */}}}}

{{{{/* The chart name. */}}}}
{{{{- define "{n}.name" -}}}}
{{{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}}}
{{{{- end -}}}}

{{{{/* The chart label value: name-version. */}}}}
{{{{- define "{n}.chart" -}}}}
{{{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}}}
{{{{- end -}}}}

{{{{/*
An object's name, from (list $ base): the base name (as in dist/) when the release is named
after the project, else "<release>-<base>", so the chart installs twice in one namespace.
*/}}}}
{{{{- define "{n}.objectName" -}}}}
{{{{- $root := index . 0 -}}}}
{{{{- $base := index . 1 -}}}}
{{{{- if eq $root.Release.Name {project} -}}}}
{{{{- $base -}}}}
{{{{- else -}}}}
{{{{- printf "%s-%s" $root.Release.Name $base | trunc 63 | trimSuffix "-" -}}}}
{{{{- end -}}}}
{{{{- end -}}}}

{{{{/* The release-aware name of the project's main object, for (list $ base). */}}}}
{{{{- define "{n}.fullname" -}}}}
{{{{- include "{n}.objectName" . -}}}}
{{{{- end -}}}}

{{{{/* objectName, unless the value given third is set: then that value (existingSecret). */}}}}
{{{{- define "{n}.overridableName" -}}}}
{{{{- if index . 2 -}}}}
{{{{- index . 2 -}}}}
{{{{- else -}}}}
{{{{- include "{n}.objectName" (list (index . 0) (index . 1)) -}}}}
{{{{- end -}}}}
{{{{- end -}}}}

{{{{/* An image reference from (list $ .Values.<service>.image), with global.imageRegistry. */}}}}
{{{{- define "{n}.image" -}}}}
{{{{- $root := index . 0 -}}}}
{{{{- $image := index . 1 -}}}}
{{{{- $ref := $image.repository -}}}}
{{{{- with $root.Values.global.imageRegistry }}}}{{{{ $ref = printf "%s/%s" (trimSuffix "/" .) $ref }}}}{{{{ end -}}}}
{{{{- $tag := toString $image.tag -}}}}
{{{{- if hasPrefix "@" $tag -}}}}
{{{{- printf "%s%s" $ref $tag -}}}}
{{{{- else if $tag -}}}}
{{{{- printf "%s:%s" $ref $tag -}}}}
{{{{- else -}}}}
{{{{- $ref -}}}}
{{{{- end -}}}}
{{{{- end -}}}}

{{{{/* Common labels of the objects this chart writes by hand. */}}}}
{{{{- define "{n}.labels" -}}}}
app.kubernetes.io/instance: {{{{ .Release.Name }}}}
app.kubernetes.io/part-of: {project}
app.kubernetes.io/managed-by: {{{{ .Release.Service }}}}
helm.sh/chart: {{{{ include "{n}.chart" . }}}}
{{{{- end -}}}}

{{{{/* Selector labels of a workload, for (list $ name): they never change. */}}}}
{{{{- define "{n}.selectorLabels" -}}}}
app.kubernetes.io/name: {{{{ index . 1 }}}}
app.kubernetes.io/instance: {{{{ (index . 0).Release.Name }}}}
{{{{- end -}}}}
'''


def _workloads(plan: Plan) -> list[tuple[str, str]]:
    return [(r.kind, r.name) for r in plan.resources if r.kind in ("Deployment", "StatefulSet", "Job")]


def _public(plan: Plan) -> list[dict]:
    """Public services: the backend of each Ingress, with its port and probe path."""
    out = []
    for r in plan.resources:
        if r.kind != "Ingress":
            continue
        spec = r.plain()["spec"]
        backend = spec.get("defaultBackend") or spec["rules"][0]["http"]["paths"][0]["backend"]
        service = backend["service"]["name"]
        port_name = backend["service"]["port"]["name"]
        svc = next(resolve_values(s.manifest) for s in plan.resources if s.kind == "Service" and s.name == service)
        port = next(p["port"] for p in svc["spec"]["ports"] if p["name"] == port_name)
        workload = next(resolve_values(w.manifest) for w in plan.resources
                        if w.kind in ("Deployment", "StatefulSet") and w.name == service)
        probe = workload["spec"]["template"]["spec"]["containers"][0].get("readinessProbe", {})
        path = probe.get("httpGet", {}).get("path") if probe.get("httpGet", {}).get("port") == port else None
        ingress_key = "ingress" if sum(1 for x in plan.resources if x.kind == "Ingress") == 1 \
            else f"{camel_key(r.service or service)}.ingress"
        out.append({"service": service, "port": port, "path": path, "key": ingress_key})
    return out


def chart_readme(plan: Plan) -> str:
    """README.md: what the chart installs, as a picture (Artifact Hub and git hosts show it)."""
    lines = [f"<!-- {HEADER[2:].strip()} -->", f"# {chart_name(plan)}", "",
             f"The Helm chart of the compose project `{plan.project}`, compiled by composek8s: "
             "`helm install RELEASE .` from this folder (the values are documented in `values.yaml`).", ""]
    section = readme_section(plan)
    section[2] = ("With the default values: " + section[2][0].lower() + section[2][1:]
                  + " Object names are shown as `dist/` has them; a release may prefix them.")
    return "\n".join(lines + section)


def notes(plan: Plan) -> str:
    n = chart_name(plan)
    secret = plan.secret_name
    keys = [k for k in plan.secret_keys if k.secret == secret]
    lines = [f"{{{{/* {HEADER[2:].strip()} */}}}}",
             "{{ .Chart.Name }} {{ .Chart.AppVersion }} is installed as release {{ .Release.Name }} "
             "in namespace {{ .Release.Namespace }}.", "", "Workloads:"]
    renderer = Renderer(n)
    lines += [f"  - {r.kind} {{{{ {renderer.expr(r.manifest['metadata']['name'])} }}}}"  # a Job's name has a hash
              for r in plan.resources if r.kind in ("Deployment", "StatefulSet", "Job")]
    for public in _public(plan):
        key = public["key"]
        ref = values_ref
        lines += ["", f"{{{{- if {ref(key + '.enabled')} }}}}",
                  f"{public['service']} is served through its Ingress:",
                  f"{{{{- range {ref(key + '.hosts')} }}}}",
                  f"  http{{{{ if {ref(key + '.tls')} }}}}s{{{{ end }}}}://{{{{ . }}}}{{{{ {ref(key + '.path')} }}}}",
                  "{{- else }}",
                  "  on any host name your ingress controller serves (set "
                  f"{key}.hosts to choose one)", "{{- end }}", "{{- else }}",
                  f"Reach {public['service']} with:",
                  f"  kubectl port-forward -n {{{{ .Release.Namespace }}}} svc/{{{{ include \"{n}.objectName\" "
                  f"(list $ {go_string(public['service'])}) }}}} {public['port']}:{public['port']}",
                  "{{- end }}"]
    if keys:
        lines += ["", "{{- if .Values.secrets.existingSecret }}",
                  "Secrets come from the existing Secret {{ .Values.secrets.existingSecret }}.",
                  "{{- else if .Values.secrets.create }}",
                  "The Secret was created from secrets.values.", "{{- else }}",
                  f"The workloads read the Secret {{{{ include \"{n}.objectName\" (list $ {go_string(secret)}) }}}}, "
                  "which must exist. Create it (values from your own vault, never from git):",
                  f"  kubectl create secret generic {{{{ include \"{n}.objectName\" (list $ {go_string(secret)}) }}}} "
                  "-n {{ .Release.Namespace }} \\"]
        cont = " \\"
        lines += [f"    --from-literal={k.key}=..." + (cont if i < len(keys) - 1 else "") for i, k in enumerate(keys)]
        lines += ["or install with --set secrets.existingSecret=NAME (or secrets.create=true and secrets.values.*).",
                  "{{- end }}"]
    lines += ["", "Enforce the restricted Pod Security profile on the namespace (the workloads pass it):",
              "  kubectl label namespace {{ .Release.Namespace }} pod-security.kubernetes.io/enforce=restricted",
              "", "Check the release with:", "  helm test {{ .Release.Name }} -n {{ .Release.Namespace }}", ""]
    return "\n".join(lines)


def secret_template(plan: Plan) -> str:
    n = chart_name(plan)
    keys = [k for k in plan.secret_keys if k.secret == plan.secret_name]
    lines = [HEADER.rstrip("\n"), "{{- if .Values.secrets.create }}",
             "{{- if .Values.secrets.existingSecret }}",
             '{{- fail "secrets.create and secrets.existingSecret exclude each other: choose one" }}',
             "{{- end }}",
             '{{- if dig "externalSecrets" "enabled" false .Values.secrets }}',
             '{{- fail "secrets.create and secrets.externalSecrets.enabled exclude each other: choose one" }}',
             "{{- end }}", "apiVersion: v1", "kind: Secret", "metadata:",
             f"  name: {{{{ include \"{n}.objectName\" (list $ {go_string(plan.secret_name)}) }}}}",
             "  namespace: {{ .Release.Namespace }}", "  labels:",
             f"    {{{{- include \"{n}.labels\" . | nindent 4 }}}}", "type: Opaque", "stringData:"]
    for k in keys:
        ref = values_ref(f"secrets.values.{k.key}")
        if k.required:
            message = go_string(f"secrets.values.{k.key} is required with secrets.create=true")
            lines.append(f"  {k.key}: {{{{ required {message} {ref} | toJson }}}}")
        else:
            lines += [f"  {{{{- with {ref} }}}}", f"  {k.key}: {{{{ . | toJson }}}}", "  {{- end }}"]
    if not keys:
        lines.append("  {}")
    lines.append("{{- end }}")
    return "\n".join(lines) + "\n"


def test_hook(plan: Plan) -> str:
    """``helm test``: a hardened pod that calls each public service, and the policy letting it."""
    n = chart_name(plan)
    publics = _public(plan)
    checks = []
    for p in publics:
        host = f"{{{{ include \"{n}.objectName\" (list $ {go_string(p['service'])}) }}}}"
        if p["path"]:
            checks.append(f"wget -q -T 10 -O /dev/null http://{host}:{p['port']}{p['path']}")
        else:
            checks.append(f"nc -z -w 10 {host} {p['port']}")
    for kind, name in _workloads(plan):
        if kind != "Job":
            checks.append(f"nslookup {{{{ include \"{n}.objectName\" (list $ {go_string(name)}) }}}} >/dev/null")
    script = " && ".join(checks) or "true"
    labels = [f"    {{{{- include \"{n}.labels\" . | nindent 4 }}}}",
              f"    app.kubernetes.io/name: {n}-test", "    app.kubernetes.io/component: test"]
    pod = [HEADER.rstrip("\n"), "apiVersion: v1", "kind: Pod", "metadata:",
           f"  name: {{{{ include \"{n}.objectName\" (list $ \"test-connection\") }}}}",
           "  namespace: {{ .Release.Namespace }}", "  labels:", *labels, "  annotations:",
           '    "helm.sh/hook": test', '    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded',
           *[f"    {scalar(k)}: {scalar(v)}" for k, v in annotations(hook_pod_exceptions(TEST_IMAGE)).items()],
           "spec:", "  restartPolicy: Never", "  automountServiceAccountToken: false",
           "  securityContext:", "    runAsNonRoot: true", "    runAsUser: 65534", "    runAsGroup: 65534",
           "    seccompProfile:", "      type: RuntimeDefault", "  containers:", "    - name: check",
           f"      image: {{{{ include \"{n}.image\" (list $ .Values.global.waitImage) | toJson }}}}",
           "      imagePullPolicy: Always",
           "      command: [\"sh\", \"-c\"]", "      args:", f"        - {to_yaml(script).strip().removesuffix('...').strip()}",
           "      resources:", "        requests: {cpu: 10m, memory: 16Mi}", "        limits: {cpu: 100m, memory: 32Mi}",
           "      securityContext:", "        allowPrivilegeEscalation: false", "        readOnlyRootFilesystem: true",
           "        runAsNonRoot: true", "        capabilities:", "          drop: [ALL]"]
    policy = ["---", "{{- if .Values.networkPolicy.enabled }}", "apiVersion: networking.k8s.io/v1",
              "kind: NetworkPolicy", "metadata:",
              f"  name: {{{{ include \"{n}.objectName\" (list $ \"test-connection\") }}}}",
              "  namespace: {{ .Release.Namespace }}", "  labels:", *labels, "  annotations:",
              '    "helm.sh/hook": test', '    "helm.sh/hook-weight": "-1"',
              '    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded',
              "spec:", "  podSelector:", "    matchLabels:", f"      app.kubernetes.io/name: {n}-test",
              "      app.kubernetes.io/instance: {{ .Release.Name }}", "  policyTypes: [Ingress, Egress]",
              "  ingress: []", "  egress:"]
    for p in publics:
        policy += ["    - to:", "        - podSelector:", "            matchLabels:",
                   f"              app.kubernetes.io/name: {p['service']}",
                   "              app.kubernetes.io/instance: {{ .Release.Name }}",
                   "      ports:", f"        - port: {p['port']}", "          protocol: TCP"]
    if not publics:
        policy[-1] = "  egress: []"
    policy.append("{{- end }}")
    return "\n".join(pod + policy) + "\n"


def ci_values(plan: Plan, tree: dict) -> dict[str, str]:
    """ci/*-values.yaml: scenarios `helm lint` and the tests render (chart-testing's layout).

    Each must stay clean under `composek8s check`, so none turns a safeguard off
    (networkPolicy.enabled=false is tested as an override instead)."""
    # Keyed by the service (values keys come from service names, not object names).
    rendered = [(camel_key(r.service), r.plain()) for r in plan.resources if r.service]
    production: dict = {}
    for key, m in rendered:
        if m["kind"] == "Deployment" and m["spec"]["strategy"]["type"] == "RollingUpdate":
            production[key] = {"replicas": 3}
        if m["kind"] == "StatefulSet" and m["spec"].get("volumeClaimTemplates"):
            production[key] = {"persistence": {"size": "50Gi"}}
    files = {"ci/production-values.yaml": production,
             "ci/existing-secret-values.yaml": {"secrets": {"existingSecret": f"{chart_name(plan)}-production-secrets"}}}
    off = {key: {"persistence": {"enabled": False}} for key, m in rendered if m["kind"] == "StatefulSet"}
    if off:
        files["ci/persistence-off-values.yaml"] = off
    if "ingress" in tree:
        files["ci/ingress-tls-values.yaml"] = {"ingress": {
            "className": "nginx", "hosts": ["app.example.com"],
            "tls": [{"secretName": "app-example-com-tls", "hosts": ["app.example.com"]}]}}
    return {path: HEADER + to_yaml(data) for path, data in files.items()}
