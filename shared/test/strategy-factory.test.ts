import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, FedAdam, type FedYogi, createStrategy, strategyNames, strategySummaries } from '../src/index.js';

test('every listed strategy can be made by name, with a summary for --help', () => {
  assert.deepEqual([...strategyNames].sort(), [
    'fedadagrad',
    'fedadam',
    'fedavg',
    'fedavgm',
    'fedprox',
    'fedyogi',
    'krum',
    'median',
    'trimmed-mean',
  ]);
  for (const name of strategyNames) {
    assert.equal(createStrategy(name).name, name);
    assert.match(strategySummaries[name], /; options: /, name);
  }
  assert.match(strategySummaries.fedadam, /eta=0\.1, beta1=0\.9, beta2=0\.99, tau=1e-9$/);
});

test('options default as documented and are passed through', () => {
  const adam = createStrategy('fedadam') as FedAdam;
  assert.deepEqual([adam.eta, adam.beta1, adam.beta2, adam.tau], [0.1, 0.9, 0.99, 1e-9]);
  const yogi = createStrategy('fedyogi', { beta1: 0.5 }) as FedYogi;
  assert.deepEqual([yogi.eta, yogi.beta1, yogi.beta2, yogi.tau], [0.01, 0.5, 0.99, 1e-3]);
  assert.deepEqual(createStrategy('fedprox', { mu: 0.5 }).clientOptions(), { proximalMu: 0.5 });
});

/** Asserts a ConfigError whose message names `option` (and, when given, the bad value). */
function rejects(name: string, options: unknown, option: string, value?: string): void {
  assert.throws(
    () => createStrategy(name, options),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.equal(e.code, 'STRATA_ERR_CONFIG');
      assert.match(e.message, new RegExp(`"${option}"`));
      if (value !== undefined) assert.ok(e.message.includes(value), e.message);
      return true;
    },
  );
}

test('bad option values throw ConfigError naming the option and the value', () => {
  rejects('fedavg', { serverLr: 0 }, 'serverLr', '0');
  rejects('fedavg', { serverLr: Number.NaN }, 'serverLr', 'NaN');
  rejects('fedavg', { serverLr: '1' }, 'serverLr', '"1"');
  rejects('fedavgm', { momentum: 1 }, 'momentum', '1');
  rejects('fedadam', { beta1: 1.5 }, 'beta1', '1.5');
  rejects('fedyogi', { tau: -1 }, 'tau', '-1');
  rejects('fedadagrad', { eta: Infinity }, 'eta', 'Infinity');
  rejects('fedprox', { mu: -0.1 }, 'mu', '-0.1');
  rejects('trimmed-mean', { beta: 0.5 }, 'beta', '0.5');
  rejects('krum', { byzantine: 1.5 }, 'byzantine', '1.5');
  rejects('krum', { keep: 0 }, 'keep', '0');
});

test('unknown options, non-object options and unknown names throw ConfigError', () => {
  rejects('fedadagrad', { beta2: 0.9 }, 'beta2');
  rejects('fedavg', { lr: 0.1 }, 'lr');
  assert.throws(() => createStrategy('fedavg', 3), ConfigError);
  assert.throws(
    () => createStrategy('fedsgd'),
    (e: unknown) => e instanceof ConfigError && /"fedsgd"/.test(e.message) && /fedavg/.test(e.message),
  );
});

test('constructing a strategy directly validates its options too', () => {
  assert.throws(
    () => new FedAdam({ beta2: 1 }),
    (e: unknown) => e instanceof ConfigError && /"beta2"/.test(e.message),
  );
});
