/** Command arguments InitLens generates (`[uri, model, layer]`) are accepted; anything else is refused with a reason. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NAME_LENGTH, MAX_URI_LENGTH, readCommandTarget } from '../../src/core/commandArgs';

describe('command arguments', () => {
  it('accepts what lenses and hovers pass, and no arguments', () => {
    assert.deepEqual(readCommandTarget(['file:///home/u/m.py', 'Net', 'fc1'], 3), { uri: 'file:///home/u/m.py', model: 'Net', layer: 'fc1' });
    assert.deepEqual(readCommandTarget(['untitled:Untitled-1', 'model'], 3), { uri: 'untitled:Untitled-1', model: 'model' });
    assert.deepEqual(readCommandTarget(['vscode-notebook-cell:/nb.ipynb#W1sZmlsZQ%3D%3D'], 1), { uri: 'vscode-notebook-cell:/nb.ipynb#W1sZmlsZQ%3D%3D' });
    assert.deepEqual(readCommandTarget([], 3), {});
    assert.deepEqual(readCommandTarget([undefined, undefined], 3), {});
  });

  it('refuses arguments InitLens does not generate', () => {
    const cases: [unknown[], 1 | 2 | 3, string][] = [
      [['file:///m.py', 'Net', 'fc1', 'extra'], 3, 'it takes at most 3 arguments, got 4'],
      [['file:///m.py', 'Net'], 1, 'it takes at most 1 argument, got 2'],
      [[42], 3, 'the first argument must be a document URI'],
      [['no scheme'], 3, 'the first argument must be a document URI'],
      [['file:///a b.py'], 3, 'the first argument must be a document URI'],
      [[`file:///${'a'.repeat(MAX_URI_LENGTH)}`], 3, 'the first argument must be a document URI'],
      [[{ toString: () => 'file:///m.py' }], 3, 'the first argument must be a document URI'],
      [['file:///m.py', 7n], 3, 'the model must be a name of 1 to 1000 characters'],
      [['file:///m.py', ''], 3, 'the model must be a name of 1 to 1000 characters'],
      [['file:///m.py', 'x'.repeat(MAX_NAME_LENGTH + 1)], 3, 'the model must be a name of 1 to 1000 characters'],
      [['file:///m.py', 'Net', ['fc1']], 3, 'the layer must be a name of 1 to 1000 characters'],
      [[undefined, 'Net'], 3, 'a model needs the document it is in'],
      [['file:///m.py', undefined, 'fc1'], 3, 'a layer needs its model'],
    ];
    for (const [args, accepts, problem] of cases) assert.deepEqual(readCommandTarget(args, accepts), { problem }, problem);
  });
});
