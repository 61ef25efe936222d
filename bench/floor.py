"""The floor: the bare cost of a one-object cdk8s app in this venv (see bench/README.md).

Imports cdk8s, creates an App, a Chart and one ApiObject, and serialises the chart, which
starts the jsii Node.js runtime and makes a handful of jsii calls: what every cdk8s program
pays before it does any work of its own. ``bench/run.py`` runs it as a fresh subprocess.
"""
import cdk8s

app = cdk8s.App()
chart = cdk8s.Chart(app, "floor", disable_resource_name_hashes=True)
cdk8s.ApiObject(chart, "config", api_version="v1", kind="ConfigMap",
                metadata=cdk8s.ApiObjectMetadata(name="floor"))
assert len(chart.to_json()) == 1
