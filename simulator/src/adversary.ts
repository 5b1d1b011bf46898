// Devices that attack the model, so the defences stay tested at scale: a seeded fraction of the simulated
// devices train honestly and then poison what they send. Attacks (Bagdasaryan et al. 2020 and Baruch et
// al. 2019 describe the model-replacement and scaling family): `scale` multiplies the delta (model
// replacement), `inflate-weight` claims a huge sample count, `sign-flip` sends the delta reversed and
// scaled, `noise` adds Gaussian noise of a multiple of the delta's RMS, `promote-item` (for recommenders)
// pushes one chosen item's row toward the rows the model recommends to the attacker (item-promotion.ts) so that honest users get it in
// their top-K.

import { z } from 'zod';
import {
  ConfigError,
  type DeviceTrainer,
  type LocalTrainOptions,
  type ModelParams,
  type ModelUpdate,
  type SeededRandom,
  type TensorValue,
} from '@strata/shared';
import { promoteItem } from './item-promotion.js';

export const ATTACKS = ['scale', 'inflate-weight', 'sign-flip', 'noise', 'promote-item'] as const;
export type Attack = (typeof ATTACKS)[number];

export const adversarySchema = z
  .object({
    /** Share of the devices that attack, chosen with the topology's seed. */
    fraction: z.number().min(0).max(1),
    attack: z.enum(ATTACKS),
    /**
     * scale and sign-flip: the factor; noise: the noise's RMS in units of the delta's RMS; inflate-weight: the
     * claimed weight factor; promote-item: the target row asked for, in units of the anchors' centroid.
     */
    strength: z.number().positive().default(100),
    /** promote-item: the item (row index) to push into users' top-K. */
    targetItem: z.number().int().min(0).optional(),
    /** promote-item: the model's tensor with one row per item. */
    targetTensor: z.string().min(1).default('item_embedding'),
    /** promote-item: how many of the attacker's own top recommendations stand for where users are. */
    anchorRows: z.number().int().min(1).default(20),
  })
  .strict()
  .refine((spec) => spec.attack !== 'promote-item' || spec.targetItem !== undefined, {
    message: 'promote-item needs targetItem',
    path: ['targetItem'],
  });

export type AdversarySpec = z.output<typeof adversarySchema>;

/** The indices (in `count` devices) of the attackers: round(fraction × count) of them, seeded. */
export function chooseAttackers(count: number, fraction: number, random: SeededRandom): Set<number> {
  const indices = random.shuffle(Array.from({ length: count }, (_, i) => i));
  return new Set(indices.slice(0, Math.round(fraction * count)));
}

function mapValues(tensor: TensorValue, f: (values: Float32Array) => Float32Array): TensorValue {
  return { ...tensor, values: f(tensor.values) };
}

function rms(update: ModelUpdate): number {
  let sum = 0;
  let n = 0;
  for (const tensor of update.delta.values()) {
    for (const v of tensor.values) sum += v * v;
    n += tensor.values.length;
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/** A device that trains honestly, then poisons its update as `spec` says (the simulation leaves it out of evaluation). */
export class AttackingTrainer implements DeviceTrainer {
  constructor(
    private readonly honest: DeviceTrainer,
    private readonly spec: AdversarySpec,
    private readonly random: SeededRandom,
  ) {}

  get numSamples(): number {
    return this.honest.numSamples;
  }

  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    const update = await this.honest.train(model, options);
    const { attack, strength, targetItem, targetTensor, anchorRows } = this.spec;
    if (attack === 'inflate-weight') return { ...update, weight: update.weight * strength };
    if (attack === 'promote-item' && targetItem !== undefined) {
      if (!this.honest.topK) throw new ConfigError('promote-item needs a device that ranks items (a recommender with topK)');
      const anchors = await this.honest.topK(model, anchorRows);
      return { ...update, delta: promoteItem(model, update.delta, { tensor: targetTensor, targetItem, anchors, strength }) };
    }
    const sigma = attack === 'noise' ? strength * rms(update) : 0;
    const factor = attack === 'scale' ? strength : attack === 'sign-flip' ? -strength : 1;
    const poison = (values: Float32Array): Float32Array =>
      Float32Array.from(values, (v) => (attack === 'noise' ? v + sigma * this.random.normal() : v * factor));
    return { ...update, delta: new Map([...update.delta].map(([name, tensor]) => [name, mapValues(tensor, poison)])) };
  }
}
