import { type DescFile, type DescMessage, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * The protobuf files behind the services a node serves, indexed by file name
 * and by fully-qualified symbol, for server reflection.
 */
export class DescriptorIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  private readonly encoded = new Map<string, Uint8Array>();
  readonly serviceNames: readonly string[];

  constructor(services: readonly DescService[]) {
    this.serviceNames = services.map((s) => s.typeName);
    for (const service of services) this.addFile(service.file);
  }

  private addFile(file: DescFile): void {
    if (this.files.has(`${file.name}.proto`)) return;
    this.files.set(`${file.name}.proto`, file);
    for (const dependency of file.dependencies) this.addFile(dependency);
    for (const service of file.services) {
      this.symbols.set(service.typeName, file);
      for (const method of service.methods) this.symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const enumeration of file.enums) this.symbols.set(enumeration.typeName, file);
    for (const extension of file.extensions) this.symbols.set(extension.typeName, file);
    const addMessage = (message: DescMessage): void => {
      this.symbols.set(message.typeName, file);
      for (const nested of message.nestedMessages) addMessage(nested);
      for (const nested of message.nestedEnums) this.symbols.set(nested.typeName, file);
    };
    for (const message of file.messages) addMessage(message);
  }

  /** The file holding `symbol` and every file it depends on, transitively, encoded. */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined {
    const file = this.symbols.get(symbol.replace(/^\./, ""));
    return file === undefined ? undefined : this.withDependencies(file);
  }

  fileByName(name: string): Uint8Array[] | undefined {
    const file = this.files.get(name);
    return file === undefined ? undefined : this.withDependencies(file);
  }

  private withDependencies(file: DescFile): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const visit = (f: DescFile): void => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      out.push(this.encode(f));
      for (const dependency of f.dependencies) visit(dependency);
    };
    visit(file);
    return out;
  }

  private encode(file: DescFile): Uint8Array {
    let bytes = this.encoded.get(file.name);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.encoded.set(file.name, bytes);
    }
    return bytes;
  }
}
