/**
 * The part of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto, IR version 10) that winoconv reads and writes, as a
 * protobufjs JSON descriptor. Field numbers and types are onnx.proto's; names are camelCased (the wire format carries
 * only numbers). Fields not listed here (training info, functions, quantization annotations, ...) are skipped by the
 * decoder. Messages and field numbers checked against the `onnx-proto` package's generated decoder.
 */

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const field = (type: string, id: number) => ({ type, id });

export const ONNX_PROTO_JSON = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: field('string', 1),
            refAttrName: field('string', 21),
            docString: field('string', 13),
            type: field('int32', 20),
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            g: field('GraphProto', 6),
            sparseTensor: field('SparseTensorProto', 22),
            tp: field('TypeProto', 14),
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            tensors: repeated('TensorProto', 10),
            graphs: repeated('GraphProto', 11),
            sparseTensors: repeated('SparseTensorProto', 23),
            typeProtos: repeated('TypeProto', 15),
          },
        },
        ValueInfoProto: {
          fields: { name: field('string', 1), type: field('TypeProto', 2), docString: field('string', 3) },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: field('string', 3),
            opType: field('string', 4),
            domain: field('string', 7),
            attribute: repeated('AttributeProto', 5),
            docString: field('string', 6),
          },
        },
        ModelProto: {
          fields: {
            irVersion: field('int64', 1),
            opsetImport: repeated('OperatorSetIdProto', 8),
            producerName: field('string', 2),
            producerVersion: field('string', 3),
            domain: field('string', 4),
            modelVersion: field('int64', 5),
            docString: field('string', 6),
            graph: field('GraphProto', 7),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
        StringStringEntryProto: { fields: { key: field('string', 1), value: field('string', 2) } },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: field('string', 2),
            initializer: repeated('TensorProto', 5),
            sparseInitializer: repeated('SparseTensorProto', 15),
            docString: field('string', 10),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            valueInfo: repeated('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            dataType: field('int32', 2),
            segment: field('Segment', 3),
            floatData: repeated('float', 4),
            int32Data: repeated('int32', 5),
            stringData: repeated('bytes', 6),
            int64Data: repeated('int64', 7),
            name: field('string', 8),
            docString: field('string', 12),
            rawData: field('bytes', 9),
            externalData: repeated('StringStringEntryProto', 13),
            dataLocation: field('int32', 14),
            doubleData: repeated('double', 10),
            uint64Data: repeated('uint64', 11),
          },
          nested: { Segment: { fields: { begin: field('int64', 1), end: field('int64', 2) } } },
        },
        SparseTensorProto: {
          fields: { values: field('TensorProto', 1), indices: field('TensorProto', 2), dims: repeated('int64', 3) },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: field('int64', 1), dimParam: field('string', 2), denotation: field('string', 3) },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType'] } },
          fields: {
            tensorType: field('Tensor', 1),
            sequenceType: field('Sequence', 4),
            mapType: field('Map', 5),
            optionalType: field('Optional', 9),
            sparseTensorType: field('SparseTensor', 8),
            denotation: field('string', 6),
          },
          nested: {
            Tensor: { fields: { elemType: field('int32', 1), shape: field('TensorShapeProto', 2) } },
            Sequence: { fields: { elemType: field('TypeProto', 1) } },
            Map: { fields: { keyType: field('int32', 1), valueType: field('TypeProto', 2) } },
            Optional: { fields: { elemType: field('TypeProto', 1) } },
            SparseTensor: { fields: { elemType: field('int32', 1), shape: field('TensorShapeProto', 2) } },
          },
        },
        OperatorSetIdProto: { fields: { domain: field('string', 1), version: field('int64', 2) } },
      },
    },
  },
};
