# Variables: required ones, validation rules and types.
provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

recipients "team" {
  numbers = ["+12025550123", "+12025550124"]
}

variable "needed" { # ERROR: No value for required variable
  type = string
}

variable "release" {
  type    = string
  default = "1.2.3"
  validation {
    condition     = can(regex("^v[0-9]+", var.release)) # ERROR: Invalid value for variable
    error_message = "release must look like v1.2.3."
  }
}

variable "count" {
  type    = number
  default = "many" # ERROR: Invalid default value for variable
}

variable "bad_type" {
  type    = strin # ERROR: Invalid type specification
  default = "x"
}
