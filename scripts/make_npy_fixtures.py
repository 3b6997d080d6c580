#!/usr/bin/env python3
"""Writes the small .npy / .npz fixtures that basis-data's tests load (tests/npy_numpy.rs).

Run: python3 scripts/make_npy_fixtures.py crates/basis-data/tests/fixtures/npy   (needs numpy)

Every 2-D fixture holds the 2 x 3 matrix M = [[0, 1, 2], [3, 4, 5]] (signed types:
M - 2, so negative values are exercised; bool: M % 2 == 1), saved in the named dtype, byte
order and memory order. The tests rebuild M themselves and compare element by element.
"""
import sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
m = np.arange(6).reshape(2, 3)

DTYPES = ["f8", "f4", "i8", "i4", "i2", "i1", "u8", "u4", "u2", "u1"]
for dt in DTYPES:
    for order_char, order_name in (("<", "le"), (">", "be")):
        if dt in ("i1", "u1") and order_char == ">":
            continue  # single bytes have no byte order ('|')
        values = m - 2 if dt.startswith("i") else m
        a = values.astype(np.dtype(order_char + dt))
        for mem in ("C", "F"):
            np.save(out / f"{dt}_{order_name}_{mem}.npy", np.asarray(a, order=mem))
np.save(out / "b1_C.npy", (m % 2 == 1))
np.save(out / "f8_1d.npy", np.array([0.5, -1.25, 3.0]))
# A non-trivial f64 value, to check every bit survives.
np.save(out / "f8_pi.npy", np.array([[np.pi, -np.e], [1e-300, 1e300]]))
np.savez(out / "pair.npz", x=m.astype("<f8"), y=np.array([0, 1], dtype="<i8"))
np.savez_compressed(out / "pair_compressed.npz", x=m.astype("<f4"), y=np.array([0, 1], dtype="<u1"))
print(f"wrote {len(list(out.iterdir()))} files to {out}")
