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
