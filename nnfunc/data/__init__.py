"""Small data sets shipped with nnfunc (no download at run time).

``digits.npz``: the 8x8 optical handwritten digits of the UCI Machine
Learning Repository ("Optical Recognition of Handwritten Digits", E.
Alpaydin and C. Kaynak, 1998; CC BY 4.0): 1797 images of 8x8 integer
pixels in 0..16 (counts of on pixels in 4x4 blocks of 32x32 bitmaps) with
their labels 0-9. This is the copy distributed with scikit-learn as
``load_digits``, stored as uint8 arrays.
"""

from importlib import resources

import numpy as np

__all__ = ["load_digits"]


def load_digits():
    """Return ``(images, labels)``: uint8 arrays of shape (1797, 8, 8) and (1797,)."""
    with resources.files(__name__).joinpath("digits.npz").open("rb") as f:
        with np.load(f) as z:
            return z["images"].copy(), z["labels"].copy()
