/**
 * The two Twirp encodings of a message. Protobuf is what Trivy's client speaks; JSON is written the way Go's
 * twirp server writes it (protojson with proto field names and EmitUnpopulated, so unset message fields appear
 * as null), and read the way it reads it (protojson, unknown fields discarded, camelCase and snake_case names).
 */
import {
  create,
  type DescMessage,
  fromBinary,
  fromJsonString,
  type JsonObject,
  type JsonValue,
  type MessageInitShape,
  type MessageShape,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
import { TwirpError } from './twirp-error.js';

export type Encoding = 'protobuf' | 'json';

export const CONTENT_TYPES: Readonly<Record<Encoding, string>> = {
  protobuf: 'application/protobuf',
  json: 'application/json',
};

/** The encoding a Content-Type header names (parameters such as charset ignored), or undefined. */
export function encodingOf(contentType: string | undefined): Encoding | undefined {
  const base = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (base === CONTENT_TYPES.protobuf) return 'protobuf';
  if (base === CONTENT_TYPES.json) return 'json';
  return undefined;
}

/** Accepts a message or its init shape, so callers can pass plain objects. */
export function toMessage<Desc extends DescMessage>(
  schema: Desc,
  value: MessageShape<Desc> | MessageInitShape<Desc>,
): MessageShape<Desc> {
  const typed = value as { $typeName?: unknown };
  if (typed.$typeName === schema.typeName) return value as MessageShape<Desc>;
  return create(schema, value as MessageInitShape<Desc>);
}

export function encodeMessage<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  encoding: Encoding,
): Uint8Array {
  if (encoding === 'protobuf') return toBinary(schema, message);
  return Buffer.from(JSON.stringify(toGoJson(schema, message)), 'utf8');
}

/** Decodes a request or response body; anything unreadable is a Twirp `malformed` error. */
export function decodeMessage<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
  encoding: Encoding,
): MessageShape<Desc> {
  try {
    if (encoding === 'protobuf') return fromBinary(schema, bytes);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return fromJsonString(schema, text, { ignoreUnknownFields: true });
  } catch (error) {
    throw new TwirpError(
      'malformed',
      `the ${encoding === 'protobuf' ? 'protobuf' : 'json'} request could not be decoded`,
      {
        cause: error,
      },
    );
  }
}

/** protojson with UseProtoNames and EmitUnpopulated, as Go's twirp server marshals responses. */
export function toGoJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): JsonObject {
  const json = toJson(schema, message, { useProtoFieldName: true, alwaysEmitImplicit: true });
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return {};
  addUnsetMessages(schema, json);
  return json;
}

// Well-known types have their own JSON forms (a timestamp string, any JSON value…): nothing to fill in.
function isWellKnown(desc: DescMessage): boolean {
  return desc.typeName.startsWith('google.protobuf.');
}

function addUnsetMessages(desc: DescMessage, json: JsonObject): void {
  if (isWellKnown(desc)) return;
  for (const field of desc.fields) {
    const value: JsonValue | undefined = json[field.name];
    if (field.fieldKind === 'message') {
      if (value === undefined) json[field.name] = null;
      else if (isObject(value)) addUnsetMessages(field.message, value);
    } else if (field.fieldKind === 'list' && field.listKind === 'message' && Array.isArray(value)) {
      for (const element of value) if (isObject(element)) addUnsetMessages(field.message, element);
    } else if (field.fieldKind === 'map' && field.mapKind === 'message' && isObject(value)) {
      for (const element of Object.values(value))
        if (isObject(element)) addUnsetMessages(field.message, element);
    }
  }
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
