from ._batch_norm import BatchNormBase


class VolumetricBatchNormalization(BatchNormBase):
    """Batch normalisation of volumes, per channel over (N, T, H, W).

    Torch7: ``nn.VolumetricBatchNormalization(nOutput, eps=1e-5,
    momentum=0.1, affine=true)``; ``train`` is the dict key.

    ``input``: ``(N, nOutput, T, H, W)``, or ``(nOutput, T, H, W)`` in
    evaluation mode only; parameters and running statistics
    ``(nOutput,)``. Formula and state as :class:`BatchNormalization`,
    statistics over N*T*H*W values per channel. Reference:
    ``F.batch_norm``. Decisions shared by the family:
    :class:`~nnfunc.modules._batch_norm.BatchNormBase`.
    """

    nDim = 5
