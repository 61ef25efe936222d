"""HorizontalPodAutoscaler (``autoscaling/v2``) for a service that asks for one
(``kompose.hpa.*`` labels).

The chart's values follow Bitnami's names (``<svc>.autoscaling.enabled``, ``minReplicas``,
``maxReplicas``, ``targetCPUUtilizationPercentage``, ``targetMemoryUtilizationPercentage``);
a target of 0 drops that metric. While autoscaling is on, the workload leaves
``spec.replicas`` out, so an upgrade does not reset what the autoscaler chose.
"""
from __future__ import annotations

from .model import OMIT, Name, Namespace, Value, When
from .names import labels


def hpa_manifest(name: str, kind: str, auto, project: str, namespace: str, component: str,
                 key: str) -> dict:
    base = f"{key}.autoscaling"
    metrics = []
    for resource, field, target in (("cpu", "targetCPUUtilizationPercentage", auto.cpu),
                                    ("memory", "targetMemoryUtilizationPercentage", auto.memory)):
        value = f"{base}.{field}"
        metrics.append(When(value, target, {"type": "Resource", "resource": {
            "name": resource, "target": {"type": "Utilization", "averageUtilization": Value(value, target)}}}, OMIT))
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": Name(name), "namespace": Namespace(namespace),
                         "labels": labels(project, name, component)},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": Name(name)},
                     "minReplicas": Value(f"{base}.minReplicas", auto.min_replicas),
                     "maxReplicas": Value(f"{base}.maxReplicas", auto.max_replicas),
                     "metrics": metrics}}
