waves = "not a list" # ERROR: Invalid value for variable
