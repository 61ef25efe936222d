"""The conversion table: ``deploy`` beyond resources, ``platform`` and ``stop_signal``.

``update_config`` shapes the rollout, ``restart_policy`` picks a Job as ``restart`` does,
placement constraints on node labels and ``platform`` become a ``nodeSelector``; every
sub-key that has no Kubernetes meaning is reported at its own line.
"""
from __future__ import annotations

from support import only


def test_update_config_start_first_surges_and_stop_first_takes_down(compile_compose):
    c = compile_compose("""
        services:
          api:
            image: example/api:1
            deploy:
              replicas: 4
              update_config: {parallelism: 2, order: start-first, delay: 10s}
          worker:
            image: example/worker:1
            deploy:
              update_config: {parallelism: 0}
    """)
    api = c.get("Deployment", "api")["spec"]
    assert api["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 2}}
    assert api["minReadySeconds"] == 10
    # Swarm's default order is stop-first; parallelism 0 means all at once.
    assert c.get("Deployment", "worker")["spec"]["strategy"]["rollingUpdate"] == {
        "maxUnavailable": "100%", "maxSurge": 0}


def test_without_update_config_a_new_pod_is_ready_before_an_old_one_goes(compile_compose):
    c = compile_compose("""
        services:
          api:
            image: example/api:1
    """)
    assert c.get("Deployment", "api")["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert "minReadySeconds" not in c.get("Deployment", "api")["spec"]


def test_restart_policy_on_failure_makes_a_job_with_its_attempts(compile_compose):
    c = compile_compose("""
        services:
          migrate:
            image: example/migrate:1
            deploy:
              restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}
    """)
    job = c.get("Job", "migrate")
    assert job["spec"]["backoffLimit"] == 3
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    warning = only(c.diagnostics, "W-KEY-IGNORED")
    assert "deploy.restart_policy.delay" in warning.message and warning.position.line == 6


def test_restart_policy_none_runs_once(compile_compose):
    c = compile_compose("""
        services:
          seed:
            image: example/seed:1
            deploy:
              restart_policy:
                condition: none
    """)
    assert c.get("Job", "seed")["spec"]["backoffLimit"] == 0


def test_node_label_constraints_and_platform_become_a_node_selector(compile_compose):
    c = compile_compose("""
        services:
          api:
            image: example/api:1
            platform: linux/arm64/v8
            deploy:
              placement:
                constraints:
                  - node.labels.disk == ssd
                  - node.role == manager
    """)
    assert c.pod("api")["nodeSelector"] == {"kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64",
                                            "disk": "ssd"}
    warning = only(c.diagnostics, "W-KEY-IGNORED")
    assert "node.role == manager" in warning.message and warning.position.line == 10


def test_unmapped_deploy_keys_are_reported_each_at_its_line(compile_compose):
    c = compile_compose("""
        services:
          api:
            image: example/api:1
            deploy:
              mode: global
              endpoint_mode: dnsrr
              labels: {team: core}
              rollback_config: {parallelism: 1}
              update_config:
                monitor: 30s
              resources:
                limits: {memory: 256M, pids: 100}
    """)
    found = {d.message.split("'")[3]: d.position.line for d in c.diagnostics if d.code == "W-KEY-IGNORED"
             and "'deploy." in d.message and "global" not in d.message}
    assert found == {"deploy.endpoint_mode": 7, "deploy.labels": 8, "deploy.rollback_config": 9,
                     "deploy.update_config.monitor": 11, "deploy.resources.limits.pids": 13}
    assert any("mode: global" in d.message and d.position.line == 6 for d in c.diagnostics)


def test_stop_signal_sigterm_is_what_kubernetes_sends_others_are_reported(compile_compose):
    c = compile_compose("""
        services:
          api:
            image: example/api:1
            stop_signal: SIGTERM
          nginx:
            image: example/nginx:1
            stop_signal: SIGQUIT
    """)
    warning = only(c.diagnostics, "W-KEY-IGNORED")
    assert "'nginx'" in warning.message and "SIGTERM" in warning.message


def test_what_a_service_made_a_job_loses_is_reported(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            ports: ["8080:8080"]
            deploy:
              replicas: 3
              restart_policy: {condition: on-failure}
            x-k8s: {kind: Job}
          api:
            image: example/api:1
            deploy:
              restart_policy: {condition: any, max_attempts: 3}
    """)
    found = {(d.message.split("'")[3], d.position.line) for d in c.diagnostics if d.code == "W-JOB-IGNORED"}
    assert found == {("ports", 5), ("deploy.replicas", 7)}
    assert "W-PORT-PUBLISHED" not in c.codes()
    assert ("Service", "web") not in c.by_key
    warning = only(c.diagnostics, "W-KEY-IGNORED")
    assert "max_attempts" in warning.message and warning.position.line == 13
