import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PrismaClient } from '../generated/prisma/client.js';

/**
 * The generated client loads its query compiler by importing a module whose one export is the WebAssembly as
 * base64 text (4.6 MB). An imported module is never unloaded, so the process would keep that text twice for
 * good: as the module's source and as the string it declares. Compiled from the same file's text read here
 * instead, both are garbage once the module is compiled (the runtime compiles it once per process).
 */
/** The platform's WebAssembly API (the project's TypeScript libraries leave it out). */
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<object> };

interface EngineConfig {
  activeProvider: string;
  compilerWasm: {
    /** The runtime's name for the compiler's JavaScript glue: `./query_compiler_<build>_bg.js`. */
    importName: string;
    getQueryCompilerWasmModule(): Promise<object>;
  };
}

/** `client`, whose query compiler is compiled without keeping its source (to be called before it connects). */
export function withQueryCompilerUnretained(client: PrismaClient): PrismaClient {
  const { activeProvider, compilerWasm } = (client as unknown as { _engineConfig: EngineConfig })._engineConfig;
  const build = compilerWasm.importName.replace(/^\.\/|\.js$/g, '');
  const file = createRequire(import.meta.url).resolve(
    `@prisma/client/runtime/${build}.${activeProvider}.wasm-base64.mjs`,
  );
  compilerWasm.getQueryCompilerWasmModule = async () => {
    const source = readFileSync(file, 'utf8');
    // `const wasm = "…"`: base64 has no quote of its own.
    const base64 = source.slice(source.indexOf('"') + 1, source.lastIndexOf('"'));
    return WebAssembly.compile(Buffer.from(base64, 'base64'));
  };
  return client;
}
