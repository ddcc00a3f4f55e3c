import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goFormatFloatV, goJsonMarshal, goJsonString } from './go-json.js';
import { goNumber, parseGoYaml } from './go-yaml.js';

// Expected strings were printed by Go 1.26 (fmt.Sprint and json.Marshal of the same float64 values).
test('fmt.Sprint of float64 matches Go', () => {
  const cases: [number, string][] = [
    [1, '1'],
    [1.5, '1.5'],
    [100000, '100000'],
    [1e6, '1e+06'],
    [123456789, '1.23456789e+08'],
    [1234567, '1.234567e+06'],
    [1e20, '1e+20'],
    [1e21, '1e+21'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.25e-7, '1.25e-07'],
    [-7.5, '-7.5'],
    [-0, '-0'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NaN, 'NaN'],
  ];
  for (const [value, expected] of cases) assert.equal(goFormatFloatV(value), expected, String(value));
});

test('json.Marshal sorts map keys by bytes, escapes HTML and formats numbers like Go', () => {
  assert.equal(
    goJsonMarshal({
      b: 1n,
      a: 2,
      C: 'x<y',
      é: 1.5,
      '𝄞': 'astral',
      '\uffff': 'bmp',
      n: [1e6, 1e21, 1.25e-7, 0.00001],
    }),
    '{"C":"x\\u003cy","a":2,"b":1,"n":[1000000,1e+21,1.25e-7,0.00001],"é":1.5,"\uffff":"bmp","𝄞":"astral"}',
  );
  assert.equal(goJsonString('a<b>&\b\f\x01\u2028 é'), '"a\\u003cb\\u003e\\u0026\\b\\f\\u0001\\u2028 é"');
  assert.equal(goJsonMarshal([]), '[]');
  assert.equal(goJsonMarshal({}), '{}');
  assert.equal(goJsonMarshal(null), 'null');
  assert.throws(() => goJsonMarshal(Number.NaN), RangeError);
});

test('YAML scalars resolve as goccy/go-yaml resolves them into interface{}', () => {
  // Each expectation was observed through bolt-fixtures (tools/bolt-check load).
  assert.equal(goNumber('42'), 42n);
  assert.equal(goNumber('-7'), -7n);
  assert.equal(goNumber('1_000'), 1000n);
  assert.equal(goNumber('017'), 15n, 'a leading zero means octal');
  assert.equal(goNumber('08'), undefined, '08 is not octal, so a string');
  assert.equal(goNumber('0x1F'), 31n);
  assert.equal(goNumber('0b101'), 5n);
  assert.equal(goNumber('1e3'), undefined, 'no dot: not a float');
  assert.equal(goNumber('1.e3'), 1000);
  assert.equal(goNumber('.5'), 0.5);
  assert.equal(goNumber('18446744073709551615'), 2n ** 64n - 1n);
  assert.equal(goNumber('100000000000000000000'), undefined, 'out of range: a string');
  assert.equal(goNumber('-9223372036854775809'), undefined);
  assert.deepEqual(
    parseGoYaml('a: yes\nb: True\nc: ~\nd: 2023-02-24T18:38:00Z\ne: "12"\nf: .inf\ng: 1.0\nh:\n'),
    Object.assign(Object.create(null), {
      a: 'yes',
      b: true,
      c: null,
      d: '2023-02-24T18:38:00Z',
      e: '12',
      f: Number.POSITIVE_INFINITY,
      g: 1,
      h: null,
    }),
  );
});
