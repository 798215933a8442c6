# Variable files: herald.vars.hcl and *.auto.vars.hcl load automatically.
variable "release" {
  type = string
}

variable "waves" {
  type = list(string)
}

provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "m" {
  for_each = toset(var.waves)
  from     = sender.ops
  to       = ["+12025550123"]
  body     = "${var.release} ${each.key}"
  ref      = "m-${each.key}"
}
