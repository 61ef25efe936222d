// Validate Argo CD and Flux objects against their CRDs' published openAPIV3Schema.
//
// The schemas come compiled (ajv standalone validators) in the pinned npm packages of
// package.json: @kubernetes-models/argo-cd (Argo CD v2.14.11 CRDs) and
// @kubernetes-models/flux-cd (source-controller v1.8.3, kustomize-controller v1.8.4,
// helm-controller v1.5.4 CRDs). Neither package ships the schemas as JSON, so they run here.
//
// stdin: a JSON array of objects. stdout: a JSON array, one list of error strings per object
// (empty when valid). An object whose apiVersion/kind has no schema here is an error.
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { GitRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository";
import { Kustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization";
import { HelmRelease } from "@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2/HelmRelease";

const MODELS = new Map(
  [Application, GitRepository, Kustomization, HelmRelease].map((m) => [`${m.apiVersion} ${m.kind}`, m]),
);

function errors(object) {
  const Model = MODELS.get(`${object.apiVersion} ${object.kind}`);
  if (!Model) {
    return [`no schema for ${object.apiVersion} ${object.kind}`];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    const found = error.errors || [];
    return found.length
      ? found.map((e) => `${e.instancePath || "/"}: ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`)
      : [String(error.message || error)];
  }
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify(JSON.parse(input).map(errors)) + "\n");
