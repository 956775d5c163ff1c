// ONNX writing without Python: the fast linear-pair export and the generic protobuf encoder.
export * from './linear-pair-model';
export * from './onnx-proto';
export * from './additive-model';
