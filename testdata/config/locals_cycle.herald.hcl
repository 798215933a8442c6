# Local values may refer to each other, but not in a loop.
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

locals {
  a = local.b # ERROR: Cycle among local values
  b = local.c
  c = local.a
  d = "fine"
  e = "${local.d}!"
}
