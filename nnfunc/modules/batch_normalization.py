from ._batch_norm import BatchNormBase


class BatchNormalization(BatchNormBase):
    """Batch normalisation of a 2-D input, per feature.

    Torch7: ``nn.BatchNormalization(nOutput, eps=1e-5, momentum=0.1,
    affine=true)``; ``:training()`` / ``:evaluate()`` is the dict key
    ``train``.

    ``input``: ``(N, nOutput)``, or ``(nOutput,)`` in evaluation mode only
    (Torch7 takes exactly 2-D batches, no ``(N, C, L)``); ``weight``,
    ``bias`` (when ``affine``), ``running_mean``, ``running_var``:
    ``(nOutput,)``. ``y = (x - mean) / sqrt(var + eps) * weight + bias``
    with the batch mean and biased variance over N (training) or the
    running statistics (evaluation). Training with running statistics in
    the dict also returns the updated ``running_mean`` and ``running_var``
    (momentum update, unbiased variance); they are required in evaluation
    mode. Reference: ``F.batch_norm``. Decisions shared by the family:
    :class:`~nnfunc.modules._batch_norm.BatchNormBase`.
    """

    nDim = 2
