import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collaborativeKnowledgeGraph,
  loadInteractions,
  loadKgatInteractions,
  loadKgatKnowledgeGraph,
  loadRecboleKnowledgeGraph,
  ml100kSource,
  resolveDataDir,
  splitPerUser,
} from '../src/recsys/index.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-kg-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const inter = 'user_id:token\titem_id:token\n1\t10\n1\t20\n2\t20\n2\t30\n';
const kgHeader = 'head_id:token\trelation_id:token\ttail_id:token\n';
const linkHeader = 'item_id:token\tentity_id:token\n';

test('RecBole .kg/.link: entities and relations indexed, items linked to their entities', () => {
  const dir = folder({
    'd.inter': inter,
    'd.kg': `${kgHeader}m.a\tfilm.genre\tg.x\nm.b\tfilm.genre\tg.x\nm.b\tfilm.actor\tp.y\n`,
    'd.link': `${linkHeader}10\tm.a\t\n20\tm.b\n`,
  });
  const data = loadInteractions({ format: 'recbole', path: join(dir, 'd.inter') });
  const kg = loadRecboleKnowledgeGraph({ kgPath: join(dir, 'd.kg'), linkPath: join(dir, 'd.link') }, data);
  assert.deepEqual([kg.numEntities, kg.numRelations, kg.heads.length], [4, 2, 3]);
  assert.deepEqual(kg.relationIds, ['film.genre', 'film.actor']);
  assert.deepEqual(Array.from(kg.itemEntities), [kg.entityIds.indexOf('m.a'), kg.entityIds.indexOf('m.b'), -1]);
});

test('RecBole KG files: bad input names the file, line and field', () => {
  const dir = folder({ 'd.inter': inter });
  const data = loadInteractions({ format: 'recbole', path: join(dir, 'd.inter') });
  const load = (kg: string, link: string, relations?: string[]): unknown => {
    writeFileSync(join(dir, 'd.kg'), kg);
    writeFileSync(join(dir, 'd.link'), link);
    return loadRecboleKnowledgeGraph({ kgPath: join(dir, 'd.kg'), linkPath: join(dir, 'd.link'), relations }, data);
  };
  const link = `${linkHeader}10\tm.a\n`;
  assert.throws(() => load(`${kgHeader}m.a\tfilm.genre\n`, link), /d\.kg:2: field tail_id: missing \(2 cells/);
  assert.throws(() => load(`${kgHeader}m.a\t\tg.x\n`, link), /d\.kg:2: field relation_id: empty/);
  assert.throws(
    () => load(`${kgHeader}m.a\tfilm.genre\tg.x\nm.a\tfilm.cast\tg.y\n`, link, ['film.genre']),
    /d\.kg:3: field relation_id: unknown relation "film\.cast"/,
  );
  assert.throws(() => load('head_id:token\ttail_id:token\n', link), /d\.kg:1: field relation_id: missing from the header/);
  assert.throws(
    () => load(`${kgHeader}m.a\tfilm.genre\tg.x\n`, `${linkHeader}10\tm.a\n99\tm.b\n`),
    /d\.link:3: field item_id: item "99" is not in/,
  );
  assert.throws(
    () => load(`${kgHeader}m.a\tfilm.genre\tg.x\n`, `${linkHeader}10\tm.a\n10\tm.b\n`),
    /d\.link:3: field item_id: item "10" is linked twice/,
  );
});

test("KGAT's layout: train.txt/test.txt as interactions, kg_final.txt with items as entities 0..n-1", () => {
  const dir = folder({
    'train.txt': '0 0 1\n1 1 2\n',
    'test.txt': '0 2\n',
    'kg_final.txt': '0 0 3\n1 0 3\n2 1 4\n',
    'relation_list.txt': 'org_id remap_id\nfilm.genre 0\nfilm.actor 1\n',
  });
  const data = loadKgatInteractions(dir);
  assert.deepEqual([data.numUsers, data.numItems, data.users.length], [2, 3, 5]);
  const kg = loadKgatKnowledgeGraph(dir, data);
  assert.deepEqual([kg.numEntities, kg.numRelations, Array.from(kg.itemEntities)], [5, 2, [0, 1, 2]]);
  writeFileSync(join(dir, 'kg_final.txt'), '0 0 3\n1 7 3\n');
  assert.throws(() => loadKgatKnowledgeGraph(dir, data), /kg_final\.txt:2: field relation: unknown relation 7/);
  writeFileSync(join(dir, 'kg_final.txt'), '0 0 3\n1 0\n');
  assert.throws(() => loadKgatKnowledgeGraph(dir, data), /kg_final\.txt:2: expected "head relation tail", got 2 fields/);
  writeFileSync(join(dir, 'kg_final.txt'), '0 x 3\n');
  assert.throws(() => loadKgatKnowledgeGraph(dir, data), /kg_final\.txt:1: field relation: expected a non-negative integer id, got "x"/);
  writeFileSync(join(dir, 'train.txt'), '0 0 1\n1 one\n');
  assert.throws(() => loadKgatInteractions(dir), /train\.txt:2: field item 1: expected a non-negative integer id, got "one"/);
});

test('ml-100k with its KG: 1,598 linked items; the collaborative KG keeps entities in >= 10 triples, both directions', () => {
  const data = loadInteractions(ml100kSource());
  const dir = join(resolveDataDir(), 'ml-100k');
  const kg = loadRecboleKnowledgeGraph({ kgPath: join(dir, 'ml-100k.kg'), linkPath: join(dir, 'ml-100k.link') }, data);
  assert.deepEqual([kg.heads.length, kg.numRelations], [91631, 24]);
  assert.equal(
    kg.itemEntities.reduce((n, e) => n + (e >= 0 ? 1 : 0), 0),
    1598,
  );
  const ckg = collaborativeKnowledgeGraph(splitPerUser(data, { seed: 0 }), kg, 10);
  assert.equal(ckg.numRelations, 48);
  assert.equal(ckg.heads.length % 2, 0);
  assert.equal(new Set(ckg.itemNodes).size, 1682);
  assert.ok(ckg.itemNodes.every((node) => node >= 943 && node < ckg.numNodes));
});
