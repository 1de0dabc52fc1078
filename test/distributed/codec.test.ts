/** The JSON codec and the wire format of the distributed executor (no Redis needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SerializationError, ValueError } from '../../src/errors.js';
import { encodeThrown } from '../../src/error-codec.js';
import { decodeValue, encodeList, encodeValue } from '../../src/distributed/codec.js';
import { describeEndpoint, parseRedisUrl, redisOptions } from '../../src/distributed/connection.js';
import {
  checkJobData, formatFailure, isExportName, isModuleName, moduleNameOf, parseFailure, WIRE_VERSION,
} from '../../src/distributed/wire.js';

function roundTrip(value: unknown): unknown {
  return decodeValue(JSON.parse(JSON.stringify(encodeValue(value, 'value'))));
}

test('codec: structured values survive JSON', () => {
  const value = {
    big: -(2n ** 80n), date: new Date(1234), map: new Map<unknown, unknown>([[{ k: 1 }, new Set([1n])]]),
    bytes: new Uint8Array([0, 1, 254]), ints: new Int32Array([-5, 7]), view: new DataView(new ArrayBuffer(4)),
    buffer: new Uint8Array([9, 9]).buffer, undef: undefined, list: [undefined, NaN, Infinity, -Infinity, -0], re: /x/m,
    error: new RangeError('out'),
  };
  const back = roundTrip(value) as typeof value;
  assert.deepEqual({ ...back, error: undefined }, { ...value, error: undefined });
  assert.ok(back.error instanceof RangeError);
  assert.equal(back.error.message, 'out');
  assert.ok(Object.is(back.list[4], -0));
  assert.ok('undef' in back, 'an undefined property keeps its key, as with structured clone');
});

test('codec: plain data is not copied', () => {
  const items = [1, 'two', true, null, { three: [3] }];
  assert.equal(encodeList(items, 'items'), items);
  assert.equal(encodeValue(items[4], 'x'), items[4]);
});

test('codec: a "__proto__" key stays an own property and pollutes nothing', () => {
  const decoded = decodeValue(JSON.parse('{"__proto__": {"polluted": 1}, "a": {"__proto__": {"$ct": "b", "v": "5"}}}')) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(decoded, '__proto__'));
  assert.equal((decoded.a as Record<string, unknown>)['__proto__'], 5n);
  const encoded = encodeValue(JSON.parse('{"__proto__": {"x": 1n}}'.replace('1n', '1')), 'v') as Record<string, unknown>;
  assert.ok(Object.prototype.hasOwnProperty.call(encoded, '__proto__'));
});

test('codec: an object that has a "$ct" key of its own is not mistaken for a tag', () => {
  const value = { $ct: 'b', v: '12', other: 1n };
  assert.deepEqual(roundTrip(value), value);
});

test('codec: malformed tags are refused with TypeError', () => {
  for (const bad of ['{"$ct": "zz"}', '{"$ct": "b", "v": "1e5"}', '{"$ct": "v", "t": "Function", "v": ""}', '{"$ct": "m", "v": [[1]]}', '{"$ct": "v", "t": "Int32Array", "v": "AAA="}']) {
    assert.throws(() => decodeValue(JSON.parse(bad)), TypeError, bad);
  }
});

test('codec: what cannot cross machines is refused with SerializationError naming its path', () => {
  class Point {
    x = 1;
  }
  const cases: Array<[unknown, RegExp]> = [
    [{ f: () => 1 }, /value\.f is a function/], [[Symbol('s')], /value\[0\] is a symbol/],
    [{ p: new Point() }, /value\.p is an instance of class Point/], [new SharedArrayBuffer(4), /SharedArrayBuffer/],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(() => encodeValue(value, 'value'), (error: unknown) => error instanceof SerializationError && pattern.test(error.message));
  }
  const cycle: unknown[] = [];
  cycle.push(cycle);
  assert.throws(() => encodeValue(cycle, 'value'), /circular/);
});

test('wire: a module is named by its file name without extension', () => {
  assert.equal(moduleNameOf('file:///home/me/project/dist/tasks.js'), 'tasks');
  assert.equal(moduleNameOf('file:///C:/work/src/image-ops.mts'), 'image-ops');
  assert.equal(moduleNameOf('file:///x/v2.tasks.ts'), 'v2.tasks');
  assert.equal(moduleNameOf('data:text/javascript,export default 1'), undefined);
});

test('wire: names with paths, URLs or prototype keys are not module or export names', () => {
  for (const name of ['../tasks', 'a/b', 'data:text/javascript,1', 'http://evil/x.js', '', 'a..b', '.hidden']) {
    assert.equal(isModuleName(name), false, name);
  }
  assert.equal(isModuleName('tasks'), true);
  for (const name of ['__proto__', 'constructor', 'prototype', 'then', 'a-b', '1x', '']) assert.equal(isExportName(name), false, name);
  assert.equal(isExportName('isPrime'), true);
});

test('wire: a failure reason reads well and carries the whole error record', () => {
  const error = Object.assign(new TypeError('bad input\nsecond line'), { code: 'E_BAD', when: new Date(5) });
  const reason = formatFailure(encodeThrown(error));
  assert.match(reason, /^TypeError: bad input\n@concurrent-ts:error /);
  const record = parseFailure(reason);
  assert.ok(record !== undefined && 'error' in record);
  assert.equal(record.error.name, 'TypeError');
  assert.equal(record.error.message, 'bad input\nsecond line');
  assert.deepEqual(record.error.props, { code: 'E_BAD', when: new Date(5) });
  assert.equal(parseFailure('job stalled more than allowable limit'), undefined);
});

test('wire: checkJobData accepts well-formed jobs only', () => {
  assert.doesNotThrow(() => checkJobData({ v: WIRE_VERSION, m: 'tasks', f: 'add', k: 0, a: [1, 2] }));
  assert.throws(() => checkJobData('x'), /not an object/);
  assert.throws(() => checkJobData({ v: 99, m: 'tasks', f: 'add', k: 0, a: [] }), /version 99/);
  assert.throws(() => checkJobData({ v: WIRE_VERSION, m: 'tasks', f: 'add', k: 7, a: [] }), /kind/);
  assert.throws(() => checkJobData({ v: WIRE_VERSION, m: 'tasks', f: 'add', k: 2, a: [1] }), /argument list/);
});

test('connection: redis:// and rediss:// URLs with an ACL user; messages never show the password', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6380/2'), { host: '127.0.0.1', port: 6380, db: 2 });
  const tls = parseRedisUrl('rediss://worker:p%40ss@redis.example.com');
  assert.deepEqual(tls, { host: 'redis.example.com', port: 6379, username: 'worker', password: 'p@ss', tls: {} });
  assert.equal(describeEndpoint(tls), 'rediss://worker@redis.example.com:6379');
  assert.throws(() => parseRedisUrl('http://redis.example.com'), ValueError);
  assert.throws(() => parseRedisUrl('redis://:secret@host/x'), ValueError);
  const options = redisOptions('rediss://h', 1000, { ca: 'PEM' });
  assert.deepEqual(options.tls, { ca: 'PEM' });
  assert.equal(options.maxRetriesPerRequest, null);
  assert.equal(options.connectTimeout, 1000);
});
