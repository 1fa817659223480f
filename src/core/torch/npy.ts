/**
 * NumPy `.npy` (format 1.0) and `.npz` (a stored zip of `.npy` files) writers
 * for float32 tensors, so users can `np.load` what exact mode computed. Format:
 * numpy `lib/format.py` (magic, version, little-endian header length, a
 * Python-literal dict padded with spaces to a 64-byte boundary and '\n'); zip:
 * PKWARE APPNOTE 4.3 (local headers, central directory, end record; method 0,
 * CRC-32). A few dozen lines, so no dependency.
 */

/** A `.npy` file holding a float32, little-endian, C-order array of `shape`. */
export function npyBytes(values: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new RangeError(`shape ${JSON.stringify(shape)} holds ${count} values, got ${values.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + header length (2) + header, a multiple of 64, ending in '\n'.
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + values.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, total);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zip uses it). */
export function crc32(data: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** A zip archive of `files` stored without compression (what `np.savez` writes). */
export function zipStore(files: readonly { readonly name: string; readonly data: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = enc.encode(f.name);
    if (f.data.length >= 0xffffffff || offset >= 0xffffffff) throw new RangeError('zip64 archives (4 GiB and more) are not supported');
    const crc = crc32(f.data);
    const local = new Uint8Array(30 + name.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true); // version needed: 2.0
    l.setUint16(6, 0x0800, true); // UTF-8 names
    l.setUint16(8, 0, true); // stored
    l.setUint16(10, 0, true); // time
    l.setUint16(12, 0x21, true); // date: 1980-01-01
    l.setUint32(14, crc, true);
    l.setUint32(18, f.data.length, true);
    l.setUint32(22, f.data.length, true);
    l.setUint16(26, name.length, true);
    local.set(name, 30);
    const entry = new Uint8Array(46 + name.length);
    const c = new DataView(entry.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, 0x0800, true);
    c.setUint16(10, 0, true);
    c.setUint16(12, 0, true);
    c.setUint16(14, 0x21, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, f.data.length, true);
    c.setUint32(24, f.data.length, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    entry.set(name, 46);
    parts.push(local, f.data);
    central.push(entry);
    offset += local.length + f.data.length;
  }
  const centralSize = central.reduce((a, e) => a + e.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, files.length, true);
  e.setUint16(10, files.length, true);
  e.setUint32(12, centralSize, true);
  e.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An `.npz` of named float32 arrays (`np.load(path)[name]`). */
export function npzBytes(arrays: readonly { readonly name: string; readonly values: Float32Array; readonly shape: readonly number[] }[]): Uint8Array {
  return zipStore(arrays.map((a) => ({ name: `${a.name}.npy`, data: npyBytes(a.values, a.shape) })));
}

// ---- reading -----------------------------------------------------------------

/** Element types a batch may have: little-endian (or single-byte) floats and integers. */
const NPY_TYPES: Readonly<Record<string, { readonly bytes: number; readonly read: (v: DataView, at: number) => number }>> = {
  '<f4': { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  '<f8': { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  '|i1': { bytes: 1, read: (v, at) => v.getInt8(at) },
  '<i2': { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  '<i4': { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  '<i8': { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  '|u1': { bytes: 1, read: (v, at) => v.getUint8(at) },
  '<u2': { bytes: 2, read: (v, at) => v.getUint16(at, true) },
  '<u4': { bytes: 4, read: (v, at) => v.getUint32(at, true) },
  '<u8': { bytes: 8, read: (v, at) => Number(v.getBigUint64(at, true)) },
};
/** numpy 1.x writes `<i1`/`<u1` for some single-byte types, `|i1` for others: the same thing. */
const NPY_ALIASES: Readonly<Record<string, string>> = { '<i1': '|i1', '<u1': '|u1', '|b1': 'bool' };
/** numpy (lib/format.py `_MAX_HEADER_SIZE`) refuses longer headers by default too. */
export const MAX_NPY_HEADER = 10_000;
/** Most axes of a batch. */
const MAX_NPY_RANK = 8;

/** A `.npy` file that is not one InitLens reads: the message says exactly what is wrong. */
export class NpyError extends Error {
  override readonly name = 'NpyError';
}

export interface NpyArray {
  readonly shape: readonly number[];
  /** The file's `descr` (`<f4`, `<i8`, …). */
  readonly dtype: string;
  /** Every value converted to float32 (what `torch.from_numpy(a).float()` holds), C order. */
  readonly values: Float32Array;
}

/**
 * Reads a `.npy` file (format versions 1.0, 2.0 and 3.0; numpy
 * `lib/format.py`) strictly: little-endian floats and integers in C order,
 * the header a Python dict literal with exactly `descr`, `fortran_order` and
 * `shape`, the data exactly as long as the shape says, at most `maxValues`
 * values. Never unpickles anything: object arrays are refused.
 */
export function readNpy(bytes: Uint8Array, maxValues: number): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new NpyError('not a .npy file (it does not start with \\x93NUMPY)');
  const [major, minor] = [bytes[6], bytes[7]];
  if (!(major >= 1 && major <= 3) || minor !== 0) throw new NpyError(`.npy format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new NpyError('the .npy file ends inside its header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (headerLength > MAX_NPY_HEADER) throw new NpyError(`the .npy header is ${headerLength} bytes, more than the ${MAX_NPY_HEADER} numpy itself accepts`);
  if (start + headerLength > bytes.length) throw new NpyError(`the .npy file ends inside its header (${headerLength} bytes announced, ${bytes.length - start} there)`);
  const raw = bytes.subarray(start, start + headerLength);
  // Versions 1 and 2 are latin-1, version 3 UTF-8; a header of a plain dict is ASCII either way.
  const header = major === 3 ? new TextDecoder('utf-8', { fatal: false }).decode(raw) : String.fromCharCode(...raw);
  const dict = parseHeader(header);
  let dtype = dict.descr;
  if (NPY_ALIASES[dtype]) dtype = NPY_ALIASES[dtype];
  const type = NPY_TYPES[dtype];
  if (!type) {
    const why = dtype.startsWith('>') ? 'big-endian data is not supported (save it with a.astype("<f4"))' : dtype.includes('O') ? 'object arrays are refused (InitLens never unpickles)' : 'only little-endian float32/float64 and integer arrays are read';
    throw new NpyError(`.npy dtype '${dict.descr}': ${why}`);
  }
  if (dict.fortran_order) throw new NpyError('the .npy array is in Fortran order; save it in C order (np.ascontiguousarray(a))');
  if (dict.shape.length === 0) throw new NpyError('the .npy array is a scalar; a batch has a batch axis first');
  if (dict.shape.length > MAX_NPY_RANK) throw new NpyError(`the .npy array has ${dict.shape.length} axes, more than ${MAX_NPY_RANK}`);
  if (dict.shape.some((d) => d === 0)) throw new NpyError(`the .npy array of shape (${dict.shape.join(', ')}) is empty`);
  const count = dict.shape.reduce((a, b) => a * b, 1);
  if (!(count <= maxValues)) throw new NpyError(`the .npy array holds ${count.toLocaleString('en-US')} values, more than the ${maxValues.toLocaleString('en-US')} a signal run takes`);
  const data = start + headerLength;
  const want = count * type.bytes;
  if (bytes.length - data !== want) throw new NpyError(`the .npy data is ${bytes.length - data} bytes, its shape (${dict.shape.join(', ')}) of ${dtype} needs ${want}${bytes.length - data < want ? ' (the file is truncated)' : ''}`);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = type.read(view, data + i * type.bytes);
  for (let i = 0; i < count; i++) if (!Number.isFinite(values[i])) throw new NpyError(`the .npy array holds ${values[i]} at index ${i}${Number.isNaN(values[i]) ? '' : ' (or a value beyond float32)'}: a batch must be finite`);
  return { shape: dict.shape, dtype, values };
}

/** The header dict, read as the Python literal numpy writes (`ast.literal_eval` of exactly this form), nothing more. */
function parseHeader(text: string): { descr: string; fortran_order: boolean; shape: number[] } {
  let i = 0;
  const fail = (what: string): never => {
    throw new NpyError(`the .npy header is malformed: ${what} at character ${i} of ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`);
  };
  const space = () => {
    while (i < text.length && /[ \t\n\r]/.test(text[i])) i++;
  };
  const expect = (c: string) => {
    space();
    if (text[i] !== c) fail(`expected '${c}'`);
    i++;
  };
  const string = (): string => {
    space();
    const q = text[i];
    if (q !== "'" && q !== '"') fail('expected a string');
    const end = text.indexOf(q, i + 1);
    if (end < 0) fail('an unterminated string');
    const s = text.slice(i + 1, end);
    if (s.includes('\\')) fail('an escape in a string');
    i = end + 1;
    return s;
  };
  const value = (key: string): string | boolean | number[] => {
    space();
    if (key === 'descr') {
      if (text[i] === '[') fail('a structured dtype (a list of fields) is not supported');
      return string();
    }
    if (key === 'fortran_order') {
      for (const [word, v] of [['True', true], ['False', false]] as const) {
        if (text.startsWith(word, i)) {
          i += word.length;
          return v;
        }
      }
      return fail('expected True or False');
    }
    expect('(');
    const dims: number[] = [];
    for (;;) {
      space();
      if (text[i] === ')') break;
      const m = /^\d{1,15}/.exec(text.slice(i, i + 16));
      if (!m) return fail('expected a dimension');
      dims.push(Number(m[0]));
      i += m[0].length;
      space();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] !== ')') fail("expected ',' or ')'");
      if (dims.length === 1) fail("a 1-tuple needs its ','");
    }
    i++;
    return dims;
  };
  const seen = new Map<string, string | boolean | number[]>();
  expect('{');
  for (;;) {
    space();
    if (text[i] === '}') break;
    const key = string();
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') fail(`an unexpected key '${key}'`);
    if (seen.has(key)) fail(`the key '${key}' twice`);
    expect(':');
    seen.set(key, value(key));
    space();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail("expected ',' or '}'");
  }
  i++;
  space();
  if (i !== text.length) fail('text after the dict');
  for (const k of ['descr', 'fortran_order', 'shape']) if (!seen.has(k)) throw new NpyError(`the .npy header has no '${k}'`);
  return { descr: seen.get('descr') as string, fortran_order: seen.get('fortran_order') as boolean, shape: seen.get('shape') as number[] };
}
