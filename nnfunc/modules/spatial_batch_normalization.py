from ._batch_norm import BatchNormBase


class SpatialBatchNormalization(BatchNormBase):
    """Batch normalisation of images, per channel over (N, H, W).

    Torch7: ``nn.SpatialBatchNormalization(nOutput, eps=1e-5, momentum=0.1,
    affine=true)``; ``train`` is the dict key.

    ``input``: ``(N, nOutput, H, W)``, or ``(nOutput, H, W)`` in evaluation
    mode only; parameters and running statistics ``(nOutput,)``. Formula
    and state as :class:`BatchNormalization`, statistics over N*H*W values
    per channel. Reference: ``F.batch_norm``. Decisions shared by the
    family: :class:`~nnfunc.modules._batch_norm.BatchNormBase`.
    """

    nDim = 4
