"use strict";
// composek8s' objects, made inside Node in one jsii call instead of three per object.
//
// Each object is made exactly as synth/chart.py made it through jsii before: an ApiObject with
// apiVersion, kind and the four metadata fields cdk8s' Python API takes, and one JSON patch
// per other top-level field. So `cdk8s synth` and `chart.toJson()` give the same bytes; only
// the round trips (about 0.5 ms each, the largest cost at 1,000 services) are gone.
// Written by hand: cdk8s offers no bulk constructor (Include parses YAML, several times
// slower than JSON.parse here).
const cdk8s = require("cdk8s");

class Batch {
  /** Adds each [id, manifest] of the JSON array `objects` to `scope` as an ApiObject. */
  static define(scope, objects) {
    for (const [id, manifest] of JSON.parse(objects)) {
      const { apiVersion, kind, metadata = {}, ...rest } = manifest;
      const { name, namespace, labels, annotations } = metadata;
      const object = new cdk8s.ApiObject(scope, id, {
        apiVersion, kind, metadata: { name, namespace, labels, annotations },
      });
      for (const key of Object.keys(rest)) {
        object.addJsonPatch(cdk8s.JsonPatch.add("/" + key, rest[key]));
      }
    }
  }

  /** The JSON of a chart `id` holding just `objects` (as `define` takes them), made and
   * dropped inside this call: rendering a large project chunk by chunk keeps Node's heap to
   * one chunk's objects. */
  static render(id, objects) {
    const chart = new cdk8s.Chart(new cdk8s.App(), id, { disableResourceNameHashes: true });
    Batch.define(chart, objects);
    return Batch.toJson(chart);
  }

  /** `chart.toJson()` as one JSON string. A null member of an object is left out, as jsii
   * leaves it out when it returns `toJson()` to Python (a null inside a list is kept). */
  static toJson(chart) {
    return JSON.stringify(chart.toJson(), function (key, value) {
      return value === null && !Array.isArray(this) ? undefined : value;
    });
  }
}

exports.Batch = Batch;
