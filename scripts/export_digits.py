#!/usr/bin/env python3
"""Writes scikit-learn's bundled 8x8 digits as a data set directory the reproductions read.

Run: cargo xtask data digits [--out DIR]   (creates the scikit-learn environment once), or
     python3 scripts/export_digits.py DIR [SEED]   (needs numpy and scikit-learn)

The 1,797 images are split per class, 80 % training / 20 % test (seeded; 1,437 / 360), and
written as train_x.npy, train_y.npy, test_x.npy, test_y.npy in DIR. Pixels are divided by 16
(to [0, 1]) and every image is upsampled 2x by pixel repetition to 16 x 16, the smallest side
the Siamese CNN (two 5x5 conv + pool stages) accepts; a repeated pixel adds no information.
"""
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

out = Path(sys.argv[1])
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
out.mkdir(parents=True, exist_ok=True)
digits = load_digits()
x = digits.images.astype(np.float64) / 16.0
x = np.kron(x, np.ones((1, 2, 2)))  # n x 16 x 16, each pixel a 2 x 2 block
x = x.reshape(len(x), -1)
y = digits.target.astype(np.int64)
xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
for name, a in (("train_x", xtr), ("train_y", ytr), ("test_x", xte), ("test_y", yte)):
    tmp = out / f".{name}.npy.tmp"
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(a))
    tmp.replace(out / f"{name}.npy")
print(f"wrote {out}: {len(xtr)} training / {len(xte)} test images, 16 x 16")
