print("nnfunc")
