/** The part of jsdiff (`diff` 7, which ships no types) that `initlens check --diff` and the notebook fixes use. */
declare module 'diff' {
  export interface Hunk {
    oldStart: number;
    oldLines: number;
    newStart: number;
    newLines: number;
    /** ' ', '-' or '+' and the line; `\ No newline at end of file` after a last line without one. */
    lines: string[];
  }
  export function structuredPatch(oldFileName: string, newFileName: string, oldStr: string, newStr: string, oldHeader?: string, newHeader?: string, options?: { context?: number }): { hunks: Hunk[] };
  export interface ArrayChange<T> {
    value: T[];
    count?: number;
    added?: boolean;
    removed?: boolean;
  }
  export function diffArrays<T>(oldArr: readonly T[], newArr: readonly T[]): ArrayChange<T>[];
}
