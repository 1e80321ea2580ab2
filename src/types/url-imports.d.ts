// The .wasm file of onnxruntime-web imported by URL (Vite's `?url`; src/cli/browser/ort-peer.ts): the package
// build compiles without vite/client's types (tsconfig.build.json), and the dev server resolves it at run time.
declare module 'onnxruntime-web/*.wasm?url' {
  const url: string;
  export default url;
}
