/**
 * What torchvision's model constructors draw from the CPU stream, replayed
 * without computing values (transfer learning in exact mode). A pretrained
 * model is built at random first and its weights copied in afterwards
 * (`load_state_dict` draws nothing), so a layer built after
 * `resnet18(weights="IMAGENET1K_V1")` gets values that depend on the
 * constructor's draws. Mirrors torchvision 0.14: `models/resnet.py`
 * (`ResNet.__init__`, `_make_layer`: the downsample conv is built before its
 * block but registered after it, and the `kaiming_normal_` loop runs in
 * `modules()` order), `models/vgg.py` (`_vgg` turns `init_weights` off when
 * weights are given) and `models/alexnet.py`. Checked against torchvision
 * itself by test/fixtures/advice/pretrained_stream.json.
 */
import type { InitScheme } from '../init/schemes';
import type { LibraryModelUse } from '../model/pretrained';
import type { TorchGenerator } from './generator';
import { initTensor } from './init';
import { moduleParameters } from './modules';

type Replay = (gen: TorchGenerator, numClasses: number, pretrained: boolean) => void;

const FAN_OUT_RELU: InitScheme = { kind: 'kaiming_normal', a: 0, mode: 'fan_out', nonlinearity: 'relu' };
const VGG_LINEAR: InitScheme = { kind: 'normal', mean: 0, std: 0.01 };

/** Builds a Conv2d where the stream stands; returns its weight's shape. */
function conv(gen: TorchGenerator, cin: number, cout: number, k: number, bias: boolean, groups = 1): number[] {
  moduleParameters(gen, 'Conv2d', { in_channels: cin, out_channels: cout, kernel_size: k, groups, bias });
  return [cout, cin / groups, k, k];
}

function resnet(block: 'basic' | 'bottleneck', layers: readonly number[], groups = 1, widthPerGroup = 64): Replay {
  return (gen, numClasses) => {
    const expansion = block === 'basic' ? 1 : 4;
    // Conv weights in modules() order, for the kaiming_normal_ loop after construction.
    const convs: number[][] = [conv(gen, 3, 64, 7, false)];
    let inplanes = 64;
    [64, 128, 256, 512].forEach((planes, i) => {
      const stride = i === 0 ? 1 : 2;
      for (let b = 0; b < layers[i]; b++) {
        const down = b === 0 && (stride !== 1 || inplanes !== planes * expansion) ? conv(gen, inplanes, planes * expansion, 1, false) : undefined;
        if (block === 'basic') {
          convs.push(conv(gen, inplanes, planes, 3, false), conv(gen, planes, planes, 3, false));
        } else {
          const width = Math.floor(planes * (widthPerGroup / 64)) * groups;
          convs.push(conv(gen, inplanes, width, 1, false), conv(gen, width, width, 3, false, groups), conv(gen, width, planes * 4, 1, false));
        }
        if (down) convs.push(down);
        inplanes = planes * expansion;
      }
    });
    moduleParameters(gen, 'Linear', { in_features: 512 * expansion, out_features: numClasses });
    for (const shape of convs) initTensor(gen, FAN_OUT_RELU, shape);
  };
}

const VGG_CFGS: Readonly<Record<string, readonly (number | 'M')[]>> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

function vgg(cfg: keyof typeof VGG_CFGS): Replay {
  return (gen, numClasses, pretrained) => {
    // BatchNorm2d draws nothing: vgg16 and vgg16_bn draw the same.
    const convs: number[][] = [];
    let cin = 3;
    for (const v of VGG_CFGS[cfg]) {
      if (v === 'M') continue;
      convs.push(conv(gen, cin, v, 3, true));
      cin = v;
    }
    const linears = [[4096, 512 * 7 * 7], [4096, 4096], [numClasses, 4096]];
    for (const [out, inp] of linears) moduleParameters(gen, 'Linear', { in_features: inp, out_features: out });
    // `_vgg`: init_weights=False when weights are given.
    if (pretrained) return;
    for (const shape of convs) initTensor(gen, FAN_OUT_RELU, shape);
    for (const shape of linears) initTensor(gen, VGG_LINEAR, shape);
  };
}

const alexnet: Replay = (gen, numClasses) => {
  const convs: [number, number, number][] = [[3, 64, 11], [64, 192, 5], [192, 384, 3], [384, 256, 3], [256, 256, 3]];
  for (const [cin, cout, k] of convs) conv(gen, cin, cout, k, true);
  for (const [inp, out] of [[256 * 6 * 6, 4096], [4096, 4096], [4096, numClasses]]) moduleParameters(gen, 'Linear', { in_features: inp, out_features: out });
};

/** The torchvision architectures whose constructor draws are replayed (by the function's name). */
export const REPLAYED: Readonly<Record<string, Replay>> = {
  resnet18: resnet('basic', [2, 2, 2, 2]),
  resnet34: resnet('basic', [3, 4, 6, 3]),
  resnet50: resnet('bottleneck', [3, 4, 6, 3]),
  resnet101: resnet('bottleneck', [3, 4, 23, 3]),
  resnet152: resnet('bottleneck', [3, 8, 36, 3]),
  resnext50_32x4d: resnet('bottleneck', [3, 4, 6, 3], 32, 4),
  resnext101_32x8d: resnet('bottleneck', [3, 4, 23, 3], 32, 8),
  wide_resnet50_2: resnet('bottleneck', [3, 4, 6, 3], 1, 128),
  wide_resnet101_2: resnet('bottleneck', [3, 4, 23, 3], 1, 128),
  vgg11: vgg('A'),
  vgg11_bn: vgg('A'),
  vgg13: vgg('B'),
  vgg13_bn: vgg('B'),
  vgg16: vgg('D'),
  vgg16_bn: vgg('D'),
  vgg19: vgg('E'),
  vgg19_bn: vgg('E'),
  alexnet,
};

/** torchvision forces `num_classes` to the weights' categories (ImageNet: 1000) when weights are given. */
const IMAGENET_CLASSES = 1000;

/**
 * The replay of a library construction's draws, or why there is none. Only torchvision
 * architectures of {@link REPLAYED} called with weights, `progress` and `num_classes` (a literal).
 */
export function libraryReplay(use: LibraryModelUse): { readonly replay: (gen: TorchGenerator) => void } | { readonly reason: string } {
  const pretrained = use.weights !== undefined;
  const not = `depend on the ${pretrained ? 'pretrained ' : ''}constructor: not exact`;
  const name = `${use.source === 'timm' ? 'timm ' : ''}${use.architecture ?? use.callee}`;
  if (use.source !== 'torchvision' || !use.architecture || !Object.hasOwn(REPLAYED, use.architecture)) return { reason: `${name}: InitLens does not replay this constructor's draws, so the values ${not}` };
  if (use.otherArgs) return { reason: `${name}: arguments other than weights and num_classes, so the values ${not}` };
  if (use.numClasses === null && !pretrained) return { reason: `${name}: num_classes is not an integer literal, so the values ${not}` };
  const classes = pretrained ? IMAGENET_CLASSES : use.numClasses ?? IMAGENET_CLASSES;
  const run = REPLAYED[use.architecture];
  return {
    replay: (gen) => {
      const skip = gen.skipValues;
      gen.skipValues = true;
      try {
        run(gen, classes, pretrained);
      } finally {
        gen.skipValues = skip;
      }
    },
  };
}
