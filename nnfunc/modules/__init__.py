"""The built-in catalogue of Torch7 ``nn`` modules, as nnfunc module classes.

``nnfunc.functionalize("nn")`` (run on import) exposes each class here as a
function constructor under ``nnfunc.nn``. One file per module (a family
base class may hold a few), named by the snake_case of the class.
"""

from .add import Add
from .batch_normalization import BatchNormalization
from .spatial_batch_normalization import SpatialBatchNormalization
from .volumetric_batch_normalization import VolumetricBatchNormalization
from .layer_normalization import LayerNormalization
from .normalize import Normalize
from .spatial_cross_map_lrn import SpatialCrossMapLRN
from .bilinear import Bilinear
from .c_add import CAdd
from .c_add_table import CAddTable
from .c_mul import CMul
from .euclidean import Euclidean
from .mul import Mul
from .class_nll_criterion import ClassNLLCriterion
from .crelu import CReLU
from .elu import ELU
from .gated_linear_unit import GatedLinearUnit
from .hard_shrink import HardShrink
from .hard_tanh import Clamp, HardTanh, ReLU6
from .leaky_relu import LeakyReLU
from .linear import Linear
from .log_sigmoid import LogSigmoid
from .log_soft_max import LogSoftMax
from .mse_criterion import MSECriterion
from .prelu import PReLU
from .sigmoid import Sigmoid
from .soft_max import SoftMax
from .soft_min import SoftMin
from .soft_plus import SoftPlus
from .soft_shrink import SoftShrink
from .soft_sign import SoftSign
from .spatial_convolution import SpatialConvolution
from .volumetric_convolution import VolumetricConvolution
from .volumetric_dilated_convolution import VolumetricDilatedConvolution
from .volumetric_full_convolution import VolumetricFullConvolution
from .spatial_adaptive_average_pooling import SpatialAdaptiveAveragePooling
from .spatial_adaptive_max_pooling import SpatialAdaptiveMaxPooling
from .spatial_average_pooling import SpatialAveragePooling
from .spatial_max_pooling import SpatialDilatedMaxPooling, SpatialMaxPooling
from .spatial_max_unpooling import SpatialMaxUnpooling
from .spatial_soft_max import SpatialLogSoftMax, SpatialSoftMax
from .split_table import SplitTable
from .tanh import Tanh
from .tanh_shrink import TanhShrink
from .threshold import ReLU, Threshold
from .abs_criterion import AbsCriterion
from .bce_criterion import BCECriterion
from .dist_kl_div_criterion import DistKLDivCriterion
from .hinge_embedding_criterion import HingeEmbeddingCriterion
from .l1_cost import L1Cost
from .margin_criterion import MarginCriterion
from .margin_ranking_criterion import MarginRankingCriterion
from .multi_label_soft_margin_criterion import MultiLabelSoftMarginCriterion
from .smooth_l1_criterion import SmoothL1Criterion
from .soft_margin_criterion import SoftMarginCriterion
from .cross_entropy_criterion import CrossEntropyCriterion
from .multi_label_margin_criterion import MultiLabelMarginCriterion
from .multi_margin_criterion import MultiMarginCriterion
from .spatial_class_nll_criterion import SpatialClassNLLCriterion
from .abs import Abs
from .add_constant import AddConstant
from .mul_constant import MulConstant
from .exp import Exp
from .log import Log
from .sqrt import Sqrt
from .square import Square
from .power import Power
from .sum import Sum
from .mean import Mean
from .max import Max
from .min import Min
from .identity import Identity
from .contiguous import Contiguous
from .reshape import Reshape
from .view import View
from .squeeze import Squeeze
from .unsqueeze import Unsqueeze
from .transpose import Transpose
from .narrow import Narrow
from .select import Select
from .replicate import Replicate
from .collapse import Collapse
from .one_hot import OneHot
from .index import Index
from .masked_select import MaskedSelect
from .c_sub_table import CSubTable
from .c_mul_table import CMulTable
from .c_div_table import CDivTable
from .c_max_table import CMaxTable
from .c_min_table import CMinTable
from .join_table import JoinTable
from .select_table import SelectTable
from .narrow_table import NarrowTable
from .dot_product import DotProduct
from .cosine_distance import CosineDistance
from .pairwise_distance import PairwiseDistance
from .mm import MM
from .mv import MV
from .spatial_zero_padding import SpatialZeroPadding
from .spatial_reflection_padding import SpatialReflectionPadding
from .spatial_replication_padding import SpatialReplicationPadding
from .volumetric_replication_padding import VolumetricReplicationPadding
from .spatial_up_sampling_nearest import SpatialUpSamplingNearest
from .spatial_up_sampling_bilinear import SpatialUpSamplingBilinear
from .pixel_shuffle import PixelShuffle
from .up_sampling import UpSampling
from .dropout import Dropout
from .spatial_dropout import SpatialDropout
from .volumetric_dropout import VolumetricDropout
from .lookup_table import LookupTable
