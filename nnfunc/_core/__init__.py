"""nnfunc's machinery: module protocol, function pairs, dispatch, errors."""
