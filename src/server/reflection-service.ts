import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.ts";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import type { DescriptorIndex } from "./descriptor-index.ts";

/** gRPC's NOT_FOUND, as the reflection protocol reports it in error_response. */
const notFound = 5;
const unimplemented = 12;

type Answer =
  | { readonly case: "fileDescriptorResponse"; readonly files: Uint8Array[] }
  | { readonly case: "listServicesResponse"; readonly names: readonly string[] }
  | { readonly case: "errorResponse"; readonly code: number; readonly message: string };

type Question = v1.ServerReflectionRequest["messageRequest"];

/** What to answer, independent of the protocol version's generated types. */
function answer(index: DescriptorIndex, question: Question): Answer {
  switch (question.case) {
    case "listServices":
      return { case: "listServicesResponse", names: index.serviceNames };
    case "fileContainingSymbol": {
      const files = index.fileContainingSymbol(question.value);
      return files === undefined
        ? { case: "errorResponse", code: notFound, message: `symbol not found: ${question.value}` }
        : { case: "fileDescriptorResponse", files };
    }
    case "fileByFilename": {
      const files = index.fileByName(question.value);
      return files === undefined
        ? { case: "errorResponse", code: notFound, message: `file not found: ${question.value}` }
        : { case: "fileDescriptorResponse", files };
    }
    case "fileContainingExtension":
    case "allExtensionNumbersOfType":
      // raftkv's protos declare no extensions.
      return { case: "errorResponse", code: notFound, message: "no extensions are registered" };
    case undefined:
      return { case: "errorResponse", code: unimplemented, message: "empty reflection request" };
    default: {
      const unreachable: never = question;
      return { case: "errorResponse", code: unimplemented, message: `unknown request ${String(unreachable)}` };
    }
  }
}

function responseV1(request: v1.ServerReflectionRequest, a: Answer): v1.ServerReflectionResponse {
  return create(v1.ServerReflectionResponseSchema, {
    validHost: request.host,
    originalRequest: request,
    messageResponse: messageResponse(a),
  });
}

function responseV1alpha(request: v1alpha.ServerReflectionRequest, a: Answer): v1alpha.ServerReflectionResponse {
  return create(v1alpha.ServerReflectionResponseSchema, {
    validHost: request.host,
    originalRequest: request,
    messageResponse: messageResponse(a),
  });
}

// Both versions share field names and numbers, so one init shape serves both.
function messageResponse(a: Answer) {
  switch (a.case) {
    case "fileDescriptorResponse":
      return { case: a.case, value: { fileDescriptorProto: a.files } } as const;
    case "listServicesResponse":
      return { case: a.case, value: { service: a.names.map((name) => ({ name })) } } as const;
    case "errorResponse":
      return { case: a.case, value: { errorCode: a.code, errorMessage: a.message } } as const;
    default: {
      const unreachable: never = a;
      throw new Error(`unknown answer ${String(unreachable)}`);
    }
  }
}

export function createReflectionV1Service(index: DescriptorIndex): ServiceImpl<typeof v1.ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield responseV1(request, answer(index, request.messageRequest));
    },
  };
}

export function createReflectionV1alphaService(index: DescriptorIndex): ServiceImpl<typeof v1alpha.ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      // v1alpha's oneof has the same cases as v1's.
      for await (const request of requests) {
        yield responseV1alpha(request, answer(index, request.messageRequest as Question));
      }
    },
  };
}
