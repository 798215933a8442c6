release = "v1"
relese  = "typo" # WARNING: Value for undeclared variable
