"""Shared checks of the table modules (a list of arrays as ``input``)."""

from .._core.module import Module


class TableModule(Module):
    """A module whose ``input`` is a table (a list of arrays: the frontend
    refuses anything else).

    :meth:`table` returns the list (checking it has ``n`` entries when given);
    :meth:`same_shapes` that every entry has the shape of ``input[0]``
    (errors name the entry, ``'input[1]'``).
    """

    table_input = True

    def table(self, d, n=None):
        xs = d["input"]
        if n is not None and len(xs) != n:
            self.fail(f"'input' must be a table of {n} arrays, got {len(xs)}")
        return xs

    def same_shapes(self, xs):
        shape = tuple(xs[0].shape)
        for i, x in enumerate(xs[1:], 1):
            self.check_shape(f"input[{i}]", x, shape, "(the shape of input[0])")
        return shape

    def pair_rows(self, d):
        """Two entries of one shape, (D) or (N, D), for the row-wise modules
        (output ``(N,)``, or 0-d for 1-D entries); returns that shape."""
        xs = self.table(d, 2)
        self.check_ndim("input[0]", xs[0], (1, 2))
        return self.same_shapes(xs)

    def row_output(self, shape):
        return tuple(shape[:-1])
