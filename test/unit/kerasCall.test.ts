/**
 * Subclassed Keras models: the activation after each layer from the data flow
 * of `call()` (src/core/model/keras.ts, src/core/model/flow.ts). Expected
 * activations are read off the Python by hand, following Keras semantics: a
 * layer's own `activation=` is applied inside the layer (keras/src/layers/core/dense.py
 * `call`: `x = self.activation(x)`), so it wins over what `call()` does
 * next; `activation=None` applies nothing, so what follows decides.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { mainParam } from '../../src/core/model/layer';
import type { Layer, Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';

function analyze(text: string): Model[] {
  return [...new ModelAnalyzer().analyze(parsePython(text), text).models];
}

function model(models: readonly Model[], name: string): Model {
  const found = models.find((m) => m.name === name);
  assert.ok(found, `model ${name} among ${models.map((m) => m.name).join(', ')}`);
  return found;
}

/** [layer name, 1-based line, type, activation kind (undefined: unknown), via, normalizer] */
type Row = [string, number, string, string | undefined, string | undefined, string | undefined];

function rows(m: Model): Row[] {
  return m.layers.map((l) => [l.name, l.line + 1, l.type, l.activation?.activation.kind, l.activation?.via, l.normalizer]);
}

function layer(m: Model, name: string): Layer {
  const found = m.layers.find((l) => l.name === name);
  assert.ok(found, `layer ${name} in ${m.name}`);
  return found;
}

/** The text an activation's span covers. */
function written(text: string, l: Layer): string | undefined {
  return l.activation?.at ? text.slice(l.activation.at.from, l.activation.at.to) : undefined;
}

const HEADER = `import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
`;

describe('Keras call(): activation functions applied to a layer output', () => {
  const text = `${HEADER}
class Functions(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = layers.Dense(8)
        self.b = layers.Dense(8)
        self.c = layers.Dense(8)
        self.d = layers.Dense(8)
        self.e = layers.Dense(8)
        self.f = layers.Dense(8)
        self.g = layers.Dense(8)

    def call(self, inputs):
        x = tf.nn.relu(self.a(inputs))
        x = keras.activations.tanh(self.b(x))
        x = tf.keras.activations.gelu(self.c(x))
        x = tf.math.sigmoid(self.d(x))
        x = tf.tanh(self.e(x))
        x = tf.nn.leaky_relu(self.f(x), alpha=0.1)
        return tf.nn.softmax(self.g(x))
`;
  const m = model(analyze(text), 'Functions');

  it('takes each layer activation from the function its output is passed to', () => {
    assert.deepEqual(
      m.layers.map((l) => [l.name, l.activation?.activation, l.activation?.via]),
      [
        ['a', { kind: 'relu' }, 'forward'],
        ['b', { kind: 'tanh' }, 'forward'],
        ['c', { kind: 'gelu' }, 'forward'],
        ['d', { kind: 'sigmoid' }, 'forward'],
        ['e', { kind: 'tanh' }, 'forward'],
        ['f', { kind: 'leaky_relu', slope: 0.1 }, 'forward'],
        ['g', { kind: 'softmax' }, 'forward'],
      ],
    );
    assert.equal(written(text, layer(m, 'a')), 'tf.nn.relu(self.a(inputs))');
  });

  it('recommends from what call() applies: He before ReLU, Glorot before tanh', () => {
    assert.equal(mainParam(layer(m, 'a'))?.recommendation?.name, 'he_normal');
    assert.equal(mainParam(layer(m, 'b'))?.recommendation?.name, 'glorot_normal');
  });
});

describe('Keras call(): activation layers held by the model', () => {
  const text = `${HEADER}
class Held(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(16)
        self.d2 = layers.Dense(16)
        self.d3 = layers.Dense(16)
        self.d4 = layers.Dense(16)
        self.d5 = layers.Dense(16)
        self.d6 = layers.Dense(16)
        self.d7 = layers.Dense(16)
        self.relu = layers.Activation("relu")
        self.relu_layer = layers.ReLU()
        self.leaky = layers.LeakyReLU(alpha=0.2)
        self.leaky_default = layers.LeakyReLU()
        self.gelu = layers.Activation(tf.nn.gelu)
        self.fn = tf.nn.relu6
        self.selu = keras.activations.get("selu")

    def call(self, x):
        x = self.relu(self.d1(x))
        x = self.relu_layer(self.d2(x))
        x = self.leaky(self.d3(x))
        x = self.leaky_default(self.d4(x))
        x = self.gelu(self.d5(x))
        x = self.fn(self.d6(x))
        return self.selu(self.d7(x))
`;
  const m = model(analyze(text), 'Held');

  it('reads Activation("relu"), ReLU(), LeakyReLU(alpha=...), Activation(fn), a stored function and activations.get', () => {
    assert.deepEqual(
      m.layers.map((l) => [l.name, l.activation?.activation, l.activation?.via]),
      [
        ['d1', { kind: 'relu' }, 'forward'],
        ['d2', { kind: 'relu' }, 'forward'],
        ['d3', { kind: 'leaky_relu', slope: 0.2 }, 'forward'],
        // Keras 3 LeakyReLU: negative_slope=0.3 by default (keras/src/layers/activations/leaky_relu.py).
        ['d4', { kind: 'leaky_relu', slope: 0.3 }, 'forward'],
        ['d5', { kind: 'gelu' }, 'forward'],
        ['d6', { kind: 'relu6' }, 'forward'],
        ['d7', { kind: 'selu' }, 'forward'],
      ],
    );
    // A held activation is shown where the model builds it, as for PyTorch's `self.act = nn.ReLU()`.
    assert.equal(written(text, layer(m, 'd1')), 'layers.Activation("relu")');
  });

  it('keeps activation layers out of the layer list (they have no weights)', () => {
    assert.deepEqual(
      m.layers.map((l) => l.name),
      ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'],
    );
  });
});

describe('Keras call(): layers, normalizers, neutral layers and the output', () => {
  const text = `${HEADER}
class Flow(keras.Model):
    def __init__(self, units=32):
        super().__init__()
        self.conv = layers.Conv2D(16, 3)
        self.bn = layers.BatchNormalization()
        self.pool = layers.MaxPooling2D()
        self.flatten = layers.Flatten()
        self.drop = layers.Dropout(0.5)
        self.hidden = layers.Dense(units)
        self.ln = layers.LayerNormalization()
        self.proj = layers.Dense(units)
        self.own = layers.Dense(units, activation="tanh")
        self.linear = layers.Dense(units, activation=None)
        self.bn2 = layers.BatchNormalization()
        self.merge = layers.Dense(units)
        self.out = layers.Dense(10)

    def call(self, inputs, training=False):
        x = self.conv(inputs)
        x = self.bn(x, training=training)
        x = self.pool(x)
        x = self.flatten(x)
        x = self.drop(x, training=training)
        x = tf.nn.relu(x)
        x = self.hidden(x)
        x = self.ln(x)
        x = self.proj(x)
        x = tf.nn.relu(self.own(x))
        y = self.linear(x)
        y = tf.nn.elu(self.bn2(y, training=training))
        z = self.merge(tf.concat([x, y], axis=-1))
        z = tf.reshape(z, (-1, 4, 8))
        z = tf.nn.dropout(z, rate=0.1)
        return self.out(tf.nn.sigmoid(z))
`;
  const m = model(analyze(text), 'Flow');

  it('passes normalizers (recorded) and neutral layers; a weight layer next gives identity; the returned layer is an output', () => {
    assert.deepEqual(rows(m), [
      // conv -> bn -> pool -> flatten -> drop -> relu
      ['conv', 8, 'Conv2D', 'relu', 'forward', 'BatchNormalization'],
      ['bn', 9, 'BatchNormalization', undefined, undefined, undefined],
      // hidden -> ln -> proj: identity, with the LayerNormalization on the way
      ['hidden', 13, 'Dense', 'identity', 'forward', 'LayerNormalization'],
      ['ln', 14, 'LayerNormalization', undefined, undefined, undefined],
      ['proj', 15, 'Dense', 'identity', 'forward', undefined],
      // activation="tanh" is applied inside the layer: the tf.nn.relu after it does not replace it
      ['own', 16, 'Dense', 'tanh', 'argument', undefined],
      // activation=None applies nothing: the elu after its BatchNormalization decides
      ['linear', 17, 'Dense', 'elu', 'forward', 'BatchNormalization'],
      ['bn2', 18, 'BatchNormalization', undefined, undefined, undefined],
      // merge -> reshape -> dropout -> sigmoid
      ['merge', 19, 'Dense', 'sigmoid', 'forward', undefined],
      ['out', 20, 'Dense', 'identity', 'output', undefined],
    ]);
  });

  it('sizes layers from __init__ parameter defaults and constants assigned to self before them', () => {
    // Dense(units) with units=32: kernel (in, 32), input width unknown in a subclass
    assert.deepEqual([layer(m, 'proj').fanIn, layer(m, 'proj').fanOut], [{ symbol: 'in' }, 32]);
    const sized = model(
      analyze(`${HEADER}
class Sized(keras.Model):
    def __init__(self, units=32):
        super().__init__()
        self.width = units + 16
        self.d = layers.Dense(self.width)

    def call(self, x):
        return self.d(x)
`),
      'Sized',
    );
    assert.equal(layer(sized, 'd').fanOut, 48);
  });
});

describe('Keras call(): what stays unknown, and activation=None with nothing known after it', () => {
  const text = `${HEADER}
class Unknown(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = layers.Dense(8)
        self.b = layers.Dense(8, activation=None)
        self.c = layers.Dense(8)
        self.unused = layers.Dense(8)

    def call(self, x):
        a = self.a(x)
        b = self.b(x)
        return self.c(tf.concat([a, b], axis=-1))
`;
  const m = model(analyze(text), 'Unknown');

  it('leaves a layer unknown when its output goes where the analysis cannot follow', () => {
    assert.deepEqual(
      m.layers.map((l) => [l.name, l.activation?.activation.kind, l.activation?.via]),
      [
        ['a', undefined, undefined],
        // its own activation=None: identity, from the argument
        ['b', 'identity', 'argument'],
        ['c', 'identity', 'output'],
        ['unused', undefined, undefined],
      ],
    );
    assert.equal(written(text, layer(m, 'b')), 'None');
  });
});

describe('Keras call(): lists of layers, loops, residuals, nested __init__ blocks', () => {
  const text = `${HEADER}
class Blocks(keras.Model):
    def __init__(self, wide=True):
        super().__init__()
        self.blocks = [layers.Dense(64), layers.Dense(64), layers.Dense(64)]
        self.heads = [layers.Dense(4), layers.Dense(2, activation="softmax")]
        self.skip = layers.Dense(64)
        if wide:
            self.extra = layers.Dense(64)

    @tf.function
    def call(self, x):
        for block in self.blocks:
            x = tf.nn.relu(block(x))
        h = self.skip(x)
        h += x
        h = tf.nn.gelu(h)
        h = self.extra(h)
        return self.heads[0](h), self.heads[1](h)
`;
  const m = model(analyze(text), 'Blocks');

  it('follows list elements through loop variables and indices, and passes residual additions', () => {
    assert.deepEqual(
      m.layers.map((l) => [l.name, l.line + 1, l.activation?.activation.kind, l.activation?.via]),
      [
        ['blocks.0', 8, 'relu', 'forward'],
        ['blocks.1', 8, 'relu', 'forward'],
        ['blocks.2', 8, 'relu', 'forward'],
        ['heads.0', 9, 'identity', 'output'],
        ['heads.1', 9, 'softmax', 'argument'],
        // h = skip(x); h += x; gelu(h)
        ['skip', 10, 'gelu', 'forward'],
        // assigned inside `if wide:`, fed to both heads (weight layers)
        ['extra', 12, 'identity', 'forward'],
      ],
    );
    assert.deepEqual(m.layers.slice(0, 3).map((l) => l.fanOut), [64, 64, 64]);
  });

  it('reads a list of alike activation layers, and leaves a mixed list unknown', () => {
    const lists = model(
      analyze(`${HEADER}
class Lists(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = [layers.Dense(8), layers.Dense(8)]
        self.acts = [layers.ReLU(), layers.Activation("relu")]
        self.e = layers.Dense(8)
        self.mixed = [layers.ReLU(), layers.Dense(8)]

    def call(self, x):
        for i in range(2):
            x = self.acts[i](self.d[i](x))
        for block in self.mixed:
            x = block(self.e(x))
        return x
`),
      'Lists',
    );
    assert.deepEqual(
      lists.layers.map((l) => [l.name, l.activation?.activation.kind]),
      [
        ['d.0', 'relu'],
        ['d.1', 'relu'],
        ['e', undefined],
        // called through the loop variable over a list that is not alike: not followed
        ['mixed.1', undefined],
      ],
    );
  });

  it('lists no layer of a comprehension (its layers would share the one call that Apply edits)', () => {
    const comprehension = `${HEADER}
class Repeated(keras.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [layers.Dense(64) for _ in range(3)]
        self.out = layers.Dense(1)

    def call(self, x):
        for block in self.blocks:
            x = tf.nn.relu(block(x))
        return self.out(x)
`;
    assert.deepEqual(rows(model(analyze(comprehension), 'Repeated')), [['out', 9, 'Dense', 'identity', 'output', undefined]]);
  });
});

describe('Keras Sequential: activation=None leaves the choice to what follows', () => {
  const text = `${HEADER}
model = keras.Sequential([
    keras.Input(shape=(20,)),
    layers.Dense(64, activation=None),
    layers.BatchNormalization(),
    layers.Activation("relu"),
    layers.Dense(32, activation="linear"),
    layers.MaxPool1D() if False else layers.Dropout(0.1),
    layers.Dense(1, activation=None),
])
`;
  const m = model(analyze(text), 'model');

  it('takes the activation layer after a linear Dense, and the output for the last one', () => {
    assert.deepEqual(rows(m), [
      ['dense', 7, 'Dense', 'relu', 'sequential', 'BatchNormalization'],
      ['batch_normalization', 8, 'BatchNormalization', undefined, undefined, undefined],
      // an element the analysis does not read: the layer's own "linear"
      ['dense_1', 10, 'Dense', 'identity', 'argument', undefined],
      ['dense_2', 12, 'Dense', 'identity', 'output', undefined],
    ]);
  });
});

/**
 * Real subclassed models from public repositories (test/fixtures/realworld, pinned in manifest.json).
 * TensorFlow is not installed here, so these expectations are hand-checked from the source: each row
 * names the line of the layer's constructor, and the comments name the lines of call() that decide.
 */
describe('Keras call() on real subclassed models', () => {
  const corpus = (file: string) => {
    const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'realworld', file), 'utf8');
    return analyze(text);
  };

  it('tensorflow/examples DenseNet: pre-activation blocks (batchnorm -> relu -> conv)', () => {
    const models = corpus('tensorflow/examples/tensorflow_examples/models/densenet/densenet.py');
    assert.deepEqual(
      models.map((m) => [m.name, m.kind]),
      [
        ['ConvBlock', 'keras-subclass'],
        ['TransitionBlock', 'keras-subclass'],
        ['DenseNet', 'keras-subclass'],
      ],
    );
    assert.deepEqual(rows(model(models, 'ConvBlock')), [
      // 162: output = self.conv2(tf.nn.relu(output)); 163: self.dropout(output, ...); 165: return output
      ['conv2', 135, 'Conv2D', 'identity', 'output', undefined],
      ['batchnorm1', 142, 'BatchNormalization', undefined, undefined, undefined],
      // inside `if self.bottleneck:` (145); 159: output = self.conv1(...); 160: self.batchnorm2(output); 162: tf.nn.relu(output)
      ['conv1', 146, 'Conv2D', 'relu', 'forward', 'BatchNormalization'],
      ['batchnorm2', 153, 'BatchNormalization', undefined, undefined, undefined],
    ]);
    assert.deepEqual(rows(model(models, 'TransitionBlock')), [
      ['batchnorm', 183, 'BatchNormalization', undefined, undefined, undefined],
      // 195: output = self.conv(...); 196: self.avg_pool(output); 197: return output
      ['conv', 184, 'Conv2D', 'identity', 'output', undefined],
    ]);
    assert.deepEqual(rows(model(models, 'DenseNet')), [
      // 367: output = self.conv1(x); 370: self.batchnorm1(output); 371: tf.nn.relu(output)
      ['conv1', 315, 'Conv2D', 'relu', 'forward', 'BatchNormalization'],
      ['batchnorm1', 329, 'BatchNormalization', undefined, undefined, undefined],
      ['batchnorm2', 331, 'BatchNormalization', undefined, undefined, undefined],
      // inside `if self.include_top:` (361); 385: output = self.classifier(output); 387: return output
      ['classifier', 364, 'Dense', 'identity', 'output', undefined],
    ]);
  });

  it('tensorflow/examples NMT: Bahdanau attention scores through tanh and softmax', () => {
    const models = corpus('tensorflow/examples/tensorflow_examples/models/nmt_with_attention/nmt.py');
    assert.deepEqual(rows(model(models, 'Encoder')), [
      // 46: x = self.embedding(x); 47: self.gru(x, initial_state=hidden)
      ['embedding', 39, 'Embedding', 'identity', 'forward', undefined],
      // GRU applies its own tanh
      ['gru', 40, 'GRU', 'tanh', 'builtin', undefined],
    ]);
    assert.deepEqual(rows(model(models, 'BahdanauAttention')), [
      // 74-75: score = self.v(tf.nn.tanh(self.w1(values) + self.w2(hidden_with_time_axis)))
      ['w1', 63, 'Dense', 'tanh', 'forward', undefined],
      ['w2', 64, 'Dense', 'tanh', 'forward', undefined],
      // 79: attention_weights = tf.nn.softmax(score, axis=1)
      ['v', 65, 'Dense', 'softmax', 'forward', undefined],
    ]);
    assert.deepEqual(rows(model(models, 'Decoder')), [
      // 115: x = self.embedding(x); 118: x = tf.concat([..., x], axis=-1): not followed
      ['embedding', 100, 'Embedding', undefined, undefined, undefined],
      ['gru', 101, 'GRU', 'tanh', 'builtin', undefined],
      // 127: x = self.fc(output); 129: return x, state, attention_weights
      ['fc', 105, 'Dense', 'identity', 'output', undefined],
    ]);
  });

  it('keras-team/keras demo_subclass.py: activation= arguments, and the returned layer', () => {
    const models = corpus('keras-team/keras/examples/demo_subclass.py');
    assert.deepEqual(rows(model(models, 'MyModel')), [
      ['dense1', 13, 'Dense', 'relu', 'argument', undefined],
      ['dense2', 14, 'Dense', 'relu', 'argument', undefined],
      // 20: return self.dense3(x)
      ['dense3', 15, 'Dense', 'identity', 'output', undefined],
    ]);
  });
});
