// The three networks, each written once against an abstract set of layers. The tfjs trainer runs
// them on tensors; the ONNX exporter runs them on tensor names. So the exported graph is the
// trained graph by construction, and only the per-layer translations need checking.

export interface ConvSpec {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  /** Zero padding on every side. */
  readonly pad: number;
  readonly bias: boolean;
}

export interface DenseSpec {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** What a network is made of. `T` is a tensor (training) or a tensor name (export). */
export interface Layers<T> {
  conv(x: T, spec: ConvSpec): T;
  batchNorm(x: T, name: string, channels: number): T;
  relu(x: T): T;
  /** Square window `size`, stride `size`, no padding. */
  maxPool(x: T, size: number): T;
  /** Image [N, C, H, W] to rows [N, C*H*W] in C, H, W order (the ONNX meaning). */
  flatten(x: T): T;
  dense(x: T, spec: DenseSpec): T;
  add(a: T, b: T): T;
  /** Mean over H and W, keeping them as 1 x 1. */
  globalAveragePool(x: T): T;
}

export type Architecture = <T>(layers: Layers<T>, image: T) => T;

export const MODEL_NAMES = ["simplenet", "mlp", "resnet"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const IMAGE_SIZE = 28;
export const CLASSES = 10;

const simplenet: Architecture = (l, image) => {
  const features = l.maxPool(l.relu(l.conv(image, conv3x3("conv", 1, 12, 1, 0, true))), 2);
  return l.dense(l.flatten(features), { name: "fc", inFeatures: 12 * 13 * 13, outFeatures: CLASSES });
};

const mlp: Architecture = (l, image) => {
  let x = l.flatten(image);
  x = l.relu(l.dense(x, { name: "fc1", inFeatures: IMAGE_SIZE * IMAGE_SIZE, outFeatures: 256 }));
  x = l.relu(l.dense(x, { name: "fc2", inFeatures: 256, outFeatures: 256 }));
  return l.dense(x, { name: "fc3", inFeatures: 256, outFeatures: CLASSES });
};

/** Stages of the ResNet: channels, and basic blocks per stage. */
export const RESNET_STAGES = [
  { channels: 16, blocks: 1 },
  { channels: 32, blocks: 1 },
  { channels: 64, blocks: 1 },
] as const;

const resnet: Architecture = (l, image) => {
  let x = l.relu(l.batchNorm(l.conv(image, conv3x3("stem.conv", 1, 16, 1, 1, false)), "stem.bn", 16));
  let channels = 16;
  RESNET_STAGES.forEach((stage, s) => {
    for (let b = 0; b < stage.blocks; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      x = basicBlock(l, x, `stage${s + 1}.block${b + 1}`, channels, stage.channels, stride);
      channels = stage.channels;
    }
  });
  return l.dense(l.flatten(l.globalAveragePool(x)), { name: "fc", inFeatures: channels, outFeatures: CLASSES });
};

/** conv-BN-ReLU-conv-BN, plus the input (through a 1x1 conv + BN when the shape changes), ReLU. */
function basicBlock<T>(l: Layers<T>, x: T, name: string, inChannels: number, outChannels: number, stride: number): T {
  let y = l.relu(l.batchNorm(l.conv(x, conv3x3(`${name}.conv1`, inChannels, outChannels, stride, 1, false)), `${name}.bn1`, outChannels));
  y = l.batchNorm(l.conv(y, conv3x3(`${name}.conv2`, outChannels, outChannels, 1, 1, false)), `${name}.bn2`, outChannels);
  const shortcut =
    stride === 1 && inChannels === outChannels
      ? x
      : l.batchNorm(
          l.conv(x, { name: `${name}.proj`, inChannels, outChannels, kernel: 1, stride, pad: 0, bias: false }),
          `${name}.proj_bn`,
          outChannels,
        );
  return l.relu(l.add(y, shortcut));
}

function conv3x3(name: string, inChannels: number, outChannels: number, stride: number, pad: number, bias: boolean): ConvSpec {
  return { name, inChannels, outChannels, kernel: 3, stride, pad, bias };
}

export const ARCHITECTURES: Record<ModelName, Architecture> = { simplenet, mlp, resnet };

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}
