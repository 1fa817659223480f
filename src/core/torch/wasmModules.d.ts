/**
 * The exact-mode kernels, generated and assembled at build time by
 * scripts/torchKernels.js (esbuild.js resolves this virtual import): each
 * module's bytes in base64.
 */
declare module 'initlens:torch-kernels' {
  const modules: { readonly fused: string; readonly emulated: string };
  export default modules;
}
