import type { LRParser } from '@lezer/lr';

/** The patched Python parser generated from python.grammar (scripts/generate-parser.js). */
export declare const parser: LRParser;
