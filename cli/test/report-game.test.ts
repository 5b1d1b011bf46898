import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gameSpace, playEngagementGame, resolveEngagementGameOptions } from '@strata/tasks';
import { renderGameReport, scatterChart } from '../src/report/index.js';

test('a scatter chart draws every finite point with its tooltip, sized and faded per series', () => {
  const svg = scatterChart(
    [
      {
        name: 'cloud',
        points: [
          { x: 0, y: 0 },
          { x: 1, y: Number.NaN },
        ],
        radius: 2,
        opacity: 0.3,
      },
      { name: 'markers', points: [{ x: 2, y: 3, label: 'producer <0>' }] },
    ],
    { title: 'positions', xLabel: 'feature 0', yLabel: 'feature 1' },
  );
  assert.equal((svg.match(/<circle /g) ?? []).length, 2);
  assert.match(svg, /r="2" fill="[^"]+" fill-opacity="0.3"/);
  assert.match(svg, /<title>producer &lt;0&gt;<\/title>/);
});

test('the game report has a row per serving rule, the convergence charts and a positions chart per rule', () => {
  // Two taste clusters on two axes; the catalogue: items on each axis and one mixing both.
  const users = Float32Array.from([2, 0.1, 2, -0.1, 0.1, 2, -0.1, 2, 0.2, 2]);
  const items = Float32Array.from([1, 0, -1, 0, 0, 1, 0, -1, 1, 0, 0.7, 0.7]);
  const space = gameSpace(users, items, 2);
  const options = resolveEngagementGameOptions({ producers: 2, temperatures: [0.5, 4], maxSweeps: 20 });
  const html = renderGameReport(playEngagementGame(space, options), { id: 'game-1', source: 'inline', wallSeconds: 1.5 });
  for (const rule of ['softmax τ=0.5σ', 'softmax τ=4σ', 'hardmax']) assert.ok(html.includes(`<td>${rule}</td>`), rule);
  assert.match(html, /producers moving per sweep/);
  assert.equal((html.match(/aria-label="[^"]*: final positions"/g) ?? []).length, 3);
  assert.doesNotMatch(html, /<script|<link|@import|url\(/i);
});
