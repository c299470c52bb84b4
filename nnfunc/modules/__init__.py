"""The built-in catalogue of Torch7 ``nn`` modules, as nnfunc module classes.

``nnfunc.functionalize("nn")`` (run on import) exposes each class here as a
function constructor under ``nnfunc.nn``. One file per module (a family
base class may hold a few), named by the snake_case of the class.
"""

from .class_nll_criterion import ClassNLLCriterion
from .linear import Linear
from .log_soft_max import LogSoftMax
from .mse_criterion import MSECriterion
from .sigmoid import Sigmoid
from .soft_max import SoftMax
from .spatial_convolution import SpatialConvolution
from .spatial_max_pooling import SpatialMaxPooling
from .tanh import Tanh
from .threshold import ReLU, Threshold
from .abs_criterion import AbsCriterion
from .bce_criterion import BCECriterion
from .dist_kl_div_criterion import DistKLDivCriterion
from .hinge_embedding_criterion import HingeEmbeddingCriterion
from .l1_cost import L1Cost
from .margin_criterion import MarginCriterion
from .multi_label_soft_margin_criterion import MultiLabelSoftMarginCriterion
from .smooth_l1_criterion import SmoothL1Criterion
from .soft_margin_criterion import SoftMarginCriterion
from .cross_entropy_criterion import CrossEntropyCriterion
from .multi_label_margin_criterion import MultiLabelMarginCriterion
from .multi_margin_criterion import MultiMarginCriterion
from .spatial_class_nll_criterion import SpatialClassNLLCriterion
