/**
 * The signal graph of the model `name` of a Python text, as the CLI and the
 * Signal panel build it (the module tree's instances, the root's context):
 * shared by the unit tests of the graph's parts.
 */
import assert from 'node:assert/strict';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { signalModel } from '../../src/core/signal/composite';
import { buildGraph, type SignalGraph } from '../../src/core/signal/graph';

export function graphOf(text: string, name: string, inputShape?: number[]): SignalGraph {
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
  const found = analysis.models.find((m) => m.name === name);
  assert.ok(found, `model ${name} found`);
  const { model, composite, binding } = signalModel(analysis, found, tree, text);
  return buildGraph(model, tree, text, { ...(inputShape ? { inputShape } : {}), ...(composite ? { composite } : {}), ...(binding ? { binding } : {}) });
}
