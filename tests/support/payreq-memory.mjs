// The package does not expose its wasm memory, so the memory test and the
// bench catch payreq's instance as its glue makes it. Call before the first
// `import("payreq")`; the returned function gives the instance's memory
// (undefined until the package has instantiated).
export function catchPayreqMemory() {
  const RealInstance = WebAssembly.Instance;
  let memory;
  WebAssembly.Instance = function Instance(module, imports) {
    const instance = new RealInstance(module, imports);
    if (WebAssembly.Module.exports(module).some((e) => e.name === "paymentclient_begin")) {
      memory = instance.exports.memory;
    }
    return instance;
  };
  return () => memory;
}
