/** The values of the `initlens.compute.backend` setting (data only: the panels' pages and bundles read it without the engines). */
export type BackendSetting = 'auto' | 'cpu' | 'gpu';
export const BACKEND_SETTINGS: readonly BackendSetting[] = ['auto', 'cpu', 'gpu'];
