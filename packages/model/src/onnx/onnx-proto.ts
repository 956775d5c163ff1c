import protobuf from 'protobufjs';

/**
 * The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto3) needed to
 * write and inspect small inference graphs. Field numbers are ONNX's own; anything not listed is
 * simply skipped when decoding.
 */
const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; STRINGS = 8; }
  string name = 1;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  AttributeType type = 20;
  SparseTensorProto sparse_tensor = 22;
  repeated SparseTensorProto sparse_tensors = 23;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  repeated AttributeProto attribute = 5;
  string doc_string = 6;
  string domain = 7;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message ModelProto {
  int64 ir_version = 1;
  string producer_name = 2;
  string producer_version = 3;
  string domain = 4;
  int64 model_version = 5;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
  repeated TrainingInfoProto training_info = 20;
  repeated FunctionProto functions = 25;
}
message TrainingInfoProto { GraphProto initialization = 1; GraphProto algorithm = 2; }
message FunctionProto {
  string name = 1;
  repeated NodeProto node = 7;
  string domain = 10;
  repeated AttributeProto attribute_proto = 11;
}
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  string doc_string = 10;
  repeated SparseTensorProto sparse_initializer = 15;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  repeated float float_data = 4;
  repeated int32 int32_data = 5;
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7;
  string name = 8;
  bytes raw_data = 9;
  repeated double double_data = 10;
  repeated StringStringEntryProto external_data = 13;
  enum DataLocation { DEFAULT = 0; EXTERNAL = 1; }
  DataLocation data_location = 14;
}
message SparseTensorProto { TensorProto values = 1; TensorProto indices = 2; repeated int64 dims = 3; }
message TensorShapeProto {
  message Dimension { int64 dim_value = 1; string dim_param = 2; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  Tensor tensor_type = 1;
}
`;

/** TensorProto.DataType values used here. */
export const ONNX_TYPE = { float: 1, int32: 6, int64: 7, string: 8, double: 11 } as const;
export type TOnnxElemType = keyof typeof ONNX_TYPE;

/** AttributeProto.AttributeType values used here. */
export const ATTRIBUTE_TYPE = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
} as const;

// ONNX IR version 8 pairs with opset 13..17; onnxruntime 1.30 reads it.
export const IR_VERSION = 8;
export const DEFAULT_OPSET = 17;

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

type TDim = number | string;
export type TValueInfo = { name: string; type: TOnnxElemType; shape: TDim[] };
export type TTensor = {
  name: string;
  type: 'float' | 'double' | 'int32' | 'int64';
  dims: number[];
  values: Float32Array | Float64Array | Int32Array | BigInt64Array | number[];
  /**
   * Write the tensor as ONNX "external data" (its bytes in another file) instead of inline. Our
   * loaders REFUSE such models (findExternalData); this exists so tests can build one.
   */
  externalData?: { location: string; offset?: number; length?: number };
};
export type TAttribute =
  | { name: string; float: number }
  | { name: string; int: number }
  | { name: string; string: string }
  | { name: string; floats: ArrayLike<number> }
  | { name: string; ints: ArrayLike<number> }
  | { name: string; strings: readonly string[] }
  | { name: string; tensor: TTensor }
  | { name: string; graph: TSubgraphSpec };
export type TNode = {
  opType: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  attributes?: TAttribute[];
};
/** A graph-valued attribute's body (If/Loop/Scan branches). */
export type TSubgraphSpec = {
  name: string;
  inputs: TValueInfo[];
  outputs: TValueInfo[];
  initializers: TTensor[];
  nodes: TNode[];
};
export type TGraphSpec = TSubgraphSpec & {
  opsets?: { domain: string; version: number }[];
  metadata?: Record<string, string>;
  docString?: string;
};

function valueInfo(v: TValueInfo) {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: ONNX_TYPE[v.type],
        shape: {
          dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
        },
      },
    },
  };
}

function tensor(t: TTensor) {
  // raw_data is little-endian bytes in ONNX; typed arrays are little-endian on every target we run on.
  const typed =
    t.type === 'float'
      ? Float32Array.from(t.values as ArrayLike<number>)
      : t.type === 'double'
        ? Float64Array.from(t.values as ArrayLike<number>)
        : t.type === 'int32'
          ? Int32Array.from(t.values as ArrayLike<number>)
          : t.values instanceof BigInt64Array
            ? t.values
            : BigInt64Array.from(Array.from(t.values as ArrayLike<number>, (v) => BigInt(v)));
  if (t.externalData) {
    const { location, offset, length } = t.externalData;
    return {
      name: t.name,
      data_type: ONNX_TYPE[t.type],
      dims: t.dims,
      data_location: 1,
      external_data: [
        { key: 'location', value: location },
        ...(offset === undefined ? [] : [{ key: 'offset', value: String(offset) }]),
        ...(length === undefined ? [] : [{ key: 'length', value: String(length) }]),
      ],
    };
  }
  return {
    name: t.name,
    data_type: ONNX_TYPE[t.type],
    dims: t.dims,
    raw_data: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength),
  };
}

function attribute(a: TAttribute): Record<string, unknown> {
  if ('tensor' in a) return { name: a.name, type: ATTRIBUTE_TYPE.tensor, t: tensor(a.tensor) };
  if ('graph' in a) return { name: a.name, type: ATTRIBUTE_TYPE.graph, g: graph(a.graph) };
  if ('float' in a) return { name: a.name, type: ATTRIBUTE_TYPE.float, f: a.float };
  if ('int' in a) return { name: a.name, type: ATTRIBUTE_TYPE.int, i: a.int };
  if ('string' in a)
    return { name: a.name, type: ATTRIBUTE_TYPE.string, s: new TextEncoder().encode(a.string) };
  if ('floats' in a)
    return { name: a.name, type: ATTRIBUTE_TYPE.floats, floats: Array.from(a.floats) };
  if ('ints' in a) return { name: a.name, type: ATTRIBUTE_TYPE.ints, ints: Array.from(a.ints) };
  const encoder = new TextEncoder();
  return {
    name: a.name,
    type: ATTRIBUTE_TYPE.strings,
    strings: a.strings.map((s) => encoder.encode(s)),
  };
}

function graph(spec: TSubgraphSpec): Record<string, unknown> {
  return {
    name: spec.name,
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
    initializer: spec.initializers.map(tensor),
    node: spec.nodes.map((n, i) => ({
      name: `${n.opType.toLowerCase()}_${i}`,
      op_type: n.opType,
      domain: n.domain ?? '',
      input: n.inputs,
      output: n.outputs,
      attribute: (n.attributes ?? []).map(attribute),
    })),
  };
}

/** Serialize a graph to ONNX ModelProto bytes. */
export function encodeOnnxModel(spec: TGraphSpec): Uint8Array {
  const message = ModelProto.fromObject({
    ir_version: IR_VERSION,
    producer_name: 'tripcast',
    producer_version: '1',
    doc_string: spec.docString ?? '',
    opset_import: spec.opsets ?? [{ domain: '', version: DEFAULT_OPSET }],
    metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: graph(spec),
  });
  return ModelProto.encode(message).finish();
}

/** Decode ONNX bytes to a plain object (for tests and inspection). */
export function decodeOnnxModel(bytes: Uint8Array): Record<string, unknown> {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Array });
}

type TTensorMessage = { name?: string; data_location?: number; external_data?: { key?: string; value?: string }[] };
type TSparseMessage = { values?: TTensorMessage | null; indices?: TTensorMessage | null };
type TAttributeMessage = {
  name?: string;
  t?: TTensorMessage | null;
  g?: TGraphMessage | null;
  tensors?: TTensorMessage[];
  graphs?: TGraphMessage[];
  sparse_tensor?: TSparseMessage | null;
  sparse_tensors?: TSparseMessage[];
};
type TNodeMessage = { name?: string; op_type?: string; attribute?: TAttributeMessage[] };
type TGraphMessage = {
  name?: string;
  node?: TNodeMessage[];
  initializer?: TTensorMessage[];
  sparse_initializer?: TSparseMessage[];
};
type TModelMessage = {
  graph?: TGraphMessage | null;
  training_info?: { initialization?: TGraphMessage | null; algorithm?: TGraphMessage | null }[];
  functions?: { name?: string; node?: TNodeMessage[]; attribute_proto?: TAttributeMessage[] }[];
};

/**
 * Every tensor of an ONNX model whose data is not inside the model bytes (data_location EXTERNAL,
 * or any external_data entry), wherever a tensor can sit: initializers, sparse initializers, node
 * attributes (Constant values, tensor lists) and the subgraphs of If/Loop/Scan, training graphs
 * and functions. onnxruntime reads such data from a path relative to the process's working
 * folder, so an uploaded model could read the server's own files and return their bytes as
 * predictions: the runtime refuses any model for which this list is not empty.
 * Returns one description per tensor, e.g. `initializer "W" (location server.ts)`.
 */
export function findExternalData(bytes: Uint8Array): string[] {
  const model = ModelProto.decode(bytes) as unknown as TModelMessage;
  const found: string[] = [];
  const join = (where: string, what: string) => (where ? `${where} ${what}` : what);

  const visitTensor = (tensor: TTensorMessage | null | undefined, where: string) => {
    if (!tensor) return;
    const entries = tensor.external_data ?? [];
    if ((tensor.data_location ?? 0) !== 0 || entries.length > 0) {
      const location = entries.find((e) => e.key === 'location')?.value;
      found.push(`${where} "${tensor.name ?? ''}"${location === undefined ? '' : ` (location ${location})`}`);
    }
  };
  const visitSparse = (sparse: TSparseMessage | null | undefined, where: string) => {
    visitTensor(sparse?.values, `${where} values`);
    visitTensor(sparse?.indices, `${where} indices`);
  };
  const visitAttributes = (attributes: TAttributeMessage[] | undefined, where: string) => {
    for (const a of attributes ?? []) {
      const at = join(where, `attribute ${a.name ?? ''}`);
      visitTensor(a.t, `${at} tensor`);
      for (const t of a.tensors ?? []) visitTensor(t, `${at} tensor`);
      visitSparse(a.sparse_tensor, `${at} sparse tensor`);
      for (const t of a.sparse_tensors ?? []) visitSparse(t, `${at} sparse tensor`);
      if (a.g) visitGraph(a.g, `${at} subgraph`);
      for (const g of a.graphs ?? []) visitGraph(g, `${at} subgraph`);
    }
  };
  const visitNodes = (nodes: TNodeMessage[] | undefined, where: string) => {
    for (const n of nodes ?? []) visitAttributes(n.attribute, join(where, `node ${n.name || n.op_type || ''}`));
  };
  function visitGraph(graph: TGraphMessage, where: string): void {
    for (const t of graph.initializer ?? []) visitTensor(t, join(where, 'initializer'));
    for (const t of graph.sparse_initializer ?? []) visitSparse(t, join(where, 'sparse initializer'));
    visitNodes(graph.node, where);
  }

  if (model.graph) visitGraph(model.graph, '');
  for (const info of model.training_info ?? []) {
    if (info.initialization) visitGraph(info.initialization, 'training initialization');
    if (info.algorithm) visitGraph(info.algorithm, 'training algorithm');
  }
  for (const fn of model.functions ?? []) {
    visitNodes(fn.node, `function ${fn.name ?? ''}`);
    visitAttributes(fn.attribute_proto, `function ${fn.name ?? ''}`);
  }
  return found;
}
