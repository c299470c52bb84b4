"""Test configuration: the table lives in cases.py, helpers in _helpers.py.

Tests run with ``--import-mode=importlib`` against the *installed* nnfunc
(test_build.py guards that the compiled kernels are what gets imported).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
