# Wrong references are reported on their own range, with suggestions.
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

variable "release" {
  default = "v1"
}

locals {
  greeting = "hello ${var.relase}" # ERROR: Reference to undeclared input variable
  number   = sender.ops.number      # ERROR: Invalid reference
  wave     = each.key               # ERROR: Invalid reference
}

message "m" {
  from = sendr.ops # ERROR: Unknown reference
  to   = recipients.tema # ERROR: Reference to undeclared recipients block
  body = "${message.n.ref}" # ERROR: Invalid reference
  ref  = "m"
}

message "n" {
  from = sender.ops
  to   = recipients.team
  body = "hi ${each.value}" # ERROR: Invalid reference
  ref  = "n"
}

message "o" {
  from = sender.ops
  to   = recipients.team
  body = var # ERROR: Invalid reference
  ref  = local.nothing # ERROR: Reference to undeclared local value
}

message "p" {
  from = sender.ops
  to   = recipients.team
  body = upper(var.release, "x") # ERROR: Too many function arguments
  ref  = nosuchfunc("p") # ERROR: Call to unknown function
}

message "q" {
  from = sender.ops
  to   = recipients.team.number # ERROR: Unsupported attribute
  body = "from ${sender.ops.numbr}" # ERROR: Unsupported attribute
  ref  = template.t.nam              # ERROR: Unsupported attribute
}

template "t" {
  name = "t"
}
