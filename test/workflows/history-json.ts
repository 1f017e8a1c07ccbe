import { createRequire } from 'node:module';
import type * as protoModule from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

// The SDK's own historyToJSON/historyFromJSON fail in this install ("type must be a Type"): npm leaves
// @temporalio/common and @temporalio/proto each with a private copy of protobufjs 8 (the root holds
// protobufjs 7 for grpc), and protojson from one copy rejects types built by the other. Using the copy
// that @temporalio/proto itself loads keeps both sides on one instance. Output is standard proto3 JSON,
// the same format `temporal workflow show --output json` writes.
const require = createRequire(import.meta.url);
const requireFromProto = createRequire(require.resolve('@temporalio/proto'));
const protojson = requireFromProto('protobufjs/ext/protojson') as {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
};
const proto = require('@temporalio/proto') as typeof protoModule;
const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as { patchProtobufRoot(root: unknown): { lookupType(name: string): unknown } };
const historyType = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');

export type History = temporal.api.history.v1.IHistory;

export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

export function historyFromJson(json: unknown): History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
