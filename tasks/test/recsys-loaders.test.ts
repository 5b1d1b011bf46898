import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '@strata/shared';
import { loadInteractions, ml100kSource, type Interactions } from '../src/recsys/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-recsys-loaders-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The interactions as sorted `userId:itemId` strings, for comparing loaders. */
function pairs(data: Interactions): string[] {
  return Array.from(data.users, (u, k) => `${data.userIds[u]}:${data.itemIds[data.items[k]]}`).sort();
}

test('RecBole atomic file: header by name, ids re-indexed in numeric order, duplicates merged', () => {
  const path = file(
    'a.inter',
    'user_id:token\titem_id:token\trating:float\ttimestamp:float\n' + '10\t7\t4\t100\n2\t7\t1\t200\n10\t30\t5\t300\n10\t7\t2\t50\n',
  );
  const data = loadInteractions({ format: 'recbole', path });
  assert.equal(data.numUsers, 2);
  assert.equal(data.numItems, 2);
  assert.deepEqual(data.userIds, ['2', '10']);
  assert.deepEqual(data.itemIds, ['7', '30']);
  assert.deepEqual(Array.from(data.users), [0, 1, 1]);
  assert.deepEqual(Array.from(data.items), [0, 0, 1]);
  // The duplicate (10, 7) keeps its earliest timestamp.
  assert.deepEqual(Array.from(data.timestamps), [200, 50, 300]);
  assert.match(data.source, /^recbole:.*a\.inter$/);
});

test('RecBole atomic file: minRating keeps only high ratings; rating and timestamp columns are optional', () => {
  const path = file('b.inter', 'item_id:token\tuser_id:token\trating:float\n7\t1\t5\n8\t1\t2\n9\t2\t4\r\n');
  const data = loadInteractions({ format: 'recbole', path, minRating: 4 });
  assert.deepEqual(pairs(data), ['1:7', '2:9']);
  assert.deepEqual(Array.from(data.timestamps), [0, 0]);
  const bare = file('c.inter', 'user_id:token\titem_id:token\n1\t2\n');
  assert.deepEqual(pairs(loadInteractions({ format: 'recbole', path: bare })), ['1:2']);
  assert.throws(() => loadInteractions({ format: 'recbole', path: bare, minRating: 3 }), /header has no rating column "rating"/);
});

test('MovieLens u.data, ratings.dat and ratings.csv give the same interactions', () => {
  const rows = [
    [1, 31, 2.5, 1260759144],
    [1, 1029, 3, 1260759179],
    [7, 31, 4, 1260759185],
  ];
  const udata = loadInteractions({ format: 'movielens-udata', path: file('u.data', rows.map((r) => r.join('\t')).join('\n')) });
  const dat = loadInteractions({ format: 'movielens-dat', path: file('ratings.dat', `${rows.map((r) => r.join('::')).join('\n')}\n`) });
  const csv = loadInteractions({
    format: 'movielens-csv',
    path: file('ratings.csv', `userId,movieId,rating,timestamp\n${rows.map((r) => r.join(',')).join('\n')}\n`),
  });
  for (const data of [udata, dat, csv]) {
    assert.deepEqual(pairs(data), ['1:1029', '1:31', '7:31']);
    assert.deepEqual(data.itemIds, ['31', '1029']);
    assert.deepEqual(Array.from(data.timestamps), [1260759144, 1260759179, 1260759185]);
  }
  const high = loadInteractions({ format: 'movielens-csv', path: join(dir, 'ratings.csv'), minRating: 3 });
  assert.deepEqual(pairs(high), ['1:1029', '7:31']);
});

test('delimited file: columns by index or by header name, optional rating and timestamp', () => {
  const byIndex = file('plain.txt', 'a;x;1\nb;y;0\na;y;1\n');
  const data = loadInteractions({ format: 'delimited', path: byIndex, delimiter: ';', user: 0, item: 1, rating: 2, minRating: 1 });
  assert.deepEqual(pairs(data), ['a:x', 'a:y']);
  assert.deepEqual(data.userIds, ['a']);
  const byName = file('named.csv', 'when|item|who\n5|x|u1\n6|y|u2\n');
  const named = loadInteractions({
    format: 'delimited',
    path: byName,
    delimiter: '|',
    header: true,
    user: 'who',
    item: 'item',
    timestamp: 'when',
  });
  assert.deepEqual(pairs(named), ['u1:x', 'u2:y']);
  assert.deepEqual(Array.from(named.timestamps), [5, 6]);
});

test('loader errors name the file and the line or field', () => {
  const missing = join(dir, 'nope.inter');
  assert.throws(
    () => loadInteractions({ format: 'recbole', path: missing }),
    (err: unknown) => err instanceof DataError && err.message.includes(missing),
  );
  const short = file('short.data', '1\t2\t3\t4\n1\t2\n');
  assert.throws(
    () => loadInteractions({ format: 'movielens-udata', path: short }),
    (err: unknown) => err instanceof DataError && err.message.includes(`${short}:2`) && /expected at least 4 fields/.test(err.message),
  );
  const badRating = file('bad.dat', '1::2::3::4\n1::3::five::4\n');
  assert.throws(
    () => loadInteractions({ format: 'movielens-dat', path: badRating, minRating: 1 }),
    (err: unknown) => err instanceof DataError && err.message.includes(`${badRating}:2: column 3 (rating): "five" is not a number`),
  );
  const badTime = file('badtime.csv', 'userId,movieId,rating,timestamp\n1,2,3,soon\n');
  assert.throws(
    () => loadInteractions({ format: 'movielens-csv', path: badTime }),
    /badtime.csv:2: column 4 \(timestamp\): "soon" is not a number/,
  );
  const noColumn = file('nocol.csv', 'user,movie\n1,2\n');
  assert.throws(() => loadInteractions({ format: 'movielens-csv', path: noColumn }), /nocol.csv:1: header has no user column "userId"/);
  assert.throws(
    () => loadInteractions({ format: 'delimited', path: noColumn, delimiter: ',', user: 'user', item: 'movie' }),
    /column given by name "user" but the file has no header/,
  );
  const empty = file('empty.inter', '');
  assert.throws(() => loadInteractions({ format: 'recbole', path: empty }), /empty file/);
  assert.throws(() => loadInteractions({ format: 'xml', path: empty } as never), /unknown interactions format "xml"/);
});

test('MovieLens 100K from the shared data folder: 943 users, 1682 items, 100000 interactions', () => {
  const data = loadInteractions(ml100kSource());
  assert.equal(data.numUsers, 943);
  assert.equal(data.numItems, 1682);
  assert.equal(data.users.length, 100000);
  assert.equal(data.items.length, 100000);
  assert.equal(data.userIds[0], '1');
  const minTime = data.timestamps.reduce((a, b) => Math.min(a, b));
  assert.equal(minTime, 874724710);
});

test('a header read as data is caught: a word where every later row has a number, in an id or a rating column', () => {
  const ratings = file('forgot-header.csv', 'user,item,rating\n1,10,5\n2,11,4\n');
  assert.throws(
    () => loadInteractions({ format: 'delimited', path: ratings, delimiter: ',', user: 0, item: 1, rating: 2 }),
    /forgot-header.csv:1: column 3 \(rating\): "rating" is not a number: is line 1 a header\? Pass --header/,
  );
  const ids = file('forgot-header-ids.csv', 'user,item\n1,10\n2,11\n3,12\n');
  assert.throws(
    () => loadInteractions({ format: 'delimited', path: ids, delimiter: ',', user: 0, item: 1 }),
    /forgot-header-ids.csv:1: column 1 \(user\): "user" is not a number, while the next 3 rows' are: is line 1 a header\? Pass --header/,
  );
  const withHeader = loadInteractions({ format: 'delimited', path: ids, delimiter: ',', header: true, user: 'user', item: 'item' });
  assert.equal(withHeader.users.length, 3);
});

test('a word among numeric ids fails naming the line and column, or is skipped and counted when asked; token ids are fine', () => {
  const rows = ['1\t10\t5', '2\t11\t4', 'abc\t10\t3', '3\t12\t5', '4\t10\t1'].join('\n');
  const stray = file('stray.tsv', `${rows}\n`);
  const source = { format: 'delimited', path: stray, delimiter: '\t', user: 0, item: 1, rating: 2 } as const;
  assert.throws(
    () => loadInteractions(source),
    /stray.tsv:3: column 1 \(user\): "abc" is not a number like the other user ids \(--bad-rows skip/,
  );
  const skipped = loadInteractions({ ...source, badRows: 'skip' });
  assert.equal(skipped.users.length, 4);
  assert.equal(skipped.skippedRows, 1);
  const short = file('short-rows.tsv', '1\t10\t5\n2\t11\n3\t12\t4\n');
  assert.equal(loadInteractions({ ...source, path: short, badRows: 'skip' }).skippedRows, 1);
  const tokens = file('tokens.tsv', 'alice\tm1\t5\nbob\tm2\t4\n7\tm3\t3\ncarol\tm1\t2\n');
  const read = loadInteractions({ ...source, path: tokens });
  assert.equal(read.numUsers, 4, 'ids that are mostly words are tokens: a numeric one among them is fine');
  assert.equal(read.skippedRows, 0);
});
