#!/usr/bin/python3
"""Answer keys for InitLens's .npy reader (src/core/torch/npy.ts readNpy), written by real NumPy.

Each good file comes with the float32 values torch.from_numpy(a).float() holds (in keys.json), each bad one is
a file NumPy wrote (or a NumPy file cut or altered as named) that the reader must refuse.

  /usr/bin/python3 scripts/signal/npy_fixtures.py      (writes test/fixtures/npy/)
"""
import json
import os

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'npy')


def write(name, a, version=None):
    path = os.path.join(OUT, name)
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, a, version=version, allow_pickle=True)
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    good = {
        'f4-v1.npy': (rng.standard_normal((4, 6)).astype('<f4'), (1, 0)),
        'f8-v2.npy': (rng.standard_normal((2, 3, 4)) * 1e3, (2, 0)),
        'i8-v3.npy': (rng.integers(-5, 5, size=(3, 5)).astype('<i8'), (3, 0)),
        'u1-v1.npy': (rng.integers(0, 255, size=(2, 1, 3, 3)).astype('u1'), (1, 0)),
        'i4-1d.npy': (np.arange(7, dtype='<i4'), (1, 0)),
    }
    keys = {}
    for name, (a, version) in good.items():
        write(name, a, version)
        keys[name] = {'shape': list(a.shape), 'dtype': a.dtype.str, 'values': torch.from_numpy(np.ascontiguousarray(a)).float().flatten().tolist()}
    bad = {}
    write('fortran.npy', np.asfortranarray(rng.standard_normal((3, 4)).astype('<f4')))
    bad['fortran.npy'] = 'Fortran order'
    write('big-endian.npy', rng.standard_normal((2, 2)).astype('>f4'))
    bad['big-endian.npy'] = 'big-endian'
    write('object.npy', np.array([{'a': 1}, None], dtype=object))
    bad['object.npy'] = 'object arrays are refused'
    write('bool.npy', np.array([[True, False]]))
    bad['bool.npy'] = "dtype '|b1'"
    write('scalar.npy', np.array(1.5, dtype='<f4'))
    bad['scalar.npy'] = 'scalar'
    write('structured.npy', np.zeros(3, dtype=[('x', '<f4'), ('y', '<i4')]))
    bad['structured.npy'] = 'structured dtype'
    full = open(write('truncated.npy', rng.standard_normal((4, 4)).astype('<f4')), 'rb').read()
    open(os.path.join(OUT, 'truncated.npy'), 'wb').write(full[:-3])
    bad['truncated.npy'] = 'truncated'
    open(os.path.join(OUT, 'trailing.npy'), 'wb').write(full + b'\0\0\0\0')
    bad['trailing.npy'] = 'needs 64'
    open(os.path.join(OUT, 'not-npy.npy'), 'wb').write(b'PK\x03\x04 this is a zip')
    bad['not-npy.npy'] = 'not a .npy file'
    # A header that announces more bytes than numpy's own 10000.
    head = b'\x93NUMPY\x02\x00' + (100000).to_bytes(4, 'little')
    open(os.path.join(OUT, 'huge-header.npy'), 'wb').write(head + b' ' * 64)
    bad['huge-header.npy'] = 'more than the 10000'
    with open(os.path.join(OUT, 'keys.json'), 'w', encoding='utf8') as f:
        json.dump({'numpy': np.__version__, 'good': keys, 'bad': bad}, f, indent=1)
        f.write('\n')
    print('wrote', len(keys), 'good and', len(bad), 'bad files')


if __name__ == '__main__':
    main()
