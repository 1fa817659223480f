"""Shared by the exact-mode answer-key scripts (module_order.py, encoder_stack.py).

Each runs small programs with real PyTorch and records, per program, its text
and the first float32 bit patterns of the parameters it builds.
"""
import json
import struct

import torch


def bits(t, values):
    """The first `values` float32 bit patterns of `t`, as hex."""
    return ['0x%08x' % struct.unpack('<I', struct.pack('<f', v))[0] for v in t.detach().flatten()[:values].tolist()]


def record(programs, values, describe):
    """Runs each program and prints the key as JSON; `describe(scope)` gives a program's recorded fields."""
    out = {'torch': torch.__version__, 'values': values, 'programs': []}
    for name, text in programs.items():
        scope = {}
        exec(compile(text, name, 'exec'), scope)
        out['programs'].append({'name': name, 'text': text, **describe(scope)})
    print(json.dumps(out, indent=1))
