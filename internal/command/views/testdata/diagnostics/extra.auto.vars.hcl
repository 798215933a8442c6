relase = "v2"
