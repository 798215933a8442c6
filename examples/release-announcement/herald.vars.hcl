release = "v1.4.0"
