# A default that cannot be evaluated is reported once, on the default: the
# variable is not also reported as required.
variable "base" {
  default = "v1"
}

variable "release" {
  default = var.base # ERROR: Variables not allowed
}

provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "m" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "Release ${var.release}"
  ref  = "m"
}
