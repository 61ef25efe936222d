"""``Batch``: composek8s' objects made inside Node in one jsii call (see ``package/index.js``).

A jsii assembly of our own (``binding.py``), loaded like cdk8s' own: ``ComposeChart`` hands Node every object
as one JSON string and takes the chart's JSON back as one string, instead of three jsii
round trips per object and jsii's object-by-object conversion of the result. cdk8s still
makes every ``ApiObject``; ``cdk8s synth`` and ``chart.to_json()`` are unchanged.
"""
