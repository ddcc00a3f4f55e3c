/**
 * The image config as Trivy prints it in Metadata.ImageConfig: decoded into go-containerregistry's
 * v1.ConfigFile and marshalled again, so fields come in that struct's order, unknown fields disappear,
 * `created` is always present (a zero time when missing), and maps (Labels, Volumes, ExposedPorts) are sorted.
 * Keys are matched as Go decodes them: exactly, else case-insensitively.
 */
import { arr, bool, type GoJson, goMap, int, jsonNull, str, struct } from './go-json.js';
import { goTime } from './go-time.js';

type Fields = Map<string, unknown>;

/** The object's values by struct field name (JSON key as the struct tag spells it). */
function fieldsOf(value: unknown, names: readonly string[]): Fields {
  const out: Fields = new Map();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  const folded = new Map(names.map((n) => [n.toLowerCase(), n]));
  const exact = new Set(names);
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const name = exact.has(key) ? key : folded.get(key.toLowerCase());
    if (name !== undefined && v !== null && v !== undefined) out.set(name, v);
  }
  return out;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** string with omitempty */
function optString(v: unknown): GoJson | undefined {
  const s = text(v);
  return s === '' ? undefined : str(s);
}

/** []string with omitempty */
function optStrings(v: unknown): GoJson | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  return arr(v.map((s) => str(text(s))));
}

function optBool(v: unknown): GoJson | undefined {
  return v === true ? bool(true) : undefined;
}

function optInt(v: unknown): GoJson | undefined {
  return typeof v === 'number' && v !== 0 ? int(v) : undefined;
}

function time(v: unknown): GoJson {
  const s = text(v);
  return str(s === '' ? ZERO_TIME : goTime(s));
}

/** map[string]struct{} with omitempty */
function optSet(v: unknown): GoJson | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length === 0) return undefined;
  return goMap(Object.fromEntries(keys.map((k) => [k, null])), () => struct([]));
}

/** map[string]string with omitempty */
function optLabels(v: unknown): GoJson | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const record = v as Record<string, unknown>;
  if (Object.keys(record).length === 0) return undefined;
  return goMap(record, (value) => str(text(value)));
}

function history(v: unknown): GoJson {
  const f = fieldsOf(v, ['author', 'created', 'created_by', 'comment', 'empty_layer']);
  return struct([
    ['author', optString(f.get('author'))],
    ['created', time(f.get('created'))],
    ['created_by', optString(f.get('created_by'))],
    ['comment', optString(f.get('comment'))],
    ['empty_layer', optBool(f.get('empty_layer'))],
  ]);
}

function healthcheck(v: unknown): GoJson | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const f = fieldsOf(v, ['Test', 'Interval', 'Timeout', 'StartPeriod', 'Retries']);
  return struct([
    ['Test', optStrings(f.get('Test'))],
    ['Interval', optInt(f.get('Interval'))],
    ['Timeout', optInt(f.get('Timeout'))],
    ['StartPeriod', optInt(f.get('StartPeriod'))],
    ['Retries', optInt(f.get('Retries'))],
  ]);
}

const CONFIG_FIELDS = [
  'AttachStderr',
  'AttachStdin',
  'AttachStdout',
  'Cmd',
  'Healthcheck',
  'Domainname',
  'Entrypoint',
  'Env',
  'Hostname',
  'Image',
  'Labels',
  'OnBuild',
  'OpenStdin',
  'StdinOnce',
  'Tty',
  'User',
  'Volumes',
  'WorkingDir',
  'ExposedPorts',
  'ArgsEscaped',
  'NetworkDisabled',
  'MacAddress',
  'StopSignal',
  'Shell',
] as const;

const BOOLS = new Set([
  'AttachStderr',
  'AttachStdin',
  'AttachStdout',
  'OpenStdin',
  'StdinOnce',
  'Tty',
  'ArgsEscaped',
  'NetworkDisabled',
]);
const LISTS = new Set(['Cmd', 'Entrypoint', 'Env', 'OnBuild', 'Shell']);
const SETS = new Set(['Volumes', 'ExposedPorts']);

function config(v: unknown): GoJson {
  const f = fieldsOf(v, CONFIG_FIELDS);
  return struct(
    CONFIG_FIELDS.map((name) => {
      const value = f.get(name);
      if (BOOLS.has(name)) return [name, optBool(value)] as const;
      if (LISTS.has(name)) return [name, optStrings(value)] as const;
      if (SETS.has(name)) return [name, optSet(value)] as const;
      if (name === 'Labels') return [name, optLabels(value)] as const;
      if (name === 'Healthcheck') return [name, healthcheck(value)] as const;
      return [name, optString(value)] as const;
    }),
  );
}

function rootfs(v: unknown): GoJson {
  const f = fieldsOf(v, ['type', 'diff_ids']);
  const diffIds = f.get('diff_ids');
  return struct([
    ['type', str(text(f.get('type')))],
    ['diff_ids', Array.isArray(diffIds) ? arr(diffIds.map((d) => str(text(d)))) : jsonNull],
  ]);
}

/** Undefined when there is no config (Go's omitzero drops a zero ConfigFile). */
export function encodeImageConfig(value: unknown): GoJson | undefined {
  if (value === null || value === undefined || typeof value !== 'object') return undefined;
  const f = fieldsOf(value, [
    'architecture',
    'author',
    'container',
    'created',
    'docker_version',
    'history',
    'os',
    'rootfs',
    'config',
    'os.version',
    'variant',
    'os.features',
  ]);
  const hist = f.get('history');
  return struct([
    ['architecture', str(text(f.get('architecture')))],
    ['author', optString(f.get('author'))],
    ['container', optString(f.get('container'))],
    ['created', time(f.get('created'))],
    ['docker_version', optString(f.get('docker_version'))],
    ['history', Array.isArray(hist) && hist.length > 0 ? arr(hist.map(history)) : undefined],
    ['os', str(text(f.get('os')))],
    ['rootfs', rootfs(f.get('rootfs'))],
    ['config', config(f.get('config'))],
    ['os.version', optString(f.get('os.version'))],
    ['variant', optString(f.get('variant'))],
    ['os.features', optStrings(f.get('os.features'))],
  ]);
}
