"""The built-in catalogue of Torch7 ``nn`` modules, as nnfunc module classes.

``nnfunc.functionalize("nn")`` (run on import) exposes each class here as a
function constructor under ``nnfunc.nn``. One file per module (a family
base class may hold a few), named by the snake_case of the class.
"""

from .class_nll_criterion import ClassNLLCriterion
from .c_add_table import CAddTable
from .linear import Linear
from .log_soft_max import LogSoftMax
from .mse_criterion import MSECriterion
from .sigmoid import Sigmoid
from .split_table import SplitTable
from .soft_max import SoftMax
from .spatial_convolution import SpatialConvolution
from .spatial_max_pooling import SpatialMaxPooling
from .tanh import Tanh
from .threshold import ReLU, Threshold
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
